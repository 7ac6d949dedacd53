"""Convolution, pooling and upsampling layers over (N, C, H, W) images.

Weights as in PyTorch: Conv2d (out, in/groups, kh, kw); ConvTranspose2d
(in, out/groups, kh, kw). Both initialize like PyTorch: weight from
kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias
from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with fan_in = weight.shape[1] kh kw.
Constructors check their arguments with ``minigrad.kernels.conv_args``, the rules the ops apply.
"""
import math

import numpy as np

from ..kernels.conv_args import (check_groups, conv_params, integer, pair, pool_params, scale_pair,
                                 transpose_params)
from . import functional as F
from . import init
from .module import Module, Parameter


class _ConvNd(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, dtype, transposed):
        super().__init__()
        self.in_channels = integer(in_channels, "in_channels", 0)
        self.out_channels = integer(out_channels, "out_channels", 0)
        self.kernel_size = pair(kernel_size, "kernel_size", 1)
        self.stride, self.padding, self.dilation, self.groups = conv_params(stride, padding, dilation, groups)
        check_groups(type(self).__name__, self.in_channels, self.out_channels, self.groups)
        C, O, G = self.in_channels, self.out_channels, self.groups
        weight_shape = (C, O // G) if transposed else (O, C // G)
        self.weight = Parameter(np.zeros(weight_shape + self.kernel_size), dtype=dtype)
        self.bias = Parameter(np.zeros(out_channels), dtype=dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}, padding={self.padding}")
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        return s + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, dtype, transposed=False)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, dtype=np.float32):
        self.output_padding = transpose_params(stride, padding, output_padding, dilation, groups)[2]
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, dtype, transposed=True)

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)

    def extra_repr(self):
        extra = f", output_padding={self.output_padding}" if self.output_padding != (0, 0) else ""
        return super().extra_repr() + extra


class _Pool2d(Module):
    """A pooling window: kernel_size, stride (default: kernel_size) and padding."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        pool_params(kernel_size, stride, padding)
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class Upsample(Module):
    """Nearest-neighbour upsampling by an integer scale_factor (int or pair)."""

    def __init__(self, scale_factor, mode="nearest"):
        super().__init__()
        if mode != "nearest":
            raise ValueError(f"Upsample: only mode='nearest' is implemented, got {mode!r}")
        scale_pair(scale_factor)
        self.scale_factor, self.mode = scale_factor, mode

    def forward(self, x):
        return F.interpolate(x, self.scale_factor, self.mode)

    def extra_repr(self):
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}"
