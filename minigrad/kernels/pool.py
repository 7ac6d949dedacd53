"""Pooling and nearest-neighbour upsampling, NCHW, with their gradients.

All Numba kernels run ``prange`` over the N*C image planes: each plane is independent in the forward
pass and each thread writes only its own plane of dx in the backward pass, so there is no race.

max_pool2d: y[n,c,i,j] = max over the window of x (padding counts as -inf).  The forward pass also
returns ``argmax``, the flat index h*W + w inside the input plane of the chosen element, the *first*
maximum in row-major window order (strict '>' while scanning).  Backward routes gy to that element:
dx[n, c].flat[argmax[n,c,i,j]] += gy[n,c,i,j].

avg_pool2d (count_include_pad=True, PyTorch's default): y = (sum of the window, zeros for padding) / (KH*KW);
backward adds gy / (KH*KW) to every in-bounds element of the window.

upsample_nearest with integer scales (sh, sw): y[n,c,i,j] = x[n,c,i//sh,j//sw]; backward sums each
sh x sw block of gy.  Both reuse the avg-pool kernels (kernel = stride = scale, divisor 1 instead of
KH*KW): the block sum *is* an un-normalized average pool and upsampling is its adjoint.  Every
``parallel=True`` function is a separate, slow cold compile, so two shared kernels instead of four
keep the module's first-run compile short.  Argument and shape checks are in conv_args.py, shared with the references.
"""
import numpy as np
from numba import njit, prange

from . import conv_args as A

__all__ = [
    "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
    "upsample_nearest_forward", "upsample_nearest_backward",
    "max_pool2d_forward_reference", "max_pool2d_backward_reference", "avg_pool2d_forward_reference",
    "avg_pool2d_backward_reference", "upsample_nearest_forward_reference", "upsample_nearest_backward_reference",
]


# ----------------------------------------------------------------------------------------------
# Numba kernels
# ----------------------------------------------------------------------------------------------
@njit(cache=True, parallel=True)
def _maxpool_fwd(x, y, idx, KH, KW, sh, sw, ph, pw):
    N, C, H, W = x.shape
    Ho, Wo = y.shape[2], y.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xs = x[n, c]
        ys = y[n, c]
        ids = idx[n, c]
        for i in range(Ho):
            h0 = i * sh - ph
            for j in range(Wo):
                w0 = j * sw - pw
                best = -np.inf
                bi = -1
                for a in range(KH):
                    h = h0 + a
                    if h < 0 or h >= H:
                        continue
                    row = xs[h]
                    for b in range(KW):
                        w = w0 + b
                        if w < 0 or w >= W:
                            continue
                        v = row[w]
                        if bi < 0 or v > best:
                            best = v
                            bi = h * W + w
                ys[i, j] = best
                ids[i, j] = bi


@njit(cache=True, parallel=True)
def _maxpool_bwd(gy, idx, dx):
    N, C, H, W = dx.shape
    Ho, Wo = gy.shape[2], gy.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        d = dx[n, c].reshape(H * W)
        for k in range(H * W):     # an explicit loop: `d[:] = 0` would be a nested parfor to compile
            d[k] = 0
        g = gy[n, c]
        ids = idx[n, c]
        for i in range(Ho):
            for j in range(Wo):
                d[ids[i, j]] += g[i, j]


@njit(cache=True, parallel=True)
def _avgpool_fwd(x, y, KH, KW, sh, sw, ph, pw, div):
    """y = (sum of each window of x, zeros for padding) / div.  div = KH*KW for avg_pool2d;
    div = 1 with kernel = stride = scale is upsample_nearest's backward (block sums)."""
    N, C, H, W = x.shape
    Ho, Wo = y.shape[2], y.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xs = x[n, c]
        ys = y[n, c]
        for i in range(Ho):
            h0 = i * sh - ph
            for j in range(Wo):
                w0 = j * sw - pw
                acc = ys[i, j] - ys[i, j]    # zero of the array's dtype (y is zero-initialized)
                for a in range(max(0, -h0), min(KH, H - h0)):
                    row = xs[h0 + a]
                    for b in range(max(0, -w0), min(KW, W - w0)):
                        acc += row[w0 + b]
                ys[i, j] = acc / div


@njit(cache=True, parallel=True)
def _avgpool_bwd(gy, dx, KH, KW, sh, sw, ph, pw, div):
    """dx = adjoint of _avgpool_fwd: gy / div added to every in-bounds element of its window.
    div = 1 with kernel = stride = scale is upsample_nearest's forward (each pixel copied to its block)."""
    N, C, H, W = dx.shape
    Ho, Wo = gy.shape[2], gy.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        d = dx[n, c]
        for h in range(H):
            row = d[h]
            for w in range(W):
                row[w] = 0
        g = gy[n, c]
        for i in range(Ho):
            h0 = i * sh - ph
            for j in range(Wo):
                w0 = j * sw - pw
                v = g[i, j] / div
                for a in range(max(0, -h0), min(KH, H - h0)):
                    row = d[h0 + a]
                    for b in range(max(0, -w0), min(KW, W - w0)):
                        row[w0 + b] += v


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
def max_pool2d_forward(x, kernel, stride=None, padding=0):
    """x (N, C, H, W) -> (y (N, C, Ho, Wo), argmax (N, C, Ho, Wo) int64 flat index into each input plane)."""
    k, s, p, (Ho, Wo) = A.pool2d_args("max_pool2d", x, kernel, stride, padding)
    N, C = x.shape[:2]
    y = np.empty((N, C, Ho, Wo), x.dtype)
    idx = np.empty((N, C, Ho, Wo), np.int64)
    if y.size:
        _maxpool_fwd(np.ascontiguousarray(x), y, idx, k[0], k[1], s[0], s[1], p[0], p[1])
    return y, idx


def max_pool2d_backward(gy, argmax, input_shape):
    """dx (input_shape): each gy element added at its argmax position (vector-Jacobian product)."""
    dx = np.empty(A.max_pool2d_backward_args(gy, argmax, input_shape), gy.dtype)
    if dx.size:
        _maxpool_bwd(np.ascontiguousarray(gy), np.ascontiguousarray(argmax, dtype=np.int64), dx)
    return dx


def avg_pool2d_forward(x, kernel, stride=None, padding=0):
    """Average over each window, zero padding counted in the divisor (count_include_pad=True)."""
    k, s, p, (Ho, Wo) = A.pool2d_args("avg_pool2d", x, kernel, stride, padding)
    y = np.zeros(x.shape[:2] + (Ho, Wo), x.dtype)
    if y.size:
        _avgpool_fwd(np.ascontiguousarray(x), y, k[0], k[1], s[0], s[1], p[0], p[1], k[0] * k[1])
    return y


def avg_pool2d_backward(gy, input_shape, kernel, stride=None, padding=0):
    """dx[h, w] = sum over windows containing (h, w) of gy / (KH*KW)."""
    k, s, p, x_shape = A.avg_pool2d_backward_args(gy, input_shape, kernel, stride, padding)
    dx = np.empty(x_shape, gy.dtype)
    if dx.size:
        _avgpool_bwd(np.ascontiguousarray(gy), dx, k[0], k[1], s[0], s[1], p[0], p[1], k[0] * k[1])
    return dx


def upsample_nearest_forward(x, scale):
    """(N, C, H, W) -> (N, C, H*sh, W*sw), each pixel repeated sh x sw times."""
    sh, sw = A.upsample_args("upsample_nearest", x, scale)
    N, C, H, W = x.shape
    y = np.empty((N, C, H * sh, W * sw), x.dtype)
    if y.size:   # the adjoint of a block sum: avg-pool backward with kernel = stride = scale, divisor 1
        _avgpool_bwd(np.ascontiguousarray(x), y, sh, sw, sh, sw, 0, 0, 1)
    return y


def upsample_nearest_backward(gy, scale):
    """(N, C, H*sh, W*sw) -> (N, C, H, W): sum of each sh x sw block."""
    sh, sw = A.upsample_backward_args(gy, scale)
    N, C, Hs, Ws = gy.shape
    dx = np.zeros((N, C, Hs // sh, Ws // sw), gy.dtype)
    if dx.size:   # block sums: avg-pool forward with kernel = stride = scale, divisor 1
        _avgpool_fwd(np.ascontiguousarray(gy), dx, sh, sw, sh, sw, 0, 0, 1)
    return dx


# ----------------------------------------------------------------------------------------------
# NumPy references (loops over window offsets with slicing)
# ----------------------------------------------------------------------------------------------
def _windows(xp, k, s, Ho, Wo):
    for a in range(k[0]):
        for b in range(k[1]):
            yield a, b, xp[:, :, a: a + s[0] * (Ho - 1) + 1: s[0], b: b + s[1] * (Wo - 1) + 1: s[1]]


def max_pool2d_forward_reference(x, kernel, stride=None, padding=0):
    k, s, p, (Ho, Wo) = A.pool2d_args("max_pool2d", x, kernel, stride, padding)
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=-np.inf)
    y = np.full((N, C, Ho, Wo), -np.inf, x.dtype)
    idx = np.full((N, C, Ho, Wo), -1, np.int64)
    hh = (np.arange(Ho) * s[0] - p[0])[:, None]
    ww = (np.arange(Wo) * s[1] - p[1])[None, :]
    for a, b, win in _windows(xp, k, s, Ho, Wo):
        h, w = hh + a, ww + b
        inside = (h >= 0) & (h < H) & (w >= 0) & (w < W)
        take = inside & ((win > y) | (idx < 0))          # strict '>': first maximum wins
        y = np.where(take, win, y)
        idx = np.where(take, h * W + w, idx)
    return y, idx


def max_pool2d_backward_reference(gy, argmax, input_shape):
    input_shape = A.max_pool2d_backward_args(gy, argmax, input_shape)
    N, C, H, W = input_shape
    dx = np.zeros((N, C, H * W), gy.dtype)
    for n in range(N):
        for c in range(C):
            np.add.at(dx[n, c], argmax[n, c].ravel(), gy[n, c].ravel())
    return dx.reshape(input_shape)


def avg_pool2d_forward_reference(x, kernel, stride=None, padding=0):
    k, s, p, (Ho, Wo) = A.pool2d_args("avg_pool2d", x, kernel, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    y = np.zeros(x.shape[:2] + (Ho, Wo), x.dtype)
    for _, _, win in _windows(xp, k, s, Ho, Wo):
        y += win
    return y / x.dtype.type(k[0] * k[1])


def avg_pool2d_backward_reference(gy, input_shape, kernel, stride=None, padding=0):
    k, s, p, (N, C, H, W) = A.avg_pool2d_backward_args(gy, input_shape, kernel, stride, padding)
    Ho, Wo = gy.shape[2:]
    dxp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), gy.dtype)
    g = gy / gy.dtype.type(k[0] * k[1])
    for a in range(k[0]):
        for b in range(k[1]):
            dxp[:, :, a: a + s[0] * (Ho - 1) + 1: s[0], b: b + s[1] * (Wo - 1) + 1: s[1]] += g
    return dxp[:, :, p[0]:p[0] + H, p[1]:p[1] + W].copy()


def upsample_nearest_forward_reference(x, scale):
    sh, sw = A.upsample_args("upsample_nearest", x, scale)
    return x.repeat(sh, axis=2).repeat(sw, axis=3)


def upsample_nearest_backward_reference(gy, scale):
    sh, sw = A.upsample_backward_args(gy, scale)
    N, C, Hs, Ws = gy.shape
    return gy.reshape(N, C, Hs // sh, sh, Ws // sw, sw).sum(axis=(3, 5))
