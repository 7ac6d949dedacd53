"""Slow, obviously-correct NumPy versions of convolution, pooling and upsampling.

Written from the definitions with explicit loops over output positions, and
independent of ``minigrad.kernels`` (which has its own vectorized references),
so a test comparing against these checks the kernels AND the op layer.
All take (N, C, H, W) arrays and pairs for stride/padding/dilation.
"""
import numpy as np


def _pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


def conv2d_naive(x, w, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, i, j] = sum_{c in o's group, a, b} w[o, c, a, b] x_pad[n, c, i s + a d, j s + b d]."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    N, C, H, W = x.shape
    O, Cg, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    Ho = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    Og = O // groups
    y = np.zeros((N, O, Ho, Wo), dtype=np.float64)
    for o in range(O):
        g = o // Og
        for i in range(Ho):
            for j in range(Wo):
                window = xp[:, g * Cg:(g + 1) * Cg, i * sh:i * sh + dh * (KH - 1) + 1:dh,
                            j * sw:j * sw + dw * (KW - 1) + 1:dw]
                y[:, o, i, j] = np.sum(window * w[o], axis=(1, 2, 3))
    return y


def conv_transpose2d_naive(x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Scatter: every x[n, c, h, v] adds x * w[c, o, a, b] to y_pad[n, o, h s + a d, v s + b d]."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    (oph, opw) = _pair(output_padding)
    N, C, H, W = x.shape
    _, Og, KH, KW = w.shape
    Ho = (H - 1) * sh - 2 * ph + dh * (KH - 1) + oph + 1
    Wo = (W - 1) * sw - 2 * pw + dw * (KW - 1) + opw + 1
    Cg = C // groups
    yp = np.zeros((N, Og * groups, Ho + 2 * ph + sh + dh * KH, Wo + 2 * pw + sw + dw * KW))
    for c in range(C):
        g = c // Cg
        for h in range(H):
            for v in range(W):
                for a in range(KH):
                    for b in range(KW):
                        yp[:, g * Og:(g + 1) * Og, h * sh + a * dh, v * sw + b * dw] += (
                            x[:, c, h, v][:, None] * w[c, :, a, b][None, :])
    return yp[:, :, ph:ph + Ho, pw:pw + Wo]


def max_pool2d_naive(x, kernel_size, stride=None, padding=0):
    (kh, kw) = _pair(kernel_size)
    (sh, sw) = _pair(kernel_size if stride is None else stride)
    (ph, pw) = _pair(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    Ho = (x.shape[2] + 2 * ph - kh) // sh + 1
    Wo = (x.shape[3] + 2 * pw - kw) // sw + 1
    y = np.empty(x.shape[:2] + (Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            y[:, :, i, j] = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].max(axis=(2, 3))
    return y


def avg_pool2d_naive(x, kernel_size, stride=None, padding=0):
    """Zero padding counted in the average (divide by kh kw), as PyTorch's default."""
    (kh, kw) = _pair(kernel_size)
    (sh, sw) = _pair(kernel_size if stride is None else stride)
    (ph, pw) = _pair(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    Ho = (x.shape[2] + 2 * ph - kh) // sh + 1
    Wo = (x.shape[3] + 2 * pw - kw) // sw + 1
    y = np.empty(x.shape[:2] + (Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            y[:, :, i, j] = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].sum(axis=(2, 3)) / (kh * kw)
    return y


def upsample_nearest_naive(x, scale_factor):
    sh, sw = _pair(scale_factor)
    return np.repeat(np.repeat(x, sh, axis=2), sw, axis=3)
