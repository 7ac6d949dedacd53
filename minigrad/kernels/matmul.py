"""Matrix multiplication written by hand in Numba: C = A @ B.

No BLAS call anywhere in the jitted code; this file is meant to be read.

Design (the standard "GotoBLAS/BLIS" structure, scaled down)
------------------------------------------------------------
1. **Packing.**  A (M x K) is copied into *micro-panels* of MR rows: ``Ap[i_panel, p, r] = A[i0 + r, p]``,
   and B (K x N) into micro-panels of NR columns: ``Bp[j_panel, p, c] = B[p, j0 + c]``.  Each panel is
   contiguous and zero-padded to a full MR (NR), so the micro-kernel always runs a full tile, reads both
   operands with unit stride, and never branches on edges.  Packing reads each operand C-contiguous in
   whichever orientation it is contiguous (``_operand``): a transposed view of a C array, as the op
   layer passes ``W.T`` for gradients, costs nothing extra; other layouts are copied first.  The
   C-contiguous typing is what lets LLVM use unit-stride vector loads (any-layout operands packed at
   a third of the speed), and it keeps one compiled specialization per dtype.

2. **Micro-kernel.**  For one MR x NR tile of C and a range of k, the kernel keeps the whole tile in
   MR*NR local scalars (on AVX-512, 8 x 32 for float32 = 16 zmm registers, 8 x 16 for float64) and does one
   rank-1 update per k: load NR values of B, broadcast each of MR values of A, MR*NR fused multiply-adds.
   The body is generated from a template (``_microkernel_source``) because 256 hand-typed statements
   teach nothing; the generated source is shown by ``print(_microkernel_source(8, 32))``.  The tile
   (MR x NR) depends on the instruction set: ``isa.py`` has the table and the measurements.  It is compiled
   with LLVM's SLP vectorizer on and the loop vectorizer off (``slp_only``), which turns the scalars into
   vector registers, and with 512-bit vectors preferred where the host has AVX-512 (see _numba_setup).
   Accumulators have the array's dtype (the first product initializes them: no ``0.0`` float64 literal).

3. **Blocking.**  k is split into blocks of KC so that one B micro-panel (KC x NR) stays in L1 while the
   kernel sweeps the MR-panels of A inside an MC x KC block that stays in L2.  The first k block of
   a full tile is stored straight into C by the micro-kernel; later k blocks, and edge tiles that only
   partly lie inside C, go to a small per-task buffer and are added (copied) from there.  (Going
   through the buffer for every tile cost 10-40% when k is short, as in a convolution's input
   gradient, where k is the number of output channels.)

4. **Threads.**  C is cut into (batch, MC-block, NC-block) tiles; ``prange`` runs over these tiles, which
   are disjoint, so there is no race and no reduction.  Packing also runs in a ``prange`` over panels.
   Every O(M*N) operation (zeroing, copy-out) happens inside the parallel loop.  Problems below
   ``PARALLEL_MIN_FLOPS`` run serially, since a ``prange`` launch costs ~2 us.
   The thread count is an argument, never read inside jitted code, so ``cache=True`` works.

5. **Compile time.**  A first run with an empty cache compiles everything (``benchmarks/performance.py``
   times it).  Three choices keep it short:
   * one driver per dtype instead of a serial and a parallel build: ``parallel`` is a run-time flag
     choosing ``prange`` or ``range`` for the same loop bodies, which are separate jitted functions
     (``_pack_task``, ``_tile``) compiled once.  A ``prange`` index is typed uint64 and a ``range`` index
     int64, so the index is cast with ``np.intp`` -- without it each body compiled twice;
   * one packing function for both operands and both orientations (the orientation is a run-time
     flag; transposed views are taken in Python: ``transpose`` inside jitted code compiled a 2 s
     error-message path);
   * float64 compiled only when first used; C-contiguous operand types, so layouts add no specializations.
   The SLP-vectorized micro-kernel is the largest single part of what remains.

docs/kernels.md explains each technique; docs/performance.md has the measurements.
"""
import hashlib
import math
import threading

import numpy as np
import numba
from numba import njit, prange

from . import isa
from ._numba_setup import slp_only, num_threads

__all__ = ["matmul", "batched_matmul", "matmul_reference", "batched_matmul_reference"]

# Tile sizes (MR, NR, KC, MC, NC) come from isa.tiles(dtype): they depend on the instruction set.
PARALLEL_MIN_FLOPS = 2 * 96 ** 3


# ----------------------------------------------------------------------------------------------
# micro-kernel, generated from a template
# ----------------------------------------------------------------------------------------------
def _microkernel_source(mr, nr, name=None, args="a, b, out, i0, j0", b_row="b[{p}]", a_row="a[{p}]",
                        a_elem="ap[{r}]", setup=(), kc="a.shape[0]"):
    """Python source of the MR x NR micro-kernel ``_mk_{mr}x{nr}(a, b, out, i0, j0)``.

    a: (kc, MR) packed A panel, b: (kc, NR) packed B panel, kc >= 1; out: a C-contiguous 2-D array
    with room for rows i0..i0+MR-1 and columns j0..j0+NR-1:

        out[i0 + r, j0 + c] = sum_p a[p, r] * b[p, c]

    It only stores: a version that could also add into ``out`` made LLVM read ``out`` in both cases
    (a select folded into the arithmetic), and uninitialized memory read that way held denormals
    that cost ~10 us per call.  The driver adds later k blocks from a small buffer instead.

    The other arguments let the convolutions (conv_direct.py) use the same body with operands read
    straight from an image: ``b_row`` is row p of B (``{p}`` stands for p), ``a_row`` and ``a_elem``
    give element r of A's row p (``ap`` is the row), ``setup`` lines run first (``{r}`` formatted
    for every r when present), and ``kc`` is the length of the k loop.
    """
    name = name or f"_mk_{mr}x{nr}"
    L = [f"def {name}({args}):"]
    ind = "    "
    for line in setup:
        L += [ind + line.format(r=r) for r in range(mr)] if "{r}" in line else [ind + line]
    L.append(ind + "ap = " + a_row.format(p="0"))
    L.append(ind + "bp = " + b_row.format(p="0"))
    for r in range(mr):
        L.append(ind + f"a{r} = " + a_elem.format(r=r, p="0"))
    for c in range(nr):
        L.append(ind + f"b{c} = bp[{c}]")
    for r in range(mr):
        for c in range(nr):
            L.append(ind + f"c{r}_{c} = a{r} * b{c}")
    L.append(ind + f"for p in range(1, {kc}):")
    ind2 = ind * 2
    L.append(ind2 + "ap = " + a_row.format(p="p"))
    L.append(ind2 + "bp = " + b_row.format(p="p"))
    for c in range(nr):
        L.append(ind2 + f"b{c} = bp[{c}]")
    for r in range(mr):
        L.append(ind2 + f"a{r} = " + a_elem.format(r=r, p="p"))
        for c in range(nr):
            L.append(ind2 + f"c{r}_{c} += a{r} * b{c}")
    # a row slice indexed from 0 (not out[i, j0 + c]) keeps the stores unit-stride and unchecked
    for r in range(mr):
        L.append(ind + f"o = out[i0 + {r}, j0:j0 + {nr}]")
        for c in range(nr):
            L.append(ind + f"o[{c}] = c{r}_{c}")
    return "\n".join(L) + "\n"


def _make_microkernel(mr, nr, filename=__file__, **template):
    """Compile-ready dispatcher for a micro-kernel from the template (see _microkernel_source).

    The code object carries a real file's name so that Numba's on-disk cache can locate it; its
    staleness check follows that file only.  A variant made elsewhere (``filename`` is that module's
    file) also gets a hash of its generated source in its name, so a change to this template gives
    it a new cache entry too."""
    source = _microkernel_source(mr, nr, **template)
    name = source.split("(", 1)[0][4:]
    if template:
        tagged = f"{name}_{hashlib.sha1(source.encode()).hexdigest()[:8]}"
        source, name = source.replace(name, tagged, 1), tagged
    ns = {"__name__": __name__}
    exec(compile(source, filename, "exec"), ns)
    return njit(cache=True, fastmath=True, nogil=True)(ns[name])


# ----------------------------------------------------------------------------------------------
# packing
# ----------------------------------------------------------------------------------------------
_PG = 8   # panels packed per task: consecutive panels share rows/columns, so the reads are long runs


@njit(cache=True, nogil=True)
def _pack(X, b, ip0, P, lanes_contiguous):
    """Pack panels ip0 .. ip0+_PG-1 of one operand into P[b] (W = P.shape[3] lanes per panel):

        P[b, ip, p, r] = operand[b, lane = ip*W + r, k = p],   zero for lanes past the end.

    X holds the operand C-contiguous in one of two orientations (the caller chose, see _operand):
    lanes_contiguous: X is (nb, K, lanes), so a panel row P[b, ip, p, :] is a run of X[b, p]: a copy
    LLVM vectorizes; otherwise X is (nb, lanes, K) and each lane is a run of X: a transposing copy.
    Typing X as C-contiguous is what lets LLVM use unit-stride vector loads (an any-layout X
    packed at a third of the speed)."""
    W = P.shape[3]
    ip1 = min(ip0 + _PG, P.shape[1])
    if lanes_contiguous:
        K, L = X.shape[1], X.shape[2]
        for ip in range(ip0, ip1):
            i0 = ip * W
            n = min(W, L - i0)
            dst = P[b, ip]
            for p in range(K):
                src = X[b, p, i0:i0 + n]      # a slice indexed from 0: a plain vectorized copy
                d = dst[p]
                for r in range(n):
                    d[r] = src[r]
                for r in range(n, W):
                    d[r] = 0
    else:
        L, K = X.shape[1], X.shape[2]
        for ip in range(ip0, ip1):
            i0 = ip * W
            n = min(W, L - i0)
            dst = P[b, ip]
            if W < 16:                        # narrow panel: one pass along each lane's row
                for r in range(n):
                    src = X[b, i0 + r]
                    for p in range(K):
                        dst[p, r] = src[p]
            else:                             # wide panel: one pass along k over all its rows
                rows = X[b, i0:i0 + n]
                for p in range(K):
                    d = dst[p]
                    for r in range(n):
                        d[r] = rows[r, p]
            for p in range(K):
                d = dst[p]
                for r in range(n, W):
                    d[r] = 0


@njit(cache=True, nogil=True)
def _pack_task(A, B, Ap, Bp, t, ga, gb, a_lanes, b_lanes):
    """Packing task t of nb * (ga + gb): a group of A panels or of B panels of one batch entry."""
    b = t // (ga + gb)
    q = t - b * (ga + gb)
    if q < ga:
        _pack(A, b, q * _PG, Ap, a_lanes)
    else:
        _pack(B, b, (q - ga) * _PG, Bp, b_lanes)


# ----------------------------------------------------------------------------------------------
# driver
# ----------------------------------------------------------------------------------------------
def _tile_impl(C, Ap, Bp, tmp, t, nti, ntj, KC, MC, NC, M, N, K):
    """Compute tile t of C (batch entry, MC-row block, NC-column block) from the packed panels."""
    MR = Ap.shape[3]
    NR = Bp.shape[3]
    b = t // (nti * ntj)
    q = t - b * (nti * ntj)
    ti = q // ntj
    tj = q - ti * ntj
    i_begin = ti * MC
    i_end = min(M, i_begin + MC)
    j_begin = tj * NC
    j_end = min(N, j_begin + NC)
    Cb = C[b]
    for k0 in range(0, K, KC):
        k1 = min(K, k0 + KC)
        for j0 in range(j_begin, j_end, NR):
            bpanel = Bp[b, j0 // NR, k0:k1]
            nc = min(NR, j_end - j0)
            for i0 in range(i_begin, i_end, MR):
                apanel = Ap[b, i0 // MR, k0:k1]
                nr_ = min(MR, i_end - i0)
                if k0 == 0 and nr_ == MR and nc == NR:     # a full tile's first k block: into C
                    _mk(apanel, bpanel, Cb, i0, j0)
                    continue
                # an edge tile, or a later k block, via the buffer.  Its offsets are 0, but written
                # as values LLVM cannot fold: with literal zeros the inlined kernel lost its
                # vectorization and ran at a tenth of the speed.
                zero = tmp.shape[0] - MR
                _mk(apanel, bpanel, tmp, zero, zero)
                for r in range(nr_):
                    crow = Cb[i0 + r, j0:j0 + nc]
                    trow = tmp[r]
                    if k0 == 0:
                        for c in range(nc):
                            crow[c] = trow[c]
                    else:
                        for c in range(nc):
                            crow[c] += trow[c]


def _gemm_impl(A, B, C, Ap, Bp, mk_tmp, KC, MC, NC, pack_a, pack_b, a_lanes, b_lanes, M, N, K, parallel):
    """C[b] = A[b] @ B[b] for every batch b.  Ap/Bp are packing buffers, mk_tmp gives the dtype/tile.

    A and B arrive C-contiguous in the orientation ``_operand`` chose (a_lanes / b_lanes say which).
    With pack_a (pack_b) False, Ap (Bp) already holds the packed operand and A (B) is not read:
    the convolution writes its im2col matrix straight into the packed layout.
    ``parallel`` is a run-time flag: the same compiled function runs its two task loops either with
    ``prange`` or with a plain ``range`` (no thread launch for small problems).  The loop bodies are
    separate jitted functions, so each is compiled once and only the loop differs.  ``np.intp(t)``:
    a ``prange`` index is typed uint64 and a ``range`` index int64; without the cast each body would be
    compiled twice."""
    nb = C.shape[0]
    ga = (Ap.shape[1] + _PG - 1) // _PG if pack_a else 0
    gb = (Bp.shape[1] + _PG - 1) // _PG if pack_b else 0
    # 1) pack A and B, in groups of panels
    npack = nb * (ga + gb)
    if parallel:
        for t in prange(npack):
            _pack_task(A, B, Ap, Bp, np.intp(t), ga, gb, a_lanes, b_lanes)
    else:
        for t in range(npack):
            _pack_task(A, B, Ap, Bp, np.intp(t), ga, gb, a_lanes, b_lanes)
    # 2) compute disjoint (batch, MC, NC) tiles of C
    nti = (M + MC - 1) // MC
    ntj = (N + NC - 1) // NC
    ntiles = nb * nti * ntj
    if parallel:
        for t in prange(ntiles):
            _tile(C, Ap, Bp, np.empty_like(mk_tmp), np.intp(t), nti, ntj, KC, MC, NC, M, N, K)
    else:
        tmp = np.empty_like(mk_tmp)
        for t in range(ntiles):
            _tile(C, Ap, Bp, tmp, np.intp(t), nti, ntj, KC, MC, NC, M, N, K)


def _with_globals(fn, name, **g):
    """A copy of the plain Python function ``fn`` whose globals also contain ``g`` (per-dtype helpers)."""
    glob = dict(fn.__globals__)
    glob.update(g)
    f = type(fn)(fn.__code__, glob, fn.__name__)
    f.__qualname__ = name
    return f


def _make_driver(mk):
    """One compiled driver per dtype; the tile function it calls is bound to that dtype's micro-kernel."""
    name = mk.py_func.__name__
    tile = njit(cache=True, nogil=True, fastmath=True)(_with_globals(_tile_impl, f"_tile{name}", _mk=mk))
    return njit(cache=True, nogil=True, parallel=True, fastmath=True)(
        _with_globals(_gemm_impl, f"_gemm{name}", _tile=tile))


_DRIVERS = {}


def _sig(dt):
    ty = numba.from_dtype(dt)
    c3 = ty[:, :, ::1]
    c4 = ty[:, :, :, ::1]
    c2 = ty[:, ::1]
    i, flag = numba.intp, numba.boolean
    return (c3, c3, c3, c4, c4, c2, i, i, i, flag, flag, flag, flag, i, i, i, flag)


def _mk_sig(ty):
    return (ty[:, ::1], ty[:, ::1], ty[:, ::1], numba.intp, numba.intp)


def _driver(dt):
    """Compiled entry point for dtype dt (serial or parallel at run time), compiling on first use:
    float64 costs nothing until a float64 product is requested."""
    fn = _DRIVERS.get(dt)
    if fn is None:
        mk = _make_microkernel(*isa.tiles(dt)[:2])
        ty = numba.from_dtype(dt)
        with slp_only():
            mk.compile(_mk_sig(ty))
        disp = _make_driver(mk)
        sig = _sig(dt)
        disp.compile(sig)
        fn = disp.overloads[sig].entry_point
        _DRIVERS[dt] = fn
    return fn


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
def _check(a, b, nd, name):
    if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray):
        raise ValueError(f"{name}: expected NumPy arrays, got {type(a).__name__} and {type(b).__name__}")
    if a.ndim != nd or b.ndim != nd:
        raise ValueError(f"{name}: expected {nd}-D arrays, got shapes {a.shape} and {b.shape}")
    if a.dtype != b.dtype:
        raise ValueError(f"{name}: dtype mismatch {a.dtype} vs {b.dtype} (shapes {a.shape}, {b.shape})")
    if a.dtype not in _DTYPES:
        raise ValueError(f"{name}: unsupported dtype {a.dtype}; use float32 or float64")
    if a.shape[-1] != b.shape[-2] or (nd == 3 and a.shape[0] != b.shape[0]):
        raise ValueError(f"{name}: shape mismatch {a.shape} @ {b.shape}")


_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_local = threading.local()


def _buffer(name, dt, shape):
    """A scratch array reused across calls (per Python thread): packing buffers of tens of MB would
    otherwise be fresh pages every call, and first-touch page faults cost more than the packing."""
    key = (name, dt)
    store = getattr(_local, "store", None)
    if store is None:
        store = _local.store = {}
    n = math.prod(shape)
    buf = store.get(key)
    if buf is None or buf.size < n:
        buf = store[key] = np.empty(max(n, 1), dt)
    return buf[:n].reshape(shape)


def _tiles(dt, nb, M, N, parallel):
    MR, NR, KC, MC, NC = isa.tiles(dt)
    if parallel:
        # Threads take whole (MC x NC) tiles, so there must be several per thread: with only two
        # per thread the batch-128 MLP shapes ran at 0.74x OpenBLAS, with four at 0.87x.  MC shrinks
        # first, down to 4 micro-panels (a B panel in L1 then still serves 4 of them), then NC.
        # Large products keep the full MC: small row blocks would stream B from L3 once per block.
        nt = num_threads()
        while MC > 4 * MR and nb * -(-M // MC) * -(-N // NC) < 4 * nt:
            MC //= 2
        while NC > NR and nb * -(-M // MC) * -(-N // NC) < 4 * nt:
            NC //= 2
    return KC, MC, NC


def _use_parallel(parallel, flops):
    if parallel is None:
        return flops >= PARALLEL_MIN_FLOPS and num_threads() > 1
    return bool(parallel)


def _operand(x3, lanes_axis):
    """(X, lanes_contiguous): the operand x3 (nb, rows, cols) as a C-contiguous array for ``_pack``.

    Its lanes (A's rows, lanes_axis=1; B's columns, lanes_axis=2) are packed side by side.  A
    C-contiguous operand or a transposed view of one (how the backward pass passes ``W.T``) is used
    as it is, seen in whichever orientation is contiguous; any other layout is copied first."""
    if x3.flags.c_contiguous:
        return x3, lanes_axis == 2
    xt = x3.transpose(0, 2, 1)
    if xt.flags.c_contiguous:
        return xt, lanes_axis == 1
    return np.ascontiguousarray(x3), lanes_axis == 2


def _gemm(a3, b3, parallel):
    dt = a3.dtype
    nb, M, K = a3.shape
    N = b3.shape[2]
    C = np.empty((nb, M, N), dtype=dt)
    if C.size == 0:
        return C
    if K == 0:
        C[...] = 0
        return C
    MR, NR = isa.tiles(dt)[:2]
    parallel = _use_parallel(parallel, 2.0 * nb * M * N * K)
    KC, MC, NC = _tiles(dt, nb, M, N, parallel)
    Ap = _buffer("a", dt, (nb, -(-M // MR), K, MR))
    Bp = _buffer("b", dt, (nb, -(-N // NR), K, NR))
    tmp = _buffer("t", dt, (MR, NR))
    A, a_lanes = _operand(a3, lanes_axis=1)
    B, b_lanes = _operand(b3, lanes_axis=2)
    _driver(dt)(A, B, C, Ap, Bp, tmp, KC, MC, NC, True, True, a_lanes, b_lanes, M, N, K, parallel)
    return C


def panel_widths(dtype):
    """(MR, NR): rows per packed A panel and columns per packed B panel for this dtype."""
    return isa.tiles(dtype)[:2]


def packed_buffer(which, dtype, rows_or_cols, K):
    """A reusable packed-operand buffer: which='a' -> (ceil(M/MR), K, MR); 'b' -> (ceil(N/NR), K, NR).

    Producers (im2col) fill it directly; ``matmul_packed`` then skips that operand's packing.
    Padding lanes (rows >= M, columns >= N) must be zero, or at least finite: they only reach
    the discarded part of the tile."""
    MR, NR = panel_widths(dtype)
    w = MR if which == "a" else NR
    return _buffer("p" + which, np.dtype(dtype), (-(-rows_or_cols // w), K, w))


def matmul_packed(a, b, M, N, K, parallel=None):
    """C (M, N) = A @ B where each operand is either a 2-D array or an already packed buffer
    from :func:`packed_buffer` (distinguished by ndim == 3)."""
    dt = a.dtype
    if b.dtype != dt:
        raise ValueError(f"matmul_packed: dtype mismatch {a.dtype} vs {b.dtype}")
    MR, NR = isa.tiles(dt)[:2]
    C = np.empty((1, M, N), dtype=dt)
    if C.size == 0 or K == 0:
        C[...] = 0
        return C[0]
    parallel = _use_parallel(parallel, 2.0 * M * N * K)
    KC, MC, NC = _tiles(dt, 1, M, N, parallel)
    dummy = np.empty((1, 1, 1), dt)
    pack_a = a.ndim == 2
    pack_b = b.ndim == 2
    Ap = _buffer("a", dt, (1, -(-M // MR), K, MR)) if pack_a else a[None]
    Bp = _buffer("b", dt, (1, -(-N // NR), K, NR)) if pack_b else b[None]
    tmp = _buffer("t", dt, (MR, NR))
    A, a_lanes = _operand(a[None], lanes_axis=1) if pack_a else (dummy, False)
    B, b_lanes = _operand(b[None], lanes_axis=2) if pack_b else (dummy, False)
    _driver(dt)(A, B, C, Ap, Bp, tmp, KC, MC, NC, pack_a, pack_b, a_lanes, b_lanes, M, N, K, parallel)
    return C[0]


def matmul(a, b, parallel=None):
    """C = a @ b for 2-D float32/float64 arrays of any strides.

    ``parallel``: None chooses by problem size; True/False forces the threaded/serial build.
    Returns a new C-contiguous array of the inputs' dtype.
    """
    _check(a, b, 2, "matmul")
    return _gemm(a[None], b[None], parallel)[0]


def batched_matmul(a, b, parallel=None):
    """C[i] = a[i] @ b[i] for 3-D arrays (B, M, K) @ (B, K, N) -> (B, M, N)."""
    _check(a, b, 3, "batched_matmul")
    return _gemm(a, b, parallel)


def matmul_reference(a, b):
    """Slow, obviously correct C = a @ b: one dot product per output element."""
    _check(a, b, 2, "matmul_reference")
    M, N = a.shape[0], b.shape[1]
    c = np.zeros((M, N), dtype=a.dtype)
    for i in range(M):
        for j in range(N):
            c[i, j] = np.sum(a[i, :] * b[:, j])
    return c


def batched_matmul_reference(a, b):
    _check(a, b, 3, "batched_matmul_reference")
    return np.stack([matmul_reference(a[i], b[i]) for i in range(a.shape[0])]) if a.shape[0] else \
        np.zeros((0, a.shape[1], b.shape[2]), a.dtype)
