"""``minigrad.nn.functional`` (import it as ``F``): PyTorch-style functions.

Names, argument names and argument order follow ``torch.nn.functional`` where
PyTorch has the same function, so ``F.log_softmax(x, dim=1)`` reads the same
in both. Each function calls an op from ``minigrad.ops``; the math is there.
Some are compositions of ops (conv1d, padding='same', pooling's ceil_mode,
interpolate's sizes and bilinear mode, embedding, layer_norm): the engine
differentiates them, twice if need be.
"""
import numpy as np

from .. import ops
from ..kernels.conv_args import integer, pair, pool_params, scale_pair
from ..tensor import Tensor


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
    """input (N, C_in, H, W), weight (C_out, C_in/groups, kh, kw), bias (C_out,) or None.

    ``padding`` may be a number, a pair, 'valid' (0) or 'same' (stride 1 only): an output of
    the input's size, with d (k - 1) zeros per axis, half before and the rest after (one more
    after when that total is odd, as PyTorch pads an even kernel)."""
    padding, extra = _padding_mode(padding, weight.shape[2:], stride, dilation)
    if any(extra):
        input = ops.pad(input, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
    return _add_channel_bias(ops.conv2d(input, weight, stride, padding, dilation, groups), bias)


def _padding_mode(padding, kernel_hw, stride, dilation):
    """(symmetric padding, extra zeros after (rows, cols)) for a padding that may be 'same' or 'valid'."""
    if not isinstance(padding, str):
        return padding, (0, 0)
    if padding == "valid":
        return 0, (0, 0)
    if padding != "same":
        raise ValueError(f"padding must be 'same', 'valid', an int or a pair of ints, got {padding!r}")
    if pair(stride, "stride", 1) != (1, 1):
        raise ValueError("padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for d, k in zip(pair(dilation, "dilation", 1), kernel_hw)]
    return (total[0] // 2, total[1] // 2), (total[0] % 2, total[1] % 2)


def _single(value):
    """v from v or (v,), the 1-D form of an argument (checked by the 2-D op it becomes)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"expected an int or a 1-tuple, got {value!r}")
        return value[0]
    return value


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """input (N, C_in, L), weight (C_out, C_in/groups, k), bias (C_out,) or None -> (N, C_out, L_out).

    conv2d of the input seen as (N, C_in, 1, L) with a (C_out, C_in/groups, 1, k) kernel;
    ``padding`` as in conv2d (a number, 'valid' or 'same')."""
    if input.ndim != 3 or weight.ndim != 3:
        raise ValueError(f"conv1d: expected input (N, C, L) and weight (C_out, C_in/groups, k), got "
                         f"{input.shape} and {weight.shape}")
    N, C, L = input.shape
    O, Cg, k = weight.shape
    padding = padding if isinstance(padding, str) else (0, _single(padding))
    y = conv2d(ops.reshape(input, (N, C, 1, L)), ops.reshape(weight, (O, Cg, 1, k)), bias,
               (1, _single(stride)), padding, (1, _single(dilation)), groups)
    return ops.reshape(y, (N, O, y.shape[3]))


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """input (N, C_in, H, W), weight (C_in, C_out/groups, kh, kw), bias (C_out,) or None.

    Argument order as in PyTorch (groups before dilation)."""
    y = ops.conv_transpose2d(input, weight, stride, padding, output_padding, dilation, groups)
    return _add_channel_bias(y, bias)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over kernel_size windows; stride defaults to kernel_size; pads with -inf.

    ceil_mode=True rounds the output size up, as PyTorch: a last window may hang over the end
    (the input is extended with -inf, never a maximum), but it must start inside the input or
    its left padding. dilation > 1 and return_indices are not implemented (ValueError)."""
    _not_implemented("max_pool2d", dilation=(dilation, 1), return_indices=(return_indices, False))
    if not ceil_mode or input.ndim != 4:
        return ops.max_pool2d(input, kernel_size, stride, padding)
    k, s, p = pool_params(kernel_size, stride, padding)
    extra, _ = _ceil_mode_sizes(input.shape[2:], k, s, p)
    if any(extra):
        input = ops.pad(input, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])), value=-np.inf)
    return ops.max_pool2d(input, k, s, p)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over kernel_size windows; stride defaults to kernel_size; pads with zeros.

    The divisor is kh kw by default (zero padding counted: count_include_pad=True); with
    count_include_pad=False it is the number of input elements in the window, with
    ``divisor_override`` that number. ceil_mode=True rounds the output size up as in
    max_pool2d; a window hanging over the end divides by its part inside the padded input
    (PyTorch's rule). Each variant is the average pool times a constant (kh kw / divisor)."""
    if input.ndim != 4 or (not ceil_mode and count_include_pad and divisor_override is None):
        return ops.avg_pool2d(input, kernel_size, stride, padding)
    k, s, p = pool_params(kernel_size, stride, padding)
    if ceil_mode:
        extra, out = _ceil_mode_sizes(input.shape[2:], k, s, p)
    else:
        extra, out = (0, 0), [(n + 2 * pi - ki) // si + 1 for n, ki, si, pi in zip(input.shape[2:], k, s, p)]
    y = ops.avg_pool2d(ops.pad(input, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1]))) if any(extra) else input,
                       k, s, p)
    if divisor_override is not None:
        divisor = np.asarray(integer(divisor_override, "divisor_override", 1), dtype=float)
    else:
        rows, cols = [_window_sizes(*args, count_include_pad) for args in zip(input.shape[2:], k, s, p, out)]
        divisor = rows[:, None] * cols[None, :]
    return y * (k[0] * k[1] / divisor).astype(input.dtype)


def _ceil_mode_sizes(hw, k, s, p):
    """(extra zeros after each axis, output size per axis) for PyTorch's ceil_mode=True.

    out = ceil((n + 2p - k) / s) + 1, minus one if the last window would start beyond the input
    and its left padding; a floor-mode pooling of the input extended by the extra elements has
    exactly that output size."""
    extra, outs = [], []
    for n, ki, si, pi in zip(hw, k, s, p):
        out = (n + 2 * pi - ki + si - 1) // si + 1
        if (out - 1) * si >= n + pi:
            out -= 1
        extra.append(max(0, (out - 1) * si + ki - (n + 2 * pi)))
        outs.append(out)
    return tuple(extra), outs


def _window_sizes(n, k, s, p, out, count_include_pad):
    """Per output position along one axis, the size of its window: inside the padded input
    (count_include_pad) or inside the input alone."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, n)
    return (end - start).astype(float)


def _not_implemented(what, **options):
    for name, (value, default) in options.items():
        if value != default:
            raise ValueError(f"{what}: {name}={value!r} is not implemented (only {default!r})")


INTERPOLATE_MODES = ("nearest", "nearest-exact", "linear", "bilinear")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None):
    """Resize (N, C, L) or (N, C, H, W) to ``size`` or by an integer ``scale_factor`` (int or pair),
    with PyTorch's signature (``F.interpolate(x, (14, 14))`` resizes to 14 x 14). Modes, each as
    in PyTorch:

    * 'nearest': y[i] = x[min(floor(i * n_in / n_out), n_in - 1)] (the ratio in float32, as
      PyTorch computes it); 'nearest-exact' uses floor((i + 0.5) * n_in / n_out). Integer
      upscaling is the upsample_nearest op, any other size a gather (getitem).
    * 'linear' (3-D input), 'bilinear' (4-D): each axis by linear interpolation between the two
      nearest inputs, source position s = (i + 0.5) n_in / n_out - 0.5 clamped at 0
      (align_corners=False, the default), or s = i (n_in - 1) / (n_out - 1) (align_corners=True).
      Per axis this is a constant (n_out, n_in) matrix A, so y = A_h x A_w^T: two matmuls.

    Everything is made of ops with their own VJPs (gathers, matmuls), so it is differentiable
    twice. ``recompute_scale_factor`` is accepted and changes nothing (the scales are integers).
    """
    spatial = input.ndim - 2
    if spatial not in (1, 2):
        raise ValueError(f"interpolate: expected input (N, C, L) or (N, C, H, W), got shape {input.shape}")
    if mode not in INTERPOLATE_MODES:
        raise ValueError(f"interpolate: mode must be one of {INTERPOLATE_MODES}, got {mode!r}")
    if (mode == "linear" and spatial != 1) or (mode == "bilinear" and spatial != 2):
        raise ValueError(f"interpolate: mode={mode!r} needs a {3 if mode == 'linear' else 4}-D input, "
                         f"got shape {input.shape}")
    if align_corners is not None and mode.startswith("nearest"):
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give either size or scale_factor")
    in_sizes = input.shape[2:]
    if scale_factor is not None:
        scales = scale_pair(scale_factor) if spatial == 2 else (integer(_single(scale_factor), "scale_factor", 1),)
        out_sizes = tuple(n * sc for n, sc in zip(in_sizes, scales))
    else:
        scales = (None,) * spatial
        out_sizes = pair(size, "size", 1) if spatial == 2 else (integer(_single(size), "size", 1),)
    if mode.startswith("nearest"):
        return _resize_nearest(input, in_sizes, out_sizes, scales, exact=mode == "nearest-exact")
    weights = [_linear_weights(n, o, sc, bool(align_corners), input.dtype)
               for n, o, sc in zip(in_sizes, out_sizes, scales)]
    y = ops.matmul(input, weights[-1].T)  # along the last axis: (..., n) @ (n, n_out)
    return y if spatial == 1 else ops.matmul(weights[0], y)  # along H: (H_out, H) @ (N, C, H, W_out)


def _resize_nearest(input, in_sizes, out_sizes, scales, exact):
    if all(n and o % n == 0 for n, o in zip(in_sizes, out_sizes)):  # integer upscaling: the op
        factors = tuple(o // n for n, o in zip(in_sizes, out_sizes))
        if len(factors) == 2:
            return ops.upsample_nearest(input, factors)
        N, C, L = input.shape
        y = ops.upsample_nearest(ops.reshape(input, (N, C, 1, L)), (1, factors[0]))
        return ops.reshape(y, (N, C, out_sizes[0]))
    index = [_nearest_index(n, o, sc, exact) for n, o, sc in zip(in_sizes, out_sizes, scales)]
    if len(index) == 2:
        index = [index[0][:, None], index[1][None, :]]
    return ops.getitem(input, (slice(None), slice(None), *index))


def _nearest_index(n_in, n_out, scale, exact):
    """The input index each output index reads along one axis (PyTorch's float32 arithmetic)."""
    f32 = np.float32
    ratio = f32(1.0 / scale) if scale else f32(n_in) / f32(n_out)
    dst = np.arange(n_out, dtype=f32) + (f32(0.5) if exact else f32(0))
    return np.minimum(np.floor(dst * ratio).astype(np.int64), n_in - 1)


def _linear_weights(n_in, n_out, scale, align_corners, dtype):
    """(n_out, n_in) matrix of linear interpolation along one axis: row i holds 1 - l at i0 and
    l at i1 = min(i0 + 1, n_in - 1), with i0 = floor(s), l = s - i0 and s the source position
    (see ``interpolate``), computed in ``dtype`` as PyTorch computes it."""
    t = np.dtype(dtype).type
    dst = np.arange(n_out)
    A = np.zeros((n_out, n_in), dtype)
    if n_out == n_in:
        A[dst, dst] = 1
        return A
    if align_corners:
        src = (t(n_in - 1) / t(n_out - 1) if n_out > 1 else t(0)) * dst.astype(dtype)
    else:
        ratio = t(1.0 / scale) if scale else t(n_in) / t(n_out)
        src = np.maximum(ratio * (dst.astype(dtype) + t(0.5)) - t(0.5), t(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = i0 + (i0 < n_in - 1)
    np.add.at(A, (dst, i0), 1 - lam)
    np.add.at(A, (dst, i1), lam)
    return A


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


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (num_embeddings, D) picked by the integer indices ``input`` (any shape)
    -> input.shape + (D,): ``weight[input]``, a gather whose VJP scatter-adds g into the rows
    used (each row once per use). The row ``padding_idx`` is output as it is but gets no gradient.

    ``input`` is an integer array, a list or a tensor of whole numbers; an index outside
    [0, num_embeddings) is an IndexError."""
    index = embedding_indices(input, weight.shape[0])
    out = ops.getitem(weight, index)
    if padding_idx is not None:
        at_padding = index == padding_idx % weight.shape[0]
        if at_padding.any():
            out = ops.where(at_padding[..., None], weight.data[padding_idx], out)
    return out


def embedding_indices(input, num_embeddings):
    """``input`` as an int64 array of indices into num_embeddings rows (TypeError, IndexError)."""
    index = input.data if isinstance(input, Tensor) else np.asarray(input)
    if index.dtype.kind == "f" and np.all(index == np.floor(index)):
        index = index.astype(np.int64)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= num_embeddings):
        raise IndexError(f"embedding: index out of range: indices in [{index.min()}, {index.max()}] for "
                         f"{num_embeddings} embeddings")
    return index.astype(np.int64, copy=False)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias, with the mean and the biased variance
    over the last len(normalized_shape) axes, which must have that shape."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ValueError(f"layer_norm: input of shape {input.shape} does not end with normalized_shape {shape}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    mean = ops.mean(input, axes, keepdims=True)
    y = (input - mean) / ops.sqrt(ops.var(input, axes, keepdims=True) + eps)
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,  # noqa: E402
                     gaussian_kl_divergence, huber_loss, kl_div, kl_divergence_discrete,
                     kl_sparsity_penalty, l1_activity_penalty, l1_loss, mse_loss, nll_loss, one_hot)
