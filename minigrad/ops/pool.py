"""Pooling and nearest-neighbour upsampling over the last two axes of (N, C, H, W), and their VJPs as ops.

Windows of kernel (kh, kw), moved by stride (sh, sw), over the input padded by p:
    H_out = floor((H + 2 p - kh) / sh) + 1           (same for W)
max_pool2d pads with -inf (padding never wins); avg_pool2d pads with zeros and
divides by kh * kw whatever the padding (PyTorch's count_include_pad=True).
Each window is independent, so the backward passes just route g back:
max to the position that won (the kernel records it, ``argmax``), average
spread evenly, upsampling summed over the copies.

Each of these VJPs is a linear map, written as an op whose own VJP is its adjoint, so
the ops come in pairs closed under differentiation:

    max_pool2d           VJP: max_pool2d_backward(g, argmax)   scatter-add to the argmax
    max_pool2d_backward  VJP: max_pool2d_gather(g, argmax)     read at the argmax
    max_pool2d_gather    VJP: max_pool2d_backward(g, argmax)
    avg_pool2d           VJP: avg_pool2d_backward(g)           spread over the windows
    avg_pool2d_backward  VJP: avg_pool2d(g)
    upsample_nearest     VJP: upsample_nearest_backward(g)     sum over each block
    upsample_nearest_backward  VJP: upsample_nearest(g)

The argmax is a constant (piecewise constant in x: it has no derivative), kept on the op.
The argument and shape rules are those of ``minigrad.kernels.conv_args``; the kernels
check the shapes.
"""
import numpy as np

from .. import kernels
from ..function import Function, register
from ..kernels.conv_args import pool_params, scale_pair, shape4


def max_pool2d_gather_arrays(x, argmax):
    """y[n, c, i, j] = x[n, c].flat[argmax[n, c, i, j]]: x (N, C, H, W), argmax (N, C, Ho, Wo) int.

    The adjoint of ``kernels.max_pool2d_backward`` (and, with max_pool2d's own argmax, the
    max-pool itself). NumPy's take_along_axis on each flattened H*W plane.
    """
    what = "max_pool2d_gather"
    if x.ndim != 4 or getattr(argmax, "ndim", None) != 4 or argmax.shape[:2] != x.shape[:2]:
        raise ValueError(f"{what}: expected x (N, C, H, W) and argmax (N, C, Ho, Wo), got {x.shape} "
                         f"and {getattr(argmax, 'shape', None)}")
    if not np.issubdtype(argmax.dtype, np.integer):
        raise TypeError(f"{what}: argmax must hold integers, got {argmax.dtype}")
    N, C, H, W = x.shape
    if argmax.size and (argmax.min() < 0 or argmax.max() >= H * W):
        raise ValueError(f"{what}: argmax holds indices outside the {(H, W)} input planes")
    flat = np.take_along_axis(x.reshape(N, C, H * W), argmax.reshape(N, C, -1), axis=2)
    return flat.reshape(argmax.shape)


class Pool2d(Function):
    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel, self.stride, self.padding = pool_params(kernel_size, stride, padding)


@register("max_pool2d")
class MaxPool2d(Pool2d):
    """y[n, c, h, w] = max of x over the window at (sh h - ph, sw w - pw)."""

    def forward(self, x):
        y, self.argmax = kernels.max_pool2d_forward(x, self.kernel, self.stride, self.padding)
        return y

    def vjp(self, g, inputs, y, xp):
        """VJP, g (N, C, H_out, W_out) -> dL/dx (N, C, H, W) = max_pool2d_backward(g, argmax), an op:
        each g[n, c, h, w] is added to the one input element that was the window's maximum (the
        first one, on ties)."""
        return (xp.max_pool2d_backward(g, self.argmax, inputs[0].shape),)


@register("max_pool2d_backward")
class MaxPool2dBackward(Function):
    """dx = max_pool2d_backward(g; argmax, input_shape): dx.flat[argmax] += g in each (n, c) plane.

    g (N, C, Ho, Wo) -> dx (input_shape); argmax (N, C, Ho, Wo) holds flat indices into the H*W
    planes, as max_pool2d's kernel returns them (a constant, not differentiated).
    """

    def __init__(self, argmax, input_shape):
        self.argmax, self.input_shape = argmax, shape4(input_shape, "input_shape")

    def forward(self, g):
        return kernels.max_pool2d_backward(g, self.argmax, self.input_shape)

    def vjp(self, h, inputs, y, xp):
        """Linear in g, a scatter; its VJP is the gather at the same positions (an op):
        h (input_shape) -> dL/dg (N, C, Ho, Wo) = max_pool2d_gather(h, argmax), h.flat[argmax]."""
        return (xp.max_pool2d_gather(h, self.argmax),)


@register("max_pool2d_gather")
class MaxPool2dGather(Function):
    """y = max_pool2d_gather(x; argmax): y[n, c, i, j] = x[n, c].flat[argmax[n, c, i, j]].

    x (N, C, H, W) -> y (argmax's shape). With max_pool2d's argmax of x this is max_pool2d(x).
    """

    def __init__(self, argmax):
        self.argmax = argmax

    def forward(self, x):
        return max_pool2d_gather_arrays(x, self.argmax)

    def vjp(self, g, inputs, y, xp):
        """Linear in x, a gather; its VJP is the scatter-add to the same positions (an op):
        g (N, C, Ho, Wo) -> dL/dx (N, C, H, W) = max_pool2d_backward(g, argmax, x.shape)."""
        return (xp.max_pool2d_backward(g, self.argmax, inputs[0].shape),)


@register("avg_pool2d")
class AvgPool2d(Pool2d):
    """y[n, c, h, w] = (1 / (kh kw)) * sum of x_pad over the window at (sh h, sw w)."""

    def forward(self, x):
        return kernels.avg_pool2d_forward(x, self.kernel, self.stride, self.padding)

    def vjp(self, g, inputs, y, xp):
        """VJP, g (N, C, H_out, W_out) -> dL/dx (N, C, H, W) = avg_pool2d_backward(g), an op: every
        element of each window receives g[n, c, h, w] / (kh kw) (elements in several windows add up)."""
        return (xp.avg_pool2d_backward(g, inputs[0].shape, self.kernel, self.stride, self.padding),)


@register("avg_pool2d_backward")
class AvgPool2dBackward(Function):
    """dx = avg_pool2d_backward(g; input_shape, kernel_size, stride, padding): avg_pool2d's VJP.

    g (N, C, Ho, Wo) -> dx (input_shape): dx[h, w] = sum over the windows containing (h, w) of
    g / (kh kw) (padding positions are dropped).
    """

    def __init__(self, input_shape, kernel_size, stride=None, padding=0):
        self.input_shape = shape4(input_shape, "input_shape")
        self.kernel, self.stride, self.padding = pool_params(kernel_size, stride, padding)

    def forward(self, g):
        return kernels.avg_pool2d_backward(g, self.input_shape, self.kernel, self.stride, self.padding)

    def vjp(self, h, inputs, y, xp):
        """Linear in g; the adjoint of the adjoint is avg_pool2d itself (an op):
        h (input_shape) -> dL/dg (N, C, Ho, Wo) = avg_pool2d(h) with the same kernel, stride, padding."""
        return (xp.avg_pool2d(h, self.kernel, self.stride, self.padding),)


@register("upsample_nearest")
class UpsampleNearest(Function):
    """y[n, c, h, w] = x[n, c, h // sh, w // sw]: every pixel becomes an sh x sw block."""

    def __init__(self, scale_factor):
        self.scale = scale_pair(scale_factor)

    def forward(self, x):
        return kernels.upsample_nearest_forward(x, self.scale)

    def vjp(self, g, inputs, y, xp):
        """VJP, g (N, C, sh H, sw W) -> dL/dx (N, C, H, W) = upsample_nearest_backward(g), an op:
        the sum of g over each sh x sw block."""
        return (xp.upsample_nearest_backward(g, self.scale),)


@register("upsample_nearest_backward")
class UpsampleNearestBackward(Function):
    """dx = upsample_nearest_backward(g; scale_factor): the sum of each sh x sw block of g.

    g (N, C, sh H, sw W) -> dx (N, C, H, W); upsample_nearest's VJP.
    """

    def __init__(self, scale_factor):
        self.scale = scale_pair(scale_factor)

    def forward(self, g):
        return kernels.upsample_nearest_backward(g, self.scale)

    def vjp(self, h, inputs, y, xp):
        """Linear in g; its VJP copies h (N, C, H, W) back over the blocks: upsample_nearest(h), an op."""
        return (xp.upsample_nearest(h, self.scale),)
