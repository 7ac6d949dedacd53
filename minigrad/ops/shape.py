"""Ops that move, copy or select elements without arithmetic.

Derived step by step in docs/ops.md, section "Shape ops".

Their backward moves the gradient back to where each element came from:
reshape reshapes it back, transpose applies the inverse permutation, indexing
scatter-adds it into zeros, concatenate splits it, pad crops it. Each VJP is
written once with the namespace ``xp`` (``ops/namespaces.py``) and is itself a
shape op, so it can be differentiated again: indexing (``getitem``) and
scatter-adding (``scatter_add``) are each other's adjoint.
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

    def vjp(self, g, inputs, y, xp):
        return (xp.reshape(g, self.shape),)


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

    def vjp(self, g, inputs, y, xp):
        return (xp.permute(g, tuple(int(a) for a in np.argsort([a % g.ndim for a in self.axes]))),)


@register("broadcast_to")
class BroadcastTo(Function):
    """y = x repeated along new or size-1 axes to ``shape``.

    VJP: dL/dx = sum of g over the repeated copies. Returning g itself is
    enough: the engine's ``unbroadcast`` does that sum, as for every op (with
    ``sum`` and ``reshape`` ops when the backward pass is recorded).
    """

    def __init__(self, shape):
        self.target = tuple(shape)

    def forward(self, x):
        try:
            return np.broadcast_to(x, self.target)
        except ValueError:
            raise ValueError(f"cannot broadcast a tensor of shape {x.shape} to {self.target}") from None

    def vjp(self, g, inputs, y, xp):
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
    there a plain assignment does the same, many times faster. That is the op
    ``scatter_add(g, index, x.shape)``, whose own VJP is this one again.
    """

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.shape = x.shape
        return x[self.index]

    def vjp(self, g, inputs, y, xp):
        return (xp.scatter_add(g, self.index, self.shape),)


def scatter_add_arrays(g, index, shape):
    """zeros(shape) with g added at ``index``: np.add.at, or an assignment for a basic index."""
    out = np.zeros(shape, dtype=g.dtype)
    if is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


@register("scatter_add")
class ScatterAdd(Function):
    """y = zeros of ``shape`` with g added at ``index`` (np.add.at: an element picked m times by
    the index gets the sum of m parts of g). The adjoint of getitem: <x[index], g> = <x, y>.

    VJP: dL/dg = g2[index]  (getitem: each part of g went to one element of y).
    """

    def __init__(self, index, shape):
        self.index, self.shape = index, tuple(shape)

    def forward(self, g):
        try:
            expected = np.empty(self.shape, dtype=bool)[self.index].shape
        except IndexError as error:
            raise IndexError(f"scatter_add: index {self.index!r} does not fit shape {self.shape}: {error}") from None
        if g.shape != expected:
            raise ValueError(f"scatter_add: g has shape {g.shape}, but the index picks {expected} "
                             f"from shape {self.shape}")
        return scatter_add_arrays(g, self.index, self.shape)

    def vjp(self, g, inputs, y, xp):
        return (xp.getitem(g, self.index),)


@register("concatenate")
class Concatenate(Function):
    """y = [x_1, x_2, ...] joined along ``axis``.

    VJP: dL/dx_k = the slice of g that x_k occupies along ``axis``.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        self.bounds = [0] + [int(b) for b in np.cumsum([x.shape[self.axis] for x in xs])]
        return np.concatenate(xs, axis=self.axis)

    def vjp(self, g, inputs, y, xp):
        before = (slice(None),) * (self.axis % g.ndim)
        return tuple([xp.getitem(g, before + (slice(start, stop),)) if needed else None
                      for start, stop, needed in zip(self.bounds, self.bounds[1:], self.needs_input_grad)])


@register("stack")
class Stack(Function):
    """y = x_1, x_2, ... stacked along a new axis ``axis``.

    VJP: dL/dx_k = g[..., k, ...] (index k along ``axis``).
    """

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def vjp(self, g, inputs, y, xp):
        before = (slice(None),) * (self.axis % g.ndim)
        return tuple([xp.getitem(g, before + (k,)) if needed else None
                      for k, needed in enumerate(self.needs_input_grad)])


@register("pad")
class Pad(Function):
    """y = x surrounded by ``value`` (pad_width as in np.pad: ((before, after), ...)).

    VJP: dL/dx = g cropped back to x's region (a getitem with slices).
    """

    def __init__(self, pad_width, value=0.0):
        self.pad_width, self.value = pad_width, value

    def forward(self, x):
        self.width = np.broadcast_to(np.asarray(self.pad_width, dtype=int), (x.ndim, 2))
        if (self.width < 0).any():
            raise ValueError(f"pad: negative pad width {self.pad_width}")
        return np.pad(x, self.width, constant_values=x.dtype.type(self.value))

    def vjp(self, g, inputs, y, xp):
        crop = tuple(slice(int(b), g.shape[i] - int(a)) for i, (b, a) in enumerate(self.width))
        return (xp.getitem(g, crop),)


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
