"""Pooling and nearest-neighbour upsampling over the last two axes of (N, C, H, W).

Windows of kernel (kh, kw), moved by stride (sh, sw), over the input padded by p:
    H_out = floor((H + 2 p - kh) / sh) + 1           (same for W)
max_pool2d pads with -inf (padding never wins); avg_pool2d pads with zeros and
divides by kh * kw whatever the padding (PyTorch's count_include_pad=True).
Each window is independent, so the backward passes just route g back:
max to the position that won (the kernel records it, ``argmax``), average
spread evenly, upsampling summed over the copies.  The argument and shape rules
are those of ``minigrad.kernels.conv_args``; the kernels check the shapes.
"""
from .. import kernels
from ..function import Function, register
from ..kernels.conv_args import pool_params, scale_pair


class Pool2d(Function):
    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel, self.stride, self.padding = pool_params(kernel_size, stride, padding)


@register("max_pool2d")
class MaxPool2d(Pool2d):
    """y[n, c, h, w] = max of x over the window at (sh h - ph, sw w - pw)."""

    def forward(self, x):
        self.input_shape = x.shape
        y, self.argmax = kernels.max_pool2d_forward(x, self.kernel, self.stride, self.padding)
        return y

    def backward(self, g):
        """VJP, g (N, C, H_out, W_out) -> dL/dx (N, C, H, W): each g[n, c, h, w] is added to the
        one input element that was the window's maximum (the first one, on ties)."""
        return (kernels.max_pool2d_backward(g, self.argmax, self.input_shape),)


@register("avg_pool2d")
class AvgPool2d(Pool2d):
    """y[n, c, h, w] = (1 / (kh kw)) * sum of x_pad over the window at (sh h, sw w)."""

    def forward(self, x):
        self.input_shape = x.shape
        return kernels.avg_pool2d_forward(x, self.kernel, self.stride, self.padding)

    def backward(self, g):
        """VJP, g (N, C, H_out, W_out) -> dL/dx (N, C, H, W): every element of each window
        receives g[n, c, h, w] / (kh kw) (elements in several windows add up)."""
        return (kernels.avg_pool2d_backward(g, self.input_shape, self.kernel, self.stride,
                                               self.padding),)


@register("upsample_nearest")
class UpsampleNearest(Function):
    """y[n, c, h, w] = x[n, c, h // sh, w // sw]: every pixel becomes an sh x sw block."""

    def __init__(self, scale_factor):
        self.scale = scale_pair(scale_factor)

    def forward(self, x):
        return kernels.upsample_nearest_forward(x, self.scale)

    def backward(self, g):
        """VJP, g (N, C, sh H, sw W) -> dL/dx (N, C, H, W): the sum of g over each sh x sw block."""
        return (kernels.upsample_nearest_backward(g, self.scale),)
