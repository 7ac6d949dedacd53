"""The two namespaces a VJP computes with: NumPy arrays, or minigrad tensors.

Every op writes its VJP once, as ``vjp(self, g, inputs, y, xp)``, with Python's
arithmetic operators and the functions below. The engine passes

* ``NUMPY`` for first derivatives: ``g``, ``inputs`` and ``y`` are arrays and
  each function is a NumPy expression or a kernel call, so a backward pass is
  as fast as hand-written NumPy;
* ``TENSORS`` under ``create_graph=True``: they are Tensors and each function
  is a registered op, so the VJP itself becomes part of the graph and can be
  differentiated again (a Hessian-vector product, a gradient penalty).

Both namespaces have the same functions with the same arguments, and each
function of ``TENSORS`` is an op whose forward computes exactly what the
``NUMPY`` function computes. Arguments that are not differentiated (axes,
shapes, masks, indices) are plain Python values or arrays in both.
"""
import numpy as np

from ..tensor import Tensor
from .activations import Sigmoid, Softplus, Tanh, stable_sigmoid
from .elementwise import AsType, Exp, Log, Sqrt, Where
from .linalg import MatMul, matmul_arrays
from .reductions import Sum
from .shape import BroadcastTo, ExpandDims, Permute, Reshape


def _swapaxes_order(ndim, a, b):
    axes = list(range(ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return tuple(axes)


def _softplus(x):
    return Softplus(beta=1.0).forward(x)


class NumpyNamespace:
    """First derivatives: NumPy arrays in, NumPy arrays out, nothing recorded."""

    name = "numpy"

    @staticmethod
    def constant(array):
        return array

    @staticmethod
    def data(value):
        """The array behind a value (for masks and tests that are not differentiated)."""
        return value

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    tanh = staticmethod(np.tanh)
    sigmoid = staticmethod(stable_sigmoid)
    softplus = staticmethod(_softplus)

    @staticmethod
    def where(condition, a, b):
        return np.where(condition, a, b)

    @staticmethod
    def astype(x, dtype):
        return x.astype(dtype)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def reshape(x, shape):
        return x.reshape(shape)

    @staticmethod
    def broadcast_to(x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def permute(x, axes):
        return x.transpose(axes)

    @staticmethod
    def swapaxes(x, a, b):
        return np.swapaxes(x, a, b)

    @staticmethod
    def expand_dims(x, axis):
        return np.expand_dims(x, axis)

    matmul = staticmethod(matmul_arrays)

    # ----- activation, loss, reduction and shape ops (add here) -----

    # ----- kernel ops: convolution, pooling, LSTM (add here) -----


class TensorNamespace:
    """Higher derivatives: every function is a registered op on Tensors, so it is recorded."""

    name = "tensors"

    @staticmethod
    def constant(array):
        return Tensor._from_op(array, False)

    @staticmethod
    def data(value):
        return value.data if isinstance(value, Tensor) else value

    exp = staticmethod(Exp.apply)
    log = staticmethod(Log.apply)
    sqrt = staticmethod(Sqrt.apply)
    tanh = staticmethod(Tanh.apply)
    sigmoid = staticmethod(Sigmoid.apply)

    @staticmethod
    def softplus(x):
        return Softplus.apply(x, beta=1.0)

    @staticmethod
    def where(condition, a, b):
        return Where.apply(a, b, condition=TensorNamespace.data(condition))

    @staticmethod
    def astype(x, dtype):
        return AsType.apply(x, dtype=dtype)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return Sum.apply(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def reshape(x, shape):
        return Reshape.apply(x, shape=tuple(shape))

    @staticmethod
    def broadcast_to(x, shape):
        return BroadcastTo.apply(x, shape=tuple(shape))

    @staticmethod
    def permute(x, axes):
        return Permute.apply(x, axes=tuple(axes))

    @staticmethod
    def swapaxes(x, a, b):
        return Permute.apply(x, axes=_swapaxes_order(x.ndim, a, b))

    @staticmethod
    def expand_dims(x, axis):
        return ExpandDims.apply(x, axis=axis)

    matmul = staticmethod(MatMul.apply)

    # ----- activation, loss, reduction and shape ops (add here) -----

    # ----- kernel ops: convolution, pooling, LSTM (add here) -----


NUMPY = NumpyNamespace()
TENSORS = TensorNamespace()
