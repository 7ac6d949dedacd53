"""Pooling / upsampling kernels == NumPy references; argmax ties; validation; dtype."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minigrad.kernels import pool as P

TOL = {np.float32: 1e-5, np.float64: 1e-12}


@st.composite
def pool_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    H = draw(st.integers(max(1, kh - 2 * ph), 12))
    W = draw(st.integers(max(1, kw - 2 * pw), 12))
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dt = draw(st.sampled_from([np.float32, np.float64]))
    ties = draw(st.booleans())
    return (N, C, H, W), (kh, kw), (sh, sw), (ph, pw), dt, ties, draw(st.integers(0, 2**16))


@settings(max_examples=40)
@given(pool_case())
def test_max_pool(case):
    shape, k, s, p, dt, ties, seed = case
    rng = np.random.default_rng(seed)
    x = (rng.integers(0, 3, shape) if ties else rng.standard_normal(shape)).astype(dt)
    y, idx = P.max_pool2d_forward(x, k, s, p)
    yr, idxr = P.max_pool2d_forward_reference(x, k, s, p)
    assert y.dtype == dt
    np.testing.assert_array_equal(y, yr)
    np.testing.assert_array_equal(idx, idxr)     # first maximum in row-major window order
    gy = rng.standard_normal(y.shape).astype(dt)
    dx = P.max_pool2d_backward(gy, idx, shape)
    assert dx.dtype == dt
    np.testing.assert_allclose(dx, P.max_pool2d_backward_reference(gy, idxr, shape), rtol=TOL[dt], atol=TOL[dt])


@settings(max_examples=40)
@given(pool_case())
def test_avg_pool(case):
    shape, k, s, p, dt, _, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dt)[:, :, ::1, ::-1]      # non-contiguous
    y = P.avg_pool2d_forward(x, k, s, p)
    assert y.dtype == dt
    np.testing.assert_allclose(y, P.avg_pool2d_forward_reference(x, k, s, p), rtol=TOL[dt], atol=TOL[dt])
    gy = rng.standard_normal(y.shape).astype(dt)
    dx = P.avg_pool2d_backward(gy, shape, k, s, p)
    assert dx.dtype == dt
    np.testing.assert_allclose(dx, P.avg_pool2d_backward_reference(gy, shape, k, s, p), rtol=TOL[dt], atol=TOL[dt])
    # adjoint: <avg(x), gy> == <x, avg_backward(gy)>
    np.testing.assert_allclose(np.sum(y * gy), np.sum(x * dx), rtol=1e-4 if dt == np.float32 else 1e-10)


@settings(max_examples=20)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6), st.integers(1, 3),
       st.integers(1, 3), st.sampled_from([np.float32, np.float64]))
def test_upsample(N, C, H, W, sh, sw, dt):
    rng = np.random.default_rng(H * 10 + W)
    x = rng.standard_normal((N, C, H, W)).astype(dt)
    y = P.upsample_nearest_forward(x, (sh, sw))
    np.testing.assert_array_equal(y, P.upsample_nearest_forward_reference(x, (sh, sw)))
    gy = rng.standard_normal(y.shape).astype(dt)
    dx = P.upsample_nearest_backward(gy, (sh, sw))
    assert dx.dtype == dt
    np.testing.assert_allclose(dx, P.upsample_nearest_backward_reference(gy, (sh, sw)), rtol=TOL[dt], atol=TOL[dt])


def test_max_pool_padding_is_minus_inf():
    x = -np.ones((1, 1, 2, 2), np.float32)
    y, idx = P.max_pool2d_forward(x, 2, 1, 1)
    assert (y == -1).all() and idx.min() >= 0


@pytest.mark.parametrize("call,msg", [
    (lambda: P.max_pool2d_forward(np.ones((1, 1, 2, 2)), 3), r"larger than padded input"),
    (lambda: P.max_pool2d_forward(np.ones((1, 2, 2)), 2), r"\(1, 2, 2\)"),
    (lambda: P.avg_pool2d_forward(np.ones((1, 1, 4, 4)), 2, 1, -1), r"padding"),
    (lambda: P.avg_pool2d_forward(np.ones((1, 1, 4, 4)), 2, 1, 2), r"at most half"),
    (lambda: P.upsample_nearest_backward(np.ones((1, 1, 5, 4)), 2), r"\(1, 1, 5, 4\)"),
    (lambda: P.max_pool2d_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), np.int64), (2, 1, 4, 4)), r"\(2, 1, 4, 4\)"),
])
def test_bad_arguments(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
