"""Weight initializers. Each fills a tensor in place (from ``minigrad.random``) and returns it.

The scale of a good initialization keeps the variance of activations (forward)
or of gradients (backward) roughly constant from layer to layer. For a weight
with fan_in inputs and fan_out outputs per unit:

    Xavier/Glorot (tanh, sigmoid, linear):   Var(w) = gain^2 * 2 / (fan_in + fan_out)
    Kaiming/He    (ReLU family):             Var(w) = gain^2 / fan        (fan = fan_in by default)
    LeCun         (SELU):                    Var(w) = 1 / fan_in

A uniform distribution on [-b, b] has variance b^2 / 3, so the uniform
versions use b = sqrt(3 Var). Fans of a linear weight (out, in) are (in, out);
of a conv weight (out, in/groups, kh, kw) they are (in/groups kh kw, out kh kw).
"""
import math

import numpy as np

from .. import random


def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight: dims 1 and 0, times the receptive field size."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity, param=None):
    """The factor by which a nonlinearity shrinks the standard deviation, to be undone.

    linear, sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);  leaky_relu(a): sqrt(2 / (1 + a^2));  selu: 3/4.
    """
    if nonlinearity in ("linear", "identity", "sigmoid", "conv2d", "conv_transpose2d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def _fill(tensor, values):
    tensor.data[...] = values.astype(tensor.dtype)
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    return _fill(tensor, random.generator().uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    return _fill(tensor, random.generator().normal(mean, std, size=tensor.shape))


def constant_(tensor, value):
    tensor.data[...] = value
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0)


def ones_(tensor):
    return constant_(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """U(-b, b) with b = gain sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-b, b) with b = sqrt(3) gain / sqrt(fan) (He et al.); ``a`` is the leaky_relu slope.

    PyTorch's default for Linear and Conv weights is a = sqrt(5), which gives b = 1 / sqrt(fan_in).
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std^2) with std = gain / sqrt(fan) (He et al.)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def lecun_normal_(tensor):
    """N(0, 1 / fan_in), the initialization that keeps SELU networks self-normalizing.

    (A plain normal; some libraries truncate it at two standard deviations.)
    """
    fan_in, _ = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, 1.0 / math.sqrt(fan_in))


def _normal_cdf(z):
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """N(mean, std^2) conditioned on a <= w <= b (a and b are values, not multiples of std).

    Rejection sampling: draw, then draw again for the values outside [a, b] until none are
    left. A draw lands inside with probability P = Phi((b - mean) / std) - Phi((a - mean) / std),
    so filling n values takes about n / P draws. PyTorch inverts the CDF instead; the
    distribution is the same. An interval holding less than 1e-4 of the mass is refused.
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    inside = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if inside < 1e-4:
        raise ValueError(f"trunc_normal_: [{a}, {b}] holds only {inside:.2e} of N({mean}, {std}^2); "
                         "move the interval closer to the mean or widen it")
    values = np.empty(tensor.size)
    todo = np.arange(tensor.size)
    while todo.size:
        draws = min(int(todo.size / inside * 1.1) + 16, 1 << 24)  # about enough for the rest
        x = random.generator().normal(mean, std, size=draws)
        x = x[(x >= a) & (x <= b)][: todo.size]
        values[todo[: x.size]] = x
        todo = todo[x.size:]
    return _fill(tensor, values.reshape(tensor.shape))


def orthogonal_(tensor, gain=1.0):
    """A (semi-)orthogonal matrix times ``gain``, viewing the weight as (rows, cols) =
    (shape[0], size / shape[0]) (Saxe et al.).

    Q of the QR decomposition of a Gaussian matrix (of the transpose when rows < cols), with
    each column's sign made that of R's diagonal, is uniformly distributed (Haar). Then
    W W^T = gain^2 I if rows <= cols, and W^T W = gain^2 I if rows >= cols.
    """
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: needs a weight with at least 2 dimensions, got shape {tensor.shape}")
    if tensor.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.size // rows
    g = random.generator().normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        g = g.T
    q, r = np.linalg.qr(g)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))
