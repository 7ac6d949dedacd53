"""Every registered op, checked four ways (specs in ``tests/op_specs.py``):

1. its gradient agrees with central finite differences (float64, random
   upstream direction, random shapes including broadcasting and 0-d);
2. its value agrees with an independent NumPy/SciPy reference, in float32 and
   float64, and float32 in gives float32 out;
3. forward + backward leave the input arrays untouched, and every gradient
   has its input's shape and dtype;
4. an op registered without a spec fails ``test_every_registered_op_has_a_spec``.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from op_specs import SPECS, OpSpec

ALL_OPS = sorted(mg.OPS)


def spec_for(name):
    if name not in SPECS:
        pytest.fail(f"op {name!r} is registered but has no spec in tests/op_specs.py; add one "
                    "(cases, call, reference) so its gradient and forward value are tested")
    return SPECS[name]


def make_tensors(spec, arrays, dtype):
    grad_positions = range(len(arrays)) if spec.differentiable is None else spec.differentiable
    return [mg.Tensor(np.array(a, dtype=dtype), requires_grad=i in grad_positions) for i, a in enumerate(arrays)]


def test_every_registered_op_has_a_spec():
    missing = [name for name in ALL_OPS if name not in SPECS]
    assert not missing, f"registered ops without a spec in tests/op_specs.py: {missing}"
    stale = [name for name in SPECS if name not in mg.OPS]
    assert not stale, f"specs for ops that are not registered: {stale}"
    for name, spec in SPECS.items():
        assert isinstance(spec, OpSpec), name
        assert isinstance(spec.cases, st.SearchStrategy), f"{name}: cases must be a hypothesis strategy"
        assert callable(spec.call) and callable(spec.reference), f"{name}: needs call and reference"


@pytest.mark.parametrize("name", ALL_OPS)
def test_gradient_matches_finite_differences(name):
    spec = spec_for(name)

    @given(case=spec.cases)
    def check(case):
        tensors = make_tensors(spec, case.arrays, np.float64)
        mg.gradcheck(lambda *ts: spec.call(*ts, **case.kwargs), tensors, max_elements=spec.max_elements)

    check()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", ALL_OPS)
def test_forward_matches_reference_and_keeps_inputs(name, dtype):
    spec = spec_for(name)
    rtol, atol = (spec.rtol32, spec.atol32) if dtype == np.float32 else (1e-10, 1e-12)

    @given(case=spec.cases, seed=st.integers(0, 2**32 - 1))
    def check(case, seed):
        tensors = make_tensors(spec, case.arrays, dtype)
        before = [t.data.copy() for t in tensors]
        out = spec.call(*tensors, **case.kwargs)

        # value, against a float64 reference computed from the same (rounded) inputs
        expected = np.asarray(spec.reference(*[b.astype(np.float64) for b in before], **case.kwargs))
        assert out.dtype == dtype, f"{name}: {np.dtype(dtype)} in, {out.dtype} out"
        assert out.shape == expected.shape, f"{name}: shape {out.shape}, expected {expected.shape}"
        np.testing.assert_allclose(out.data, expected, rtol=rtol, atol=atol, err_msg=name)

        # the output is made by the op under test, and gradients flow
        assert out._ctx is not None and out._ctx.op_name == (spec.root_op or name)
        g = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
        out.backward(g)
        for i, (t, b) in enumerate(zip(tensors, before)):
            np.testing.assert_array_equal(t.data, b, err_msg=f"{name} mutated input {i}")
            if t.requires_grad:
                assert t.grad is not None, f"{name}: no gradient for input {i}"
                assert t.grad.shape == t.shape and t.grad.dtype == t.dtype, (
                    f"{name}: gradient {t.grad.shape} {t.grad.dtype} for input {t.shape} {t.dtype}")
                assert np.all(np.isfinite(t.grad.data)), f"{name}: non-finite gradient for input {i}"

    check()


# ----- behaviour the generic specs deliberately avoid ----------------------------------
def test_astype_between_float32_and_float64():
    x = mg.tensor([1.5, -2.0, 3.25], requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.requires_grad
    g = np.array([0.1, 0.2, 0.3])
    y.backward(g)
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, g.astype(np.float32))
    z = mg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    (z.float() * 2.0).sum().backward()
    assert z.grad.dtype == np.float64
    np.testing.assert_array_equal(z.grad.data, [2.0, 2.0])
    with pytest.raises(TypeError):
        x.astype(np.int32)


@pytest.mark.parametrize("op", [mg.max, mg.min])
def test_reduction_ties_share_the_gradient(op):
    x = mg.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=np.float64, requires_grad=True)
    value = 3.0 if op is mg.max else 1.0
    op(x, axis=1).sum().backward()
    if op is mg.max:
        np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    else:
        np.testing.assert_allclose(x.grad.data, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])
    assert op(x).item() == value


@pytest.mark.parametrize("op", [mg.maximum, mg.minimum])
def test_elementwise_ties_split_half_and_half(op):
    a = mg.tensor([1.0, 2.0, 5.0], requires_grad=True)
    b = mg.tensor([1.0, 3.0, 4.0], requires_grad=True)
    op(a, b).backward(np.ones(3, np.float32))
    first_wins = [0.5, 0.0, 1.0] if op is mg.maximum else [0.5, 1.0, 0.0]
    np.testing.assert_array_equal(a.grad.data, first_wins)
    np.testing.assert_array_equal(b.grad.data, 1 - np.array(first_wins))


def test_pow_with_constant_exponent_and_constant_base():
    x = mg.tensor([0.5, 1.5, 2.0], dtype=np.float64, requires_grad=True)
    mg.gradcheck(lambda x: x**3, [x])
    mg.gradcheck(lambda x: x**-0.5, [x])
    mg.gradcheck(lambda x: 2.0**x, [x])
    # a negative base with an integer exponent is fine when the exponent needs no gradient
    y = mg.tensor([-1.5, 2.0], dtype=np.float64, requires_grad=True)
    mg.gradcheck(lambda y: y**2, [y])
