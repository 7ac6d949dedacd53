"""The logistic sigmoid in few passes (NumPy's vectorized exp, then one Numba loop), and exp and
exp(-|x|) without subnormal results.

    sigmoid(x) = r if x >= 0,  e r if x < 0,     e = exp(-|x|) in (0, 1],  r = 1 / (1 + e)

No exp overflows. Results below the smallest normal number (x < -87.3 in float32, -708.4 in
float64) are flushed to 0. On Intel CPUs arithmetic on subnormal numbers takes a slow microcode
path: on the Xeon of our runs a (1000 x 784) @ (784 x 500) float32 product with half its inputs
subnormal took 440 ms in OpenBLAS instead of 2.5 ms (672 ms instead of 5.9 in our matmul), and a
sigmoid over such inputs 14x longer. A Bernoulli decoder pushes the logits of always-black pixels
down without end, through that band (-104 < x < -87 in float32): its gradient sigmoid(x) - 0
would carry subnormals into the next products, and an M2 epoch grew from 44 s to 139 s over 14
epochs. The flushed values are below 1.2e-38 (float32); PyTorch offers the same trade
globally (``torch.set_flush_denormal``).

The reference writes it as NumPy does naturally: abs, negate, exp, two divisions and a
``where``, six passes and as many temporaries. Here e comes from ``exp_neg_abs``, NumPy's passes
(abs, negate, clamp, exp: NumPy's exp uses the CPU's vector units, Numba's calls libm one element
at a time, which made a pure Numba loop slower than this), and one loop finishes r and the
select, writing over e. The product e r equals the reference's e / (1 + e) up to one rounding,
so the two agree to an ulp. NaN propagates (exp(NaN) = NaN), and
sigmoid(+-inf) = 1, 0.

Softplus and BCE from logits stay NumPy passes (``ops/activations.py``, ``ops/losses.py``): they
need log1p as well as exp, and a Numba loop calling libm for both ran 4-5x slower than NumPy's
chain of vectorized passes (1000 x 500 float32, one thread, Intel Xeon with AVX-512). They take
their e = exp(-|x|) from ``exp_neg_abs``, which makes no subnormal either (NumPy's BCE forward
over logits in that band took 12x longer).

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


def largest_normal_exp_argument(dt):
    """The largest a of dtype dt with NumPy's exp(-a) a normal number (>= tiny): about 87.34 in
    float32, 708.40 in float64. |x| is clamped to it before the exp, and results with |x| > a
    are set to 0 by the loops, so the clamp changes no result."""
    tiny = np.finfo(dt).tiny
    a = dt.type(-np.log(tiny))
    while np.exp(np.full(16, -a, dt))[0] < tiny:
        a = np.nextafter(a, dt.type(0))
    return a


CLAMP = {dt: largest_normal_exp_argument(dt) for dt in KERNEL_DTYPES}


@njit(cache=True, nogil=True, parallel=True)
def _finish_sigmoid(x, e, tiny, parallel):
    """e = exp(-|x|) in (0 where subnormal), sigmoid(x) out (in place), subnormal results as 0."""
    one, zero = e.dtype.type(1), e.dtype.type(0)
    if parallel:
        for i in prange(x.size):
            r = one / (one + e[i])
            s = r if x[i] >= 0 else e[i] * r
            e[i] = zero if s < tiny else s
    else:
        for i in range(x.size):
            r = one / (one + e[i])
            s = r if x[i] >= 0 else e[i] * r
            e[i] = zero if s < tiny else s


@njit(cache=True, nogil=True)
def _zero_under(x, e, low, tiny):
    """e[i] = 0 where x[i] < low (exp(x) would be subnormal) or e[i] is below tiny."""
    for i in range(x.size):
        if x[i] < low or e[i] < tiny:
            e[i] = 0


def exp(x):
    """exp(x), with 0 where it would be subnormal (x < -a), and no subnormal made on the way:
    NumPy's exp on max(x, -a), then one loop. Probabilities exp(log q) of confident
    classifiers reach that band (M2's q(y|x) for the wrong labels), and multiply gradients."""
    x = np.asarray(x)
    if x.dtype not in KERNEL_DTYPES:
        return exp_reference(x)
    x = x if x.flags.c_contiguous else x.copy()      # keeps 0-d arrays 0-d
    e = np.empty_like(x)
    np.maximum(x, -CLAMP[x.dtype], out=e)
    np.exp(e, out=e)
    _zero_under(x.reshape(-1), e.reshape(-1), -CLAMP[x.dtype], np.finfo(x.dtype).tiny)
    return e


def exp_reference(x):
    """Slow, obviously correct: exp(x), then 0 where that is subnormal."""
    e = np.exp(np.asarray(x))
    return flush_subnormal(e) if e.dtype.kind == "f" else e


def exp_neg_abs(x):
    """exp(-|x|) in [0, 1], 0 where it would be subnormal (|x| > a): ``exp`` of -|x|."""
    return exp(np.negative(np.abs(np.asarray(x))))


def exp_neg_abs_reference(x):
    """Slow, obviously correct: exp(-|x|), then 0 where that is subnormal."""
    return exp_reference(-np.abs(np.asarray(x)))


def sigmoid(x, parallel=None):
    """1 / (1 + exp(-x)), elementwise, in x's dtype, without overflow."""
    x = np.asarray(x)
    if x.dtype not in KERNEL_DTYPES:
        return sigmoid_reference(x)
    x = x if x.flags.c_contiguous else x.copy()      # keeps 0-d arrays 0-d
    e = np.asarray(exp_neg_abs(x))                   # a new array: the loop writes over it
    if parallel is None:
        parallel = x.size >= PARALLEL_MIN and numba.get_num_threads() > 1
    _finish_sigmoid(x.reshape(-1), e.reshape(-1), np.finfo(x.dtype).tiny, bool(parallel))
    return e


def sigmoid_reference(x):
    """Slow, obviously correct: e = exp(-|x|); 1 / (1 + e) where x >= 0, else e / (1 + e);
    then 0 where that is subnormal (below the dtype's smallest normal number)."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return flush_subnormal(s) if s.dtype.kind == "f" else s


def flush_subnormal(a):
    """a with its subnormal values (0 < |a| < the dtype's smallest normal) set to 0, in place."""
    a[np.abs(a) < np.finfo(a.dtype).tiny] = 0
    return a
