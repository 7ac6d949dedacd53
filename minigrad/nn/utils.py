"""Gradient utilities."""
import math

import numpy as np

from ..grad_mode import no_grad


@no_grad()
def clip_grad_norm_(parameters, max_norm, eps=1e-6):
    """Scale all gradients together so that their joint L2 norm is at most ``max_norm``.

        total = sqrt(sum_p ||grad_p||^2);   if total > max_norm: grad_p *= max_norm / (total + eps)

    The direction of the full gradient is kept. Works in place on each ``p.grad``
    (parameters without a gradient are skipped) and returns ``total`` (a float,
    measured before clipping), which is worth logging.
    """
    grads = [p.grad.data for p in parameters if p.grad is not None]
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads))
    scale = max_norm / (total + eps)
    if scale < 1:
        for g in grads:
            g *= g.dtype.type(scale)
    return total
