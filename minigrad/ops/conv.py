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
The argument and shape rules are those of ``minigrad.kernels.conv_args``.
"""
import numpy as np

from .. import kernels
from ..function import Function, register
from ..kernels.conv_args import conv_params, transpose_params


@register("conv2d")
class Conv2d(Function):
    """y = conv2d(x, w): y[n, o] = sum_c sum_ij w[o, c, i, j] x_pad[n, c, s h + d i, s w + d j]
    (cross-correlation, as in every deep-learning library; c runs over o's group).
    """

    def __init__(self, stride=1, padding=0, dilation=1, groups=1):
        self.stride, self.padding, self.dilation, self.groups = conv_params(stride, padding, dilation, groups)

    def forward(self, x, w):
        """The kernel checks the shapes (conv_args.conv2d_args)."""
        self.x, self.w = x, w
        return kernels.conv2d_forward(x, w, self.stride, self.padding, self.dilation, self.groups)

    def backward(self, g):
        """VJP, with g (N, C_out, H_out, W_out):
        dL/dx (N, C_in, H, W)        = conv_transpose(g, w): each output pixel sends g * w back
                                        to the input pixels it read;
        dL/dw (C_out, C_in/G, kh, kw) = sum_n,h,w g[n, o, h, w] x_pad[n, c, s h + d i, s w + d j].
        """
        k = kernels
        args = (self.stride, self.padding, self.dilation, self.groups)
        need_x, need_w = self.needs_input_grad
        gx = k.conv2d_backward_input(g, self.w, self.x.shape[2:], *args) if need_x else None
        gw = k.conv2d_backward_weight(self.x, g, self.w.shape[2:], *args) if need_w else None
        return gx, gw


@register("conv_transpose2d")
class ConvTranspose2d(Function):
    """y = conv_transpose2d(x, w) = A_w^T x, the adjoint of conv2d with the same w:
    every input pixel x[n, c, h, w] adds x * w[c, o, :, :] into the output window at
    (s h - p, s w - p), taps spaced by d. ``output_padding`` q adds rows/columns at the
    bottom/right so that several input sizes of conv2d can be matched exactly; q < max(s, d)
    as in PyTorch.  When q >= s, conv2d of the output size has q // s more rows than x: the
    transpose is the adjoint of conv2d followed by keeping its first H rows (and W columns).
    """

    def __init__(self, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
        self.stride, self.padding, self.output_padding, self.dilation, self.groups = transpose_params(
            stride, padding, output_padding, dilation, groups)

    def forward(self, x, w):
        """The kernel checks the shapes (conv_args.conv_transpose2d_args)."""
        self.x, self.w = x, w
        return kernels.conv_transpose2d_forward(x, w, self.stride, self.padding,
                                                   self.output_padding, self.dilation, self.groups)

    def backward(self, g):
        """VJP, with g (N, C_out, H_out, W_out) and y = A_w^T x:
        dL/dx (N, C_in, H, W)           = A_w g = conv2d(g, w)   (same stride, padding, ...),
                                           its first H rows and W columns;
        dL/dw (C_in, C_out/G, kh, kw)    = weight gradient of conv2d(g, w) with output gradient x
                                           (zero-extended to conv2d(g, w)'s size),
                                           since <A_w^T x, g> = <x, A_w g>.
        """
        k = kernels
        args = (self.stride, self.padding, self.dilation, self.groups)
        need_x, need_w = self.needs_input_grad
        H, W = self.x.shape[2:]
        gx = k.conv2d_forward(g, self.w, *args)[:, :, :H, :W] if need_x else None
        gw = k.conv2d_backward_weight(g, self._x_extended(), self.w.shape[2:], *args) if need_w else None
        return gx, gw

    def _x_extended(self):
        """x with the q // s zero rows (columns) that conv2d of the output size has past x's H (W)."""
        extra = [q // s for q, s in zip(self.output_padding, self.stride)]
        return np.pad(self.x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1]))) if any(extra) else self.x
