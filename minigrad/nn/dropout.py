"""Regularizers that act only during training: Dropout and GaussianNoise.

Both draw from ``minigrad.random`` (seed it for reproducible masks) and are the
identity in eval mode, so a trained model is deterministic.

Dropout (inverted): y = x * m / (1 - p) with m_i ~ Bernoulli(1 - p); dividing by
1 - p keeps E[y] = x, so nothing needs rescaling at evaluation time.
GaussianNoise: y = x + std * eps, eps ~ N(0, 1) (a denoising autoencoder's corruption).
"""
import numpy as np

from .. import random
from .module import Module


def dropout_mask(shape, p, dtype):
    """m / (1 - p) with m ~ Bernoulli(1 - p), as an array of ``dtype`` (all zeros if p == 1)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    keep = random.generator().random(size=shape) >= p
    if p == 1:
        return np.zeros(shape, dtype)
    return keep.astype(dtype) / np.dtype(dtype).type(1 - p)


class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return x * dropout_mask(x.shape, self.p, x.dtype)

    def extra_repr(self):
        return f"p={self.p}"


class GaussianNoise(Module):
    def __init__(self, std):
        super().__init__()
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        self.std = std

    def forward(self, x):
        if not self.training or self.std == 0:
            return x
        return x + random.normal(0.0, self.std, x.shape, x.dtype)

    def extra_repr(self):
        return f"std={self.std}"
