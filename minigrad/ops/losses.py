"""Elementwise binary cross-entropy, as ops with hand-written, stable gradients.

Derived step by step in docs/ops.md, section "Losses".

Built from log/clip ops instead, BCE would send 0 * inf = nan back through a
probability of exactly 0 or 1; written as one op, both the value and the
gradient stay finite. Reductions (mean/sum) are applied afterwards by
``minigrad.nn.losses``. Notation: g is dL/dy, with y's shape.

The VJPs are written once with the namespace ``xp`` (``ops/namespaces.py``), from the inputs, so
they can be differentiated again; the clamps become ``where`` on masks read from the values.
"""
import numpy as np

from .. import kernels
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
            log_p = np.maximum(np.log(p), LOG_FLOOR).astype(p.dtype)
            log_q = np.maximum(np.log1p(-p), LOG_FLOOR).astype(p.dtype)
        return -(t * log_p + (1 - t) * log_q)

    def vjp(self, g, inputs, y, xp):
        """VJP: dL/dp = g (p - t) / max(p (1 - p), 1e-12);  dL/dt = g (log(1 - p) - log p) (clamped).

        Each max is a ``where`` on a mask read from the value (the clamped side is a constant);
        each gradient is computed only when its input needs one.
        """
        p, t = inputs
        gp = gt = None
        if self.needs_input_grad[0]:
            pq = p * (1 - p)
            eps = xp.data(p).dtype.type(GRAD_EPS)
            gp = g * (p - t) / xp.where(xp.data(pq) > eps, pq, eps)
        if self.needs_input_grad[1]:
            gt = g * (clamped_log(1 - p, xp) - clamped_log(p, xp))
        return gp, gt


def clamped_log(v, xp):
    """max(log v, -100) for v in [0, 1], differentiable where log v > -100; log 0 is never taken."""
    data = xp.data(v)
    safe = data > 0
    log_v = xp.log(xp.where(safe, v, 1)) if not safe.all() else xp.log(v)
    return xp.where(safe & (xp.data(log_v) > LOG_FLOOR), log_v, data.dtype.type(LOG_FLOOR))


@register("binary_cross_entropy_with_logits")
class BinaryCrossEntropyWithLogits(Function):
    """y = -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))), for logits x, computed as

        y = max(x, 0) - x t + log1p(exp(-|x|))

    which never exponentiates a positive number (finite at x = +-1000).
    """

    def forward(self, x, t):
        # kernels.exp_neg_abs: exp(-|x|), 0 where subnormal (see kernels/logistic.py: the logits
        # of always-black pixels sink below -87, and subnormal arithmetic is slow on Intel CPUs)
        return np.maximum(x, 0) - x * t + np.log1p(kernels.exp_neg_abs(x))

    def vjp(self, g, inputs, y, xp):
        """VJP: dL/dx = g (sigmoid(x) - t);  dL/dt = -g x."""
        x, t = inputs
        gx = g * (xp.sigmoid(x) - t) if self.needs_input_grad[0] else None
        gt = -g * x if self.needs_input_grad[1] else None
        return gx, gt
