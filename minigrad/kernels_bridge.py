"""Where ops meet kernels: array-level functions that pick an implementation.

Today matmul runs on NumPy; the Numba kernels plug in here behind the same
functions, so no op changes when a kernel lands.
"""
import numpy as np


def matmul(a, b):
    """a @ b for arrays of the same float dtype (1-D, 2-D or batched)."""
    return np.matmul(a, b)
