"""Where ops meet kernels: NumPy's matmul rules on top of the 2-D and batched kernels.

``minigrad.kernels`` multiplies 2-D matrices and (B, M, K) @ (B, K, N) stacks.
``matmul`` below adds what ``np.matmul`` users expect: 1-D operands (a row on
the left, a column on the right, the added axis removed afterwards) and batch
axes that broadcast. A stack times one matrix, the case of a Linear layer on a
(B, T, features) input, becomes one tall 2-D product. Whether the Numba
kernels or their NumPy references run is decided inside ``minigrad.kernels``
(``MINIGRAD_KERNELS=numpy`` or ``with minigrad.kernels.use_reference():``).
"""
import numpy as np

from . import kernels


def matmul(a, b):
    """a @ b for arrays of the same float dtype (1-D, 2-D or batched)."""
    squeeze_row, squeeze_col = a.ndim == 1, b.ndim == 1
    if squeeze_row:
        a = a[None, :]
    if squeeze_col:
        b = b[:, None]
    if a.ndim == 2 and b.ndim == 2:
        out = kernels.matmul(a, b)
    elif b.ndim == 2:
        # (..., M, K) @ (K, N): one (prod(...) * M, K) @ (K, N) product.
        out = kernels.matmul(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[1],))
    else:
        try:
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch axes of shapes {a.shape} and {b.shape} do not broadcast "
                             f"({a.shape[:-2]} against {b.shape[:-2]})") from None
        a3 = np.broadcast_to(a, batch + a.shape[-2:]).reshape((-1,) + a.shape[-2:])
        b3 = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
        out = kernels.batched_matmul(a3, b3).reshape(batch + (a.shape[-2], b.shape[-1]))
    if squeeze_col:
        out = out[..., 0]
    if squeeze_row:
        out = out[..., 0, :] if not squeeze_col else out[..., 0]
    return out
