"""One argument contract for the window ops (minigrad/kernels/conv_args.py).

Each property draws an argument set, often a bad one (bools, floats, NumPy integers, negative or
zero sizes, output_padding at and past its limit, mismatched channels, upstream gradients of the
wrong shape), and runs it through a kernel under both backends: the Numba kernel and its NumPy
reference must both succeed with the same output shape and dtype, or both raise the same
exception type with the same message.  The forward ops are also checked against the naive loops
of tests/conv_reference.py.  Then a few explicit cases: np.int64(2) is accepted everywhere, True
and 1.5 are rejected everywhere, and output_padding follows PyTorch's rule q < max(stride, dilation).
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
import minigrad.kernels as K
import minigrad.nn as nn
import minigrad.nn.functional as F
from conv_reference import (avg_pool2d_naive, conv2d_naive, conv_transpose2d_naive, max_pool2d_naive,
                            upsample_nearest_naive)
from minigrad.kernels import conv_args

EXAMPLES = settings(max_examples=100, deadline=None)


# ----------------------------------------------------------------------------------------------
# running both sides
# ----------------------------------------------------------------------------------------------
def outcome(fn, *args):
    """("ok", [(shape, dtype) of each output]) or (exception type, message)."""
    try:
        out = fn(*args)
    except Exception as e:  # noqa: BLE001  (the exception is the result under test)
        return type(e), str(e)
    outs = out if isinstance(out, tuple) else (out,)
    return "ok", [(o.shape, o.dtype) for o in outs]


def fast_and_reference(name, *args):
    """The outcome of kernel ``name``, asserted equal under the numba and numpy backends."""
    fast = outcome(getattr(K, name), *args)
    with K.use_reference():
        ref = outcome(getattr(K, name), *args)
    assert fast == ref, f"{name}: numba {fast} != numpy {ref}"
    return fast


def same_as_naive(result, naive, *args):
    """The naive loops fail the same way, or succeed with the same output shape (in float64)."""
    got = outcome(naive, *args)
    if result[0] == "ok":
        assert got[0] == "ok" and got[1][0][0] == result[1][0][0], (result, got)
    else:
        assert got == result


def gy_for(result, shape_if_failed, draw):
    """An upstream gradient: the output's shape, or now and then one that is off by one."""
    shape = result[1][0][0] if result[0] == "ok" else shape_if_failed
    axis = draw(st.sampled_from([None] * 8 + [0, 1, 2, 3]))
    if axis is not None:
        shape = shape[:axis] + (shape[axis] + draw(st.sampled_from([-1, 1])),) + shape[axis + 1:]
    dt = result[1][0][1] if result[0] == "ok" else np.float64
    return np.ones(tuple(max(0, n) for n in shape), dt)


# ----------------------------------------------------------------------------------------------
# argument strategies
# ----------------------------------------------------------------------------------------------
BAD_VALUES = [True, False, 1.5, 2.0, None, "2", (1, 2, 3), (1,), (1, 1.5), (True, 1), np.float64(2.0)]


def ints(low, high):
    """An int, a NumPy integer or a pair of them, in [low, high]."""
    one = st.integers(low, high) | st.integers(low, high).map(np.int64)
    return one | st.tuples(one, one)


def often(good, bad, rate=8):
    """``good`` in ``rate`` of ``rate + 1`` draws, else ``bad``."""
    return st.sampled_from([True] * rate + [False]).flatmap(lambda ok: good if ok else bad)


def arg(low, high):
    """Mostly a valid int argument; sometimes one below ``low`` or of the wrong type."""
    below = ints(low - 2, low - 1) | st.tuples(st.integers(low, high), st.integers(low - 2, low - 1))
    return often(ints(low, high), below | st.sampled_from(BAD_VALUES))


def groups_arg(valid):
    return often(st.sampled_from([valid, np.int64(valid)]), st.sampled_from([0, -1, True, 2.0, valid + 1]))


@st.composite
def arrays(draw, shape):
    """float64 mostly; sometimes float32, an int dtype, or one axis fewer."""
    dt = draw(st.sampled_from([np.float64] * 6 + [np.float32] * 2 + [np.int64]))
    if draw(st.integers(0, 19)) == 0:
        shape = shape[1:]
    return np.arange(np.prod(shape, dtype=int), dtype=dt).reshape(shape) % 7 - 3


@st.composite
def conv_case(draw, transposed=False):
    """x (N, C, H, W), w (O, C/G, KH, KW) (transposed: (C, O/G, KH, KW)) and the hyper-parameters,
    each possibly wrong."""
    G = draw(st.sampled_from([1, 1, 2]))
    Cg, Og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    C = Cg * G + draw(st.sampled_from([0] * 6 + [1]))        # sometimes not matching the weight
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    N, H, W = draw(st.integers(1, 2)), draw(st.integers(1, 6)), draw(st.integers(1, 6))
    x = draw(arrays((N, C, H, W)))
    w = draw(arrays(((Cg * G, Og) if transposed else (Og * G, Cg)) + k))
    if draw(st.sampled_from([True] * 4 + [False])):
        w = w.astype(x.dtype)                                 # mostly one dtype
    return x, w, draw(arg(1, 3)), draw(arg(0, 2)), draw(arg(1, 2)), draw(groups_arg(G))


# ----------------------------------------------------------------------------------------------
# properties
# ----------------------------------------------------------------------------------------------
@EXAMPLES
@given(conv_case(), st.data())
def test_conv2d_kernels_and_references_agree(case, data):
    x, w, s, p, d, G = case
    y = fast_and_reference("conv2d_forward", x, w, s, p, d, G)
    same_as_naive(y, conv2d_naive, x, w, s, p, d, G)
    gy = gy_for(y, (x.shape[0], w.shape[0], 2, 2), data.draw)
    input_hw = data.draw(st.sampled_from([x.shape[-2:], x.shape[-2:], (x.shape[-2] + 1, x.shape[-1]), 1.5]))
    fast_and_reference("conv2d_backward_input", gy, w, input_hw, s, p, d, G)
    fast_and_reference("conv2d_backward_weight", x, gy, w.shape[-2:], s, p, d, G)


@EXAMPLES
@given(conv_case(transposed=True), arg(0, 3), st.data())
def test_conv_transpose2d_kernels_and_references_agree(case, output_padding, data):
    x, w, s, p, d, G = case
    y = fast_and_reference("conv_transpose2d_forward", x, w, s, p, output_padding, d, G)
    same_as_naive(y, conv_transpose2d_naive, x, w, s, p, output_padding, d, G)
    gy = gy_for(y, (x.shape[0], 2, 4, 4), data.draw)
    fast_and_reference("conv_transpose2d_backward_input", gy, w, s, p, d, G)
    fast_and_reference("conv_transpose2d_backward_weight", x, gy, w.shape[-2:], s, p, d, G)


@st.composite
def pool_case(draw):
    x = draw(arrays((draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 6)),
                     draw(st.integers(1, 6)))))
    stride = draw(st.none() | arg(1, 3))
    return x, draw(arg(1, 3)), stride, draw(arg(0, 2))


@EXAMPLES
@given(pool_case(), st.data())
def test_pool_kernels_and_references_agree(case, data):
    x, k, s, p = case
    y = fast_and_reference("max_pool2d_forward", x, k, s, p)
    same_as_naive(y, max_pool2d_naive, x, k, s, p)
    gy = gy_for(y, (x.shape[0], x.shape[1], 2, 2), data.draw)
    argmax = K.max_pool2d_forward(x, k, s, p)[1] if y[0] == "ok" else np.zeros((1, 1, 1, 1), np.int64)
    if data.draw(st.integers(0, 4)) == 0:                    # indices outside the plane, or not
        argmax = np.full(gy.shape, data.draw(st.sampled_from([-1, 0, 10**6])), np.int64)
    fast_and_reference("max_pool2d_backward", gy, argmax, x.shape)
    avg = fast_and_reference("avg_pool2d_forward", x, k, s, p)
    same_as_naive(avg, avg_pool2d_naive, x, k, s, p)
    fast_and_reference("avg_pool2d_backward", gy, x.shape, k, s, p)


@EXAMPLES
@given(arrays((2, 1, 4, 6)), arg(1, 3))
def test_upsample_kernels_and_references_agree(x, scale):
    y = fast_and_reference("upsample_nearest_forward", x, scale)
    same_as_naive(y, upsample_nearest_naive, x, scale)
    fast_and_reference("upsample_nearest_backward", x, scale)     # 4 x 6 is not divisible by every scale


# ----------------------------------------------------------------------------------------------
# explicit cases
# ----------------------------------------------------------------------------------------------
def _x(shape=(1, 2, 6, 6)):
    return np.random.default_rng(0).standard_normal(shape)


def _t(a):
    return mg.tensor(a, dtype=np.float64)


def _layer_conv(v):
    layer = nn.Conv2d(2, 2, 3, stride=v, dtype=np.float64)
    layer.weight.data[...] = 1.0
    layer.bias.data[...] = 0.0
    return layer(_t(_x())).data


def _layer_pool(v):
    return nn.MaxPool2d(v)(_t(_x())).data


STRIDE_CALLS = {   # a stride or kernel size v, passed to every layer of the stack
    "kernel": lambda v: K.conv2d_forward(_x(), np.ones((2, 2, 3, 3)), v),
    "reference": lambda v: K.conv2d_forward_reference(_x(), np.ones((2, 2, 3, 3)), v),
    "naive": lambda v: conv2d_naive(_x(), np.ones((2, 2, 3, 3)), v),
    "transpose kernel": lambda v: K.conv_transpose2d_forward(_x(), np.ones((2, 2, 3, 3)), v),
    "transpose naive": lambda v: conv_transpose2d_naive(_x(), np.ones((2, 2, 3, 3)), v),
    "op": lambda v: mg.ops.conv2d(_t(_x()), _t(np.ones((2, 2, 3, 3))), v).data,
    "F.conv_transpose2d": lambda v: F.conv_transpose2d(_t(_x()), _t(np.ones((2, 2, 3, 3))), stride=v).data,
    "nn.Conv2d": _layer_conv,
    "pool kernel": lambda v: K.avg_pool2d_forward(_x(), v),
    "pool reference": lambda v: K.max_pool2d_forward_reference(_x(), v)[0],
    "pool naive": lambda v: max_pool2d_naive(_x(), v),
    "F.max_pool2d": lambda v: F.max_pool2d(_t(_x()), v).data,
    "nn.MaxPool2d": _layer_pool,
    "upsample kernel": lambda v: K.upsample_nearest_forward(_x(), v),
    "F.interpolate": lambda v: F.interpolate(_t(_x()), scale_factor=v).data,
}


@pytest.mark.parametrize("where", STRIDE_CALLS)
def test_numpy_integers_are_accepted_everywhere(where):
    call = STRIDE_CALLS[where]
    np.testing.assert_array_equal(call(np.int64(2)), call(2))
    np.testing.assert_array_equal(call((np.int64(2), np.int32(2))), call((2, 2)))


@pytest.mark.parametrize("bad", [True, 1.5, (2, 1.5)])
@pytest.mark.parametrize("where", STRIDE_CALLS)
def test_bools_and_floats_are_rejected_everywhere(where, bad):
    with pytest.raises(TypeError, match=r"must be an int or a pair of ints, got"):
        STRIDE_CALLS[where](bad)


@pytest.mark.parametrize("bad", [0, -1, (2, 0)])
def test_non_positive_strides_name_the_argument(bad):
    for call in STRIDE_CALLS.values():
        with pytest.raises(ValueError, match=r"^(stride|kernel_size|scale_factor) must be >= 1, got"):
            call(bad)


def test_groups_and_channels_are_checked_the_same_by_layers_and_kernels():
    with pytest.raises(TypeError, match="groups must be an int"):
        nn.Conv2d(2, 2, 3, groups=2.0)
    with pytest.raises(TypeError, match="groups must be an int"):
        K.conv2d_forward(_x(), np.ones((2, 1, 3, 3)), groups=2.0)
    with pytest.raises(ValueError, match="channels not divisible by groups=2"):
        nn.ConvTranspose2d(3, 2, 3, groups=2)
    with pytest.raises(ValueError, match="channels not divisible by groups=2"):
        K.conv_transpose2d_forward(_x((1, 3, 4, 4)), np.ones((3, 1, 3, 3)), groups=2)


def _transpose_outcome(s, d, q):
    """Whether every layer of the stack accepts output_padding q with stride s and dilation d."""
    x, w = _x((1, 2, 4, 4)), np.random.default_rng(1).standard_normal((2, 3, 3, 3))
    calls = [lambda: K.conv_transpose2d_forward(x, w, s, 0, q, d),
             lambda: K.conv_transpose2d_forward_reference(x, w, s, 0, q, d),
             lambda: conv_transpose2d_naive(x, w, s, 0, q, d),
             lambda: F.conv_transpose2d(_t(x), _t(w), None, s, 0, q, 1, d).data,
             lambda: nn.ConvTranspose2d(2, 3, 3, s, 0, q, dilation=d).weight.data]
    results = [outcome(c) for c in calls]
    accepted = [r[0] == "ok" for r in results]
    assert len(set(accepted)) == 1, results
    return calls[0]() if accepted[0] else None


GRID = [(s, d, q) for s in (1, 2, 3) for d in (1, 2, 3) for q in range(4)]


@pytest.mark.parametrize("s, d, q", GRID)
def test_output_padding_must_be_below_stride_or_dilation(s, d, q):
    y = _transpose_outcome(s, d, q)
    assert (y is not None) == (q < max(s, d))
    if y is not None:
        assert y.shape[2] == 3 * s + 2 * d + q + 1


@pytest.mark.parametrize("s, d, q", GRID)
def test_output_padding_rule_and_values_match_torch(s, d, q):
    torch = pytest.importorskip("torch")
    x, w = _x((1, 2, 4, 4)), np.random.default_rng(1).standard_normal((2, 3, 3, 3))
    y = _transpose_outcome(s, d, q)
    try:
        expected = torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), None, s, 0, q, 1, d).numpy()
    except RuntimeError:
        expected = None
    assert (y is None) == (expected is None)
    if y is not None:
        np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_the_limit_error_is_one_line_naming_the_argument():
    with pytest.raises(ValueError) as err:
        conv_args.transpose_params(2, 0, 2, 1, 1)
    assert str(err.value) == ("output_padding (2, 2) must be smaller than stride (2, 2) or dilation (1, 1) "
                              "on each axis")


def test_backward_references_reject_a_mismatched_gy_like_the_kernels():
    x, w = _x((1, 1, 4, 4)), np.ones((1, 1, 3, 3))
    gy = np.ones((1, 1, 3, 3))            # the output is (1, 1, 2, 2)
    for name, args in [("conv2d_backward_input", (gy, w, (4, 4))), ("conv2d_backward_weight", (x, gy, (3, 3))),
                       ("avg_pool2d_backward", (gy, x.shape, 3, 1))]:
        kind, message = fast_and_reference(name, *args)
        assert kind is ValueError and "gy (1, 1, 3, 3) does not match the output shape" in message
