"""Activation functions, written to stay finite for inputs of any size.

Derived step by step in docs/ops.md, section "Activations".

The trick throughout: never evaluate exp of a large positive number. With
e = exp(-|x|), which lies in (0, 1],
    sigmoid(x)     = 1 / (1 + e)         if x >= 0,   e / (1 + e)   if x < 0
    softplus(x)    = max(x, 0) + log1p(e)
    log_sigmoid(x) = min(x, 0) - log1p(e)
Notation: g is dL/dy, with y's shape.
"""
import numpy as np

from .. import kernels
from ..function import Function, register


def stable_sigmoid(x):
    """sigmoid(x) = 1 / (1 + exp(-x)) without overflow, in x's dtype."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@register("relu")
class ReLU(Function):
    """y = max(x, 0).   VJP: dL/dx = g * [x > 0].

    ``np.maximum`` propagates NaN (relu(nan) = nan, as in PyTorch) in one pass; the backward pass
    reads the mask from y (y <= 0 exactly where x <= 0), as PyTorch does, so a NaN input passes its
    gradient through (one pass too: ``kernels.relu_backward``)."""

    def forward(self, x):
        self.y = np.maximum(x, x.dtype.type(0))
        return self.y

    def backward(self, g):
        return (kernels.relu_backward(self.y, g),)


@register("leaky_relu")
class LeakyReLU(Function):
    """y = x if x > 0 else slope * x.   VJP: dL/dx = g * (1 if x > 0 else slope)."""

    def __init__(self, negative_slope=0.01):
        self.slope = negative_slope

    def forward(self, x):
        self.factor = np.where(x > 0, 1, self.slope).astype(x.dtype)
        return x * self.factor

    def backward(self, g):
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
        self.y = np.where(self.positive, x, self.alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)
        return self.y

    def backward(self, g):
        return (g * np.where(self.positive, 1, self.y + self.alpha).astype(g.dtype),)


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


@register("selu")
class SELU(Function):
    """y = scale * (x if x > 0 else alpha * (exp(x) - 1)), with Klambauer et al.'s constants.

    VJP: dL/dx = g * scale * (1 if x > 0 else alpha * exp(x)) = g * (scale if x > 0 else y + scale*alpha).
    """

    def forward(self, x):
        self.positive = ~(x <= 0)  # NaN takes this branch, as in ELU
        self.y = (SELU_SCALE * np.where(self.positive, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))).astype(x.dtype)
        return self.y

    def backward(self, g):
        slope = np.where(self.positive, SELU_SCALE, self.y + SELU_SCALE * SELU_ALPHA)
        return (g * slope.astype(g.dtype),)


@register("sigmoid")
class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)), stable.   VJP: dL/dx = g * y * (1 - y)."""

    def forward(self, x):
        self.y = stable_sigmoid(x)
        return self.y

    def backward(self, g):
        return (g * self.y * (1 - self.y),)


@register("tanh")
class Tanh(Function):
    """y = tanh(x).   VJP: dL/dx = g * (1 - y^2)."""

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, g):
        return (g * (1 - self.y * self.y),)


@register("softplus")
class Softplus(Function):
    """y = log(1 + exp(beta x)) / beta, stable: (max(bx, 0) + log1p(exp(-|bx|))) / beta.

    VJP: dL/dx = g * sigmoid(beta x).
    (PyTorch switches to y = x above ``threshold``; the stable form needs no switch.)
    """

    def __init__(self, beta=1.0):
        self.beta = beta

    def forward(self, x):
        bx = x * x.dtype.type(self.beta)
        self.bx = bx
        return ((np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / x.dtype.type(self.beta)).astype(x.dtype)

    def backward(self, g):
        return (g * stable_sigmoid(self.bx),)


@register("log_sigmoid")
class LogSigmoid(Function):
    """y = log sigmoid(x) = -softplus(-x) = min(x, 0) - log1p(exp(-|x|)).

    VJP: dL/dx = g * (1 - sigmoid(x)) = g * sigmoid(-x).
    """

    def forward(self, x):
        self.x = x
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    def backward(self, g):
        return (g * stable_sigmoid(-self.x),)


@register("softmax")
class Softmax(Function):
    """y_i = exp(x_i - m) / sum_j exp(x_j - m) along ``axis`` (m = max, for stability).

    VJP: dL/dx = y * (g - sum(g * y, axis))   (the Jacobian is diag(y) - y y^T).
    """

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        z = np.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = z / z.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, g):
        y = self.y
        return (y * (g - (g * y).sum(axis=self.axis, keepdims=True)),)


@register("log_softmax")
class LogSoftmax(Function):
    """y = x - logsumexp(x, axis), with the max subtracted before exp.

    VJP: dL/dx = g - softmax(x) * sum(g, axis).
    """

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)
        self.y = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.y

    def backward(self, g):
        return (g - np.exp(self.y) * g.sum(axis=self.axis, keepdims=True),)
