"""Every differentiable op, as the lowercase function users call.

Each function here is a thin wrapper over ``SomeOp.apply``; the classes (with
their forward, backward and the math) live in the modules of this package and
are listed in ``minigrad.function.OPS``.
"""
import builtins

import numpy as np

from .activations import (ELU, SELU, LeakyReLU, LogSigmoid, LogSoftmax, ReLU, ReLUMaskMul, Sigmoid,
                          Softmax, Softplus, Tanh)
from .elementwise import (Abs, Add, AsType, Clip, Div, Exp, Log, Maximum, Minimum, Mul, Neg, Pow,
                          Sqrt, Sub, Where)
from .conv import Conv2d, Conv2dWeightGrad, ConvTranspose2d
from .linalg import MatMul
from .losses import BinaryCrossEntropy, BinaryCrossEntropyWithLogits
from .lstm import LSTMCell
from .pool import (AvgPool2d, AvgPool2dBackward, MaxPool2d, MaxPool2dBackward, MaxPool2dGather,
                   UpsampleNearest, UpsampleNearestBackward)
from .reductions import LogSumExp, Max, Mean, Min, Sum, Var
from .shape import (BroadcastTo, Concatenate, ExpandDims, Flatten, GetItem, Pad, Permute, Reshape,
                    ScatterAdd, Squeeze, Stack)
from ..tensor import Tensor  # the engine's one import cycle is closed at the end of tensor.py


# ----- elementwise ------------------------------------------------------------
def add(a, b): return Add.apply(a, b)
def sub(a, b): return Sub.apply(a, b)
def mul(a, b): return Mul.apply(a, b)
def div(a, b): return Div.apply(a, b)
def neg(x): return Neg.apply(x)
def exp(x): return Exp.apply(x)
def log(x): return Log.apply(x)
def sqrt(x): return Sqrt.apply(x)
def abs(x): return Abs.apply(x)  # noqa: A001
def clip(x, min=None, max=None): return Clip.apply(x, lo=min, hi=max)  # noqa: A002
def maximum(a, b): return Maximum.apply(a, b)
def minimum(a, b): return Minimum.apply(a, b)
def astype(x, dtype): return AsType.apply(x, dtype=dtype)


def pow(a, b):  # noqa: A001
    return Pow.apply(a, b)


def where(condition, a, b):
    """condition ? a : b; condition is a boolean array or tensor (not differentiated)."""
    if isinstance(condition, Tensor):
        condition = condition.data
    return Where.apply(a, b, condition=condition)


# ----- activations ------------------------------------------------------------
def relu(x): return ReLU.apply(x)
def leaky_relu(x, negative_slope=0.01): return LeakyReLU.apply(x, negative_slope=negative_slope)
def elu(x, alpha=1.0): return ELU.apply(x, alpha=alpha)
def selu(x): return SELU.apply(x)
def sigmoid(x): return Sigmoid.apply(x)
def tanh(x): return Tanh.apply(x)
def softplus(x, beta=1.0): return Softplus.apply(x, beta=beta)
def log_sigmoid(x): return LogSigmoid.apply(x)
def softmax(x, axis=-1): return Softmax.apply(x, axis=axis)
def log_softmax(x, axis=-1): return LogSoftmax.apply(x, axis=axis)


def relu_mask_mul(y, g):
    """g where y > 0 (or NaN), else 0: relu's VJP; y (an array or tensor, e.g. relu's output) is
    used by value, as a mask."""
    return ReLUMaskMul.apply(g, y=y.data if isinstance(y, Tensor) else y)


# ----- reductions -------------------------------------------------------------
# Each takes NumPy's axis/keepdims or PyTorch's dim/keepdim (not both).
def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):  # noqa: A001
    return _reduce(Sum, x, axis, keepdims, dim, keepdim)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return _reduce(Mean, x, axis, keepdims, dim, keepdim)


def max(x, axis=None, keepdims=False, *, dim=None, keepdim=None):  # noqa: A001
    return _reduce(Max, x, axis, keepdims, dim, keepdim)


def min(x, axis=None, keepdims=False, *, dim=None, keepdim=None):  # noqa: A001
    return _reduce(Min, x, axis, keepdims, dim, keepdim)


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return _reduce(LogSumExp, x, axis, keepdims, dim, keepdim)


def var(x, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None):
    return _reduce(Var, x, axis, keepdims, dim, keepdim, ddof=ddof)


def _reduce(op, x, axis, keepdims, dim, keepdim, **params):
    """``op`` over ``axis`` (or ``dim``), keeping the reduced axes as size 1 if ``keepdims`` (or ``keepdim``)."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give axis or dim, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return op.apply(x, axis=axis, keepdims=bool(keepdims), **params)


# ----- shape ------------------------------------------------------------------
def reshape(x, shape): return Reshape.apply(x, shape=tuple(shape))
def permute(x, axes): return Permute.apply(x, axes=tuple(axes))
def broadcast_to(x, shape): return BroadcastTo.apply(x, shape=tuple(shape))
def expand_dims(x, axis): return ExpandDims.apply(x, axis=axis)
def squeeze(x, axis=None): return Squeeze.apply(x, axis=axis)
def flatten(x, start_dim=0, end_dim=-1): return Flatten.apply(x, start_dim=start_dim, end_dim=end_dim)
def matmul(a, b): return MatMul.apply(a, b)


# Joining tensors: NumPy's names and ``axis``, or PyTorch's ``cat`` and ``dim`` (not both).
def concatenate(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis (torch.cat, torch.concatenate)."""
    return Concatenate.apply(*tensors, axis=_join_axis(axis, dim, "dim"))


def cat(tensors, dim=0, *, axis=None):
    """PyTorch's name for ``concatenate``."""
    return Concatenate.apply(*tensors, axis=_join_axis(dim, axis, "axis"))


def stack(tensors, axis=0, *, dim=None):
    """Join tensors along a new axis."""
    return Stack.apply(*tensors, axis=_join_axis(axis, dim, "dim"))


def _join_axis(positional, keyword, keyword_name):
    """The axis to join along: the keyword-only spelling when given (then the positional one
    must have kept its default, 0), else the positional one."""
    if keyword is None:
        return positional
    if positional != 0:
        raise TypeError(f"give axis or dim, not both (got {positional!r} and {keyword_name}={keyword!r})")
    return keyword


def transpose(x, dim0=None, dim1=None):
    """No axes: reverse all axes (NumPy). Two axes: swap them (PyTorch's transpose)."""
    ndim = np.ndim(x.data if isinstance(x, Tensor) else x)
    if dim0 is None and dim1 is None:
        return Permute.apply(x, axes=tuple(reversed(range(ndim))))
    if dim0 is None or dim1 is None:
        raise TypeError("transpose takes no axes or two axes to swap")
    axes = list(range(ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Permute.apply(x, axes=tuple(axes))


def pad(x, pad_width, value=0.0):
    """Constant padding with np.pad's ``pad_width`` convention."""
    return Pad.apply(x, pad_width=pad_width, value=value)


def getitem(x, index):
    """x[index]; tensors inside the index are used by value."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem.apply(x, index=index)


def scatter_add(g, index, shape):
    """zeros of ``shape`` with g added at ``index`` (np.add.at): getitem's adjoint, its VJP.
    Tensors inside the index are used by value."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return ScatterAdd.apply(g, index=index, shape=tuple(shape))


def split(x, split_size_or_sections, axis=0):
    """Cut x along ``axis`` into pieces (a list of tensors), like torch.split.

    An int gives pieces of that size (the last may be smaller); a list gives
    the size of each piece. Each piece is a slice (``getitem``), so gradients
    flow back into the matching part of x.
    """
    length = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split size must be positive, got {split_size_or_sections}")
        sizes = [builtins.min(split_size_or_sections, length - s) for s in range(0, length, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != length:
            raise ValueError(f"split sizes {sizes} do not add up to {length}, the size of axis {axis}")
    pieces, start = [], 0
    axis = axis % x.ndim
    for size in sizes:
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(getitem(x, index))
        start += size
    return pieces


# ----- convolution and pooling ------------------------------------------------
def conv2d(x, w, stride=1, padding=0, dilation=1, groups=1):
    """x (N, C_in, H, W), w (C_out, C_in/groups, kh, kw) -> (N, C_out, H_out, W_out); no bias."""
    return Conv2d.apply(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)


def conv_transpose2d(x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """x (N, C_in, H, W), w (C_in, C_out/groups, kh, kw) -> (N, C_out, H_out, W_out); no bias."""
    return ConvTranspose2d.apply(x, w, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    return AvgPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def upsample_nearest(x, scale_factor):
    return UpsampleNearest.apply(x, scale_factor=scale_factor)


# The VJPs of the ops above, as ops of their own (so that they can be differentiated again).
def conv2d_weight_grad(x, gy, kernel_hw, stride=1, padding=0, dilation=1, groups=1):
    """conv2d's VJP in w: x (N, C_in, H, W), gy (N, C_out, H_out, W_out) -> dw (C_out, C_in/groups, kh, kw)."""
    return Conv2dWeightGrad.apply(x, gy, kernel_hw=kernel_hw, stride=stride, padding=padding,
                                  dilation=dilation, groups=groups)


def max_pool2d_backward(g, argmax, input_shape):
    """max_pool2d's VJP: zeros of ``input_shape`` (N, C, H, W) with g (N, C, Ho, Wo) added at
    ``argmax`` (flat indices into each H*W plane, as max_pool2d's kernel returns them)."""
    return MaxPool2dBackward.apply(g, argmax=argmax, input_shape=input_shape)


def max_pool2d_gather(x, argmax):
    """x (N, C, H, W) read at ``argmax`` (N, C, Ho, Wo): max_pool2d_backward's VJP."""
    return MaxPool2dGather.apply(x, argmax=argmax)


def avg_pool2d_backward(g, input_shape, kernel_size, stride=None, padding=0):
    """avg_pool2d's VJP: g (N, C, Ho, Wo) spread over the windows of an input of ``input_shape``."""
    return AvgPool2dBackward.apply(g, input_shape=input_shape, kernel_size=kernel_size, stride=stride,
                                   padding=padding)


def upsample_nearest_backward(g, scale_factor):
    """upsample_nearest's VJP: the sum of each block of g (N, C, sh H, sw W) -> (N, C, H, W)."""
    return UpsampleNearestBackward.apply(g, scale_factor=scale_factor)


# ----- recurrent ----------------------------------------------------------------
def lstm_cell(gates, c_prev):
    """gates (B, 4H) = [a_i|a_f|a_g|a_o], c_prev (B, H) -> (2, B, H): [h, c] of one LSTM step."""
    return LSTMCell.apply(gates, c_prev)


# ----- losses (elementwise, unreduced) ------------------------------------------
def binary_cross_entropy(p, t): return BinaryCrossEntropy.apply(p, t)
def binary_cross_entropy_with_logits(x, t): return BinaryCrossEntropyWithLogits.apply(x, t)


from . import namespaces  # noqa: E402  (the VJP namespaces use the op classes above)
