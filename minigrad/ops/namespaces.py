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

from .. import kernels
from ..tensor import Tensor
from .activations import Sigmoid, Softplus, Tanh, stable_sigmoid
from .elementwise import AsType, Exp, Log, Sqrt, Where
from .linalg import MatMul, matmul_arrays
from .pool import max_pool2d_gather_arrays
from .reductions import Sum
from .shape import BroadcastTo, ExpandDims, Permute, Reshape, scatter_add_arrays

# The lowercase op functions (ops/__init__.py defines them, then imports this module last).
from . import (avg_pool2d, avg_pool2d_backward, conv2d, conv2d_weight_grad, conv_transpose2d,  # noqa: E402
               getitem, max_pool2d_backward, max_pool2d_gather, pad, relu_mask_mul, scatter_add,
               upsample_nearest, upsample_nearest_backward)


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

    exp = staticmethod(kernels.exp)          # 0 where subnormal, as the Exp op
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

    # ----- shape and masks -----
    relu_mask_mul = staticmethod(kernels.relu_backward)  # g where y > 0 (or NaN), else 0; one pass
    scatter_add = staticmethod(scatter_add_arrays)       # zeros(shape) with g added at index

    @staticmethod
    def getitem(x, index):
        return x[index]

    # ----- the kernels that the conv, pooling and upsampling ops run, same arguments -----
    conv2d = staticmethod(kernels.conv2d_forward)  # (x, w, stride, padding, dilation, groups)
    conv_transpose2d = staticmethod(kernels.conv_transpose2d_forward)  # (x, w, stride, padding, output_padding, ...)
    conv2d_weight_grad = staticmethod(kernels.conv2d_backward_weight)  # (x, gy, kernel_hw, stride, padding, ...)
    max_pool2d_backward = staticmethod(kernels.max_pool2d_backward)  # (g, argmax, input_shape)
    max_pool2d_gather = staticmethod(max_pool2d_gather_arrays)  # (x, argmax)
    avg_pool2d = staticmethod(kernels.avg_pool2d_forward)  # (x, kernel_size, stride, padding)
    avg_pool2d_backward = staticmethod(kernels.avg_pool2d_backward)  # (g, input_shape, kernel_size, ...)
    upsample_nearest = staticmethod(kernels.upsample_nearest_forward)  # (x, scale_factor)
    upsample_nearest_backward = staticmethod(kernels.upsample_nearest_backward)  # (g, scale_factor)

    @staticmethod
    def zero_extend2d(x, rows, cols):
        """x (N, C, H, W) with ``rows`` zero rows below and ``cols`` zero columns on the right."""
        return np.pad(x, ((0, 0), (0, 0), (0, rows), (0, cols)))


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

    # ----- shape and masks -----
    getitem = staticmethod(getitem)  # its VJP is scatter_add
    relu_mask_mul = staticmethod(relu_mask_mul)  # its VJP is itself
    scatter_add = staticmethod(scatter_add)  # its VJP is getitem

    # ----- conv, pooling and upsampling: the ops, each one's VJP among them -----
    conv2d = staticmethod(conv2d)  # VJP: conv_transpose2d, conv2d_weight_grad
    conv_transpose2d = staticmethod(conv_transpose2d)  # VJP: conv2d, conv2d_weight_grad
    conv2d_weight_grad = staticmethod(conv2d_weight_grad)  # VJP: conv_transpose2d, conv2d
    max_pool2d_backward = staticmethod(max_pool2d_backward)  # VJP: max_pool2d_gather
    max_pool2d_gather = staticmethod(max_pool2d_gather)  # VJP: max_pool2d_backward
    avg_pool2d = staticmethod(avg_pool2d)  # VJP: avg_pool2d_backward
    avg_pool2d_backward = staticmethod(avg_pool2d_backward)  # VJP: avg_pool2d
    upsample_nearest = staticmethod(upsample_nearest)  # VJP: upsample_nearest_backward
    upsample_nearest_backward = staticmethod(upsample_nearest_backward)  # VJP: upsample_nearest

    @staticmethod
    def zero_extend2d(x, rows, cols):
        """The pad op (its VJP is a slice)."""
        return pad(x, ((0, 0), (0, 0), (0, rows), (0, cols)))


NUMPY = NumpyNamespace()
TENSORS = TensorNamespace()
