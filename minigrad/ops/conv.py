"""2-D convolution, its adjoint (transposed convolution), and the weight gradient as an op.

Shapes (N batch, C channels, H x W image, groups G):
    conv2d:            x (N, C_in, H, W), w (C_out, C_in/G, kh, kw) -> y (N, C_out, H_out, W_out)
        H_out = floor((H + 2 p - d (kh - 1) - 1) / s) + 1          (same for W)
    conv_transpose2d:  x (N, C_in, H, W), w (C_in, C_out/G, kh, kw) -> y (N, C_out, H_out, W_out)
        H_out = (H - 1) s - 2 p + d (kh - 1) + output_padding + 1
    conv2d_weight_grad: x (N, C_in, H, W), gy (N, C_out, H_out, W_out) -> dw (C_out, C_in/G, kh, kw)

conv2d is linear in x: y = A_w x for a (huge, sparse) matrix A_w. Its VJP in x
is A_w^T g, which is exactly what a transposed convolution computes; so
conv_transpose2d(x, w) = A_w^T x, with the SAME weight array read in the
conv2d layout (C_in of the transposed conv = C_out of the conv). conv2d is
linear in w too, and its VJP in w, corr(x, g), is the op conv2d_weight_grad.
Every VJP of the three ops is one of the three ops again, so each can be
differentiated any number of times:

    conv2d              dL/dx = conv_transpose2d(g, w)        dL/dw  = conv2d_weight_grad(x, g)
    conv_transpose2d    dL/dx = conv2d(g, w)                  dL/dw  = conv2d_weight_grad(g, x)
    conv2d_weight_grad  dL/dx = conv_transpose2d(gy, g)       dL/dgy = conv2d(x, g)

(all with the op's own stride, padding, dilation and groups). The loops live in
``minigrad.kernels`` (Numba, with NumPy twins); bias is not part of these ops: layers
add it with a broadcasting ``add``. The argument and shape rules are those of
``minigrad.kernels.conv_args``.
"""
from .. import kernels
from ..function import Function, register
from ..kernels.conv_args import conv_params, conv_transpose_output_size, pair, transpose_params


def output_padding_to_fit(out_hw, in_hw, kernel_hw, stride, padding, dilation):
    """The output_padding q that makes conv_transpose2d of an (in_hw) map come out (out_hw) large.

    conv2d maps each of s consecutive input sizes to the same output size; the transpose of the one
    conv2d that read ``out_hw`` needs q = out - ((in - 1) s - 2p + d (k - 1) + 1), the remainder
    (out + 2p - d (k - 1) - 1) mod s, which is < s.
    """
    return tuple(o - conv_transpose_output_size(i, k, s, p, 0, d)
                 for o, i, k, s, p, d in zip(out_hw, in_hw, kernel_hw, stride, padding, dilation))


@register("conv2d")
class Conv2d(Function):
    """y = conv2d(x, w): y[n, o] = sum_c sum_ij w[o, c, i, j] x_pad[n, c, s h + d i, s w + d j]
    (cross-correlation, as in every deep-learning library; c runs over o's group).
    """

    def __init__(self, stride=1, padding=0, dilation=1, groups=1):
        self.stride, self.padding, self.dilation, self.groups = conv_params(stride, padding, dilation, groups)

    def forward(self, x, w):
        """The kernel checks the shapes (conv_args.conv2d_args)."""
        return kernels.conv2d_forward(x, w, self.stride, self.padding, self.dilation, self.groups)

    def vjp(self, g, inputs, y, xp):
        """VJP, with g (N, C_out, H_out, W_out); both are ops, so they are differentiable again:
        dL/dx (N, C_in, H, W)         = conv_transpose2d(g, w), each output pixel sending g * w back
                                        to the input pixels it read; its output_padding (< s) picks,
                                        of the s input sizes that give H_out, x's H;
        dL/dw (C_out, C_in/G, kh, kw) = conv2d_weight_grad(x, g)
                                      = sum_n,h,w g[n, o, h, w] x_pad[n, c, s h + d i, s w + d j].
        """
        x, w = inputs
        s, p, d, G = self.stride, self.padding, self.dilation, self.groups
        need_x, need_w = self.needs_input_grad
        gx = gw = None
        if need_x:
            q = output_padding_to_fit(x.shape[2:], g.shape[2:], w.shape[2:], s, p, d)
            gx = xp.conv_transpose2d(g, w, s, p, q, d, G)
        if need_w:
            gw = xp.conv2d_weight_grad(x, g, w.shape[2:], s, p, d, G)
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
        return kernels.conv_transpose2d_forward(x, w, self.stride, self.padding,
                                                self.output_padding, self.dilation, self.groups)

    def vjp(self, g, inputs, y, xp):
        """VJP, with g (N, C_out, H_out, W_out) and y = A_w^T x; both are ops, so they are
        differentiable again (since <A_w^T x, g> = <x, A_w g>):
        dL/dx (N, C_in, H, W)        = A_w g = conv2d(g, w) (same stride, padding, ...),
                                       its first H rows and W columns;
        dL/dw (C_in, C_out/G, kh, kw) = conv2d_weight_grad(g, x): the weight gradient of conv2d(g, w)
                                       with output gradient x (zero-extended by q // s rows and
                                       columns to conv2d(g, w)'s size when q >= s).
        """
        x, w = inputs
        s, p, d, G = self.stride, self.padding, self.dilation, self.groups
        need_x, need_w = self.needs_input_grad
        H, W = x.shape[2:]
        extra = [q // si for q, si in zip(self.output_padding, s)]
        gx = gw = None
        if need_x:
            gx = xp.conv2d(g, w, s, p, d, G)
            if any(extra):
                gx = gx[:, :, :H, :W]
        if need_w:
            x_extended = xp.zero_extend2d(x, *extra) if any(extra) else x
            gw = xp.conv2d_weight_grad(g, x_extended, w.shape[2:], s, p, d, G)
        return gx, gw


@register("conv2d_weight_grad")
class Conv2dWeightGrad(Function):
    """dw = conv2d_weight_grad(x, gy): the VJP of conv2d(x, w) with respect to w, as an op.

        dw[o, c, i, j] = sum_n,h,v gy[n, o, h, v] x_pad[n, g*C/G + c, s h + d i, s v + d j]
        x (N, C, H, W), gy (N, O, H_out, W_out) -> dw (O, C/G, kh, kw)     (g = o's group)

    It is bilinear: dw = <gy, conv2d(x, .)> read off entry by entry. ``kernel_hw`` = (kh, kw),
    which the shapes of x and gy alone do not fix.
    """

    def __init__(self, kernel_hw, stride=1, padding=0, dilation=1, groups=1):
        self.kernel_hw = pair(kernel_hw, "kernel_hw", 1)
        self.stride, self.padding, self.dilation, self.groups = conv_params(stride, padding, dilation, groups)

    def forward(self, x, gy):
        """The kernel checks the shapes (conv_args.conv2d_backward_weight_args)."""
        return kernels.conv2d_backward_weight(x, gy, self.kernel_hw, self.stride, self.padding,
                                              self.dilation, self.groups)

    def vjp(self, g, inputs, y, xp):
        """VJP, with g (O, C/G, kh, kw) of dw's shape; dw is bilinear in (x, gy), and
        <g, dw> = <gy, conv2d(x, g)> = <x, conv_transpose2d(gy, g)>, so (both ops again):
        dL/dx (N, C, H, W)          = conv_transpose2d(gy, g)   (output_padding < s fitting x's H, W);
        dL/dgy (N, O, H_out, W_out) = conv2d(x, g).
        """
        x, gy = inputs
        s, p, d, G = self.stride, self.padding, self.dilation, self.groups
        need_x, need_gy = self.needs_input_grad
        gx = ggy = None
        if need_x:
            q = output_padding_to_fit(x.shape[2:], gy.shape[2:], self.kernel_hw, s, p, d)
            gx = xp.conv_transpose2d(gy, g, s, p, q, d, G)
        if need_gy:
            ggy = xp.conv2d(x, g, s, p, d, G)
        return gx, ggy
