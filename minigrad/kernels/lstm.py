"""The elementwise part of one LSTM step, forward and backward.

With gates a = [a_i | a_f | a_g | a_o] (B, 4H), PyTorch's gate order, and c_prev (B, H):

    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c = f * c_prev + i * g                 h = o * tanh(c)

``lstm_cell_forward`` returns hc (2, B, H) with hc[0] = h and hc[1] = c (one array, the op's output),
plus what the backward needs: acts = [i | f | g | o] (B, 4H) and tanh_c (B, H).
``lstm_cell_backward`` is the vector-Jacobian product (derived in docs/kernels.md):

    dc_total = dc + dh * o * (1 - tanh(c)^2)
    d_a_i = dc_total * g * i (1 - i)       d_a_f = dc_total * c_prev * f (1 - f)
    d_a_g = dc_total * i * (1 - g^2)       d_a_o = dh * tanh(c) * o (1 - o)
    d_c_prev = dc_total * f

Why the kernels carry their own exp. Without Intel's SVML, Numba calls libm's scalar exp and tanh
(~3 and ~22 ns per element here) while NumPy's SIMD ufuncs take ~0.5 ns, so a loop calling np.tanh was
7x slower than the NumPy code it replaced. Sigmoid and tanh are therefore built from one exp written
with + * and selects only, which LLVM vectorizes. For y <= 0:

    y = n ln2 + r, n = round(y / ln2) <= 0, |r| <= ln2/2   (ln2 = ln2_hi + ln2_lo, n ln2_hi exact)
    q = exp(r) - 1 = r (1 + r/2! + r^2/3! + ... + r^12/13!)   (truncation < r^14/14! < 4e-18)
    s = 2^n = product of 2^-1, 2^-2, 2^-4, ..., 2^-512 picked by the bits of -n  (exact)
    exp(y) = s + s q,   expm1(y) = (s - 1) + s q

Below y_min = ln(2^-126) = -87.34 (float32), ln(2^-1022) = -708.4 (float64), where 2^n would leave the
normal range, s = 0: exp flushes to 0 and expm1 to -1. Then, with e = exp(-|x|) and m = expm1(-2|x|),

    sigmoid(x) = 1 / (1 + e) if x >= 0 else e / (1 + e)       (never exp of a positive number)
    tanh(x)    = sign(x) * (-m) / (2 + m)                      (m, not 1 - e: no cancellation near 0)

NaN flows through every formula (r and q become NaN, and each select lets a NaN argument through).
All constants are passed in as a tuple of the array's dtype, so float32 math stays float32.
Measured against long double: sigmoid and tanh within 2 ulps (tests/test_kernels_lstm.py).

Compile flags: ``error_model="numpy"`` (a float division may not raise, else it branches and the
loop does not vectorize); ``fastmath={"contract"}`` lets LLVM fuse a*b+c into an FMA and nothing
else (no 'nnan', which would break the NaN checks).

Threads: rows (batch entries) are independent, so ``prange`` runs over rows, each writing only its
own rows of every output; serial and threaded runs call the same compiled row function and agree
bit for bit. Below ``PARALLEL_MIN`` elements (B * H) the serial loop is used.
"""
import math

import numpy as np
from numba import njit, prange

__all__ = ["lstm_cell_forward", "lstm_cell_backward",
           "lstm_cell_forward_reference", "lstm_cell_backward_reference"]

PARALLEL_MIN = 65536                 # B * H from which rows are split across threads (docs/kernels.md)
_FLAGS = dict(nogil=True, fastmath={"contract"}, error_model="numpy")
_CONSTANTS = {}


def _constants(dtype):
    """(zero, one, half, log2e, ln2_hi, ln2_lo, y_min, 1/2!, ..., 1/13!, 2^-1, 2^-2, ..., 2^-512) in dtype.

    ln2_hi has few significant bits (9 for float32, 32 for float64) so that n * ln2_hi is exact for
    every n the range allows (|n| <= 126, resp. 1022). 2^-128 .. 2^-512 round to 0 in float32; they
    are never picked there (-n <= 126).
    """
    dtype = np.dtype(dtype)
    if dtype not in _CONSTANTS:
        if dtype == np.float32:
            ln2_hi, ln2_lo, n_min = 0.693359375, -2.12194440e-4, -126
        else:
            ln2_hi, ln2_lo, n_min = 6.93147180369123816490e-01, 1.90821492927058770002e-10, -1022
        y_min = n_min * math.log(2)        # exp(y_min) = 2^n_min, the smallest normal number
        values = ([0.0, 1.0, 0.5, 1 / math.log(2), ln2_hi, ln2_lo, y_min]
                  + [1 / math.factorial(j) for j in range(2, 14)]
                  + [2.0 ** -(2 ** b) for b in range(10)])
        _CONSTANTS[dtype] = tuple(dtype.type(v) for v in values)
    return _CONSTANTS[dtype]


# ----------------------------------------------------------------------------------------------
# Numba kernels
# ----------------------------------------------------------------------------------------------
@njit(inline="always", **_FLAGS)
def _exp_split(y, k):
    """(s, q) for y <= 0 (or NaN) with exp(y) = s + s q and expm1(y) = (s - 1) + s q (module doc)."""
    zero, one, half, log2e, ln2_hi, ln2_lo, y_min = k[0], k[1], k[2], k[3], k[4], k[5], k[6]
    z = y_min if y < y_min else y                    # clamp to the range; NaN stays NaN
    n = np.floor(z * log2e + half)                   # nearest integer to z / ln2
    r = (z - n * ln2_hi) - n * ln2_lo                # |r| <= ln2 / 2
    p = k[18] * r + k[17]                            # Horner: p = 1/2! + r/3! + ... + r^11/13!
    p = p * r + k[16]
    p = p * r + k[15]
    p = p * r + k[14]
    p = p * r + k[13]
    p = p * r + k[12]
    p = p * r + k[11]
    p = p * r + k[10]
    p = p * r + k[9]
    p = p * r + k[8]
    p = p * r + k[7]
    q = r * (one + r * p)                            # exp(r) - 1
    m = np.int32(-n) if n == n else np.int32(0)      # 0 <= m <= 1022 (NaN: any finite scale will do)
    s = one                                          # 2^-m, one bit of m at a time
    s *= k[19] if m & 1 else one
    s *= k[20] if m & 2 else one
    s *= k[21] if m & 4 else one
    s *= k[22] if m & 8 else one
    s *= k[23] if m & 16 else one
    s *= k[24] if m & 32 else one
    s *= k[25] if m & 64 else one
    s *= k[26] if m & 128 else one
    s *= k[27] if m & 256 else one
    s *= k[28] if m & 512 else one
    s = zero if y < y_min else s                     # exp(y) below 2^-126 (2^-1022): 0
    return s, q


@njit(inline="always", **_FLAGS)
def _sigmoid(x, k):
    """1 / (1 + exp(-x)), from e = exp(-|x|) <= 1."""
    one = k[1]
    s, q = _exp_split(x if x < 0 else -x, k)
    e = s + s * q
    return (one if x >= 0 else e) / (one + e)


@njit(inline="always", **_FLAGS)
def _tanh(x, k):
    """sign(x) * (-m) / (2 + m), m = expm1(-2|x|) in [-1, 0]."""
    one = k[1]
    a = x if x < 0 else -x
    s, q = _exp_split(a + a, k)
    m = (s - one) + s * q
    t = -m / (m + one + one)
    return t if x >= 0 else -t


@njit(cache=True, **_FLAGS)
def _forward_row(a, c_prev, acts, h, c, tanh_c, k):
    """One batch row: a (4H,), c_prev (H,) -> acts (4H,), h, c, tanh_c (H,)."""
    H = c_prev.shape[0]
    for j in range(2 * H):                    # i and f
        acts[j] = _sigmoid(a[j], k)
    for j in range(2 * H, 3 * H):             # g
        acts[j] = _tanh(a[j], k)
    for j in range(3 * H, 4 * H):             # o
        acts[j] = _sigmoid(a[j], k)
    for j in range(H):
        cj = acts[H + j] * c_prev[j] + acts[j] * acts[2 * H + j]     # f c_prev + i g
        tj = _tanh(cj, k)
        c[j] = cj
        tanh_c[j] = tj
        h[j] = acts[3 * H + j] * tj                                  # o tanh(c)


@njit(cache=True, **_FLAGS)
def _backward_row(dh, dc, acts, tanh_c, c_prev, d_gates, d_c_prev, one):
    """One batch row of the VJP (module doc); ``one`` carries the dtype."""
    H = c_prev.shape[0]
    for j in range(H):
        i, f, g, o = acts[j], acts[H + j], acts[2 * H + j], acts[3 * H + j]
        t = tanh_c[j]
        dct = dc[j] + dh[j] * o * (one - t * t)
        d_gates[j] = dct * g * i * (one - i)
        d_gates[H + j] = dct * c_prev[j] * f * (one - f)
        d_gates[2 * H + j] = dct * i * (one - g * g)
        d_gates[3 * H + j] = dh[j] * t * o * (one - o)
        d_c_prev[j] = dct * f


@njit(cache=True, nogil=True, parallel=True)
def _forward(gates, c_prev, hc, acts, tanh_c, k, threads):
    if threads:
        for b in prange(gates.shape[0]):
            _forward_row(gates[b], c_prev[b], acts[b], hc[0, b], hc[1, b], tanh_c[b], k)
    else:
        for b in range(gates.shape[0]):
            _forward_row(gates[b], c_prev[b], acts[b], hc[0, b], hc[1, b], tanh_c[b], k)


@njit(cache=True, nogil=True, parallel=True)
def _backward(dh, dc, acts, tanh_c, c_prev, d_gates, d_c_prev, one, threads):
    if threads:
        for b in prange(acts.shape[0]):
            _backward_row(dh[b], dc[b], acts[b], tanh_c[b], c_prev[b], d_gates[b], d_c_prev[b], one)
    else:
        for b in range(acts.shape[0]):
            _backward_row(dh[b], dc[b], acts[b], tanh_c[b], c_prev[b], d_gates[b], d_c_prev[b], one)


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
def _check_forward(gates, c_prev, what):
    for name, x in (("gates", gates), ("c_prev", c_prev)):
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.dtype not in (np.float32, np.float64):
            raise ValueError(f"{what}: {name} must be a 2-D float32/float64 array, got "
                             f"{getattr(x, 'shape', None)} {getattr(x, 'dtype', type(x).__name__)}")
    B, H = c_prev.shape
    if gates.shape != (B, 4 * H) or gates.dtype != c_prev.dtype:
        raise ValueError(f"{what}: gates {gates.shape} {gates.dtype} must be (B, 4H) = {(B, 4 * H)} "
                         f"with the dtype of c_prev {c_prev.shape} {c_prev.dtype}")
    return B, H


def _check_backward(dh, dc, acts, tanh_c, c_prev, what):
    B, H = _check_forward(acts, c_prev, what)
    for name, x, optional in (("dh", dh, True), ("dc", dc, True), ("tanh_c", tanh_c, False)):
        if x is None and optional:
            continue
        if not isinstance(x, np.ndarray) or x.shape != (B, H) or x.dtype != c_prev.dtype:
            raise ValueError(f"{what}: {name} must be a {(B, H)} {c_prev.dtype} array, got "
                             f"{getattr(x, 'shape', None)} {getattr(x, 'dtype', type(x).__name__)}")
    return B, H


def _threads(B, H, parallel):
    return (B > 1 and B * H >= PARALLEL_MIN) if parallel is None else bool(parallel)


def lstm_cell_forward(gates, c_prev, parallel=None):
    """gates (B, 4H) = [a_i|a_f|a_g|a_o], c_prev (B, H)
    -> (hc (2, B, H) = [h, c], acts (B, 4H) = [i|f|g|o], tanh_c (B, H)).

    ``parallel``: None splits rows across threads from B*H >= PARALLEL_MIN; True/False forces it.
    """
    B, H = _check_forward(gates, c_prev, "lstm_cell_forward")
    dt = c_prev.dtype
    hc, acts, tanh_c = np.empty((2, B, H), dt), np.empty((B, 4 * H), dt), np.empty((B, H), dt)
    if hc.size:
        _forward(np.ascontiguousarray(gates), np.ascontiguousarray(c_prev), hc, acts, tanh_c,
                 _constants(dt), _threads(B, H, parallel))
    return hc, acts, tanh_c


def lstm_cell_backward(dh, dc, acts, tanh_c, c_prev, parallel=None):
    """VJP: dh, dc (B, H) (either may be None, meaning zero) and the saved acts, tanh_c, c_prev
    -> (d_gates (B, 4H), d_c_prev (B, H))."""
    B, H = _check_backward(dh, dc, acts, tanh_c, c_prev, "lstm_cell_backward")
    dt = c_prev.dtype
    dh = np.zeros((B, H), dt) if dh is None else np.ascontiguousarray(dh)
    dc = np.zeros((B, H), dt) if dc is None else np.ascontiguousarray(dc)
    d_gates, d_c_prev = np.empty((B, 4 * H), dt), np.empty((B, H), dt)
    if d_c_prev.size:
        _backward(dh, dc, np.ascontiguousarray(acts), np.ascontiguousarray(tanh_c),
                  np.ascontiguousarray(c_prev), d_gates, d_c_prev, dt.type(1), _threads(B, H, parallel))
    return d_gates, d_c_prev


# ----------------------------------------------------------------------------------------------
# NumPy references: the formulas, one array expression each
# ----------------------------------------------------------------------------------------------
def _sigmoid_reference(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def lstm_cell_forward_reference(gates, c_prev):
    _check_forward(gates, c_prev, "lstm_cell_forward")
    a_i, a_f, a_g, a_o = np.split(gates, 4, axis=1)
    i, f, g, o = _sigmoid_reference(a_i), _sigmoid_reference(a_f), np.tanh(a_g), _sigmoid_reference(a_o)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    return np.stack([o * tanh_c, c]), np.concatenate([i, f, g, o], axis=1), tanh_c


def lstm_cell_backward_reference(dh, dc, acts, tanh_c, c_prev):
    _check_backward(dh, dc, acts, tanh_c, c_prev, "lstm_cell_backward")
    dh = np.zeros_like(c_prev) if dh is None else dh
    dc = np.zeros_like(c_prev) if dc is None else dc
    i, f, g, o = np.split(acts, 4, axis=1)
    dc_total = dc + dh * o * (1 - tanh_c**2)
    d_gates = np.concatenate([dc_total * g * i * (1 - i), dc_total * c_prev * f * (1 - f),
                              dc_total * i * (1 - g**2), dh * tanh_c * o * (1 - o)], axis=1)
    return d_gates, dc_total * f
