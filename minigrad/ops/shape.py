"""Ops that move, copy or select elements without arithmetic.

Derived step by step in docs/ops.md, section "Shape ops".

Their backward moves the gradient back to where each element came from:
reshape reshapes it back, transpose applies the inverse permutation, indexing
scatter-adds it into zeros, concatenate splits it, pad crops it.
"""
import numpy as np

from ..function import Function, register


@register("reshape")
class Reshape(Function):
    """y = x with a new shape (same elements in the same C order).

    VJP: dL/dx = g reshaped to x's shape. expand_dims, squeeze and flatten
    are reshapes too (see ``ops/__init__.py``).
    """

    def __init__(self, shape):
        self.new_shape = tuple(shape)

    def forward(self, x):
        self.shape = x.shape
        try:
            return x.reshape(self.new_shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {x.shape} into {self.new_shape}") from None

    def backward(self, g):
        return (g.reshape(self.shape),)


@register("permute")
class Permute(Function):
    """y = x with its axes reordered: y.shape[i] = x.shape[axes[i]].

    VJP: dL/dx = g permuted by the inverse permutation argsort(axes).
    """

    def __init__(self, axes):
        self.axes = tuple(axes)

    def forward(self, x):
        if sorted(a % max(x.ndim, 1) for a in self.axes) != list(range(x.ndim)):
            raise ValueError(f"permute: {self.axes} is not a permutation of the {x.ndim} axes of shape {x.shape}")
        return np.transpose(x, self.axes)

    def backward(self, g):
        return (np.transpose(g, np.argsort([a % g.ndim for a in self.axes])),)


@register("broadcast_to")
class BroadcastTo(Function):
    """y = x repeated along new or size-1 axes to ``shape``.

    VJP: dL/dx = sum of g over the repeated copies. Returning g itself is
    enough: the engine's ``unbroadcast`` does that sum, as for every op.
    """

    def __init__(self, shape):
        self.target = tuple(shape)

    def forward(self, x):
        try:
            return np.broadcast_to(x, self.target)
        except ValueError:
            raise ValueError(f"cannot broadcast a tensor of shape {x.shape} to {self.target}") from None

    def backward(self, g):
        return (g,)


def is_basic_index(index):
    """True for NumPy "basic" indexing: ints, slices, None and Ellipsis only (no arrays, no bools)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice, type(None), type(Ellipsis))) and not isinstance(p, bool)
               for p in parts)


@register("getitem")
class GetItem(Function):
    """y = x[index] for any NumPy index (ints, slices, None, ..., bool or int arrays).

    VJP: dL/dx = zeros of x's shape with g scatter-*added* at ``index``
    (np.add.at), so an element picked twice by a fancy index gets both parts.
    A basic index (ints, slices, None, ...) never picks an element twice, so
    there a plain assignment does the same, many times faster.
    """

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.shape = x.shape
        return x[self.index]

    def backward(self, g):
        dx = np.zeros(self.shape, dtype=g.dtype)
        if is_basic_index(self.index):
            dx[self.index] = g
        else:
            np.add.at(dx, self.index, g)
        return (dx,)


@register("concatenate")
class Concatenate(Function):
    """y = [x_1, x_2, ...] joined along ``axis``.

    VJP: dL/dx_k = the slice of g that x_k occupies along ``axis``.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        self.bounds = np.cumsum([x.shape[self.axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=self.axis)

    def backward(self, g):
        return tuple(np.split(g, self.bounds, axis=self.axis))


@register("stack")
class Stack(Function):
    """y = x_1, x_2, ... stacked along a new axis ``axis``.

    VJP: dL/dx_k = g[..., k, ...] (index k along ``axis``).
    """

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.axis, 0))


@register("pad")
class Pad(Function):
    """y = x surrounded by ``value`` (pad_width as in np.pad: ((before, after), ...)).

    VJP: dL/dx = g cropped back to x's region.
    """

    def __init__(self, pad_width, value=0.0):
        self.pad_width, self.value = pad_width, value

    def forward(self, x):
        self.width = np.broadcast_to(np.asarray(self.pad_width, dtype=int), (x.ndim, 2))
        if (self.width < 0).any():
            raise ValueError(f"pad: negative pad width {self.pad_width}")
        return np.pad(x, self.width, constant_values=x.dtype.type(self.value))

    def backward(self, g):
        crop = tuple(slice(b, g.shape[i] - a) for i, (b, a) in enumerate(self.width))
        return (g[crop],)


class ShapeOnly(Reshape):
    """Base of ops that only change the shape; subclasses compute the new shape."""

    def __init__(self, **how):
        self.how = how

    def forward(self, x):
        self.new_shape = self.target_shape(x.shape, **self.how)
        return super().forward(x)


@register("expand_dims")
class ExpandDims(ShapeOnly):
    """y = x with a new size-1 axis at ``axis``.   VJP: dL/dx = g reshaped to x's shape."""

    @staticmethod
    def target_shape(shape, axis):
        return np.expand_dims(np.empty(shape, dtype=bool), axis).shape


@register("squeeze")
class Squeeze(ShapeOnly):
    """y = x without size-1 axes (all of them, or those in ``axis``).   VJP: g reshaped to x's shape."""

    @staticmethod
    def target_shape(shape, axis):
        try:
            return np.squeeze(np.empty(shape, dtype=bool), axis).shape
        except ValueError:
            raise ValueError(f"squeeze: axis {axis} of shape {shape} does not have size 1") from None


@register("flatten")
class Flatten(ShapeOnly):
    """y = x with axes start_dim..end_dim merged into one.   VJP: g reshaped to x's shape."""

    @staticmethod
    def target_shape(shape, start_dim, end_dim):
        if len(shape) == 0:
            return (1,)
        start, end = start_dim % len(shape), end_dim % len(shape)
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {shape}")
        return shape[:start] + (int(np.prod(shape[start : end + 1])),) + shape[end + 1 :]
