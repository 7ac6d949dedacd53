"""2-D convolution and its adjoint, transposed convolution.

Shapes (N batch, C channels, H x W image, groups G):
    conv2d:            x (N, C_in, H, W), w (C_out, C_in/G, kh, kw) -> y (N, C_out, H_out, W_out)
        H_out = floor((H + 2 p - d (kh - 1) - 1) / s) + 1          (same for W)
    conv_transpose2d:  x (N, C_in, H, W), w (C_in, C_out/G, kh, kw) -> y (N, C_out, H_out, W_out)
        H_out = (H - 1) s - 2 p + d (kh - 1) + output_padding + 1

conv2d is linear in x: y = A_w x for a (huge, sparse) matrix A_w. Its VJP in x
is A_w^T g, which is exactly what a transposed convolution computes; so
conv_transpose2d(x, w) = A_w^T x, with the SAME weight array read in the
conv2d layout (C_in of the transposed conv = C_out of the conv). Each op's
backward is therefore the other op's forward:

    conv2d           dL/dx = conv_transpose(g, w)       dL/dw = corr(x, g)
    conv_transpose2d dL/dx = conv2d(g, w)               dL/dw = corr(g, x)

where corr(a, b) is the weight gradient of a conv2d with input a and output
gradient b. The loops live in ``minigrad.kernels`` (Numba, with NumPy twins);
bias is not part of these ops: layers add it with a broadcasting ``add``.
"""
from ..function import Function, register


def _kernels():
    """The kernel package, looked up at call time so its backend switch applies."""
    from .. import kernels

    return kernels


def pair(value, name):
    """An int or a pair of ints -> a pair of ints (``name`` is used in errors)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or not all(isinstance(v, int) for v in value):
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return tuple(int(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return (int(value), int(value))


def conv_output_hw(input_hw, kernel_hw, stride, padding, dilation):
    """Output height and width of a convolution (or pooling, with dilation 1)."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(input_hw, kernel_hw, stride, padding, dilation))


def _check_conv_args(op, x, w, stride, padding, dilation, groups, weight_channels, transposed):
    """ValueErrors that name the shapes, before any kernel sees bad input."""
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D, got shape {w.shape}")
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: need stride >= 1, dilation >= 1, padding >= 0; got stride {stride}, "
                         f"padding {padding}, dilation {dilation}")
    if groups < 1 or x.shape[1] % groups:
        raise ValueError(f"{op}: groups={groups} must divide the {x.shape[1]} input channels")
    if transposed:
        if w.shape[0] != x.shape[1]:
            raise ValueError(f"{op}: weight {w.shape} expects {w.shape[0]} input channels "
                             f"(w.shape[0]), input {x.shape} has {x.shape[1]}")
    else:
        if w.shape[0] % groups:
            raise ValueError(f"{op}: groups={groups} must divide the {w.shape[0]} output channels "
                             f"of weight {w.shape}")
        if w.shape[1] != weight_channels:
            raise ValueError(f"{op}: weight {w.shape} expects {w.shape[1] * groups} input channels "
                             f"(w.shape[1] * groups), input {x.shape} has {x.shape[1]}")


@register("conv2d")
class Conv2d(Function):
    """y = conv2d(x, w): y[n, o] = sum_c sum_ij w[o, c, i, j] x_pad[n, c, s h + d i, s w + d j]
    (cross-correlation, as in every deep-learning library; c runs over o's group).
    """

    def __init__(self, stride=1, padding=0, dilation=1, groups=1):
        self.stride, self.padding = pair(stride, "stride"), pair(padding, "padding")
        self.dilation, self.groups = pair(dilation, "dilation"), int(groups)

    def forward(self, x, w):
        _check_conv_args("conv2d", x, w, self.stride, self.padding, self.dilation, self.groups,
                         x.shape[1] // max(self.groups, 1), transposed=False)
        out_hw = conv_output_hw(x.shape[2:], w.shape[2:], self.stride, self.padding, self.dilation)
        if min(out_hw) < 1:
            raise ValueError(f"conv2d: input {x.shape} is too small for kernel {w.shape[2:]} with "
                             f"padding {self.padding}, dilation {self.dilation} (output {out_hw})")
        self.x, self.w = x, w
        return _kernels().conv2d_forward(x, w, self.stride, self.padding, self.dilation, self.groups)

    def backward(self, g):
        """VJP, with g (N, C_out, H_out, W_out):
        dL/dx (N, C_in, H, W)        = conv_transpose(g, w): each output pixel sends g * w back
                                        to the input pixels it read;
        dL/dw (C_out, C_in/G, kh, kw) = sum_n,h,w g[n, o, h, w] x_pad[n, c, s h + d i, s w + d j].
        """
        k = _kernels()
        args = (self.stride, self.padding, self.dilation, self.groups)
        need_x, need_w = self.needs_input_grad
        gx = k.conv2d_backward_input(g, self.w, self.x.shape[2:], *args) if need_x else None
        gw = k.conv2d_backward_weight(self.x, g, self.w.shape[2:], *args) if need_w else None
        return gx, gw


@register("conv_transpose2d")
class ConvTranspose2d(Function):
    """y = conv_transpose2d(x, w) = A_w^T x, the adjoint of conv2d with the same w:
    every input pixel x[n, c, h, w] adds x * w[c, o, :, :] into the output window at
    (s h - p, s w - p), taps spaced by d. ``output_padding`` adds rows/columns at the
    bottom/right so that several input sizes of conv2d can be matched exactly; it must
    be smaller than the stride (PyTorch also allows < dilation; we do not).
    """

    def __init__(self, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
        self.stride, self.padding = pair(stride, "stride"), pair(padding, "padding")
        self.output_padding = pair(output_padding, "output_padding")
        self.dilation, self.groups = pair(dilation, "dilation"), int(groups)

    def forward(self, x, w):
        _check_conv_args("conv_transpose2d", x, w, self.stride, self.padding, self.dilation,
                         self.groups, None, transposed=True)
        for op, s in zip(self.output_padding, self.stride):
            if not 0 <= op < s:
                raise ValueError(f"conv_transpose2d: output_padding {self.output_padding} must be "
                                 f"non-negative and smaller than stride {self.stride}")
        out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, k, s, p, d, op in zip(
            x.shape[2:], w.shape[2:], self.stride, self.padding, self.dilation, self.output_padding))
        if min(out_hw) < 1:
            raise ValueError(f"conv_transpose2d: input {x.shape} with kernel {w.shape[2:]} and "
                             f"padding {self.padding} gives an empty output {out_hw}")
        self.x, self.w = x, w
        return _kernels().conv_transpose2d_forward(x, w, self.stride, self.padding,
                                                   self.output_padding, self.dilation, self.groups)

    def backward(self, g):
        """VJP, with g (N, C_out, H_out, W_out) and y = A_w^T x:
        dL/dx (N, C_in, H, W)           = A_w g = conv2d(g, w)   (same stride, padding, ...);
        dL/dw (C_in, C_out/G, kh, kw)    = weight gradient of conv2d(g, w) with output gradient x,
                                           since <A_w^T x, g> = <x, A_w g>.
        """
        k = _kernels()
        args = (self.stride, self.padding, self.dilation, self.groups)
        need_x, need_w = self.needs_input_grad
        gx = k.conv2d_forward(g, self.w, *args) if need_x else None
        gw = k.conv2d_backward_weight(g, self.x, self.w.shape[2:], *args) if need_w else None
        return gx, gw
