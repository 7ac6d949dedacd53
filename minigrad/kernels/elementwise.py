"""Elementwise kernels where NumPy needs more than one pass: ReLU's backward.

``relu_backward(y, g)`` is dL/dx = g where y > 0 and 0 where y <= 0, y = relu(x) = max(x, 0).  NumPy
writes it as ``np.where(y <= 0, 0, g)``: one pass to build the boolean mask, one to select, plus the
mask's memory.  The loop below reads y and g once and writes once.  A NaN in y passes g through, as
PyTorch's ReLU backward does (NaN <= 0 is false).  Elements are independent, so ``prange`` splits them
between threads without a race; below ``PARALLEL_MIN`` elements one thread is faster.
"""
import numpy as np
from numba import njit, prange

PARALLEL_MIN = 1 << 16


@njit(cache=True, nogil=True, parallel=True)
def _relu_backward(y, g, out, parallel):
    zero = out.dtype.type(0)
    if parallel:
        for i in prange(y.size):
            out[i] = zero if y[i] <= zero else g[i]
    else:
        for i in range(y.size):
            out[i] = zero if y[i] <= zero else g[i]


def relu_backward(y, g, parallel=None):
    """dL/dx of y = relu(x) given the upstream gradient g (same shape and dtype as y)."""
    if y.shape != g.shape or y.dtype != g.dtype:
        raise ValueError(f"relu_backward: y {y.shape} {y.dtype} and g {g.shape} {g.dtype} must match")
    out = np.empty(y.shape, y.dtype)
    if parallel is None:
        parallel = y.size >= PARALLEL_MIN
    _relu_backward(np.ascontiguousarray(y).reshape(-1), np.ascontiguousarray(g).reshape(-1),
                   out.reshape(-1), bool(parallel))
    return out


def relu_backward_reference(y, g):
    """Slow, obviously correct: g where y > 0 (or y is NaN), else 0."""
    if y.shape != g.shape or y.dtype != g.dtype:
        raise ValueError(f"relu_backward: y {y.shape} {y.dtype} and g {g.shape} {g.dtype} must match")
    return np.where(y <= 0, np.zeros((), g.dtype), g)
