"""Matrix multiplication, with NumPy's rules for 1-D and batched operands."""
import numpy as np

from .. import kernels_bridge
from ..function import Function, register


def _matmul_arrays(a, b):
    """The array-level product: the Numba kernel, or its reference (see minigrad.kernels)."""
    return kernels_bridge.matmul(a, b)


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
        self.a, self.b = a, b
        return _matmul_arrays(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2 if b.ndim > 1 else 0)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = _matmul_arrays(g2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if self.needs_input_grad[1]:
            gb = _matmul_arrays(np.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                gb = gb[..., :, 0]
        return ga, gb
