"""The argument contract of the window ops: conv2d, conv_transpose2d, pooling, upsampling.

Every rule about a stride, a padding, a shape or an upstream gradient of these ops is written here
once.  The Numba kernels, their NumPy references, the ops and the nn layers call these functions,
so a bad argument raises the same exception, with the same message, whichever path it takes.
This module sits at the bottom of the stack and imports only NumPy.

Per axis, with input size n, kernel k, stride s >= 1, padding p >= 0, dilation d >= 1:

    conv2d, pooling (d = 1):  n_out = floor((n + 2p - d(k - 1) - 1) / s) + 1    must be >= 1
    conv_transpose2d:         n_out = (n - 1)s - 2p + d(k - 1) + q + 1          must be >= 1

with output_padding 0 <= q < max(s, d) (PyTorch's rule).  A pooling padding is at most k // 2.
Integers are Python ints or NumPy integers; bools and floats are TypeErrors.  Upstream gradients
must have exactly the shape of the output they belong to.
"""
import numpy as np

INT_TYPES = (int, np.integer)


# ----------------------------------------------------------------------------------------------
# scalars and pairs
# ----------------------------------------------------------------------------------------------
def _is_int(v):
    return isinstance(v, INT_TYPES) and not isinstance(v, bool)


def _at_least(values, shown, name, low):
    if low is not None and min(values) < low:
        raise ValueError(f"{name} must be >= {low}, got {shown!r}")


def integer(value, name, low=None):
    """A Python int from an int or NumPy integer, at least ``low``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {value!r}")
    _at_least((value,), value, name, low)
    return int(value)


def pair(value, name, low=None):
    """(a, b) from an int, a NumPy integer or a 2-tuple/list of them; both at least ``low``."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if not all(_is_int(v) for v in items):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    out = (int(items[0]), int(items[1]))
    _at_least(out, value, name, low)
    return out


def shape4(value, name):
    """A 4-D shape (N, C, H, W) of non-negative ints, as a tuple."""
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        raise ValueError(f"{name} must be a 4-D shape (N, C, H, W), got {value!r}")
    return tuple(integer(v, name, 0) for v in value)


# ----------------------------------------------------------------------------------------------
# hyper-parameters
# ----------------------------------------------------------------------------------------------
def conv_params(stride, padding, dilation, groups):
    """(s, p, d, G): stride and dilation pairs >= 1, padding pair >= 0, groups int >= 1."""
    return (pair(stride, "stride", 1), pair(padding, "padding", 0), pair(dilation, "dilation", 1),
            integer(groups, "groups", 1))


def transpose_params(stride, padding, output_padding, dilation, groups):
    """(s, p, q, d, G) of conv_transpose2d: conv_params plus 0 <= q < max(s, d) on each axis."""
    s, p, d, G = conv_params(stride, padding, dilation, groups)
    q = pair(output_padding, "output_padding", 0)
    if any(qi >= max(si, di) for qi, si, di in zip(q, s, d)):
        raise ValueError(f"output_padding {q} must be smaller than stride {s} or dilation {d} on each axis")
    return s, p, q, d, G


def pool_params(kernel_size, stride, padding):
    """(k, s, p) of a pooling: k >= 1, s >= 1 (k when None), 0 <= p <= k // 2."""
    k = pair(kernel_size, "kernel_size", 1)
    s = k if stride is None else pair(stride, "stride", 1)
    p = pair(padding, "padding", 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding {p} must be at most half of kernel_size {k}")
    return k, s, p


def scale_pair(scale_factor):
    """Integer upsampling factors (sh, sw) >= 1."""
    return pair(scale_factor, "scale_factor", 1)


def check_groups(what, in_channels, out_channels, groups, shapes=""):
    """Both channel counts are multiples of groups (``shapes`` adds context to the error)."""
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{what}: channels not divisible by groups={groups}: in_channels={in_channels}, "
                         f"out_channels={out_channels}{shapes}")


# ----------------------------------------------------------------------------------------------
# sizes
# ----------------------------------------------------------------------------------------------
def conv_output_size(size, k, s, p, d):
    """floor((n + 2p - d(k - 1) - 1) / s) + 1."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def conv_transpose_output_size(size, k, s, p, q, d):
    """(n - 1)s - 2p + d(k - 1) + q + 1."""
    return (size - 1) * s - 2 * p + d * (k - 1) + q + 1


def conv_output_hw(what, x_shape, k, s, p, d):
    """(Ho, Wo) of a window op on x_shape (N, C, H, W); an error if the kernel does not fit."""
    hw = tuple(conv_output_size(n, *a) for n, a in zip(x_shape[2:], zip(k, s, p, d)))
    if min(hw) < 1:
        raise ValueError(f"{what}: input {tuple(x_shape)} too small: kernel {tuple(k)} with dilation {d} "
                         f"is larger than padded input {tuple(x_shape[2:])} + 2*{p}")
    return hw


def transpose_output_hw(what, x_shape, k, s, p, q, d):
    """(Hout, Wout) of conv_transpose2d on x_shape; an error if either is < 1."""
    hw = tuple(conv_transpose_output_size(n, *a) for n, a in zip(x_shape[2:], zip(k, s, p, q, d)))
    if min(hw) < 1:
        raise ValueError(f"{what}: empty output {hw} for input {tuple(x_shape)}, kernel {tuple(k)}, "
                         f"stride {s}, padding {p}, dilation {d}")
    return hw


# ----------------------------------------------------------------------------------------------
# arrays and shapes
# ----------------------------------------------------------------------------------------------
def check_arrays(what, **arrays):
    """Each array a 4-D float32 or float64 ndarray, all of one dtype (keywords name them in errors)."""
    names, values = list(arrays), list(arrays.values())
    if not all(isinstance(a, np.ndarray) for a in values):
        raise TypeError(f"{what}: {' and '.join(names)} must be NumPy arrays, got "
                        f"{' and '.join(type(a).__name__ for a in values)}")
    shapes = " and ".join(str(a.shape) for a in values)
    if any(a.ndim != 4 for a in values):
        raise ValueError(f"{what}: expected 4-D (N, C, H, W) {' and '.join(names)}, got {shapes}")
    dt = values[0].dtype
    if dt not in (np.float32, np.float64):
        raise ValueError(f"{what}: unsupported dtype {dt}; use float32 or float64")
    if any(a.dtype != dt for a in values):
        raise ValueError(f"{what}: dtype mismatch: {' and '.join(str(a.dtype) for a in values)} "
                         f"(shapes {shapes})")


def _check_kernel(what, w_shape):
    if w_shape[2] < 1 or w_shape[3] < 1:
        raise ValueError(f"{what}: empty kernel in weight {tuple(w_shape)}")


def check_conv_channels(what, x_shape, w_shape, groups):
    """conv2d: x (N, C, H, W) and w (O, C/G, KH, KW) agree; the kernel is not empty."""
    C, O, Cg = x_shape[1], w_shape[0], w_shape[1]
    check_groups(what, C, O, groups, f"; input {tuple(x_shape)}, weight {tuple(w_shape)}")
    if Cg * groups != C:
        raise ValueError(f"{what}: weight {tuple(w_shape)} expects {Cg * groups} input channels "
                         f"(groups={groups}), input {tuple(x_shape)} has {C}")
    _check_kernel(what, w_shape)


def check_transpose_channels(what, x_shape, w_shape, groups):
    """conv_transpose2d: x (N, Cin, H, W) and w (Cin, Cout/G, KH, KW) agree; the kernel is not empty."""
    if x_shape[1] != w_shape[0]:
        raise ValueError(f"{what}: weight {tuple(w_shape)} expects {w_shape[0]} input channels, "
                         f"input {tuple(x_shape)} has {x_shape[1]}")
    check_groups(what, w_shape[0], w_shape[1] * groups, groups,
                 f"; input {tuple(x_shape)}, weight {tuple(w_shape)}")
    _check_kernel(what, w_shape)


def check_grad(what, gy_shape, out_shape, context):
    """The upstream gradient has exactly the output's shape."""
    if tuple(gy_shape) != tuple(out_shape):
        raise ValueError(f"{what}: gy {tuple(gy_shape)} does not match the output shape {tuple(out_shape)} "
                         f"of {context}")


def _conv_context(x_shape, w_shape, s, p, d):
    return f"input {tuple(x_shape)}, weight {tuple(w_shape)}, stride {s}, padding {p}, dilation {d}"


# ----------------------------------------------------------------------------------------------
# the contract of each kernel (fast and reference call the same function)
# ----------------------------------------------------------------------------------------------
def conv2d_args(x, w, stride, padding, dilation, groups):
    """y = conv2d(x, w) -> (s, p, d, G, (Ho, Wo))."""
    s, p, d, G = conv_params(stride, padding, dilation, groups)
    check_arrays("conv2d", input=x, weight=w)
    check_conv_channels("conv2d", x.shape, w.shape, G)
    return s, p, d, G, conv_output_hw("conv2d", x.shape, w.shape[2:], s, p, d)


def conv2d_backward_input_args(gy, w, input_hw, stride, padding, dilation, groups):
    """dx of conv2d from gy (N, O, Ho, Wo) -> (s, p, d, G, x_shape (N, C, H, W))."""
    what = "conv2d_backward_input"
    s, p, d, G = conv_params(stride, padding, dilation, groups)
    H, W = pair(input_hw, "input_hw", 0)
    check_arrays(what, gy=gy, weight=w)
    x_shape = (gy.shape[0], w.shape[1] * G, H, W)
    check_conv_channels(what, x_shape, w.shape, G)
    out = (gy.shape[0], w.shape[0]) + conv_output_hw(what, x_shape, w.shape[2:], s, p, d)
    check_grad(what, gy.shape, out, _conv_context(x_shape, w.shape, s, p, d))
    return s, p, d, G, x_shape


def conv2d_backward_weight_args(x, gy, kernel_hw, stride, padding, dilation, groups):
    """dw of conv2d from x and gy (N, O, Ho, Wo) -> (s, p, d, G, w_shape (O, C/G, KH, KW))."""
    what = "conv2d_backward_weight"
    s, p, d, G = conv_params(stride, padding, dilation, groups)
    k = pair(kernel_hw, "kernel_hw", 1)
    check_arrays(what, input=x, gy=gy)
    check_groups(what, x.shape[1], gy.shape[1], G, f"; input {x.shape}, gy {gy.shape}")
    w_shape = (gy.shape[1], x.shape[1] // G) + k
    out = (x.shape[0], gy.shape[1]) + conv_output_hw(what, x.shape, k, s, p, d)
    check_grad(what, gy.shape, out, _conv_context(x.shape, w_shape, s, p, d))
    return s, p, d, G, w_shape


def conv_transpose2d_args(x, w, stride, padding, output_padding, dilation, groups):
    """y = conv_transpose2d(x, w) -> (s, p, q, d, G, (Hout, Wout))."""
    what = "conv_transpose2d"
    s, p, q, d, G = transpose_params(stride, padding, output_padding, dilation, groups)
    check_arrays(what, input=x, weight=w)
    check_transpose_channels(what, x.shape, w.shape, G)
    return s, p, q, d, G, transpose_output_hw(what, x.shape, w.shape[2:], s, p, q, d)


def pool2d_args(what, x, kernel_size, stride, padding):
    """A max or average pooling of x -> (k, s, p, (Ho, Wo))."""
    k, s, p = pool_params(kernel_size, stride, padding)
    check_arrays(what, input=x)
    return k, s, p, conv_output_hw(what, x.shape, k, s, p, (1, 1))


def avg_pool2d_backward_args(gy, input_shape, kernel_size, stride, padding):
    """dx of avg_pool2d from gy -> (k, s, p, x_shape)."""
    what = "avg_pool2d_backward"
    k, s, p = pool_params(kernel_size, stride, padding)
    check_arrays(what, gy=gy)
    x_shape = shape4(input_shape, "input_shape")
    out = x_shape[:2] + conv_output_hw(what, x_shape, k, s, p, (1, 1))
    check_grad(what, gy.shape, out, f"input {x_shape}, kernel_size {k}, stride {s}, padding {p}")
    return k, s, p, x_shape


def max_pool2d_backward_args(gy, argmax, input_shape):
    """dx of max_pool2d from gy and the forward's argmax (flat indices into each H*W plane) -> x_shape."""
    what = "max_pool2d_backward"
    check_arrays(what, gy=gy)
    x_shape = shape4(input_shape, "input_shape")
    if x_shape[:2] != gy.shape[:2]:
        raise ValueError(f"{what}: gy {gy.shape} does not match input shape {x_shape}")
    if not isinstance(argmax, np.ndarray) or argmax.shape != gy.shape:
        raise ValueError(f"{what}: argmax {getattr(argmax, 'shape', None)} and gy {gy.shape} differ")
    if argmax.size and (argmax.min() < 0 or argmax.max() >= x_shape[2] * x_shape[3]):
        raise ValueError(f"{what}: argmax holds indices outside the {x_shape[2:]} input planes")
    return x_shape


def upsample_args(what, x, scale_factor):
    """Nearest upsampling of x -> (sh, sw)."""
    sh, sw = scale_pair(scale_factor)
    check_arrays(what, input=x)
    return sh, sw


def upsample_backward_args(gy, scale_factor):
    """Block sums of gy (N, C, H*sh, W*sw) -> (sh, sw); gy's size is a multiple of the scale."""
    what = "upsample_nearest_backward"
    sh, sw = scale_pair(scale_factor)
    check_arrays(what, gy=gy)
    if gy.shape[2] % sh or gy.shape[3] % sw:
        raise ValueError(f"{what}: gy {gy.shape} not divisible by scale_factor {(sh, sw)}")
    return sh, sw
