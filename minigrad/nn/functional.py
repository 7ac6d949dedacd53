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


# ----- layers -------------------------------------------------------------------
def linear(input, weight, bias=None):
    """y = input @ weight^T + bias, with weight (out_features, in_features) as in PyTorch."""
    y = ops.matmul(input, ops.transpose(weight))
    return y if bias is None else y + bias


def _add_channel_bias(y, bias):
    """Add a per-channel bias (C,) to y (N, C, H, W); broadcasting does the rest."""
    return y if bias is None else y + ops.reshape(bias, (1, -1, 1, 1))


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """input (N, C_in, H, W), weight (C_out, C_in/groups, kh, kw), bias (C_out,) or None."""
    return _add_channel_bias(ops.conv2d(input, weight, stride, padding, dilation, groups), bias)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """input (N, C_in, H, W), weight (C_in, C_out/groups, kh, kw), bias (C_out,) or None.

    Argument order as in PyTorch (groups before dilation)."""
    y = ops.conv_transpose2d(input, weight, stride, padding, output_padding, dilation, groups)
    return _add_channel_bias(y, bias)


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Max over kernel_size windows; stride defaults to kernel_size; pads with -inf."""
    return ops.max_pool2d(input, kernel_size, stride, padding)


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    """Mean over kernel_size windows (zero padding counted, as PyTorch's count_include_pad=True)."""
    return ops.avg_pool2d(input, kernel_size, stride, padding)


def interpolate(input, scale_factor, mode="nearest"):
    """Upsample (N, C, H, W) by an integer scale_factor (int or pair); only mode='nearest'."""
    if mode != "nearest":
        raise ValueError(f"interpolate: only mode='nearest' is implemented, got {mode!r}")
    return ops.upsample_nearest(input, scale_factor)


def lstm_cell(gates, c_prev):
    """One LSTM step after the matmuls: gates (B, 4H) in PyTorch's order i, f, g, o (the sum of
    x_t W_ih^T + b_ih + h W_hh^T + b_hh) and c_prev (B, H) -> (h, c), each (B, H).

    One op (``ops.lstm_cell``) computes both; h and c are its two halves. PyTorch has no
    function of this signature (``torch.lstm_cell`` takes the weights too)."""
    hc = ops.lstm_cell(gates, c_prev)
    return hc[0], hc[1]


def dropout(input, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (identity if not training)."""
    from .dropout import dropout_mask

    if not training or p == 0:
        return input
    return input * dropout_mask(input.shape, p, input.dtype)


from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,  # noqa: E402
                     gaussian_kl_divergence, huber_loss, kl_div, kl_divergence_discrete,
                     kl_sparsity_penalty, l1_activity_penalty, l1_loss, mse_loss, nll_loss, one_hot)
