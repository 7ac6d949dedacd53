"""The engine: graph building, accumulation, grad modes, dtype rules, errors."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import topological_order, unbroadcast
from minigrad.function import Function


def t(data, dtype=np.float64, requires_grad=True):
    return mg.tensor(data, dtype=dtype, requires_grad=requires_grad)


# ----- graph shapes ---------------------------------------------------------------
def test_diamond_graph_sums_both_paths():
    x = t(3.0)
    a, b = x * 2.0, x * x  # x feeds two ops whose results meet again
    (a * b).backward()     # y = 2x^3, dy/dx = 6x^2
    assert x.grad.item() == pytest.approx(54.0)


def test_tensor_reused_across_ops():
    x = t([1.0, 2.0])
    y = (x * x).sum() + (3.0 * x).sum() + x.sum()
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data + 4)


def test_topological_order_puts_inputs_first():
    x = t(1.0)
    a = x * 2.0
    b = a + x
    c = b * a
    order = topological_order([c])
    pos = {id(n): i for i, n in enumerate(order)}
    assert len(order) == 4 and order[-1] is c
    assert pos[id(x)] < pos[id(a)] < pos[id(b)] < pos[id(c)]


def test_accumulation_across_two_backward_calls_and_zero_grad():
    x = t([1.0, -2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 3.0 + 2 * x.data)
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_gradient_is_a_new_array_not_the_upstream_one():
    x = t([1.0, 2.0])
    g = np.array([0.5, 0.25])
    (x + 0.0).backward(g)
    x.grad.data[0] = 99.0
    assert g[0] == 0.5


def test_deep_chain_does_not_recurse():
    x = t(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**10_000, rel=1e-9)


def test_intermediate_grad_is_none_unless_retained():
    x = t([1.0, 2.0])
    h = x * 2.0
    k = (x * 3.0).retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad.data, h.data)
    np.testing.assert_allclose(x.grad.data, 12 * x.data)


# ----- backward errors and retain_graph ---------------------------------------------
def test_backward_twice_needs_retain_graph():
    x = t([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 4 * x.data)
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_on_non_scalar_needs_grad():
    x = t([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\) needs a grad"):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match="gradient has shape"):
        (x * 2.0).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        t([1.0], requires_grad=False).backward()


class WrongShapeGrad(Function):
    """An op whose backward returns a gradient of the wrong shape."""

    op_name = "wrong_shape_grad"

    def forward(self, x):
        return x * 2

    def backward(self, g):
        return (np.ones(g.shape[::-1], dtype=g.dtype),)


class WrongDtypeGrad(Function):
    op_name = "wrong_dtype_grad"

    def forward(self, x):
        return x * 2

    def backward(self, g):
        return (g.astype(np.float64),)


def test_engine_asserts_gradient_shape_and_dtype():
    x = t(np.ones((2, 3)))  # (3, 2) could be *reshaped* to (2, 3): it must still be refused
    with pytest.raises(AssertionError, match=r"wrong_shape_grad: gradient \(3, 2\)"):
        WrongShapeGrad.apply(x).sum().backward()
    y = t(np.ones((4,)))
    with pytest.raises(AssertionError, match="wrong_shape_grad"):
        WrongShapeGrad.apply(y[None, :]).sum().backward()
    z = t(np.ones(3), dtype=np.float32)
    with pytest.raises(AssertionError, match="wrong_dtype_grad.*float64"):
        WrongDtypeGrad.apply(z).sum().backward()


def test_unbroadcast():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(g, (3, 4)), g.sum(0))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), g.sum((0, 2))[:, None])
    np.testing.assert_array_equal(unbroadcast(g, ()), g.sum())
    np.testing.assert_array_equal(unbroadcast(g, (1, 1, 4)), g.sum((0, 1))[None, None])
    for bad in [(2, 4), (4, 3), (5, 2, 3, 4)]:
        with pytest.raises(ValueError):
            unbroadcast(g, bad)


# ----- grad modes ---------------------------------------------------------------------
def test_no_grad_builds_no_graph_and_enable_grad_reenables():
    x = t([1.0, 2.0])
    with mg.no_grad():
        y = x * 2.0
        assert not mg.is_grad_enabled()
        with mg.enable_grad():
            z = x * 2.0
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y._ctx is None
    assert z.requires_grad and z._ctx is not None


def test_no_grad_as_decorator_nested_and_recursive():
    @mg.no_grad()
    def depth(n):
        return depth(n - 1) if n else mg.is_grad_enabled()

    assert depth(3) is False
    assert mg.is_grad_enabled()  # restored after a recursive use of one instance
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            1 / 0
    assert mg.is_grad_enabled()  # restored after an exception


# ----- broadcasting and batch axes -------------------------------------------------------
def test_broadcasting_3x1_plus_1x4():
    a, b = t(np.arange(3.0).reshape(3, 1)), t(np.arange(4.0).reshape(1, 4))
    y = a * b + a
    assert y.shape == (3, 4)
    y.backward(np.ones((3, 4)))
    np.testing.assert_allclose(a.grad.data, np.full((3, 1), 6.0 + 4))
    np.testing.assert_allclose(b.grad.data, np.full((1, 4), 3.0))


def test_zero_d_tensors():
    x, w = t(2.0), t([1.0, 2.0, 3.0])
    y = (x * w).sum()
    assert x.shape == () and y.shape == ()
    y.backward()
    assert x.grad.shape == () and x.grad.item() == 6.0
    np.testing.assert_allclose(w.grad.data, [2.0, 2.0, 2.0])


def test_extra_leading_axes_on_add_mul_and_batched_matmul():
    x = t(np.random.default_rng(0).standard_normal((5, 2, 3)))
    bias, scale = t([1.0, 2.0, 3.0]), t(np.ones((2, 1)))
    w = t(np.random.default_rng(1).standard_normal((3, 4)))
    y = (x * scale + bias) @ w
    assert y.shape == (5, 2, 4)
    y.backward(np.ones(y.shape))
    assert bias.grad.shape == (3,) and scale.grad.shape == (2, 1) and w.grad.shape == (3, 4)
    np.testing.assert_allclose(bias.grad.data, np.full(3, 10.0) @ np.eye(3) * w.data.sum(1))
    np.testing.assert_allclose(w.grad.data, np.einsum("bik,bij->kj", (x.data * scale.data + bias.data),
                                                      np.ones((5, 2, 4))))


# ----- dtype rules ----------------------------------------------------------------------------
def test_float32_plus_float64_raises_naming_both():
    a, b = mg.tensor([1.0]), mg.tensor([1.0], dtype=np.float64)
    with pytest.raises(TypeError, match="float32 and float64"):
        a + b
    with pytest.raises(TypeError, match="float32 and float64"):
        a + np.ones(1)  # a float64 NumPy array is no exception
    np.testing.assert_array_equal((a.astype(np.float64) + b).data, [2.0])
    assert (a.astype(np.float64) + b).dtype == np.float64


def test_defaults_and_python_scalars_keep_the_dtype():
    assert mg.tensor([1, 2]).dtype == np.float32
    assert mg.tensor(np.arange(3)).dtype == np.float32
    assert mg.tensor(np.ones(2)).dtype == np.float64
    a = mg.tensor([1.0, 2.0])
    for y in [a + 1.5, 2 * a, a / 3, 1.0 - a, a**2, 2.0**a, mg.maximum(a, 0.5), mg.where(a > 1, a, 0.0)]:
        assert y.dtype == np.float32
    d = mg.tensor([1.0], dtype=np.float64)
    assert (d * 3).dtype == np.float64
    with pytest.raises(TypeError):
        mg.tensor([1.0], dtype=np.int64)


# ----- indexing, comparisons, small conveniences -------------------------------------------------
def test_getitem_with_repeated_fancy_indices_accumulates():
    x = t([10.0, 20.0, 30.0])
    y = x[np.array([0, 2, 0, 0])]
    y.backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_allclose(x.grad.data, [8.0, 0.0, 2.0])
    z = t(np.ones((2, 3)))
    z[[1, 1], [2, 2]].sum().backward()
    np.testing.assert_allclose(z.grad.data, [[0, 0, 0], [0, 0, 2]])


def test_comparisons_are_boolean_and_outside_the_graph():
    x = t([1.0, 2.0, 3.0])
    for c in [x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2, x > t([0.0, 5.0, 1.0])]:
        assert c.dtype == np.bool_ and not c.requires_grad and c._ctx is None
    np.testing.assert_array_equal((x > 2).data, [False, False, True])


def test_repr_detach_item_and_len():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], dtype=float32, requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], dtype=float32, grad_fn=mul)"
    assert repr(mg.tensor(3.5, dtype=np.float64)) == "tensor(3.5, dtype=float64)"
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad
    assert mg.tensor([[4.0]]).item() == 4.0 and isinstance(mg.tensor([[4.0]]).item(), float)
    with pytest.raises(ValueError, match="one element"):
        x.item()
    assert len(x) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).requires_grad = False
    with pytest.raises(TypeError, match="only float tensors"):
        (x > 1).requires_grad = True


def test_tensor_copies_its_data_and_gradients_do_not_alias():
    data = np.array([1.0, 2.0])
    x = mg.tensor(data, requires_grad=True)
    data[0] = 100.0
    assert x.data[0] == 1.0
    y = x + 0.0
    y.backward(np.ones(2))
    assert x.grad.data is not y.data


def test_reductions_accept_numpy_and_pytorch_spellings():
    x = t(np.arange(6.0).reshape(2, 3))
    for a, b in [(x.sum(axis=1, keepdims=True), x.sum(dim=1, keepdim=True)),
                 (x.mean(1), x.mean(dim=1)), (x.max(axis=0), x.max(dim=0).values), (x.var(axis=(0, 1)), x.var(dim=(0, 1)))]:
        assert a.shape == b.shape
        np.testing.assert_array_equal(a.data, b.data)
    with pytest.raises(TypeError, match="axis or dim"):
        x.sum(axis=0, dim=1)


@pytest.mark.parametrize("a_shape, b_shape, message", [
    ((2, 3, 4), (3, 4, 6), r"matmul: batch axes of shapes \(2, 3, 4\) and \(3, 4, 6\) do not broadcast"),
    ((2, 3, 4), (2, 5, 6), r"matmul: shapes \(2, 3, 4\) and \(2, 5, 6\) do not align"),
    ((3, 4), (5, 6), r"matmul: shapes \(3, 4\) and \(5, 6\) do not align"),
])
def test_matmul_shape_errors_name_the_op_and_both_shapes(a_shape, b_shape, message):
    a, b = mg.tensor(np.ones(a_shape)), mg.tensor(np.ones(b_shape))
    with pytest.raises(ValueError, match=message):
        a @ b


def test_integer_and_boolean_tensors_never_promote_silently():
    """argmax and comparisons give int64 and bool tensors: as a mask beside a float tensor they take
    its dtype; on their own they refuse arithmetic (no dtype to take) but still count."""
    x = mg.tensor([[1.0, 5.0, 2.0], [3.0, 0.0, 4.0]], requires_grad=True)
    masked = (x > 1) * x
    assert masked.dtype == np.float32
    masked.sum().backward()
    np.testing.assert_array_equal(x.grad.data, (x.data > 1).astype(np.float32))
    pred = x.argmax(dim=1)
    with pytest.raises(TypeError, match="no float tensor among the operands"):
        pred + 1
    correct = pred == np.array([1, 0])
    assert correct.sum().item() == 1 and isinstance(correct.sum().item(), int)
    assert correct.float().mean().item() == 0.5 and correct.float().dtype == np.float32
