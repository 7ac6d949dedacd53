"""Elementwise binary cross-entropy, as ops with hand-written, stable gradients.

Derived step by step in docs/ops.md, section "Losses".

Built from log/clip ops instead, BCE would send 0 * inf = nan back through a
probability of exactly 0 or 1; written as one op, both the value and the
gradient stay finite. Reductions (mean/sum) are applied afterwards by
``minigrad.nn.losses``. Notation: g is dL/dy, with y's shape.
"""
import numpy as np

from .activations import stable_sigmoid
from ..function import Function, register

LOG_FLOOR = -100.0  # PyTorch clamps log(p) and log(1 - p) at -100
GRAD_EPS = 1e-12    # ... and divides by max(p (1 - p), 1e-12) in the gradient


@register("binary_cross_entropy")
class BinaryCrossEntropy(Function):
    """y = -(t max(log p, -100) + (1 - t) max(log(1 - p), -100)) for probabilities p in [0, 1].

    The clamp keeps y finite (at most 100) when p is exactly 0 or 1.
    """

    def forward(self, p, t):
        if np.any((p < 0) | (p > 1)):
            raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]; "
                             "for logits use binary_cross_entropy_with_logits")
        with np.errstate(divide="ignore"):
            self.log_p = np.maximum(np.log(p), LOG_FLOOR).astype(p.dtype)
            self.log_q = np.maximum(np.log1p(-p), LOG_FLOOR).astype(p.dtype)
        self.p, self.t = p, t
        return -(t * self.log_p + (1 - t) * self.log_q)

    def backward(self, g):
        """VJP: dL/dp = g (p - t) / max(p (1 - p), 1e-12);  dL/dt = g (log(1 - p) - log p) (clamped)."""
        p, t = self.p, self.t
        gp = g * (p - t) / np.maximum(p * (1 - p), p.dtype.type(GRAD_EPS))
        return gp, g * (self.log_q - self.log_p)


@register("binary_cross_entropy_with_logits")
class BinaryCrossEntropyWithLogits(Function):
    """y = -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))), for logits x, computed as

        y = max(x, 0) - x t + log1p(exp(-|x|))

    which never exponentiates a positive number (finite at x = +-1000).
    """

    def forward(self, x, t):
        self.x, self.t = x, t
        return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))

    def backward(self, g):
        """VJP: dL/dx = g (sigmoid(x) - t);  dL/dt = -g x."""
        return g * (stable_sigmoid(self.x) - self.t), -g * self.x
