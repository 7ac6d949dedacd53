"""``minigrad.nn.functional`` (import it as ``F``): PyTorch-style functions.

Names, argument names and argument order follow ``torch.nn.functional`` where
PyTorch has the same function, so ``F.log_softmax(x, dim=1)`` reads the same
in both. Each function calls an op from ``minigrad.ops``; the math is there.
"""
from .. import ops


def relu(input):
    return ops.relu(input)


def leaky_relu(input, negative_slope=0.01):
    return ops.leaky_relu(input, negative_slope)


def elu(input, alpha=1.0):
    return ops.elu(input, alpha)


def selu(input):
    return ops.selu(input)


def sigmoid(input):
    return ops.sigmoid(input)


def tanh(input):
    return ops.tanh(input)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, stable everywhere (``threshold`` is accepted
    for PyTorch compatibility; the stable formula needs no switch)."""
    return ops.softplus(input, beta)


def logsigmoid(input):
    return ops.log_sigmoid(input)


log_sigmoid = logsigmoid


def softmax(input, dim=-1):
    return ops.softmax(input, dim)


def log_softmax(input, dim=-1):
    return ops.log_softmax(input, dim)


def pad(input, pad, value=0.0):
    """PyTorch's pad: ``pad`` lists (before, after) pairs starting from the LAST axis."""
    pairs = [(0, 0)] * input.ndim
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad {pad} must hold (before, after) pairs for at most {input.ndim} axes")
    for i in range(len(pad) // 2):
        pairs[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return ops.pad(input, pairs, value)
