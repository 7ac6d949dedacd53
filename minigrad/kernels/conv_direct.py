"""Convolution without im2col: the matmul micro-kernel reading its B rows straight from the image.

For stride 1 (any dilation, padding, groups = 1), write each zero-padded input plane (Hp x Wp) as one
flat row and let an output position be k = i*Wp + j (so k runs over Ho rows of Wp columns, of which
the last Wp - Wo are thrown away).  Then input pixel (c, i + a*d_h, j + b*d_w) sits at

    xf[c*Hp*Wp + a*d_h*Wp + b*d_w + k] = xf[off[r] + k],      r = (c, a, b),

so for a fixed tap r the inputs of consecutive outputs k are *consecutive* in memory, and

    y[o, k] = sum_r w2[o, r] * xf[off[r] + k]

is a matrix product whose right operand's row r is the slice xf[off[r] + k0 : off[r] + k0 + NR]:
already "packed", with no copy at all.  The micro-kernel is matmul's template (same register tile,
see isa.py) with that one line changed; every MR output channels x NR positions tile runs over all
R = C*KH*KW taps (the weights are packed into MR-wide panels, which is tiny).  The price is the
Wp - Wo wasted columns of every row (2 of 30 at 28 x 28, 2 of 16 at 14 x 14).

The input gradient (``flat_conv_input_grad``, which is also conv_transpose2d) is one such product
per output phase: for stride 1 a convolution of the output gradient with the flipped kernel, for
stride s the taps that reach each of the s_h x s_w output phases.  Strides > 1 in the forward pass
are reduced to stride 1 by splitting the input into phases (``_flat_input``).  The weight gradient
sums products of the same flat rows, by dot products (``flat_conv_weight_grad``, few channels) or on
the register tile (``flat_weight_grad_tiled``).  conv.py decides which kernel runs.
"""
import numba
import numpy as np
from numba import njit, prange

from . import isa
from ._numba_setup import slp_only
from .conv_args import conv_output_size
from .matmul import _make_microkernel, _use_parallel      # one micro-kernel template for both

_KERNELS = {}


def _compiled(kind, dt, template, arg_types, task_impl, driver_impl, **task_globals):
    """(driver, MR, NR) for dtype dt, compiled on first use: a micro-kernel from matmul's template
    (``template``: its keyword arguments; ``arg_types(ty)``: its signature), the per-task function
    that calls it (the kernel bound to the global ``_mk``) and the task loop."""
    got = _KERNELS.get((kind, dt))
    if got is None:
        MR, NR = isa.tiles(dt)[:2]
        mk = _make_microkernel(MR, NR, filename=__file__, name=f"_{kind}_{MR}x{NR}", **template(MR, NR))
        with slp_only():
            mk.compile(arg_types(numba.from_dtype(dt), numba.intp))
        task = njit(cache=True, nogil=True)(_with_globals(task_impl, mk, _mk=mk, _NR=NR, **task_globals))
        driver = njit(cache=True, parallel=True, nogil=True)(_with_globals(driver_impl, mk, _task=task))
        got = _KERNELS[(kind, dt)] = (driver, MR, NR)
    return got


def _kernel(dt):
    """The convolution: B's row p is the image slice at tap p's offset (see the module docstring)."""
    return _compiled("cmk", dt, lambda MR, NR: dict(args="a, x, off, k0, out, i0, j0",
                                                    b_row=f"x[off[{{p}}] + k0:off[{{p}}] + k0 + {NR}]"),
                     lambda ty, i: (ty[:, ::1], ty[::1], i[::1], i, ty[:, ::1], i, i),
                     _flat_task_impl, _flat_conv_impl)


def _with_globals(fn, mk, **names):
    """A copy of plain function ``fn`` that sees ``names`` as globals, named after the kernel ``mk``
    (``_NR`` is then a compile-time constant)."""
    glob = dict(fn.__globals__)
    glob.update(names)
    f = type(fn)(fn.__code__, glob, f"{fn.__name__}_{mk.py_func.__name__}")
    f.__qualname__ = f.__name__
    return f


def _flat_task_impl(xf, wp, off, out, t):
    """Task t = (image n, block ob of MR output channels): for every NR-chunk of outputs k,
    out[n, ob*MR + m, k] = sum_r wp[ob, r, m] * xf[n, off[r] + k]."""
    nob, R, MR = wp.shape
    n = t // nob
    ob = t - n * nob
    x = xf[n]
    a = wp[ob]
    o = out[n]
    for k0 in range(0, out.shape[2], _NR):
        _mk(a, x, off, k0, o, ob * MR, k0)


def _flat_conv_impl(xf, wp, off, out, parallel):
    """Every task of ``_flat_task_impl``.  xf (N, length): flat padded images (``_flat_input``); wp
    (nob, R, MR): weight panels; out (N, nob*MR, KF), KF a multiple of NR.  Tasks write disjoint rows
    of out: no race, and the same result with or without threads (``parallel`` picks prange)."""
    ntasks = xf.shape[0] * wp.shape[0]
    if parallel:
        for t in prange(ntasks):
            _task(xf, wp, off, out, np.intp(t))
    else:
        for t in range(ntasks):
            _task(xf, wp, off, out, np.intp(t))


def _flat_input(x, KH, KW, stride, padding, dilation, slack):
    """(xf, off, Ho, Wo, Wq): x's padded phases as one flat row per image, and each tap's offset.

    A stride s > 1 is first turned into stride 1 by splitting the padded input into its s_h x s_w
    phases (space-to-depth): xq[c, u, v, I, J] = xpad[c, I*s_h + u, J*s_w + v].  Output (i, j) then
    reads tap (a, b) from phase ((a*d_h) % s_h, (b*d_w) % s_w) at (i + (a*d_h) // s_h, j + ...), a
    fixed offset again, with rows of Wq = ceil(Wp / s_w) columns: output k = i*Wq + j reads
    xf[n, off[r] + k] for tap r = (c, a, b).  ``slack`` zeros follow the last plane."""
    N, C, H, W = x.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    Hp, Wp = H + 2 * ph, W + 2 * pw
    Ho, Wo = conv_output_size(H, KH, sh, ph, dh), conv_output_size(W, KW, sw, pw, dw)
    Hq, Wq = -(-Hp // sh), -(-Wp // sw)
    plane = Hq * Wq
    xpad = np.zeros((N, C, Hq * sh, Wq * sw), x.dtype)
    xpad[:, :, ph:ph + H, pw:pw + W] = x
    xf = np.zeros((N, C * sh * sw * plane + plane + slack), x.dtype)
    xf[:, :C * sh * sw * plane].reshape(N, C, sh, sw, Hq, Wq)[...] = \
        xpad.reshape(N, C, Hq, sh, Wq, sw).transpose(0, 1, 3, 5, 2, 4)
    ah, bw = np.arange(KH)[:, None] * dh, np.arange(KW)[None, :] * dw
    tap = ((ah % sh) * sw + bw % sw) * plane + (ah // sh) * Wq + bw // sw            # (KH, KW)
    off = (np.arange(C)[:, None] * (sh * sw * plane) + tap.reshape(1, -1)).reshape(-1).astype(np.intp)
    return xf, off, Ho, Wo, Wq


def flat_conv(x, w, stride, padding, dilation, parallel=None):
    """y = conv2d(x, w): x (N, C, H, W), w (O, C, KH, KW); stride, padding, dilation are pairs."""
    dt = x.dtype
    driver, MR, NR = _kernel(dt)
    N = x.shape[0]
    O, C, KH, KW = w.shape
    # the last chunk of NR outputs reads at most NR past the image (the plane of slack covers the rest)
    xf, off, Ho, Wo, Wq = _flat_input(x, KH, KW, stride, padding, dilation, slack=NR)
    KF = -(-(Ho * Wq) // NR) * NR
    nob = -(-O // MR)
    wp = np.zeros((nob * MR, C * KH * KW), dt)
    wp[:O] = w.reshape(O, -1)
    wp = np.ascontiguousarray(wp.reshape(nob, MR, -1).transpose(0, 2, 1))
    out = np.empty((N, nob * MR, KF), dt)
    driver(xf, wp, off, out, _use_parallel(parallel, 2.0 * N * O * off.size * Ho * Wo))
    return np.ascontiguousarray(out[:, :O, :Ho * Wq].reshape(N, O, Ho, Wq)[..., :Wo])


IMAGE_CHUNKS = 8   # the weight gradient sums images in this many fixed chunks (any thread count)


@njit(cache=True, fastmath=True, nogil=True)
def _weight_grad_chunk(xf, gq, off, parts, ch):
    """parts[ch, o, r] = sum over the images n of chunk ch of sum_k gq[n, o, k] * xf[n, off[r] + k].

    Dot products along k, four output channels at a time (one load of x feeds four FMAs)."""
    N, O, KL = gq.shape
    R = off.shape[0]
    chunks = parts.shape[0]
    acc = parts[ch]
    for o in range(O):
        for r in range(R):
            acc[o, r] = 0
    for n in range(ch * N // chunks, (ch + 1) * N // chunks):
        x = xf[n]
        g = gq[n]
        o = 0
        while o < O:
            if o + 4 <= O:
                g0, g1, g2, g3 = g[o], g[o + 1], g[o + 2], g[o + 3]
                for r in range(R):
                    xs = x[off[r]:off[r] + KL]
                    v = xs[0]
                    s0, s1, s2, s3 = g0[0] * v, g1[0] * v, g2[0] * v, g3[0] * v
                    for k in range(1, KL):
                        v = xs[k]
                        s0 += g0[k] * v
                        s1 += g1[k] * v
                        s2 += g2[k] * v
                        s3 += g3[k] * v
                    acc[o, r] += s0
                    acc[o + 1, r] += s1
                    acc[o + 2, r] += s2
                    acc[o + 3, r] += s3
                o += 4
            else:
                g0 = g[o]
                for r in range(R):
                    xs = x[off[r]:off[r] + KL]
                    s0 = g0[0] * xs[0]
                    for k in range(1, KL):
                        s0 += g0[k] * xs[k]
                    acc[o, r] += s0
                o += 1


@njit(cache=True, parallel=True, nogil=True)
def _weight_grad_flat(xf, gq, off, parts, parallel):
    """Every chunk of ``_weight_grad_chunk``: chunks of images are independent tasks with their own
    partial sums (no race); the caller adds them in order, so the result is the same for any number
    of threads."""
    if parallel:
        for ch in prange(parts.shape[0]):
            _weight_grad_chunk(xf, gq, off, parts, np.intp(ch))
    else:
        for ch in range(parts.shape[0]):
            _weight_grad_chunk(xf, gq, off, parts, np.intp(ch))


def flat_conv_weight_grad(x, gy, kernel_hw, stride, padding, dilation, parallel=None):
    """dw (O, C, KH, KW) of y = conv2d(x, w): dw[o, (c, a, b)] = sum_{n, k} gy[n, o, k] xf[n, off + k].

    gy is laid out on the same rows of Wq columns as the flat input, with zeros in the Wq - Wo
    columns past the output, so the dot products run over whole contiguous rows.  This wins over
    im2col + matmul when one side has very few channels (a first layer on grey images, a last
    1x1 layer): the matmul's register tile would be mostly empty."""
    KH, KW = kernel_hw
    N, C = x.shape[:2]
    O, Ho, Wo = gy.shape[1:]
    xf, off, Ho_, Wo_, Wq = _flat_input(x, KH, KW, stride, padding, dilation, slack=0)
    gq = np.zeros((N, O, Ho, Wq), x.dtype)
    gq[..., :Wo] = gy
    parts = np.empty((IMAGE_CHUNKS, O, C * KH * KW), x.dtype)
    _weight_grad_flat(xf, gq.reshape(N, O, Ho * Wq), off, parts,
                      _use_parallel(parallel, 2.0 * N * O * off.size * Ho * Wo))
    dw = parts[0].copy()
    for part in parts[1:]:
        dw += part
    return dw.reshape(O, C, KH, KW)


def flat_conv_input_grad(gy, w, input_hw, stride, padding, dilation, parallel=None):
    """dx (N, C, H, W) of y = conv2d(x, w), which is also conv_transpose2d(gy, w), without col2im.

        dx[n, c, h, v] = sum over (o, a, b) with h = i*s_h - p_h + a*d_h, v = j*s_w - p_w + b*d_w
                         of w[o, c, a, b] * gy[n, o, i, j]

    Split the output into its s_h x s_w phases, h = s_h*I + u (and v = s_w*J + t).  In phase u only the
    taps with (u + p_h - a*d_h) divisible by s_h contribute, each from row i = I + e_a with
    e_a = (u + p_h - a*d_h) / s_h: a fixed offset.  So every phase is a stride-1 correlation of gy
    with part of the kernel (no product with an inserted zero), run on the flat kernel; every tap
    belongs to exactly one phase, so the work is that of the dense product.  Stride 1 is one phase:
    the correlation of gy with the flipped kernel."""
    dt = gy.dtype
    driver, MR, NR = _kernel(dt)
    N, O, Ho, Wo = gy.shape
    _, C, KH, KW = w.shape
    H, W = input_hw
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    # the taps of each row phase u and column phase t, with their offsets e
    rows = [[(a, (u + ph - a * dh) // sh) for a in range(KH) if (u + ph - a * dh) % sh == 0]
            for u in range(min(sh, H))]
    cols = [[(b, (t + pw - b * dw) // sw) for b in range(KW) if (t + pw - b * dw) % sw == 0]
            for t in range(min(sw, W))]
    # zero padding of gy so that every index I + e (I < the phase's size) lands inside its row: a read
    # past a row's end would wrap into the next row of the flat layout
    Pt, Pb = _pads([e for r in rows for _, e in r], Ho, -(-H // sh))
    Pl, Pr = _pads([e for c in cols for _, e in c], Wo, -(-W // sw))
    Hg, Wg = Ho + Pt + Pb, Wo + Pl + Pr
    plane = Hg * Wg
    KF_max = -(-(-(-H // sh) * Wg) // NR) * NR
    gf = np.zeros((N, O * plane + KF_max + NR), dt)
    gf[:, :O * plane].reshape(N, O, Hg, Wg)[:, :, Pt:Pt + Ho, Pl:Pl + Wo] = gy
    dx = np.zeros((N, C, H, W), dt)
    nob = -(-C // MR)
    parallel = _use_parallel(parallel, 2.0 * N * O * C * KH * KW * Ho * Wo)
    for u, row_taps in enumerate(rows):
        Hu = -(-(H - u) // sh)
        for t, col_taps in enumerate(cols):
            if not row_taps or not col_taps:
                continue                          # no tap reaches this phase: its pixels stay 0
            Wv = -(-(W - t) // sw)
            a_idx = np.array([a for a, _ in row_taps])
            b_idx = np.array([b for b, _ in col_taps])
            ea = np.array([e for _, e in row_taps]) + Pt
            eb = np.array([e for _, e in col_taps]) + Pl
            off = (np.arange(O)[:, None, None] * plane + ea[None, :, None] * Wg
                   + eb[None, None, :]).reshape(-1).astype(np.intp)
            taps = w[:, :, a_idx][:, :, :, b_idx]                   # (O, C, |A|, |B|)
            wp = np.zeros((nob * MR, off.size), dt)
            wp[:C] = taps.transpose(1, 0, 2, 3).reshape(C, -1)
            wp = np.ascontiguousarray(wp.reshape(nob, MR, -1).transpose(0, 2, 1))
            KF = -(-(Hu * Wg) // NR) * NR
            out = np.empty((N, nob * MR, KF), dt)
            driver(gf, wp, off, out, parallel)
            dx[:, :, u::sh, t::sw] = out[:, :C, :Hu * Wg].reshape(N, C, Hu, Wg)[..., :Wv]
    return dx


def _pads(offsets, size, phase_size):
    """(before, after): zeros needed around an axis of ``size`` so that I + e stays inside the padded
    axis for every offset e and every I < phase_size."""
    if not offsets:
        return 0, 0
    return max(0, -min(offsets)), max(0, phase_size - size + max(offsets))


WEIGHT_KC = 256        # positions per call of the weight-gradient micro-kernel (B block: KC x NR in L1)


def _weight_kernel(dt):
    """The weight gradient: A's row p gathered from the image at the MR taps' offsets."""
    return _compiled("wmk", dt, lambda MR, NR: dict(args="x, off, r0, k0, b, out, i0, j0",
                                                    setup=("x{r} = x[off[r0 + {r}] + k0:]",),
                                                    a_row="x", a_elem="x{r}[{p}]", kc="b.shape[0]"),
                     lambda ty, i: (ty[::1], i[::1], i, i, ty[:, ::1], ty[:, ::1], i, i),
                     _weight_task_impl, _weight_grad_impl, _KC=WEIGHT_KC)


def _weight_task_impl(xf, gT, off, parts, tmp, t):
    """Task t = (image chunk, block of MR taps, block of NR output channels):

        parts[ch, r, o] = sum over images n of the chunk, positions k of xf[n, off[r] + k] * gT[n, ob, k, o']

    i.e. dw^T with taps as rows, by the micro-kernel with A's row k gathered from the image at the
    taps' offsets and B's row k a contiguous row of gy^T.  Blocks are disjoint: no race."""
    chunks, Rp, Op = parts.shape
    MR, NR = tmp.shape
    nrb, nob = Rp // MR, Op // NR
    ch = t // (nrb * nob)
    q = t - ch * (nrb * nob)
    rb = q // nob
    ob = q - rb * nob
    N = xf.shape[0]
    KL = gT.shape[2]
    acc = parts[ch]
    for r in range(MR):
        row = acc[rb * MR + r, ob * NR:(ob + 1) * NR]
        for c in range(NR):
            row[c] = 0
    zero = tmp.shape[0] - MR          # 0, as a value LLVM cannot fold (see matmul._tile_impl)
    for n in range(ch * N // chunks, (ch + 1) * N // chunks):
        x = xf[n]
        for k0 in range(0, KL, _KC):
            _mk(x, off, rb * MR, k0, gT[n, ob, k0:min(KL, k0 + _KC)], tmp, zero, zero)
            for r in range(MR):
                row = acc[rb * MR + r, ob * NR:(ob + 1) * NR]
                tr = tmp[r]
                for c in range(NR):
                    row[c] += tr[c]


def _weight_grad_impl(xf, gT, off, parts, tmp, parallel):
    """Every task of ``_weight_task_impl``, with ``prange`` or ``range``; each task gets its own buffer."""
    chunks, Rp, Op = parts.shape
    MR, NR = tmp.shape
    ntasks = chunks * (Rp // MR) * (Op // NR)
    if parallel:
        for t in prange(ntasks):
            _task(xf, gT, off, parts, np.empty_like(tmp), np.intp(t))
    else:
        for t in range(ntasks):
            _task(xf, gT, off, parts, tmp, np.intp(t))


def flat_weight_grad_tiled(x, gy, kernel_hw, stride, padding, dilation, parallel=None):
    """dw (O, C, KH, KW) of y = conv2d(x, w) on the register-tiled micro-kernel (see _weight_task_impl).

    Positions k run over the flat rows of Wq columns of ``_flat_input``; gy is laid out on the same
    rows (zeros in the Wq - Wo columns past the output), transposed to (k, o) panels of NR channels."""
    dt = x.dtype
    driver, MR, NR = _weight_kernel(dt)
    KH, KW = kernel_hw
    N, C = x.shape[:2]
    O, Ho, Wo = gy.shape[1:]
    xf, off, _, _, Wq = _flat_input(x, KH, KW, stride, padding, dilation, slack=0)
    R = off.size
    nrb, nob = -(-R // MR), -(-O // NR)
    off_p = np.zeros(nrb * MR, np.intp)             # padding taps read offset 0; their rows are dropped
    off_p[:R] = off
    gT = np.zeros((N, nob * NR, Ho, Wq), dt)
    gT[:, :O, :, :Wo] = gy
    gT = np.ascontiguousarray(gT.reshape(N, nob, NR, Ho * Wq).transpose(0, 1, 3, 2))
    parts = np.empty((IMAGE_CHUNKS, nrb * MR, nob * NR), dt)
    tmp = np.empty((MR, NR), dt)
    driver(xf, gT, off_p, parts, tmp, _use_parallel(parallel, 2.0 * N * O * R * Ho * Wo))
    dwT = parts[0].copy()
    for part in parts[1:]:
        dwT += part
    return np.ascontiguousarray(dwT[:R, :O].T).reshape(O, C, KH, KW)
