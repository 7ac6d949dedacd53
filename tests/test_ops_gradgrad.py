"""Second derivatives of every registered op (specs in ``tests/op_specs.py``).

Each op's VJP is written once against a namespace (``minigrad/ops/namespaces.py``); under
``create_graph=True`` it runs on tensors and is recorded, so it can be differentiated again.
``gradgradcheck`` compares that second backward pass with central differences of the analytic
first derivative (float64, random upstream, random shapes). The default of every spec is to be
checked: an op added without a differentiable VJP fails here. An op whose spec says it cannot
be differentiated twice must raise an error naming itself instead (the goal is that none does).
"""
import numpy as np
import pytest
from hypothesis import given, settings

import minigrad as mg
from op_specs import SPECS

ALL_OPS = sorted(mg.OPS)
GRADGRAD_MAX_ELEMENTS = 40  # per-element differences up to this size (inputs and upstream), directional above


def spec_for(name):
    if name not in SPECS:
        pytest.fail(f"op {name!r} is registered but has no spec in tests/op_specs.py")
    return SPECS[name]


def make_tensors(spec, arrays):
    grad_positions = range(len(arrays)) if spec.differentiable is None else spec.differentiable
    return [mg.Tensor(np.array(a, dtype=np.float64), requires_grad=i in grad_positions)
            for i, a in enumerate(arrays)]


def test_every_spec_says_what_second_order_does():
    for name in ALL_OPS:
        second = spec_for(name).second_order
        assert second is True or (isinstance(second, str) and second), \
            f"{name}: second_order must be True (checked) or the reason it cannot be"


@pytest.mark.parametrize("name", ALL_OPS)
def test_second_derivative_matches_finite_differences(name):
    spec = spec_for(name)

    @settings(max_examples=spec.gradgrad_examples)
    @given(case=spec.cases)
    def check(case):
        tensors = make_tensors(spec, case.arrays)
        fn = lambda *ts: spec.call(*ts, **case.kwargs)  # noqa: E731
        if spec.second_order is True:
            mg.gradgradcheck(fn, tensors, max_elements=GRADGRAD_MAX_ELEMENTS)
        else:
            out = fn(*tensors)
            with pytest.raises(RuntimeError, match=spec.root_op or name):
                mg.grad(out, [t for t in tensors if t.requires_grad], grad_outputs=np.ones(out.shape),
                        create_graph=True)

    check()


def test_an_op_without_a_differentiable_vjp_names_itself():
    """An op written with the first-order-only backward(g) works to first order and refuses,
    naming itself, to be differentiated twice."""
    class Double(mg.Function):
        op_name = "double_for_test"

        def forward(self, x):
            return 2 * x

        def backward(self, g):
            return (2 * g,)

    x = mg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    (g,) = mg.grad(Double.apply(x).sum(), x)
    np.testing.assert_array_equal(g.data, [2.0, 2.0])
    with pytest.raises(RuntimeError, match="double_for_test cannot be differentiated twice"):
        mg.grad(Double.apply(x).sum(), x, create_graph=True)


@pytest.mark.parametrize("name", ALL_OPS)
def test_recorded_vjp_gives_the_first_order_values(name):
    """The VJP run on tensors (create_graph) computes the same numbers as on arrays: gradgradcheck
    checks the recorded graph's derivatives, this checks its values."""
    spec = spec_for(name)
    if spec.second_order is not True:
        pytest.skip(f"{name} is not differentiable twice: {spec.second_order}")

    @settings(max_examples=spec.gradgrad_examples)
    @given(case=spec.cases)
    def check(case):
        tensors = make_tensors(spec, case.arrays)
        wanted = [t for t in tensors if t.requires_grad]
        out = spec.call(*tensors, **case.kwargs)
        upstream = np.random.default_rng(0).standard_normal(out.shape)
        plain = mg.grad(out, wanted, grad_outputs=upstream, retain_graph=True, allow_unused=True)
        recorded = mg.grad(out, wanted, grad_outputs=upstream, create_graph=True, allow_unused=True)
        for a, b in zip(plain, recorded):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(b.data, a.data, rtol=1e-12, atol=1e-13)

    check()
