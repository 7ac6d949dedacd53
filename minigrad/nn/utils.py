"""Gradient utilities: clip the gradients in place between ``backward()`` and ``optimizer.step()``.

``parameters`` is an iterable of tensors or a single tensor (as in PyTorch); tensors
without a gradient are skipped.
"""
import math

import numpy as np

from ..grad_mode import no_grad
from ..tensor import Tensor


def _grads(parameters):
    """The gradient arrays (changed in place by the clipping functions)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.data for p in parameters if p.grad is not None]


@no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their joint q-norm (q = ``norm_type``) is at most ``max_norm``.

        total = (sum_p sum_i |grad_p,i|^q)^(1/q)   (q = inf: max |grad_p,i|)
        grad_p *= min(1, max_norm / (total + 1e-6))

    The direction of the full gradient is kept. Returns ``total``, measured before
    clipping, as a NumPy float64 scalar (a float that also has ``.item()``; PyTorch
    returns a 0-d tensor). A non-finite total makes the gradients non-finite, as in
    PyTorch; ``error_if_nonfinite=True`` raises instead. ``foreach`` is accepted and ignored.
    """
    grads = _grads(parameters)
    q = float(norm_type)
    if not q > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive or inf, got {norm_type}")
    if not grads:
        return np.float64(0.0)
    if q == math.inf:
        total = max((float(np.max(np.abs(g))) for g in grads if g.size), default=0.0)
    else:
        total = sum(float(np.sum(np.abs(g, dtype=np.float64) ** q)) for g in grads) ** (1 / q)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"{total}, so they cannot be clipped (error_if_nonfinite=True)")
    scale = max_norm / (total + 1e-6)
    if not scale >= 1:  # also true for a nan scale, which spreads the nan as PyTorch does
        for g in grads:
            g *= g.dtype.type(scale)
    return np.float64(total)


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clip every gradient element to [-clip_value, clip_value], in place. Returns None."""
    v = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -v, v, out=g)
