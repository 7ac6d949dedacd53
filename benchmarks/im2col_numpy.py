"""A plain NumPy conv2d (sliding_window_view im2col + np.matmul) used as a benchmark baseline."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _cols(x, k, s, p):
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s]      # N, C, Ho, Wo, k, k
    N, C, Ho, Wo = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * Ho * Wo, C * k * k), Ho, Wo


def conv2d(x, w, s, p):
    O, C, k, _ = w.shape
    cols, Ho, Wo = _cols(x, k, s, p)
    y = cols @ w.reshape(O, -1).T
    return y.reshape(x.shape[0], Ho, Wo, O).transpose(0, 3, 1, 2)


def conv2d_backward(x, w, gy, s, p, need_dx=True, need_dw=True):
    N, C, H, W = x.shape
    O, _, k, _ = w.shape
    cols, Ho, Wo = _cols(x, k, s, p)
    g2 = gy.transpose(0, 2, 3, 1).reshape(-1, O)
    dw = (g2.T @ cols).reshape(w.shape) if need_dw else None
    if not need_dx:
        return None, dw
    dcols = (g2 @ w.reshape(O, -1)).reshape(N, Ho, Wo, C, k, k)
    dxp = np.zeros((N, C, H + 2 * p, W + 2 * p), x.dtype)
    for a in range(k):
        for b in range(k):
            dxp[:, :, a:a + s * (Ho - 1) + 1:s, b:b + s * (Wo - 1) + 1:s] += dcols[:, :, :, :, a, b].transpose(0, 3, 1, 2)
    return dxp[:, :, p:p + H, p:p + W], dw


def conv_transpose2d(x, w, s, p, op):
    """Adjoint of conv2d: the input gradient of conv2d with output size from the transpose formula."""
    N, Ci, H, W = x.shape
    k = w.shape[2]
    Ho = (H - 1) * s - 2 * p + k + op
    dummy = np.empty((N, w.shape[1], Ho, Ho), x.dtype)
    dx, _ = conv2d_backward(dummy, w, x, s, p, need_dw=False)
    return dx


def conv_transpose2d_backward(x, w, gy, s, p):
    dx = conv2d(gy, w, s, p)
    _, dw = conv2d_backward(gy, w, x, s, p, need_dx=False)
    return dx, dw
