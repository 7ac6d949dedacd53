"""Pooling and nearest-neighbour upsampling over the last two axes of (N, C, H, W).

Windows of kernel (kh, kw), moved by stride (sh, sw), over the input padded by p:
    H_out = floor((H + 2 p - kh) / sh) + 1           (same for W)
max_pool2d pads with -inf (padding never wins); avg_pool2d pads with zeros and
divides by kh * kw whatever the padding (PyTorch's count_include_pad=True).
Each window is independent, so the backward passes just route g back:
max to the position that won (the kernel records it, ``argmax``), average
spread evenly, upsampling summed over the copies.
"""
from ..function import Function, register
from .conv import _kernels, conv_output_hw, pair


def _check_pool_args(op, x, kernel, stride, padding):
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W), got shape {x.shape}")
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: need kernel_size >= 1, stride >= 1, padding >= 0; got kernel "
                         f"{kernel}, stride {stride}, padding {padding}")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel_size {kernel}")
    out_hw = conv_output_hw(x.shape[2:], kernel, stride, padding, (1, 1))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: input {x.shape} is too small for kernel {kernel} with padding "
                         f"{padding} (output {out_hw})")


class Pool2d(Function):
    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel = pair(kernel_size, "kernel_size")
        self.stride = self.kernel if stride is None else pair(stride, "stride")
        self.padding = pair(padding, "padding")


@register("max_pool2d")
class MaxPool2d(Pool2d):
    """y[n, c, h, w] = max of x over the window at (sh h - ph, sw w - pw)."""

    def forward(self, x):
        _check_pool_args("max_pool2d", x, self.kernel, self.stride, self.padding)
        self.input_shape = x.shape
        y, self.argmax = _kernels().max_pool2d_forward(x, self.kernel, self.stride, self.padding)
        return y

    def backward(self, g):
        """VJP, g (N, C, H_out, W_out) -> dL/dx (N, C, H, W): each g[n, c, h, w] is added to the
        one input element that was the window's maximum (the first one, on ties)."""
        return (_kernels().max_pool2d_backward(g, self.argmax, self.input_shape),)


@register("avg_pool2d")
class AvgPool2d(Pool2d):
    """y[n, c, h, w] = (1 / (kh kw)) * sum of x_pad over the window at (sh h, sw w)."""

    def forward(self, x):
        _check_pool_args("avg_pool2d", x, self.kernel, self.stride, self.padding)
        self.input_shape = x.shape
        return _kernels().avg_pool2d_forward(x, self.kernel, self.stride, self.padding)

    def backward(self, g):
        """VJP, g (N, C, H_out, W_out) -> dL/dx (N, C, H, W): every element of each window
        receives g[n, c, h, w] / (kh kw) (elements in several windows add up)."""
        return (_kernels().avg_pool2d_backward(g, self.input_shape, self.kernel, self.stride,
                                               self.padding),)


@register("upsample_nearest")
class UpsampleNearest(Function):
    """y[n, c, h, w] = x[n, c, h // sh, w // sw]: every pixel becomes an sh x sw block."""

    def __init__(self, scale_factor):
        self.scale = pair(scale_factor, "scale_factor")
        if min(self.scale) < 1:
            raise ValueError(f"upsample_nearest: scale_factor must be a positive int, got {scale_factor}")

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"upsample_nearest: input must be 4-D (N, C, H, W), got shape {x.shape}")
        return _kernels().upsample_nearest_forward(x, self.scale)

    def backward(self, g):
        """VJP, g (N, C, sh H, sw W) -> dL/dx (N, C, H, W): the sum of g over each sh x sw block."""
        return (_kernels().upsample_nearest_backward(g, self.scale),)
