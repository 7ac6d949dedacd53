"""Matrix multiplication, with NumPy's rules for 1-D and batched operands.

Derived step by step in docs/ops.md, section "Linear algebra".
"""
import numpy as np

from .. import kernels
from ..function import Function, register


def matmul_arrays(a, b):
    """a @ b for arrays of the same float dtype (1-D, 2-D or batched), with NumPy's rules on top
    of the kernels: ``minigrad.kernels`` multiplies 2-D matrices and (B, M, K) @ (B, K, N) stacks;
    here a 1-D operand is a row on the left or a column on the right (the added axis removed
    afterwards), and batch axes broadcast. A stack times one matrix, the case of a Linear layer on a
    (B, T, features) input, becomes one tall 2-D product. Whether the Numba kernels or their NumPy
    references run is decided inside ``minigrad.kernels`` (``MINIGRAD_KERNELS=numpy``)."""
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


@register("matmul")
class MatMul(Function):
    """y = a @ b.  For 2-D a (M, K) and b (K, N), y is (M, N).

    VJP: dL/da = g @ b^T (M, N)(N, K) -> (M, K);  dL/db = a^T @ g (K, M)(M, N) -> (K, N).
    Only the gradients that are needed are computed (``needs_input_grad``).
    Batched: the same on the last two axes; batch axes broadcast, and the engine
    sums the gradient over broadcast batch axes. A 1-D a is a row (1, K) and a
    1-D b a column (K, 1) whose added axis is removed again from the result.
    """

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul needs at least 1-D operands, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align (inner sizes differ)")
        return matmul_arrays(a, b)

    def vjp(self, g, inputs, y, xp):
        """Both gradients are matmuls again (``xp.matmul``), so they can be differentiated again."""
        a, b = inputs
        a2 = xp.expand_dims(a, 0) if a.ndim == 1 else a
        b2 = xp.expand_dims(b, -1) if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2 if b.ndim > 1 else 0)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = xp.matmul(g2, xp.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = xp.reshape(ga, ga.shape[:-2] + ga.shape[-1:])
        if self.needs_input_grad[1]:
            gb = xp.matmul(xp.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                gb = xp.reshape(gb, gb.shape[:-1])
        return ga, gb
