"""The sigmoid kernel equals its NumPy reference (to an ulp: e (1 / (1 + e)) against e / (1 + e)),
on special values too; serial equals parallel; other dtypes and layouts are handled."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from minigrad import kernels as K
from minigrad.kernels import logistic as L

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 3.0, -3.0, 1000.0, -1000.0,
                     88.0, -88.0, 104.0, -104.0, 709.0, -709.0, 746.0, -746.0])
RTOL = {np.float32: 2.5e-7, np.float64: 4.5e-16}     # two ulps


@given(n=st.integers(0, 3000), dt=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16),
       parallel=st.sampled_from([None, True, False]))
def test_sigmoid_matches_reference(n, dt, seed, parallel):
    rng = np.random.default_rng(seed)
    x = np.concatenate([SPECIALS, rng.standard_normal(n) * 30]).astype(dt)
    rng.shuffle(x)
    got, want = L.sigmoid(x, parallel=parallel), L.sigmoid_reference(x)
    assert got.dtype == want.dtype == dt and got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(x))
    np.testing.assert_allclose(got, want, rtol=RTOL[dt], atol=0)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_subnormal_results_are_flushed_to_zero(dt):
    tiny = np.finfo(dt).tiny
    edge = float(np.log(tiny))                       # sigmoid(edge) ~ tiny: the last normal result
    x = np.array([edge + 0.5, edge - 0.5, edge - 10, -1e4], dt)
    for got in (L.sigmoid(x), L.sigmoid_reference(x)):
        assert got[0] >= tiny and got[0] == pytest.approx(np.exp(edge + 0.5), rel=1e-5)
        np.testing.assert_array_equal(got[1:], 0)
        assert not np.signbit(got[1:]).any()


@pytest.mark.parametrize("name", ["exp", "exp_neg_abs"])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_exps_match_references_and_make_no_subnormal(name, dt):
    fast, reference = getattr(L, name), getattr(L, name + "_reference")
    rng = np.random.default_rng(2)
    x = np.concatenate([SPECIALS, -SPECIALS, rng.standard_normal(500) * 300]).astype(dt)
    x = x[x < 80]                                    # no overflow warnings
    got, want = fast(x), reference(x)
    assert got.dtype == dt
    np.testing.assert_array_equal(np.isnan(got), np.isnan(x))
    np.testing.assert_allclose(got, want, rtol=RTOL[dt], atol=0)
    finite = got[np.isfinite(got)]
    assert ((finite == 0) | (finite >= np.finfo(dt).tiny)).all()
    assert fast(dt(-3.0)).shape == ()
    np.testing.assert_array_equal(getattr(K, name)(np.float16([0, -1])), reference(np.float16([0, -1])))
    edge = L.CLAMP[np.dtype(dt)]
    assert fast(np.array([-edge], dt))[0] >= np.finfo(dt).tiny
    assert fast(np.array([np.nextafter(-edge, dt(-np.inf))], dt))[0] == 0


def test_values_at_the_extremes():
    x = np.array([-1000.0, -0.0, 0.0, 1000.0, np.inf, -np.inf, np.nan], np.float32)
    np.testing.assert_array_equal(L.sigmoid(x), np.array([0, 0.5, 0.5, 1, 1, 0, np.nan], np.float32))
    tail = L.sigmoid(np.float64([-30.0, -700.0]))          # the left tail keeps its relative precision
    np.testing.assert_allclose(tail, np.exp([-30.0, -700.0]) / (1 + np.exp([-30.0, -700.0])), rtol=1e-15)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_parallel_equals_serial_on_a_large_array(dt):
    x = (np.random.default_rng(0).standard_normal((300, 784)) * 20).astype(dt)
    np.testing.assert_array_equal(L.sigmoid(x, parallel=True), L.sigmoid(x, parallel=False))


def test_shapes_layouts_and_other_dtypes():
    x = (np.arange(24, dtype=np.float64).reshape(4, 6) - 12).T     # not contiguous
    got = L.sigmoid(x)
    assert got.shape == (6, 4)
    np.testing.assert_allclose(got, L.sigmoid_reference(x), rtol=4.5e-16)
    assert L.sigmoid(np.float32(2.0)).shape == ()
    np.testing.assert_allclose(L.sigmoid(np.float32(2.0)), 1 / (1 + np.exp(-2.0)), rtol=1e-7)
    half = np.float16([-3, 0, 3])
    assert L.sigmoid(half).dtype == np.float16
    np.testing.assert_array_equal(L.sigmoid(half), L.sigmoid_reference(half))


def test_dispatch_follows_the_backend():
    x = np.linspace(-50, 50, 101)
    with K.use_reference():
        ref = K.sigmoid(x, parallel=True)
    np.testing.assert_array_equal(ref, L.sigmoid_reference(x))
    np.testing.assert_allclose(K.sigmoid(x), ref, rtol=4.5e-16)
