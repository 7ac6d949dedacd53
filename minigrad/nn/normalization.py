"""Layer normalization: normalize each example over its last axes, with no batch statistics.

For the last len(normalized_shape) axes of x (features, or (C, H, W), ...):

    mu = mean(x),  var = mean((x - mu)^2)            (biased, per example and position)
    y = (x - mu) / sqrt(var + eps) * weight + bias   (weight, bias of shape normalized_shape)

The same computation in training and evaluation (unlike BatchNorm), built from ops (``F.layer_norm``),
so the gradient flows through mu and var and can be differentiated again.
"""
import numpy as np

from . import functional as F
from .module import Module, Parameter


class LayerNorm(Module):
    """LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True): weight starts at 1,
    bias at 0, as in PyTorch."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=np.float32):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape), dtype=dtype) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape), dtype=dtype) if elementwise_affine and bias else None

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
