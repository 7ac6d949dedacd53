"""Reductions over an axis (or several, or all), with NumPy's axis/keepdims.

Derived step by step in docs/ops.md, section "Reductions".

The common backward step: a reduction removes axes, so g (the upstream
gradient) is first given those axes back as size-1 axes (``restore_axes``),
after which it broadcasts against the input. Each VJP is written once with the
namespace ``xp`` (``ops/namespaces.py``), so it can be differentiated again.
"""
import math

import numpy as np

from ..function import Function, register


def normalize_axis(axis, ndim):
    """None -> all axes; int or sequence -> sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(out)) if ndim else ()


def restore_axes(g, kept_shape, keepdims, xp):
    """Put the reduced axes back into g as size-1 axes, giving ``kept_shape`` (a no-op if keepdims)."""
    return g if keepdims else xp.reshape(g, kept_shape)


class Reduction(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis_arg, self.keepdims = axis, keepdims

    def prepare(self, x):
        self.axes = normalize_axis(self.axis_arg, x.ndim)
        self.shape = x.shape
        self.kept_shape = tuple(1 if a in self.axes else n for a, n in enumerate(x.shape))
        self.count = math.prod(x.shape[a] for a in self.axes)

    def restore(self, g, xp):
        """g with the reduced axes back as size-1 axes (``restore_axes``)."""
        return restore_axes(g, self.kept_shape, self.keepdims, xp)


@register("sum")
class Sum(Reduction):
    """y = sum of x over axes.   VJP: dL/dx = g broadcast back to x's shape."""

    def forward(self, x):
        self.prepare(x)
        return np.sum(x, axis=self.axes, keepdims=self.keepdims)

    def vjp(self, g, inputs, y, xp):
        return (xp.broadcast_to(self.restore(g, xp), self.shape),)


@register("mean")
class Mean(Reduction):
    """y = sum of x over axes / n.   VJP: dL/dx = g / n broadcast to x's shape."""

    def forward(self, x):
        self.prepare(x)
        return np.mean(x, axis=self.axes, keepdims=self.keepdims)

    def vjp(self, g, inputs, y, xp):
        g = self.restore(g, xp) / xp.data(g).dtype.type(self.count)
        return (xp.broadcast_to(g, self.shape),)


@register("var")
class Var(Reduction):
    """y = sum((x - mean)^2) / (n - ddof) over axes (ddof=0 as in NumPy).

    VJP: dL/dx = g * 2 (x - mean) / (n - ddof)
    (the mean's own dependence on x drops out because sum(x - mean) = 0). The VJP
    recomputes x - mean from x, so that differentiating it again sees the mean move.
    """

    def __init__(self, axis=None, keepdims=False, ddof=0):
        super().__init__(axis, keepdims)
        self.ddof = ddof

    def forward(self, x):
        self.prepare(x)
        if self.count - self.ddof <= 0:
            raise ValueError(f"var: {self.count} elements with ddof={self.ddof} leaves no degrees of freedom")
        centered = x - x.mean(axis=self.axes, keepdims=True)
        return np.sum(centered**2, axis=self.axes, keepdims=self.keepdims) / x.dtype.type(self.count - self.ddof)

    def vjp(self, g, inputs, y, xp):
        (x,) = inputs
        dtype = xp.data(x).dtype.type
        centered = x - xp.sum(x, axis=self.axes, keepdims=True) / dtype(self.count)
        return (centered * (self.restore(g, xp) * dtype(2 / (self.count - self.ddof))),)  # scale the small g


class Extremum(Reduction):
    """Shared by max and min: the gradient goes to the elements that attain the
    extremum; k tied elements share it equally (each gets g / k). The shares are
    piecewise constant in x: forward keeps them, and the VJP is linear in g."""

    pick = None

    def forward(self, x):
        self.prepare(x)
        if x.size == 0:
            raise ValueError(f"{self.op_name} of an empty tensor of shape {x.shape}")
        y = self.pick(x, axis=self.axes, keepdims=True)
        winners = x == y
        self.share = winners / winners.sum(axis=self.axes, keepdims=True).astype(x.dtype)
        return y if self.keepdims else np.squeeze(y, axis=self.axes)

    def vjp(self, g, inputs, y, xp):
        return (self.restore(g, xp) * self.share,)


@register("max")
class Max(Extremum):
    """y = max of x over axes.   VJP: dL/dx = g * [x == y] / (number of ties)."""

    pick = staticmethod(np.max)


@register("min")
class Min(Extremum):
    """y = min of x over axes.   VJP: dL/dx = g * [x == y] / (number of ties)."""

    pick = staticmethod(np.min)


@register("logsumexp")
class LogSumExp(Reduction):
    """y = m + log(sum(exp(x - m))) over axes, with m = max(x) (0 where a row is all -inf).

    VJP: dL/dx = g * exp(x - y) = g * softmax(x)   (0 for a row that is all -inf),
    from the input x and the output y (given back its reduced axes).
    """

    def forward(self, x):
        self.prepare(x)
        m = np.max(x, axis=self.axes, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
        with np.errstate(divide="ignore"):
            y = m + np.log(np.sum(np.exp(x - m), axis=self.axes, keepdims=True))
        return y if self.keepdims else np.squeeze(y, axis=self.axes)

    def vjp(self, g, inputs, y, xp):
        (x,) = inputs
        y = self.restore(y, xp)
        finite = np.isfinite(xp.data(y))
        if finite.all():
            weights = xp.exp(x - y)
        else:  # a row of -inf (y = -inf) gets weight 0, with no -inf - (-inf) = nan on the way
            zero = xp.data(x).dtype.type(0)
            weights = xp.where(finite, xp.exp(x - xp.where(finite, y, zero)), zero)
        return (self.restore(g, xp) * weights,)
