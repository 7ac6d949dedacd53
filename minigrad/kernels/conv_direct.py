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

Its input gradient for stride 1 is the same operation (``conv2d_backward_input`` is then a
convolution of the output gradient, padded by (K-1)*d - p, with the weights flipped and their two
channel axes swapped), so one kernel serves both.  Strides > 1 are reduced to stride 1 by splitting
the input into phases (see ``flat_conv``).  conv.py decides when to use it.
"""
import numba
import numpy as np
from numba import njit, prange

from . import isa
from ._numba_setup import slp_only
from .matmul import _make_microkernel      # one micro-kernel template for both

_KERNELS = {}


def _kernel(dt):
    """(driver, MR, NR) for dtype dt, compiling the micro-kernel on first use."""
    got = _KERNELS.get(dt)
    if got is None:
        MR, NR = isa.tiles(dt)[:2]
        mk = _make_microkernel(MR, NR, filename=__file__, name=f"_cmk_{MR}x{NR}",
                               args="a, x, off, k0, out, i0, j0",
                               b_row=f"x[off[{{p}}] + k0:off[{{p}}] + k0 + {NR}]")
        ty = numba.from_dtype(dt)
        with slp_only():
            mk.compile((ty[:, ::1], ty[::1], numba.intp[::1], numba.intp, ty[:, ::1], numba.intp, numba.intp))
        driver = njit(cache=True, parallel=True, nogil=True)(_with_kernel(_flat_conv_impl, mk, NR))
        got = _KERNELS[dt] = (driver, MR, NR)
    return got


def _with_kernel(fn, mk, NR):
    glob = dict(fn.__globals__)
    glob["_cmk"] = mk
    glob["_NR"] = NR           # a compile-time constant: the step of the chunk loop
    f = type(fn)(fn.__code__, glob, f"{fn.__name__}_{mk.py_func.__name__}")
    f.__qualname__ = f.__name__
    return f


def _flat_conv_impl(xf, wp, off, out):
    """out[n, ob*MR + m, k] = sum_r wp[ob, r, m] * xf[n, off[r] + k] for every NR-chunk of k.

    xf (N, length): flat padded images with slack at the end; wp (nob, R, MR): weight panels; out
    (N, nob*MR, KF), KF a multiple of NR.  Tasks (image, channel block) write disjoint rows: no race."""
    N = xf.shape[0]
    nob, R, MR = wp.shape
    nk = out.shape[2]
    for t in prange(N * nob):
        n = t // nob
        ob = t - n * nob
        x = xf[n]
        a = wp[ob]
        o = out[n]
        for k0 in range(0, nk, _NR):
            _cmk(a, x, off, k0, o, ob * MR, k0)


def flat_conv(x, w, stride, padding, dilation):
    """y = conv2d(x, w): x (N, C, H, W), w (O, C, KH, KW); stride, padding, dilation are pairs.

    A stride s > 1 is first turned into stride 1 by splitting the padded input into its s_h x s_w
    phases (space-to-depth): xq[c, u, v, I, J] = xpad[c, I*s_h + u, J*s_w + v].  Output (i, j) then
    reads tap (a, b) from phase ((a*d_h) % s_h, (b*d_w) % s_w) at (i + (a*d_h) // s_h, j + ...),
    a fixed offset again, so the same kernel applies with rows of Wq = ceil(Wp / s_w) columns."""
    dt = x.dtype
    driver, MR, NR = _kernel(dt)
    N, C, H, W = x.shape
    O, _, KH, KW = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    Hp, Wp = H + 2 * ph, W + 2 * pw
    Ho, Wo = (Hp - (KH - 1) * dh - 1) // sh + 1, (Wp - (KW - 1) * dw - 1) // sw + 1
    Hq, Wq = -(-Hp // sh), -(-Wp // sw)
    plane = Hq * Wq
    KF = -(-(Ho * Wq) // NR) * NR
    # the phases, each a Hq x Wq plane, as one flat row per image (+ slack read by the last chunk)
    xpad = np.zeros((N, C, Hq * sh, Wq * sw), dt)
    xpad[:, :, ph:ph + H, pw:pw + W] = x
    xf = np.zeros((N, C * sh * sw * plane + plane + KF), dt)
    xf[:, :C * sh * sw * plane].reshape(N, C, sh, sw, Hq, Wq)[...] = \
        xpad.reshape(N, C, Hq, sh, Wq, sw).transpose(0, 1, 3, 5, 2, 4)
    ah, bw = np.arange(KH)[:, None] * dh, np.arange(KW)[None, :] * dw
    tap = ((ah % sh) * sw + bw % sw) * plane + (ah // sh) * Wq + bw // sw            # (KH, KW)
    off = (np.arange(C)[:, None] * (sh * sw * plane) + tap.reshape(1, -1)).reshape(-1).astype(np.intp)
    nob = -(-O // MR)
    wp = np.zeros((nob * MR, C * KH * KW), dt)
    wp[:O] = w.reshape(O, -1)
    wp = np.ascontiguousarray(wp.reshape(nob, MR, -1).transpose(0, 2, 1))
    out = np.empty((N, nob * MR, KF), dt)
    driver(xf, wp, off, out)
    return np.ascontiguousarray(out[:, :O, :Ho * Wq].reshape(N, O, Ho, Wq)[..., :Wo])
