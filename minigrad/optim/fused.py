"""Adam's update as one Numba loop over the parameter's elements.

``Adam.update_numpy`` states the update with NumPy array expressions, which
read and write the parameter, gradient and both moments about ten times over.
This loop does the same arithmetic in one pass, element by element; elements
are independent, so ``prange`` splits them between threads with no race.
``Adam.update`` runs this loop, or the NumPy form when ``Adam.fused`` is False;
the tests check that both give the same parameters.
"""
import math

import numpy as np
from numba import njit, prange

from ..kernels.notice import announce_compiles


@njit(cache=True, parallel=True, nogil=True)
def adam_step(p, g, m, v, b1, b2, step_size, bias2_sqrt, eps, l2):
    """In place, for flat arrays of one dtype (scalars given in that dtype):
        g' = g + l2 p;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
        p  = p - step_size m / (sqrt(v) / bias2_sqrt + eps)
    """
    one = p.dtype.type(1)
    for i in prange(p.size):
        gi = g[i] + l2 * p[i]
        mi = b1 * m[i] + (one - b1) * gi
        vi = b2 * v[i] + (one - b2) * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= step_size * mi / (math.sqrt(vi) / bias2_sqrt + eps)


@announce_compiles
def fused_adam_update(p, g, m, v, b1, b2, lr, eps, l2, t):
    """Apply one Adam step to arrays p, m, v (updated in place) given gradient g."""
    s = p.dtype.type
    bias1, bias2 = 1 - b1**t, 1 - b2**t
    flat = [a.reshape(-1) for a in (p, np.ascontiguousarray(g), m, v)]
    if any(not np.shares_memory(f, a) for f, a in zip(flat[::2], (p, m))):
        raise ValueError("fused Adam needs contiguous parameter and moment arrays")
    adam_step(*flat, s(b1), s(b2), s(lr / bias1), s(math.sqrt(bias2)), s(eps), s(l2))
