"""The logistic sigmoid in few passes: NumPy's vectorized exp, then one Numba loop.

    sigmoid(x) = r if x >= 0,  e r if x < 0,     e = exp(-|x|) in (0, 1],  r = 1 / (1 + e)

No exp overflows. The reference writes it as NumPy does naturally: abs, negate, exp, two
divisions and a ``where``, six passes and as many temporaries. Here e is computed in place in one
buffer by NumPy (whose exp uses the CPU's vector units: Numba's calls libm one element at a time,
which made a pure Numba loop slower than this), and one loop finishes r and the select, writing
over e. The select and the product e r are the same IEEE operations as the reference's e / (1 + e)
up to one rounding, so the two agree to an ulp. NaN propagates (exp(NaN) = NaN), and
sigmoid(+-inf) = 1, 0.

Softplus and BCE from logits stay in NumPy (``ops/activations.py``, ``ops/losses.py``): they need
log1p as well as exp, and a Numba loop calling libm for both ran 4-5x slower than NumPy's chain of
vectorized passes (1000 x 500 float32, one thread, Intel Xeon with AVX-512).

Elements are independent, so ``prange`` splits them between threads without a race; below
``PARALLEL_MIN`` elements, or with one Numba thread, the serial loop runs (a ``prange`` on one
thread measured half as fast). float32 and float64 run the kernel; other dtypes take the
reference.
"""
import numba
import numpy as np
from numba import njit, prange

PARALLEL_MIN = 1 << 16
KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@njit(cache=True, nogil=True, parallel=True)
def _finish_sigmoid(x, e, parallel):
    """e = exp(-|x|) in, sigmoid(x) out (in place)."""
    one = e.dtype.type(1)
    if parallel:
        for i in prange(x.size):
            r = one / (one + e[i])
            e[i] = r if x[i] >= 0 else e[i] * r
    else:
        for i in range(x.size):
            r = one / (one + e[i])
            e[i] = r if x[i] >= 0 else e[i] * r


def sigmoid(x, parallel=None):
    """1 / (1 + exp(-x)), elementwise, in x's dtype, without overflow."""
    x = np.asarray(x)
    if x.dtype not in KERNEL_DTYPES:
        return sigmoid_reference(x)
    x = x if x.flags.c_contiguous else x.copy()      # keeps 0-d arrays 0-d
    e = np.empty_like(x)
    np.abs(x, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    if parallel is None:
        parallel = x.size >= PARALLEL_MIN and numba.get_num_threads() > 1
    _finish_sigmoid(x.reshape(-1), e.reshape(-1), bool(parallel))
    return e


def sigmoid_reference(x):
    """Slow, obviously correct: e = exp(-|x|); 1 / (1 + e) where x >= 0, else e / (1 + e)."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
