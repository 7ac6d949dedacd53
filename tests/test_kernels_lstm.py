"""LSTM-cell kernels == NumPy references; sigmoid/tanh accuracy; extremes and NaN; parallel == serial."""
import re
import warnings

import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
from minigrad import kernels
from minigrad.kernels import lstm as L

DTYPES = [np.float32, np.float64]


def _inputs(rng, B, H, dt, scale=3.0):
    gates = (rng.standard_normal((B, 4 * H)) * scale).astype(dt)
    c_prev = rng.standard_normal((B, H)).astype(dt)
    return gates, c_prev


def _close(got, ref, dt, scale=1.0):
    """Within a few ulps of the reference, relative to the size of the values that were summed."""
    assert got.dtype == dt and got.shape == ref.shape
    eps = np.finfo(dt).eps
    np.testing.assert_allclose(got, ref, rtol=8 * eps, atol=8 * eps * scale)


@settings(max_examples=40)
@given(st.integers(1, 6), st.integers(1, 9), st.sampled_from(DTYPES), st.sampled_from([0.1, 3.0, 30.0]),
       st.booleans(), st.integers(0, 2**16))
def test_forward_matches_reference(B, H, dt, scale, strided, seed):
    gates, c_prev = _inputs(np.random.default_rng(seed), B, H, dt, scale)
    if strided:                                   # non-contiguous views of the same values
        gates, c_prev = np.asfortranarray(gates), np.repeat(c_prev, 2, axis=1)[:, ::2]
    hc, acts, tanh_c = L.lstm_cell_forward(gates, c_prev)
    hc_r, acts_r, tanh_c_r = L.lstm_cell_forward_reference(gates, c_prev)
    size = 1 + np.abs(c_prev).max()
    _close(acts, acts_r, dt)
    _close(hc, hc_r, dt, size)
    _close(tanh_c, tanh_c_r, dt, size)


@settings(max_examples=40)
@given(st.integers(1, 6), st.integers(1, 9), st.sampled_from(DTYPES), st.sampled_from(["both", "dh", "dc"]),
       st.integers(0, 2**16))
def test_backward_matches_reference(B, H, dt, given_grads, seed):
    rng = np.random.default_rng(seed)
    gates, c_prev = _inputs(rng, B, H, dt)
    _, acts, tanh_c = L.lstm_cell_forward(gates, c_prev)
    dh, dc = rng.standard_normal((2, B, H)).astype(dt)
    dh = None if given_grads == "dc" else dh
    dc = None if given_grads == "dh" else dc
    d_gates, d_c_prev = L.lstm_cell_backward(dh, dc, acts, tanh_c, c_prev)
    d_gates_r, d_c_prev_r = L.lstm_cell_backward_reference(dh, dc, acts, tanh_c, c_prev)
    size = 4 * (1 + np.abs(c_prev).max())
    _close(d_gates, d_gates_r, dt, size)
    _close(d_c_prev, d_c_prev_r, dt, size)


@pytest.mark.parametrize("dt", DTYPES)
def test_sigmoid_and_tanh_within_two_ulps(dt):
    """The polynomial exp behind both activations, against long double, from tiny to saturated
    arguments. Results below the smallest normal number may be flushed to 0."""
    grid = np.concatenate([np.linspace(-120, 120, 40001), np.geomspace(1e-30, 60, 20001),
                           -np.geomspace(1e-30, 60, 20001), [0.0, -0.0]])
    H = grid.size
    x = grid.astype(dt)
    gates = np.stack([x, x, x, x]).reshape(1, 4 * H)      # every value through every gate
    _, acts, _ = L.lstm_cell_forward(gates, np.zeros((1, H), dt))
    xl = x.astype(np.longdouble)
    expected = np.concatenate([1 / (1 + np.exp(-xl))] * 2 + [np.tanh(xl), 1 / (1 + np.exp(-xl))])
    tiny, eps = np.finfo(dt).tiny, np.finfo(dt).eps
    err = np.abs(acts[0] - expected)
    normal = np.abs(expected) >= tiny
    assert np.all(err[normal] <= 2 * eps * np.abs(expected[normal]))
    assert np.all(err[~normal] <= tiny)


@pytest.mark.parametrize("dt", DTYPES)
def test_extremes_are_finite_and_warning_free(dt):
    big = [1000.0, -1000.0, 710.0, -710.0, 89.0, -89.0, np.inf, -np.inf, 0.0]
    gates = np.array([big * 4], dt)                        # B = 1, H = len(big)
    c_prev = np.array([[1000.0, -1000.0, 0.5, -0.5, 1e30, -1e30, 0.0, 1.0, -1.0]], dt)
    dh = np.linspace(-2, 2, len(big)).astype(dt)[None]
    dc = dh[:, ::-1].copy()
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        for forward, backward in ((L.lstm_cell_forward, L.lstm_cell_backward),
                                  (L.lstm_cell_forward_reference, L.lstm_cell_backward_reference)):
            hc, acts, tanh_c = forward(gates, c_prev)
            d_gates, d_c_prev = backward(dh, dc, acts, tanh_c, c_prev)
            for a in (hc, acts, tanh_c, d_gates, d_c_prev):
                assert np.all(np.isfinite(a))
            H = len(big)
            sig = np.array([1, 0, 1, 0, 1, 0, 1, 0, 0.5], dt)        # saturated exactly
            np.testing.assert_allclose(acts[0, :H], sig, atol=np.finfo(dt).eps)
            np.testing.assert_allclose(acts[0, 2 * H:3 * H], [1, -1, 1, -1, 1, -1, 1, -1, 0],
                                       atol=np.finfo(dt).eps)
            assert np.all(np.abs(hc[0]) <= 1)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("fns", ["kernel", "reference"])
def test_nan_propagates_to_its_own_element_only(dt, fns):
    forward, backward = ((L.lstm_cell_forward, L.lstm_cell_backward) if fns == "kernel"
                         else (L.lstm_cell_forward_reference, L.lstm_cell_backward_reference))
    B, H = 3, 5
    gates, c_prev = _inputs(np.random.default_rng(0), B, H, dt)
    clean = forward(gates, c_prev)
    for gate in range(4):                         # a NaN in gate `gate` of element (1, 2)
        g = gates.copy()
        g[1, gate * H + 2] = np.nan
        hc, acts, tanh_c = forward(g, c_prev)
        assert np.isnan(hc[:, 1, 2]).all() if gate != 3 else np.isnan(hc[0, 1, 2])   # o does not touch c
        mask = np.ones((B, H), bool)
        mask[1, 2] = False
        np.testing.assert_array_equal(hc[:, mask], clean[0][:, mask])
    c = c_prev.copy()
    c[0, 0] = np.nan
    hc, acts, tanh_c = forward(gates, c)
    assert np.isnan(hc[:, 0, 0]).all() and np.isfinite(np.delete(hc.reshape(2, -1), 0, axis=1)).all()
    dh = np.ones((B, H), dt)
    dh[2, 4] = np.nan
    d_gates, d_c_prev = backward(dh, None, *clean[1:], c_prev)
    assert np.isnan(d_gates[2, 4::H]).all() and np.isnan(d_c_prev[2, 4])
    assert np.isfinite(np.delete(d_gates[2], np.arange(4, 4 * H, H))).all()
    assert np.isfinite(d_gates[:2]).all() and np.isfinite(d_c_prev[:2]).all()


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("B,H", [(1, 1), (2, 3), (37, 70), (64, 128)])
def test_parallel_equals_serial_bitwise(dt, B, H):
    rng = np.random.default_rng(B * H)
    gates, c_prev = _inputs(rng, B, H, dt)
    outs = [L.lstm_cell_forward(gates, c_prev, parallel=p) for p in (False, True)]
    for serial, threaded in zip(*outs):
        np.testing.assert_array_equal(serial, threaded)
    dh, dc = rng.standard_normal((2, B, H)).astype(dt)
    grads = [L.lstm_cell_backward(dh, dc, *outs[0][1:], c_prev, parallel=p) for p in (False, True)]
    for serial, threaded in zip(*grads):
        np.testing.assert_array_equal(serial, threaded)


@pytest.mark.parametrize("row", ["_forward_row", "_backward_row"])
def test_float32_rows_do_no_float64_arithmetic_and_vectorize(row):
    """Every constant comes in with the array's dtype: the float32 code has no double math.
    Compiled here from the same Python function without the cache, to read its LLVM IR."""
    fn = numba.njit(**L._FLAGS)(getattr(L, row).py_func)
    a1 = numba.float32[::1]
    k = numba.types.UniTuple(numba.float32, len(L._constants(np.float32)))
    sig = (a1, a1, a1, a1, a1, a1, k) if row == "_forward_row" else (a1,) * 7 + (numba.float32,)
    fn.compile(sig)
    ir = fn.inspect_llvm(sig)
    body = "\n".join(f for f in re.split(r"\n(?=define )", ir)
                     if f.startswith("define") and "@cpython." not in f.split("\n")[0])
    assert not re.search(r"\b(fadd|fsub|fmul|fdiv|fpext)\b[^\n]*double", body)
    assert re.search(r"<(8|16) x float>", body)              # the loops are vectorized


def test_empty_batch_or_hidden():
    for B, H in ((0, 3), (2, 0)):
        hc, acts, tanh_c = L.lstm_cell_forward(np.zeros((B, 4 * H), np.float32), np.zeros((B, H), np.float32))
        assert hc.shape == (2, B, H) and acts.shape == (B, 4 * H) and tanh_c.shape == (B, H)
        d_gates, d_c_prev = L.lstm_cell_backward(None, None, acts, tanh_c, np.zeros((B, H), np.float32))
        assert d_gates.shape == (B, 4 * H) and d_c_prev.shape == (B, H)


@pytest.mark.parametrize("gates,c_prev,msg", [
    (np.ones((2, 7)), np.ones((2, 2)), r"\(B, 4H\) = \(2, 8\)"),
    (np.ones((2, 8), np.float32), np.ones((2, 2)), "dtype of c_prev"),
    (np.ones(8), np.ones((1, 2)), "2-D"),
    (np.ones((2, 8), np.int64), np.ones((2, 2), np.int64), "float32/float64"),
])
def test_bad_arguments(gates, c_prev, msg):
    for fn in (L.lstm_cell_forward, L.lstm_cell_forward_reference):
        with pytest.raises(ValueError, match=msg):
            fn(gates, c_prev)
    with pytest.raises(ValueError, match="dh must be"):
        L.lstm_cell_backward(np.ones((3, 2)), None, np.ones((2, 8)), np.ones((2, 2)), np.ones((2, 2)))


def test_backend_switch():
    gates, c_prev = _inputs(np.random.default_rng(5), 3, 4, np.float64)
    assert kernels.lstm_cell_forward.__wrapped__ is L.lstm_cell_forward
    with kernels.use_reference():
        got = kernels.lstm_cell_forward(gates, c_prev, parallel=True)
    for a, b in zip(got, L.lstm_cell_forward_reference(gates, c_prev)):
        np.testing.assert_array_equal(a, b)


def test_gradcheck_catches_a_missing_term(monkeypatch):
    """The op's gradient check sees the path h -> c: dropping dh * o * (1 - tanh(c)^2) from
    dc_total must fail it (so the check in test_ops_gradients is not vacuous)."""
    def wrong_backward(dh, dc, acts, tanh_c, c_prev, parallel=None):
        d_gates, _ = L.lstm_cell_backward_reference(dh, dc, acts, tanh_c, c_prev)
        H = c_prev.shape[1]
        i, f, g = acts[:, :H], acts[:, H:2 * H], acts[:, 2 * H:3 * H]
        d_gates[:, :3 * H] = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                                             dc * i * (1 - g**2)], axis=1)
        return d_gates, dc * f

    rng = np.random.default_rng(0)
    gates = mg.Tensor(rng.standard_normal((2, 12)), requires_grad=True, dtype=np.float64)
    c_prev = mg.Tensor(rng.standard_normal((2, 3)), requires_grad=True, dtype=np.float64)
    mg.gradcheck(mg.ops.lstm_cell, [gates, c_prev])
    monkeypatch.setattr(kernels, "lstm_cell_backward", wrong_backward)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(mg.ops.lstm_cell, [gates, c_prev])
