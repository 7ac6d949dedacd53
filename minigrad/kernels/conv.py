"""2-D convolution (NCHW) and its adjoints, on our own matmul micro-kernel.

Notation: x (N, C, H, W), weight w (O, C/G, KH, KW), G groups, stride s, padding p, dilation d.
Conv2d is a cross-correlation:

    y[n, o, i, j] = sum_{c, a, b} w[o, c, a, b] * x[n, g*Cg + c, i*s_h - p_h + a*d_h, j*s_w - p_w + b*d_w]

(out-of-range x reads are zero), with g = o // Og.  Output size Ho = (H + 2p - d(k-1) - 1) // s + 1.

Algorithm (groups > 1: one convolution per group, on channel slices):

    forward:          y  = flat_conv(x, w)                       (conv_direct.py: no im2col)
    backward_input:   dx = flat_conv_input_grad(gy, w)           (one flat convolution per phase)
    backward_weight:  at most 2 channels on one side: dot products on the flat layout
                      (conv_direct.flat_conv_weight_grad); stride 1 with long rows: the tiled flat
                      kernel (conv_direct.flat_weight_grad_tiled); otherwise
                      dw_g (Og, Cg*KK) = (cols_g @ gyT_g^T)^T with im2col

where cols (Cg*KK, N*L) is the im2col matrix: for every (c, a, b) row, the input pixels each output
position reads.  ``_im2col_rows_packed`` writes it straight into the packed panels of the matmul's
left operand, and ``_pack_nc_rows`` lays out gy (N, O, L) as the right operand's panels.  Copy loops
compute the valid output range of each row once, so the inner loops have no integer // or %.

conv_transpose2d is the adjoint of conv2d with respect to its input, so it *is* conv2d_backward_input
(with the output size (H-1)s - 2p + d(k-1) + output_padding + 1); its gradients are conv2d_forward
(wrt its input) and conv2d_backward_weight with the roles of input and output swapped (wrt weight).
docs/kernels.md derives all of this.  Argument and shape checks are in conv_args.py, shared with the
references.
"""
import numpy as np
from numba import njit, prange

from . import conv_args as A
from .conv_args import conv_output_size, conv_transpose_output_size
from .conv_direct import flat_conv, flat_conv_input_grad, flat_conv_weight_grad, flat_weight_grad_tiled
from .matmul import matmul_packed, packed_buffer

__all__ = [
    "conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight",
    "conv_transpose2d_forward", "conv_transpose2d_backward_input", "conv_transpose2d_backward_weight",
    "conv2d_forward_reference", "conv2d_backward_input_reference", "conv2d_backward_weight_reference",
    "conv_transpose2d_forward_reference", "conv_output_size", "conv_transpose_output_size",
]


# ----------------------------------------------------------------------------------------------
# Numba copy kernels
# ----------------------------------------------------------------------------------------------
@njit(cache=True)
def _valid_range(Wo, sw, off, W):
    """Range [lo, hi) of output columns j with 0 <= j*sw + off < W."""
    lo = 0
    if off < 0:
        lo = (-off + sw - 1) // sw
    hi = 0
    if W - off > 0:
        hi = (W - off + sw - 1) // sw
    if hi > Wo:
        hi = Wo
    if lo > hi:
        lo = hi
    return lo, hi


@njit(cache=True, parallel=True)
def _im2col_rows_packed(x, dst, KH, KW, sh, sw, ph, pw, dh, dw, Ho, Wo):
    """cols as a packed A operand, lanes = rows of cols, k = positions:
    dst[row // MR, q, row % MR] = cols[row, q].  One task per (panel, image) fills the contiguous block
    dst[panel, n*L:(n+1)*L, :]; rows past R are zero."""
    N, C, H, W = x.shape
    R = C * KH * KW
    L = Ho * Wo
    MR = dst.shape[2]
    for t in prange(dst.shape[0] * N):
        ip = t // N
        n = t - ip * N
        block = dst[ip, n * L:(n + 1) * L]
        for lane in range(MR):
            row = ip * MR + lane
            if row >= R:
                for q in range(L):
                    block[q, lane] = 0
                continue
            c = row // (KH * KW)
            ab = row - c * (KH * KW)
            a = ab // KW
            b = ab - a * KW
            xs = x[n, c]
            offw = b * dw - pw
            lo, hi = _valid_range(Wo, sw, offw, W)
            for i in range(Ho):
                ih = i * sh - ph + a * dh
                inside = ih >= 0 and ih < H
                src = xs[max(0, min(ih, H - 1))]
                base = i * Wo
                for j in range(Wo):
                    block[base + j, lane] = src[j * sw + offw] if inside and j >= lo and j < hi else 0


@njit(cache=True, parallel=True)
def _pack_nc_rows(g, dst):
    """g (N, O, L) with lanes = o and k = q = n*L + l, packed: dst[o // W, q, o % W] = g[n, o, l], where
    W = dst.shape[2] (MR of an A buffer or NR of a B buffer; need not be a power of two)."""
    N, O, L = g.shape
    width = dst.shape[2]
    for t in prange(N * O):
        n = t // O
        o = t - n * O
        src = g[n, o]
        q0 = n * L
        d = dst[o // width]
        lane = o - (o // width) * width
        for l in range(L):
            d[q0 + l, lane] = src[l]


def _zero_tail(buf, count):
    """Zero the padding lanes (index >= count along the packed width) of a packed buffer."""
    w = buf.shape[2]
    r = count - (buf.shape[0] - 1) * w
    if r < w:
        buf[-1, :, r:] = 0


def _packed_cols(x, KH, KW, s, p, d, Ho, Wo):
    """cols (R, N*L) of x packed as a matmul A operand (lanes = rows of cols, k = positions)."""
    N, C = x.shape[:2]
    buf = packed_buffer("a", x.dtype, C * KH * KW, N * Ho * Wo)
    _im2col_rows_packed(x, buf, KH, KW, s[0], s[1], p[0], p[1], d[0], d[1], Ho, Wo)
    return buf


def _packed_nc(g3):
    """gy (N, O, L) as the weight gradient's right operand gy^T (N*L, O): k = q, lanes = o."""
    N, O, L = g3.shape
    buf = packed_buffer("b", g3.dtype, O, N * L)
    _zero_tail(buf, O)
    _pack_nc_rows(g3, buf)
    return buf


# ----------------------------------------------------------------------------------------------
# conv2d
# ----------------------------------------------------------------------------------------------
def conv2d_forward(x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, parallel=None):
    """y = conv2d(x, w): x (N, C, H, W), w (O, C/groups, KH, KW) -> y (N, O, Ho, Wo)."""
    s, p, d, G, (Ho, Wo) = A.conv2d_args(x, w, stride, padding, dilation, groups)
    N = x.shape[0]
    O, Cg = w.shape[:2]
    if N == 0 or O == 0:
        return np.zeros((N, O, Ho, Wo), x.dtype)
    if G > 1:    # groups are independent convolutions on channel slices
        Og = O // G
        y = np.empty((N, O, Ho, Wo), x.dtype)
        for g in range(G):
            y[:, g * Og:(g + 1) * Og] = conv2d_forward(x[:, g * Cg:(g + 1) * Cg], w[g * Og:(g + 1) * Og],
                                                       s, p, d, 1, parallel)
        return y
    return flat_conv(x, w, s, p, d, parallel)


def conv2d_backward_input(gy, w, input_hw, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                          parallel=None):
    """dx = conv2d's vector-Jacobian product wrt x: gy (N, O, Ho, Wo), w (O, C/G, KH, KW) -> (N, C, H, W).

    dx[n, c, h, w] = sum over (o, i, j, a, b) with h = i*s - p + a*d (and same for w) of gy[n,o,i,j] w[o,c,a,b].
    ``input_hw`` = (H, W) of the forward input (needed because several H map to the same Ho).
    """
    s, p, d, G, (N, C, H, W) = A.conv2d_backward_input_args(gy, w, input_hw, stride, padding, dilation, groups)
    O, Cg = w.shape[:2]
    dx = np.empty((N, C, H, W), gy.dtype)
    if dx.size == 0:
        return dx
    if O == 0:
        dx[...] = 0
        return dx
    if G > 1:
        Og = O // G
        for g in range(G):
            dx[:, g * Cg:(g + 1) * Cg] = conv2d_backward_input(gy[:, g * Og:(g + 1) * Og], w[g * Og:(g + 1) * Og],
                                                               (H, W), s, p, d, 1, parallel)
        return dx
    return flat_conv_input_grad(gy, w, (H, W), s, p, d, parallel)


def conv2d_backward_weight(x, gy, kernel_hw, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                           parallel=None):
    """dw = conv2d's vector-Jacobian product wrt w: x (N, C, H, W), gy (N, O, Ho, Wo) -> (O, C/G, KH, KW).

    dw[o, c, a, b] = sum_{n, i, j} gy[n, o, i, j] * x[n, g*Cg + c, i*s - p + a*d, j*s - p + b*d].
    """
    s, p, d, G, wshape = A.conv2d_backward_weight_args(x, gy, kernel_hw, stride, padding, dilation, groups)
    N, C, H, W = x.shape
    O, _, KH, KW = wshape
    Ho, Wo = gy.shape[2:]
    dw = np.zeros(wshape, x.dtype)
    if N == 0 or O == 0 or C == 0:
        return dw
    if G > 1:
        Og, Cg = O // G, C // G
        for g in range(G):
            dw[g * Og:(g + 1) * Og] = conv2d_backward_weight(x[:, g * Cg:(g + 1) * Cg], gy[:, g * Og:(g + 1) * Og],
                                                             (KH, KW), s, p, d, 1, parallel)
        return dw
    if min(C, O) <= 2:       # few channels on one side: dot products, not a mostly empty tile
        return flat_conv_weight_grad(x, gy, (KH, KW), s, p, d, parallel)
    if s == (1, 1) and Ho * (W + 2 * p[1]) >= 128:   # long rows of positions: the tiled flat kernel
        return flat_weight_grad_tiled(x, gy, (KH, KW), s, p, d, parallel)
    x = np.ascontiguousarray(x)
    gy3 = np.ascontiguousarray(gy).reshape(N, O, Ho * Wo)
    R = C * KH * KW
    # dw^T (R, O) = cols (R, N*L) @ gy^T (N*L, O): cols is the A operand, whose narrow panels (MR
    # lanes) take its transposing copy with good locality; the small gy is the wide B operand.
    a = _packed_cols(x, KH, KW, s, p, d, Ho, Wo)
    b = _packed_nc(gy3)
    dwT = matmul_packed(a, b, R, O, N * Ho * Wo, parallel)
    return np.ascontiguousarray(dwT.T).reshape(wshape)


# ----------------------------------------------------------------------------------------------
# conv_transpose2d: the adjoint of conv2d wrt its input
# ----------------------------------------------------------------------------------------------
def _zero_extend(x, s, q):
    """x with q // s zero rows (and columns) appended.  conv2d maps the transposed output size back to
    n + q // s rows, more than x's n when q >= s (allowed when d > s); the transposed convolution only
    reads the first n, so the extra rows of its conv2d input are zeros."""
    extra = (q[0] // s[0], q[1] // s[1])
    return np.pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1]))) if any(extra) else x


def _transpose(backward_input, x, w, stride, padding, output_padding, dilation, groups, **kw):
    """conv_transpose2d(x, w) = conv2d_backward_input(x, w) at the transposed output size."""
    s, p, q, d, G, hw = A.conv_transpose2d_args(x, w, stride, padding, output_padding, dilation, groups)
    return backward_input(_zero_extend(x, s, q), w, hw, s, p, d, G, **kw)


def conv_transpose2d_forward(x, w, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1),
                             groups=1, parallel=None):
    """y = conv_transpose2d(x, w): x (N, Cin, H, W), w (Cin, Cout/G, KH, KW) -> (N, Cout, Hout, Wout).

    The adjoint of conv2d (whose weight has the same layout) from (Hout, Wout) to the first (H, W)
    outputs: conv2d_backward_input(x, w, (Hout, Wout)) with x zero-extended to conv2d's output size
    (H + q_h // s_h, W + q_w // s_w).
    """
    return _transpose(conv2d_backward_input, x, w, stride, padding, output_padding, dilation, groups,
                      parallel=parallel)


def conv_transpose2d_backward_input(gy, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                                    parallel=None):
    """Gradient of conv_transpose2d wrt its input: the adjoint of the adjoint, conv2d_forward(gy, w).
    Its (H + q // s, W + q // s) rows and columns start with the input's (H, W); crop to those."""
    return conv2d_forward(gy, w, stride, padding, dilation, groups, parallel)


def conv_transpose2d_backward_weight(x, gy, kernel_hw, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                                     parallel=None):
    """Gradient of conv_transpose2d wrt w (Cin, Cout/G, KH, KW): conv2d_backward_weight with gy as the conv
    input and x as the conv output gradient (since <gy, T(x, w)> = <conv2d(gy, w), x>).  When
    output_padding >= stride, x must be zero-extended to conv2d(gy)'s size first."""
    return conv2d_backward_weight(gy, x, kernel_hw, stride, padding, dilation, groups, parallel)


# ----------------------------------------------------------------------------------------------
# NumPy references: loops over kernel taps with slicing; slow and obviously correct
# ----------------------------------------------------------------------------------------------
def _padded(x, p):
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))


def conv2d_forward_reference(x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    s, p, d, G, (Ho, Wo) = A.conv2d_args(x, w, stride, padding, dilation, groups)
    N = x.shape[0]
    O, Cg, KH, KW = w.shape
    xp = _padded(x, p)
    y = np.zeros((N, O, Ho, Wo), x.dtype)
    Og = O // G
    for g in range(G):
        xg = xp[:, g * Cg:(g + 1) * Cg]
        wg = w[g * Og:(g + 1) * Og]
        for a in range(KH):
            for b in range(KW):
                patch = xg[:, :, a * d[0]: a * d[0] + s[0] * (Ho - 1) + 1: s[0],
                           b * d[1]: b * d[1] + s[1] * (Wo - 1) + 1: s[1]]      # (N, Cg, Ho, Wo)
                y[:, g * Og:(g + 1) * Og] += np.einsum("nchw,oc->nohw", patch, wg[:, :, a, b])
    return y


def conv2d_backward_input_reference(gy, w, input_hw, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    s, p, d, G, (N, C, H, W) = A.conv2d_backward_input_args(gy, w, input_hw, stride, padding, dilation, groups)
    O, Ho, Wo = gy.shape[1:]
    Cg, KH, KW = w.shape[1:]
    dxp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), gy.dtype)
    Og = O // G
    for g in range(G):
        for a in range(KH):
            for b in range(KW):
                contrib = np.einsum("nohw,oc->nchw", gy[:, g * Og:(g + 1) * Og], w[g * Og:(g + 1) * Og, :, a, b])
                dxp[:, g * Cg:(g + 1) * Cg, a * d[0]: a * d[0] + s[0] * (Ho - 1) + 1: s[0],
                    b * d[1]: b * d[1] + s[1] * (Wo - 1) + 1: s[1]] += contrib
    return np.ascontiguousarray(dxp[:, :, p[0]:p[0] + H, p[1]:p[1] + W])


def conv2d_backward_weight_reference(x, gy, kernel_hw, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    s, p, d, G, (O, Cg, KH, KW) = A.conv2d_backward_weight_args(x, gy, kernel_hw, stride, padding, dilation, groups)
    Ho, Wo = gy.shape[2:]
    Og = O // G
    xp = _padded(x, p)
    dw = np.zeros((O, Cg, KH, KW), x.dtype)
    for g in range(G):
        for a in range(KH):
            for b in range(KW):
                patch = xp[:, g * Cg:(g + 1) * Cg, a * d[0]: a * d[0] + s[0] * (Ho - 1) + 1: s[0],
                           b * d[1]: b * d[1] + s[1] * (Wo - 1) + 1: s[1]]
                dw[g * Og:(g + 1) * Og, :, a, b] = np.einsum("nchw,nohw->oc", patch, gy[:, g * Og:(g + 1) * Og])
    return dw


def conv_transpose2d_forward_reference(x, w, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                                       dilation=(1, 1), groups=1):
    return _transpose(conv2d_backward_input_reference, x, w, stride, padding, output_padding, dilation, groups)
