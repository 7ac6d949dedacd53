"""relu_backward: the one-pass kernel equals its NumPy reference, serial equals parallel."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from minigrad import kernels as K
from minigrad.kernels import elementwise as E

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 3.0, -3.0])


@given(n=st.integers(0, 3000), dt=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16),
       parallel=st.sampled_from([None, True, False]))
def test_relu_backward_matches_reference(n, dt, seed, parallel):
    rng = np.random.default_rng(seed)
    x = np.concatenate([SPECIALS, rng.standard_normal(n)]).astype(dt)
    rng.shuffle(x)
    y = np.maximum(x, dt(0))
    g = rng.standard_normal(x.size).astype(dt)
    got = E.relu_backward(y, g, parallel=parallel)
    assert got.dtype == dt
    np.testing.assert_array_equal(got, E.relu_backward_reference(y, g))


def test_parallel_equals_serial_on_a_large_array():
    rng = np.random.default_rng(0)
    y = np.maximum(rng.standard_normal((64, 3, 33, 35)), 0).astype(np.float32)
    g = rng.standard_normal(y.shape).astype(np.float32)
    np.testing.assert_array_equal(E.relu_backward(y, g, parallel=True), E.relu_backward(y, g, parallel=False))


def test_non_contiguous_gradient_and_nan_passes_through():
    y = np.array([[np.nan, 0.0], [2.0, -0.0]], np.float64)
    g = np.arange(8.0).reshape(2, 4)[:, ::2]                          # a strided view
    np.testing.assert_array_equal(K.relu_backward(y, g), [[0.0, 0.0], [4.0, 0.0]])


def test_mismatched_arguments_are_one_clear_error():
    with pytest.raises(ValueError, match=r"relu_backward: y \(3,\) float32 and g \(3,\) float64"):
        E.relu_backward(np.zeros(3, np.float32), np.zeros(3))
    with pytest.raises(ValueError, match="must match"):
        E.relu_backward_reference(np.zeros(3), np.zeros(4))
