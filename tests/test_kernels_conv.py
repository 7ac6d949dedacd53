"""conv2d / conv_transpose2d kernels == NumPy references; adjoint identities; parallel == serial; validation."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minigrad.kernels import conv as K

TOL = {np.float32: 1e-5, np.float64: 1e-12}


def _close(got, ref, dt):
    assert got.dtype == dt and got.shape == ref.shape
    scale = max(1.0, float(np.abs(ref).max()) if ref.size else 1.0)
    np.testing.assert_allclose(got, ref, rtol=0, atol=TOL[dt] * scale * 10)


@st.composite
def conv_case(draw):
    G = draw(st.sampled_from([1, 1, 2, 3]))
    Cg, Og = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    H = draw(st.integers(max(1, d[0] * (kh - 1) + 1 - 2 * p[0]), 11))
    W = draw(st.integers(max(1, d[1] * (kw - 1) + 1 - 2 * p[1]), 11))
    N = draw(st.integers(1, 3))
    dt = draw(st.sampled_from([np.float32, np.float64]))
    return N, Cg * G, H, W, Og * G, (kh, kw), s, p, d, G, dt, draw(st.integers(0, 2**16))


@settings(max_examples=50)
@given(conv_case(), st.booleans())
def test_conv2d_matches_reference_and_adjoints(case, noncontig):
    N, C, H, W, O, k, s, p, d, G, dt, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dt)
    w = rng.standard_normal((O, C // G) + k).astype(dt)
    if noncontig:
        x = np.ascontiguousarray(x[:, :, ::-1]).copy()[:, :, ::-1]
        w = np.asfortranarray(w)
    y = K.conv2d_forward(x, w, s, p, d, G)
    _close(y, K.conv2d_forward_reference(x, w, s, p, d, G), dt)
    gy = rng.standard_normal(y.shape).astype(dt)
    dx = K.conv2d_backward_input(gy, w, (H, W), s, p, d, G)
    _close(dx, K.conv2d_backward_input_reference(gy, w, (H, W), s, p, d, G), dt)
    dw = K.conv2d_backward_weight(x, gy, k, s, p, d, G)
    _close(dw, K.conv2d_backward_weight_reference(x, gy, k, s, p, d, G), dt)
    # adjoint identities: <conv(x, w), gy> == <x, dx> == <w, dw>
    rtol = 1e-4 if dt == np.float32 else 1e-10
    ref = np.sum(y.astype(np.float64) * gy)
    np.testing.assert_allclose(np.sum(x.astype(np.float64) * dx), ref, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(np.sum(w.astype(np.float64) * dw), ref, rtol=rtol, atol=rtol)


@settings(max_examples=30)
@given(conv_case(), st.data())
def test_conv_transpose2d(case, data):
    N, Cout, H, W, Cin, k, s, p, d, G, dt, seed = case
    rng = np.random.default_rng(seed)
    op = (data.draw(st.integers(0, max(s[0], d[0]) - 1)), data.draw(st.integers(0, max(s[1], d[1]) - 1)))
    x = rng.standard_normal((N, Cin, H, W)).astype(dt)
    w = rng.standard_normal((Cin, Cout // G) + k).astype(dt)
    Hout = K.conv_transpose_output_size(H, k[0], s[0], p[0], op[0], d[0])
    Wout = K.conv_transpose_output_size(W, k[1], s[1], p[1], op[1], d[1])
    if Hout < 1 or Wout < 1:
        with pytest.raises(ValueError, match="empty output"):
            K.conv_transpose2d_forward(x, w, s, p, op, d, G)
        return
    y = K.conv_transpose2d_forward(x, w, s, p, op, d, G)
    assert y.shape == (N, Cout, Hout, Wout)
    _close(y, K.conv_transpose2d_forward_reference(x, w, s, p, op, d, G), dt)
    z = rng.standard_normal(y.shape).astype(dt)
    # conv2d maps (Hout, Wout) to (H + op_h // s_h, W + op_w // s_w): x padded with zeros to that size
    xe = np.pad(x, ((0, 0), (0, 0), (0, op[0] // s[0]), (0, op[1] // s[1])))
    # conv_transpose2d is the adjoint of conv2d: <conv2d(z, w), x> == <z, conv_transpose2d(x, w)>
    rtol = 1e-4 if dt == np.float32 else 1e-10
    zy = np.sum(z.astype(np.float64) * y)
    lhs = np.sum(K.conv2d_forward(z, w, s, p, d, G).astype(np.float64) * xe)
    np.testing.assert_allclose(lhs, zy, rtol=rtol, atol=rtol)
    # gradients: wrt input = conv2d(gy, w); wrt weight: <w, dw> == <gy, y>
    dx = K.conv_transpose2d_backward_input(z, w, s, p, d, G)
    np.testing.assert_allclose(np.sum(dx.astype(np.float64) * xe), zy, rtol=rtol, atol=rtol)
    dw = K.conv_transpose2d_backward_weight(xe, z, k, s, p, d, G)
    assert dw.shape == w.shape and dw.dtype == dt
    np.testing.assert_allclose(np.sum(dw.astype(np.float64) * w), zy, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("C, O, s", [(6, 10, 2), (6, 10, 1), (1, 7, 1), (5, 2, 2)])   # the last two: few channels
def test_parallel_equals_serial(dt, C, O, s):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, C, 13, 11)).astype(dt)
    w = rng.standard_normal((O, C, 3, 3)).astype(dt)
    yp = K.conv2d_forward(x, w, s, 1, parallel=True)
    ys = K.conv2d_forward(x, w, s, 1, parallel=False)
    np.testing.assert_array_equal(yp, ys)
    _close(ys, K.conv2d_forward_reference(x, w, s, 1), dt)
    gy = rng.standard_normal(yp.shape).astype(dt)
    np.testing.assert_array_equal(K.conv2d_backward_input(gy, w, (13, 11), s, 1, parallel=True),
                                  K.conv2d_backward_input(gy, w, (13, 11), s, 1, parallel=False))
    np.testing.assert_array_equal(K.conv2d_backward_weight(x, gy, (3, 3), s, 1, parallel=True),
                                  K.conv2d_backward_weight(x, gy, (3, 3), s, 1, parallel=False))


def test_autoencoder_shapes_float32():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 16, 14, 14)).astype(np.float32)
    w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    _close(K.conv2d_forward(x, w, 1, 1), K.conv2d_forward_reference(x, w, 1, 1), np.float32)
    xt = rng.standard_normal((4, 64, 7, 7)).astype(np.float32)
    wt = rng.standard_normal((64, 32, 3, 3)).astype(np.float32)
    y = K.conv_transpose2d_forward(xt, wt, 2, 1, 1)
    assert y.shape == (4, 32, 14, 14) and y.dtype == np.float32
    _close(y, K.conv_transpose2d_forward_reference(xt, wt, 2, 1, 1), np.float32)


@pytest.mark.parametrize("call,msg", [
    (lambda: K.conv2d_forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))), r"larger than padded input"),
    (lambda: K.conv2d_forward(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding=-1), r"padding"),
    (lambda: K.conv2d_forward(np.ones((1, 3, 4, 4)), np.ones((2, 1, 3, 3)), groups=2), r"divisible by groups"),
    (lambda: K.conv2d_forward(np.ones((1, 3, 4, 4)), np.ones((2, 2, 3, 3))), r"\(1, 3, 4, 4\)"),
    (lambda: K.conv2d_forward(np.ones((3, 4, 4)), np.ones((2, 3, 3, 3))), r"\(3, 4, 4\)"),
    (lambda: K.conv2d_forward(np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 3, 3))), r"dtype mismatch"),
    (lambda: K.conv2d_backward_input(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), (4, 4)), r"\(1, 1, 3, 3\)"),
    (lambda: K.conv2d_backward_weight(np.ones((1, 1, 4, 4)), np.ones((1, 1, 5, 5)), (3, 3)), r"\(1, 1, 5, 5\)"),
    (lambda: K.conv_transpose2d_forward(np.ones((1, 2, 4, 4)), np.ones((3, 1, 3, 3))), r"\(1, 2, 4, 4\)"),
])
def test_bad_arguments(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
