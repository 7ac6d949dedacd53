"""Numba matmul == NumPy reference, for shapes, dtypes, layouts; parallel == serial; validation."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import importlib

import numba

from minigrad import kernels

# the package re-exports a dispatching `matmul` function under the module's name
mm = importlib.import_module("minigrad.kernels.matmul")

TOL = {np.float32: 2e-5, np.float64: 1e-12}


def _close(got, ref, dt):
    scale = np.abs(ref).max() if ref.size else 1.0
    assert got.dtype == dt
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=0, atol=TOL[dt] * max(scale, 1.0) * 4)


def _layout(a, kind):
    """The same values in a different memory layout."""
    if kind == "F":
        return np.asfortranarray(a)
    if kind == "T":                                    # transposed view of a C array
        return np.ascontiguousarray(a.T).T
    if kind == "strided":
        big = np.zeros((a.shape[0] * 2, a.shape[1] * 3), a.dtype)
        big[::2, ::3] = a
        return big[::2, ::3]
    return a


@settings(max_examples=40)
@given(M=st.integers(1, 70), K=st.integers(1, 70), N=st.integers(1, 80),
       dt=st.sampled_from([np.float32, np.float64]),
       la=st.sampled_from(["C", "F", "T", "strided"]), lb=st.sampled_from(["C", "F", "T", "strided"]),
       parallel=st.sampled_from([None, True, False]), seed=st.integers(0, 2**16))
def test_matmul_matches_reference(M, K, N, dt, la, lb, parallel, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((M, K)).astype(dt)
    b = rng.standard_normal((K, N)).astype(dt)
    got = mm.matmul(_layout(a, la), _layout(b, lb), parallel=parallel)
    _close(got, mm.matmul_reference(a, b), dt)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 300, 1), (300, 1, 5), (129, 257, 65), (8, 512, 32), (33, 600, 200)])
def test_parallel_equals_serial_and_reference(dt, shape):
    M, K, N = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((M, K)).astype(dt)
    b = rng.standard_normal((K, N)).astype(dt)
    p = mm.matmul(a, b, parallel=True)
    s = mm.matmul(a, b, parallel=False)
    np.testing.assert_array_equal(p, s)   # same blocking along k -> same rounding
    _close(p, (a.astype(np.float64) @ b.astype(np.float64)).astype(dt), dt)


@settings(max_examples=15)
@given(B=st.integers(1, 4), M=st.integers(1, 20), K=st.integers(1, 20), N=st.integers(1, 40),
       dt=st.sampled_from([np.float32, np.float64]), parallel=st.sampled_from([None, True, False]))
def test_batched_matches_reference(B, M, K, N, dt, parallel):
    rng = np.random.default_rng(B * 1000 + M)
    a = rng.standard_normal((B, M, K)).astype(dt)
    b = rng.standard_normal((B, N, K)).astype(dt).transpose(0, 2, 1)      # non-contiguous
    _close(mm.batched_matmul(a, b, parallel=parallel), mm.batched_matmul_reference(a, b), dt)


def test_empty_and_zero_k():
    a = np.zeros((3, 0), np.float32)
    b = np.zeros((0, 4), np.float32)
    np.testing.assert_array_equal(mm.matmul(a, b), np.zeros((3, 4), np.float32))
    assert mm.matmul(np.zeros((0, 5)), np.zeros((5, 2))).shape == (0, 2)


def test_no_promotion_and_no_cache_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dt in (np.float32, np.float64):
            c = mm.matmul(np.ones((40, 30), dt), np.ones((30, 20), dt))
            assert c.dtype == dt
            assert c.flags.c_contiguous


@pytest.mark.parametrize("a,b,msg", [
    (np.ones((2, 3)), np.ones((4, 5)), r"\(2, 3\) @ \(4, 5\)"),
    (np.ones((2, 3), np.float32), np.ones((3, 5)), "float32 vs float64"),
    (np.ones((2, 3, 4)), np.ones((4, 5)), r"\(2, 3, 4\)"),
    (np.ones((2, 3), np.int64), np.ones((3, 5), np.int64), "int64"),
])
def test_bad_arguments(a, b, msg):
    with pytest.raises(ValueError, match=msg):
        mm.matmul(a, b)


def test_batched_bad_batch():
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) @ \(3, 4, 5\)"):
        mm.batched_matmul(np.ones((2, 3, 4)), np.ones((3, 4, 5)))


def test_backend_switch():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    assert kernels.backend() == "numba"
    with kernels.use_reference():
        assert kernels.backend() == "numpy"
        np.testing.assert_allclose(kernels.matmul(a, b), a @ b)
    assert kernels.backend() == "numba"
    np.testing.assert_allclose(kernels.matmul(a, b), a @ b)


def test_alternating_with_numpy_matmul_is_correct():
    a = np.random.default_rng(1).standard_normal((128, 128)).astype(np.float32)
    for _ in range(5):
        r = a @ a
        c = mm.matmul(a, a)
        np.testing.assert_allclose(c, r, atol=1e-3)


def test_one_compiled_specialization_per_dtype():
    """Serial and parallel runs share one compiled driver, and its loop bodies are compiled once
    (a prange index is uint64, a range index int64: without the cast each body compiled twice).
    Layouts (C, F, transposed, strided) never add specializations.  Guards cold-compile time."""
    rng = np.random.default_rng(2)
    for la in ("C", "F", "T", "strided"):
        a = _layout(rng.standard_normal((20, 30)).astype(np.float32), la)
        b = _layout(rng.standard_normal((30, 40)).astype(np.float32), la)
        np.testing.assert_array_equal(mm.matmul(a, b, parallel=True), mm.matmul(a, b, parallel=False))
    assert np.dtype(np.float32) in mm._DRIVERS
    for disp in (mm._pack, mm._pack_task):
        sigs = [s for s in disp.signatures if s[0].dtype == numba.float32]
        assert len(sigs) <= 1, sigs      # 0 when the driver came from the on-disk cache
