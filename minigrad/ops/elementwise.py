"""Elementwise arithmetic. Shapes broadcast as in NumPy.

Derived step by step in docs/ops.md, section "Elementwise arithmetic".

Each backward returns gradients in the *broadcast* output shape; the engine
sums them back to each input's shape (``autograd.unbroadcast``).
Notation: g is dL/dy, the upstream gradient, with y's shape.
"""
import numpy as np

from .. import dtypes, kernels
from ..function import Function, register


@register("add")
class Add(Function):
    """y = a + b.   VJP: dL/da = g, dL/db = g."""

    def forward(self, a, b):
        return a + b

    def vjp(self, g, inputs, y, xp):
        return g, g


@register("sub")
class Sub(Function):
    """y = a - b.   VJP: dL/da = g, dL/db = -g."""

    def forward(self, a, b):
        return a - b

    def vjp(self, g, inputs, y, xp):
        return g, -g


@register("mul")
class Mul(Function):
    """y = a * b.   VJP: dL/da = g * b, dL/db = g * a."""

    def forward(self, a, b):
        return a * b

    def vjp(self, g, inputs, y, xp):
        a, b = inputs
        return g * b, g * a


@register("div")
class Div(Function):
    """y = a / b.   VJP: dL/da = g / b, dL/db = -g * a / b^2 = -g * y / b."""

    def forward(self, a, b):
        return a / b

    def vjp(self, g, inputs, y, xp):
        ga = g / inputs[1]
        return ga, -ga * y


@register("neg")
class Neg(Function):
    """y = -x.   VJP: dL/dx = -g."""

    def forward(self, x):
        return -x

    def vjp(self, g, inputs, y, xp):
        return (-g,)


@register("pow")
class Pow(Function):
    """y = a ** b.

    VJP: dL/da = g * b * a^(b-1);  dL/db = g * y * log(a)  (only needed, and
    only defined, where a > 0; it is computed only when b requires a gradient).
    """

    def forward(self, a, b):
        return a**b

    def vjp(self, g, inputs, y, xp):
        a, b = inputs
        ga = g * b * a ** (b - 1) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            positive = xp.data(a) > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * y * xp.where(positive, xp.log(xp.where(positive, a, 1)), 0)
        return ga, gb


@register("exp")
class Exp(Function):
    """y = exp(x).   VJP: dL/dx = g * y  (the derivative is the output itself).

    Results below the smallest normal number are 0 (``kernels.exp``: subnormals are slow on Intel
    CPUs, see kernels/logistic.py)."""

    def forward(self, x):
        return kernels.exp(x)

    def vjp(self, g, inputs, y, xp):
        return (g * y,)


@register("log")
class Log(Function):
    """y = log(x).   VJP: dL/dx = g / x."""

    def forward(self, x):
        return np.log(x)

    def vjp(self, g, inputs, y, xp):
        return (g / inputs[0],)


@register("sqrt")
class Sqrt(Function):
    """y = sqrt(x).   VJP: dL/dx = g / (2 y)."""

    def forward(self, x):
        return np.sqrt(x)

    def vjp(self, g, inputs, y, xp):
        return (g / (2 * y),)


@register("abs")
class Abs(Function):
    """y = |x|.   VJP: dL/dx = g * sign(x)  (0 at x = 0, a subgradient)."""

    def forward(self, x):
        self.sign = np.sign(x)  # piecewise constant: not differentiated again
        return np.abs(x)

    def vjp(self, g, inputs, y, xp):
        return (g * self.sign,)


@register("clip")
class Clip(Function):
    """y = min(max(x, lo), hi).   VJP: dL/dx = g where lo <= x <= hi, else 0."""

    def __init__(self, lo=None, hi=None):
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: min {lo} is larger than max {hi}")
        self.lo, self.hi = lo, hi

    def forward(self, x):
        self.inside = np.ones(x.shape, dtype=bool)
        if self.lo is not None:
            self.inside &= x >= self.lo
        if self.hi is not None:
            self.inside &= x <= self.hi
        return np.clip(x, self.lo, self.hi)

    def vjp(self, g, inputs, y, xp):
        return (g * self.inside,)


@register("maximum")
class Maximum(Function):
    """y = max(a, b) elementwise.

    VJP: dL/da = g * [a > b] + g/2 * [a == b], dL/db likewise (ties share).
    """

    def forward(self, a, b):
        self.share = np.where(a > b, 1.0, np.where(a == b, 0.5, 0.0)).astype(np.result_type(a, b))
        return np.maximum(a, b)

    def vjp(self, g, inputs, y, xp):
        return g * self.share, g * (1 - self.share)


@register("minimum")
class Minimum(Function):
    """y = min(a, b) elementwise.

    VJP: dL/da = g * [a < b] + g/2 * [a == b], dL/db likewise (ties share).
    """

    def forward(self, a, b):
        self.share = np.where(a < b, 1.0, np.where(a == b, 0.5, 0.0)).astype(np.result_type(a, b))
        return np.minimum(a, b)

    def vjp(self, g, inputs, y, xp):
        return g * self.share, g * (1 - self.share)


@register("where")
class Where(Function):
    """y = condition ? a : b (condition is a boolean array, not differentiated).

    VJP: dL/da = g * condition, dL/db = g * (not condition).
    """

    def __init__(self, condition):
        self.condition = np.asarray(condition, dtype=bool)

    def forward(self, a, b):
        return np.where(self.condition, a, b)

    def vjp(self, g, inputs, y, xp):
        zero = xp.data(g).dtype.type(0)
        return xp.where(self.condition, g, zero), xp.where(self.condition, zero, g)


@register("astype")
class AsType(Function):
    """y = x converted to another float dtype (the one explicit way to mix dtypes).

    VJP: dL/dx = g converted back to x's dtype.
    """

    takes_any_dtype = True  # also bool and int64 tensors (comparisons, argmax) -> float

    def __init__(self, dtype):
        self.dtype = dtypes.resolve_dtype(dtype)

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype)

    def vjp(self, g, inputs, y, xp):
        return (xp.astype(g, self.source),)
