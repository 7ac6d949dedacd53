"""Slow, obviously-correct NumPy versions of convolution, pooling and upsampling.

Written from the definitions with explicit loops over output positions; the arithmetic is
independent of ``minigrad.kernels`` (which has its own vectorized references), so a test
comparing against these checks the kernels AND the op layer.  The arguments go through the
kernels' contract (``minigrad.kernels.conv_args``), so a bad argument fails here with the same
error as in the kernels.  All take (N, C, H, W) arrays and ints or pairs for stride/padding/dilation.
"""
import numpy as np

from minigrad.kernels.conv_args import conv2d_args, conv_transpose2d_args, pool2d_args, upsample_args


def conv2d_naive(x, w, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, i, j] = sum_{c in o's group, a, b} w[o, c, a, b] x_pad[n, c, i s + a d, j s + b d]."""
    (sh, sw), (ph, pw), (dh, dw), groups, (Ho, Wo) = conv2d_args(x, w, stride, padding, dilation, groups)
    N = x.shape[0]
    O, Cg, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
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
    (sh, sw), (ph, pw), _, (dh, dw), groups, (Ho, Wo) = conv_transpose2d_args(
        x, w, stride, padding, output_padding, dilation, groups)
    N, C, H, W = x.shape
    _, Og, KH, KW = w.shape
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
    (kh, kw), (sh, sw), (ph, pw), (Ho, Wo) = pool2d_args("max_pool2d", x, kernel_size, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    y = np.empty(x.shape[:2] + (Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            y[:, :, i, j] = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].max(axis=(2, 3))
    return y


def avg_pool2d_naive(x, kernel_size, stride=None, padding=0):
    """Zero padding counted in the average (divide by kh kw), as PyTorch's default."""
    (kh, kw), (sh, sw), (ph, pw), (Ho, Wo) = pool2d_args("avg_pool2d", x, kernel_size, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.empty(x.shape[:2] + (Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            y[:, :, i, j] = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].sum(axis=(2, 3)) / (kh * kw)
    return y


def upsample_nearest_naive(x, scale_factor):
    sh, sw = upsample_args("upsample_nearest", x, scale_factor)
    return np.repeat(np.repeat(x, sh, axis=2), sw, axis=3)
