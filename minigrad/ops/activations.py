"""Activation functions, written to stay finite for inputs of any size.

Derived step by step in docs/ops.md, section "Activations".

The trick throughout: never evaluate exp of a large positive number. With
e = exp(-|x|), which lies in (0, 1],
    sigmoid(x)     = 1 / (1 + e)         if x >= 0,   e / (1 + e)   if x < 0
    softplus(x)    = max(x, 0) + log1p(e)
    log_sigmoid(x) = min(x, 0) - log1p(e)
Notation: g is dL/dy, with y's shape.

Each VJP is written once with the namespace ``xp`` (``ops/namespaces.py``) and reads the values it
differentiates from ``inputs`` and the output ``y``; forward keeps only constants (masks, factors).
"""
import numpy as np

from .. import kernels
from ..function import Function, register


def stable_sigmoid(x):
    """sigmoid(x) = 1 / (1 + exp(-x)) without overflow, in x's dtype: 1 / (1 + e) for x >= 0,
    e / (1 + e) for x < 0, e = exp(-|x|) (``kernels.sigmoid``: NumPy's exp, then one loop)."""
    return kernels.sigmoid(x)


@register("relu")
class ReLU(Function):
    """y = max(x, 0).   VJP: dL/dx = g * [y > 0] = relu_mask_mul(y, g)   ([y > 0] = [x > 0]).

    ``np.maximum`` propagates NaN (relu(nan) = nan, as in PyTorch) in one pass; the backward pass
    reads the mask from y (y <= 0 exactly where x <= 0), as PyTorch does, so a NaN input passes its
    gradient through (one pass too: ``kernels.relu_backward``, behind ``xp.relu_mask_mul``)."""

    def forward(self, x):
        return np.maximum(x, x.dtype.type(0))

    def vjp(self, g, inputs, y, xp):
        return (xp.relu_mask_mul(y, g),)


@register("relu_mask_mul")
class ReLUMaskMul(Function):
    """out = g where y > 0 (or y is NaN), else 0: ReLU's VJP, with y = relu(x) a constant mask.

    VJP: dL/dg = g2 * [y > 0] = relu_mask_mul(y, g2) (the op is linear in g; the mask is piecewise
    constant, so it has no derivative to pass on). NumPy: ``kernels.relu_backward``, one pass.
    """

    def __init__(self, y):
        self.y = np.asarray(y)  # the mask's source: a constant, not differentiated

    def forward(self, g):
        if self.y.dtype != g.dtype:  # a mask source of another dtype: keep its signs (and NaNs) only
            self.y = (~(self.y <= 0)).astype(g.dtype)
        return kernels.relu_backward(self.y, g)

    def vjp(self, g, inputs, y, xp):
        return (xp.relu_mask_mul(self.y, g),)


@register("leaky_relu")
class LeakyReLU(Function):
    """y = x if x > 0 else slope * x.   VJP: dL/dx = g * (1 if x > 0 else slope)."""

    def __init__(self, negative_slope=0.01):
        self.slope = negative_slope

    def forward(self, x):
        self.factor = np.where(x > 0, 1, self.slope).astype(x.dtype)  # piecewise constant
        return x * self.factor

    def vjp(self, g, inputs, y, xp):
        return (g * self.factor,)


@register("elu")
class ELU(Function):
    """y = x if x > 0 else alpha * (exp(x) - 1).

    VJP: dL/dx = g * (1 if x > 0 else y + alpha)   (since d/dx alpha(e^x - 1) = alpha e^x).
    """

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        self.positive = ~(x <= 0)  # NaN takes this branch: y = NaN, gradient passed on (as PyTorch)
        return np.where(self.positive, x, self.alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)

    def vjp(self, g, inputs, y, xp):
        return (xp.where(self.positive, g, g * (y + self.alpha)),)


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


@register("selu")
class SELU(Function):
    """y = scale * (x if x > 0 else alpha * (exp(x) - 1)), with Klambauer et al.'s constants.

    VJP: dL/dx = g * scale * (1 if x > 0 else alpha * exp(x)) = g * (scale if x > 0 else y + scale*alpha).
    """

    def forward(self, x):
        self.positive = ~(x <= 0)  # NaN takes this branch, as in ELU
        return (SELU_SCALE * np.where(self.positive, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))).astype(x.dtype)

    def vjp(self, g, inputs, y, xp):
        return (xp.where(self.positive, g * SELU_SCALE, g * (y + SELU_SCALE * SELU_ALPHA)),)


@register("sigmoid")
class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)), stable.   VJP: dL/dx = g * y * (1 - y)."""

    def forward(self, x):
        return stable_sigmoid(x)

    def vjp(self, g, inputs, y, xp):
        return (g * y * (1 - y),)


@register("tanh")
class Tanh(Function):
    """y = tanh(x).   VJP: dL/dx = g * (1 - y^2)."""

    def forward(self, x):
        return np.tanh(x)

    def vjp(self, g, inputs, y, xp):
        return (g * (1 - y * y),)


@register("softplus")
class Softplus(Function):
    """y = log(1 + exp(beta x)) / beta, stable: (max(bx, 0) + log1p(exp(-|bx|))) / beta.

    VJP: dL/dx = g * sigmoid(beta x).
    (PyTorch switches to y = x above ``threshold``; the stable form needs no switch.)
    """

    def __init__(self, beta=1.0):
        self.beta = beta

    def forward(self, x):
        if x.dtype.kind != "f":
            bx = x * x.dtype.type(self.beta)
            return ((np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / x.dtype.type(self.beta)).astype(x.dtype)
        beta = x.dtype.type(self.beta)
        bx = x if self.beta == 1 else x * beta
        y = kernels.exp_neg_abs(bx)     # 0 where subnormal; then NumPy's passes, in place
        np.log1p(y, out=y)
        y += np.maximum(bx, 0)
        if self.beta != 1:
            y /= beta
        return y

    def vjp(self, g, inputs, y, xp):
        (x,) = inputs
        return (g * xp.sigmoid(x if self.beta == 1 else x * self.beta),)


@register("log_sigmoid")
class LogSigmoid(Function):
    """y = log sigmoid(x) = -softplus(-x) = min(x, 0) - log1p(exp(-|x|)).

    VJP: dL/dx = g * (1 - sigmoid(x)) = g * sigmoid(-x).
    """

    def forward(self, x):
        return np.minimum(x, 0) - np.log1p(kernels.exp_neg_abs(x))     # e: 0 where subnormal

    def vjp(self, g, inputs, y, xp):
        return (g * xp.sigmoid(-inputs[0]),)


@register("softmax")
class Softmax(Function):
    """y_i = exp(x_i - m) / sum_j exp(x_j - m) along ``axis`` (m = max, for stability).

    VJP: dL/dx = y * (g - sum(g * y, axis))   (the Jacobian is diag(y) - y y^T).
    """

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        z = kernels.exp(x - x.max(axis=self.axis, keepdims=True))    # 0 where subnormal
        return z / z.sum(axis=self.axis, keepdims=True)

    def vjp(self, g, inputs, y, xp):
        return (y * (g - xp.sum(g * y, axis=self.axis, keepdims=True)),)


@register("log_softmax")
class LogSoftmax(Function):
    """y = x - logsumexp(x, axis), with the max subtracted before exp.

    VJP: dL/dx = g - softmax(x) * sum(g, axis) = g - exp(y) * sum(g, axis).
    """

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))

    def vjp(self, g, inputs, y, xp):
        return (g - xp.exp(y) * xp.sum(g, axis=self.axis, keepdims=True),)
