"""Saturating ops at huge inputs: finite values, finite gradients, no NumPy warnings.

Every check runs under ``np.errstate(over, divide, invalid='raise')`` with
warnings turned into errors. Underflow is left alone on purpose: exp(-1000)
rounding to 0 is the correctly rounded IEEE result (and the one the stable
formulas rely on), not an error.
"""
import warnings

import numpy as np
import pytest

import minigrad as mg

BIG = [-1000.0, -100.0, -30.0, 0.5, 30.0, 100.0, 1000.0]
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848, 1.0507009873554804934


class strict:
    """Turn overflow / division by zero / invalid operations and all warnings into errors."""

    def __enter__(self):
        self.err = np.errstate(over="raise", divide="raise", invalid="raise", under="ignore")
        self.err.__enter__()
        self.warn = warnings.catch_warnings()
        self.warn.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        self.warn.__exit__(*exc)
        return self.err.__exit__(*exc)


def run(fn, data, dtype):
    """value and gradient (upstream = ones) of fn at data, all under ``strict``."""
    x = mg.tensor(np.array(data), dtype=dtype, requires_grad=True)
    with strict():
        y = fn(x)
        y.backward(np.ones(y.shape, dtype))
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(y.data)), f"non-finite value {y.data}"
    assert np.all(np.isfinite(x.grad.data)), f"non-finite gradient {x.grad.data}"
    return y.data, x.grad.data


# (function, expected value at -1000, at +1000, gradient at -1000, at +1000)
LIMITS = {
    "sigmoid": (mg.sigmoid, 0.0, 1.0, 0.0, 0.0),
    "tanh": (mg.tanh, -1.0, 1.0, 0.0, 0.0),
    "softplus": (mg.softplus, 0.0, 1000.0, 0.0, 1.0),
    "softplus_beta2": (lambda x: mg.softplus(x, beta=2.0), 0.0, 1000.0, 0.0, 1.0),
    "log_sigmoid": (mg.log_sigmoid, -1000.0, 0.0, 1.0, 0.0),
    "elu": (mg.elu, -1.0, 1000.0, 0.0, 1.0),
    "selu": (mg.selu, -SELU_SCALE * SELU_ALPHA, SELU_SCALE * 1000.0, 0.0, SELU_SCALE),
}


@DTYPES
@pytest.mark.parametrize("name", sorted(LIMITS))
def test_elementwise_saturation(name, dtype):
    fn, lo, hi, glo, ghi = LIMITS[name]
    y, g = run(fn, BIG, dtype)
    np.testing.assert_allclose([y[0], y[-1]], [lo, hi], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose([g[0], g[-1]], [glo, ghi], rtol=1e-6, atol=1e-6)


@DTYPES
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_row_functions_with_huge_spread(name, dtype):
    data = [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0]]
    fn = {"softmax": lambda x: mg.softmax(x, axis=1), "log_softmax": lambda x: mg.log_softmax(x, axis=1),
          "logsumexp": lambda x: mg.logsumexp(x, axis=1)}[name]
    # a random upstream gradient, so the softmax gradients are not trivially zero
    x = mg.tensor(np.array(data), dtype=dtype, requires_grad=True)
    with strict():
        y = fn(x)
        y.backward(np.random.default_rng(0).standard_normal(y.shape).astype(dtype))
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data))
    if name == "softmax":
        np.testing.assert_allclose(y.data[0], [1, 0, 0], atol=1e-7)
        np.testing.assert_allclose(y.data[1], [1 / 3] * 3, rtol=1e-6)
    elif name == "log_softmax":
        np.testing.assert_allclose(y.data[0], [0, -2000, -1000], rtol=1e-6)
        np.testing.assert_allclose(y.data[1], [-np.log(3)] * 3, rtol=1e-6)
    else:
        np.testing.assert_allclose(y.data, [1000, -1000 + np.log(3), 1000 + np.log(2 + np.exp(-1))], rtol=1e-6)


@DTYPES
def test_logsumexp_over_rows_of_minus_infinity(dtype):
    x = mg.tensor(np.array([[-np.inf, -np.inf, -np.inf], [-np.inf, 0.0, np.log(3.0)], [1.0, 2.0, 3.0]]),
                  dtype=dtype, requires_grad=True)
    with strict():
        y = mg.logsumexp(x, axis=1)
        y.backward(np.array([2.0, 1.0, 1.0], dtype=dtype))
    assert y.data[0] == -np.inf  # log(0) is the right answer for an empty sum
    np.testing.assert_allclose(y.data[1:], [np.log(4.0), np.log(np.exp([1, 2, 3]).sum())], rtol=1e-6)
    np.testing.assert_array_equal(x.grad.data[0], [0, 0, 0])
    np.testing.assert_allclose(x.grad.data[1], [0, 0.25, 0.75], rtol=1e-6)
    assert np.all(np.isfinite(x.grad.data))
    with strict():  # keepdims and the whole-tensor form too
        assert mg.logsumexp(mg.tensor(np.full((2, 2), -np.inf), dtype=dtype), axis=1, keepdims=True).shape == (2, 1)
        assert mg.logsumexp(mg.tensor(np.full(3, -np.inf), dtype=dtype)).item() == -np.inf


@DTYPES
def test_bce_with_logits_saturated(dtype):
    logits = np.array([-1000.0, -1000.0, 1000.0, 1000.0, -100.0, 100.0])
    target = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    x = mg.tensor(logits, dtype=dtype, requires_grad=True)
    t = mg.tensor(target, dtype=dtype)
    with strict():
        loss = mg.ops.binary_cross_entropy_with_logits(x, t)
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [0, 1000, 1000, 0, 100, 100], rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, [0, -1, 1, 0, -1, 1], atol=1e-6)


@DTYPES
def test_bce_on_probabilities_of_exactly_zero_and_one(dtype):
    p = mg.tensor([0.0, 1.0, 0.0, 1.0, 0.5], dtype=dtype, requires_grad=True)
    t = mg.tensor([0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype)
    with strict():
        loss = mg.ops.binary_cross_entropy(p, t)
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [0, 0, 100, 100, np.log(2)], rtol=1e-6)
    assert np.all(np.isfinite(p.grad.data))


@DTYPES
def test_bce_composition_from_log_sigmoid(dtype):
    """-(t log sigmoid(x) + (1 - t) log sigmoid(-x)), built from ops, at saturated logits."""
    x = mg.tensor([-1000.0, 1000.0, -1000.0, 1000.0], dtype=dtype, requires_grad=True)
    t = mg.tensor([0.0, 1.0, 1.0, 0.0], dtype=dtype)
    with strict():
        loss = -(t * mg.log_sigmoid(x) + (1.0 - t) * mg.log_sigmoid(-x))
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [0, 0, 1000, 1000], rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, [0, 0, -1, 1], atol=1e-6)


@DTYPES
def test_relu_propagates_nan_like_pytorch(dtype):
    """relu(nan) is nan (PyTorch's torch.relu), and its gradient passes through: PyTorch's backward
    zeroes the gradient only where the output is <= 0."""
    x = mg.tensor([np.nan, -1.0, 0.0, 2.0, np.inf, -np.inf], dtype=dtype, requires_grad=True)
    y = mg.relu(x)
    np.testing.assert_array_equal(y.data, np.array([np.nan, 0, 0, 2, np.inf, 0], dtype))
    assert y.dtype == dtype
    y.backward(np.full(6, 3.0, dtype))
    np.testing.assert_array_equal(x.grad.data, np.array([3, 0, 0, 3, 3, 0], dtype))


# Non-finite inputs: the values and gradients PyTorch 2.x gives (torch.relu, F.leaky_relu, F.elu,
# F.selu, torch.sigmoid, torch.tanh, F.softplus, F.logsigmoid, softmax and log_softmax over a row),
# at x = [nan, +inf, -inf, 0] with upstream ones. NaN in, NaN out; the gradient of a piecewise
# function at NaN is the slope of its "x > 0" piece, because PyTorch tests "x <= 0" for the other.
NONFINITE = [np.nan, np.inf, -np.inf, 0.0]
SELU_NEG = -SELU_SCALE * SELU_ALPHA
NONFINITE_EXPECTED = {
    "relu": (mg.relu, [np.nan, np.inf, 0, 0], [1, 1, 0, 0]),
    "leaky_relu": (mg.leaky_relu, [np.nan, np.inf, -np.inf, 0], [0.01, 1, 0.01, 0.01]),
    "elu": (mg.elu, [np.nan, np.inf, -1, 0], [1, 1, 0, 1]),
    "selu": (mg.selu, [np.nan, np.inf, SELU_NEG, 0], [SELU_SCALE, SELU_SCALE, 0, SELU_SCALE * SELU_ALPHA]),
    "sigmoid": (mg.sigmoid, [np.nan, 1, 0, 0.5], [np.nan, 0, 0, 0.25]),
    "tanh": (mg.tanh, [np.nan, 1, -1, 0], [np.nan, 0, 0, 1]),
    "softplus": (mg.softplus, [np.nan, np.inf, 0, np.log(2)], [np.nan, 1, 0, 0.5]),
    "log_sigmoid": (mg.log_sigmoid, [np.nan, 0, -np.inf, -np.log(2)], [np.nan, 0, 1, 0.5]),
}


@DTYPES
@pytest.mark.parametrize("name", sorted(NONFINITE_EXPECTED))
def test_elementwise_activations_at_nan_and_inf(name, dtype):
    fn, value, gradient = NONFINITE_EXPECTED[name]
    x = mg.tensor(np.array(NONFINITE), dtype=dtype, requires_grad=True)
    with np.errstate(all="ignore"):
        y = fn(x)
        y.backward(np.ones(4, dtype))
    assert y.dtype == dtype and x.grad.dtype == dtype
    np.testing.assert_allclose(y.data, np.array(value, dtype), rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, np.array(gradient, dtype), rtol=1e-6)


@DTYPES
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_row_activations_at_nan_and_inf(name, dtype):
    """A NaN or +inf in a row makes the whole row NaN (value and gradient); -inf is a zero weight."""
    fn = getattr(mg, name)
    rows = np.array([[np.nan, 0, 1], [np.inf, 0, 1], [-np.inf, 0, 1]], dtype)
    x = mg.tensor(rows, requires_grad=True)
    with np.errstate(all="ignore"):
        y = fn(x, axis=1)
        y.backward(np.ones((3, 3), dtype))
    assert np.all(np.isnan(y.data[:2])) and np.all(np.isnan(x.grad.data[:2]))
    finite = np.array([[0.0, 1.0]], dtype)
    expected = (mg.softmax if name == "softmax" else mg.log_softmax)(mg.tensor(finite), axis=1).data[0]
    np.testing.assert_allclose(y.data[2, 1:], expected, rtol=1e-6)
    assert y.data[2, 0] == (0.0 if name == "softmax" else -np.inf)
    np.testing.assert_allclose(x.grad.data[2], [0, 0, 0] if name == "softmax" else
                               [1, 1 - 3 * np.exp(expected[0]), 1 - 3 * np.exp(expected[1])], rtol=1e-5)
