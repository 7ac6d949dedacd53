"""Convolution, pooling and upsampling layers over (N, C, H, W) images and (N, C, L) sequences.

Weights as in PyTorch: Conv2d (out, in/groups, kh, kw); Conv1d (out, in/groups, k);
ConvTranspose2d (in, out/groups, kh, kw). All initialize like PyTorch: weight from
kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias
from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with fan_in = weight.shape[1] times the kernel's size.
Conv1d is conv2d on (N, C, 1, L) (``F.conv1d``). Conv2d and Conv1d take padding='same' (stride 1)
or 'valid' too. Constructors check their arguments with ``minigrad.kernels.conv_args``, the rules
the ops apply.
"""
import math

import numpy as np

from ..kernels.conv_args import check_groups, integer, pair, pool_params, transpose_params
from . import functional as F
from . import init
from .module import Module, Parameter


class _ConvNd(Module):
    nd = 2  # spatial axes: 2 for images, 1 for sequences (whose sizes are 1-tuples, as in PyTorch)

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, dtype, transposed):
        super().__init__()
        self.in_channels = integer(in_channels, "in_channels", 0)
        self.out_channels = integer(out_channels, "out_channels", 0)
        self.kernel_size = self._tuple(kernel_size, "kernel_size", 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{type(self).__name__}: padding must be 'same', 'valid', an int or a "
                                 f"tuple of ints, got {padding!r}")
            if padding == "same" and self._tuple(stride, "stride", 1) != (1,) * self.nd:
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = self._tuple(padding, "padding", 0)
        self.stride = self._tuple(stride, "stride", 1)
        self.dilation = self._tuple(dilation, "dilation", 1)
        self.groups = integer(groups, "groups", 1)
        check_groups(type(self).__name__, self.in_channels, self.out_channels, self.groups)
        C, O, G = self.in_channels, self.out_channels, self.groups
        weight_shape = (C, O // G) if transposed else (O, C // G)
        self.weight = Parameter(np.zeros(weight_shape + self.kernel_size), dtype=dtype)
        self.bias = Parameter(np.zeros(out_channels), dtype=dtype) if bias else None
        self.reset_parameters()

    def _tuple(self, value, name, low):
        if self.nd == 2:
            return pair(value, name, low)
        return (integer(value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value, name, low),)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}, padding={self.padding}")
        if self.dilation != (1,) * self.nd:
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


class Conv1d(_ConvNd):
    """Convolution over (N, C_in, L) sequences -> (N, C_out, L_out); weight (C_out, C_in/groups, k)."""

    nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, dtype, transposed=False)

    def forward(self, x):
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


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
    """A pooling window: kernel_size, stride (default: kernel_size), padding and ceil_mode."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        pool_params(kernel_size, stride, padding)
        self.kernel_size, self.padding, self.ceil_mode = kernel_size, padding, bool(ceil_mode)
        self.stride = kernel_size if stride is None else stride

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                + (", ceil_mode=True" if self.ceil_mode else ""))


class MaxPool2d(_Pool2d):
    """PyTorch's arguments; dilation other than 1 and return_indices are not implemented."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        F._not_implemented("MaxPool2d", dilation=(dilation, 1), return_indices=(return_indices, False))
        super().__init__(kernel_size, stride, padding, ceil_mode)

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, ceil_mode=self.ceil_mode)


class AvgPool2d(_Pool2d):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class Upsample(Module):
    """Resize to ``size`` or by an integer ``scale_factor`` (int or pair): ``F.interpolate``.
    Modes 'nearest' (default), 'nearest-exact', 'linear' (3-D input), 'bilinear' (4-D input)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None):
        super().__init__()
        if mode not in F.INTERPOLATE_MODES:
            raise ValueError(f"Upsample: mode must be one of {F.INTERPOLATE_MODES}, got {mode!r}")
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: give either size or scale_factor")
        if scale_factor is not None:
            for value in scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,):
                integer(value, "scale_factor", 1)
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x):
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self):
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        corners = f", align_corners={self.align_corners}" if self.align_corners is not None else ""
        return f"{what}, mode={self.mode!r}{corners}"
