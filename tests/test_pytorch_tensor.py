"""Tensor methods and creation functions as a PyTorch user spells them (issue 13, part 2).

Every behaviour is checked against NumPy written out (always run), and against torch 2.x where
it is installed (``pytest.importorskip`` inside the test, so CI without torch still runs the
NumPy half). docs/pytorch.md describes what is the same and what differs on purpose.
"""
import collections
import copy
import json
import pickle

import numpy as np
import pytest

import minigrad as mg
from minigrad.utils.data import DataLoader, TensorDataset


def with_ties(rng, shape):
    """Small integers as floats: many ties, so "first index of a tie" is exercised."""
    return rng.integers(0, 3, size=shape).astype(np.float32)


def no_graph(t):
    return isinstance(t, mg.Tensor) and not t.requires_grad and t.is_leaf


# ----- argmax / argmin ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape, dim", [((5,), None), ((5,), 0), ((4, 6), None), ((4, 6), 1), ((4, 6), 0),
                                        ((4, 6), -1), ((2, 3, 4), 1), ((2, 3, 4), -3)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_match_numpy_first_of_ties(rng, shape, dim, keepdim, name):
    a = with_ties(rng, shape)
    got = getattr(mg.tensor(a, requires_grad=True), name)(dim=dim, keepdim=keepdim)
    expected = getattr(np, name)(a, axis=dim, keepdims=keepdim)
    assert no_graph(got) and got.dtype == np.int64 and got.shape == expected.shape
    np.testing.assert_array_equal(got.data, expected)
    # NumPy's spelling, positional and module-level forms give the same
    np.testing.assert_array_equal(getattr(mg.tensor(a), name)(axis=dim, keepdims=keepdim).data, expected)
    np.testing.assert_array_equal(getattr(mg.tensor(a), name)(dim, keepdim).data, expected)
    np.testing.assert_array_equal(getattr(mg, name)(mg.tensor(a), dim, keepdim).data, expected)


@pytest.mark.parametrize("shape, dim", [((5,), None), ((4, 6), 1), ((4, 6), 0), ((2, 3, 4), -1)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_match_torch(rng, shape, dim, keepdim, name):
    torch = pytest.importorskip("torch")
    a = with_ties(rng, shape)
    got = getattr(mg.tensor(a), name)(dim=dim, keepdim=keepdim)
    expected = getattr(torch.tensor(a), name)(dim=dim, keepdim=keepdim)
    assert expected.dtype == torch.int64 and got.dtype == np.int64
    np.testing.assert_array_equal(got.data, expected.numpy())


def test_argmax_rejects_several_dims_and_both_spellings():
    x = mg.tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="one dim"):
        x.argmax(dim=(0, 1))
    with pytest.raises(TypeError, match="axis or dim"):
        x.argmax(axis=0, dim=1)


def accuracy_numpy(logits, labels):
    return float(np.mean(np.argmax(logits, axis=1) == labels)), int(np.sum(np.argmax(logits, axis=1) == labels))


@pytest.mark.parametrize("labels_as", ["int64 array", "list", "index tensor", "float tensor"])
def test_accuracy_idiom(rng, labels_as):
    logits = rng.normal(size=(50, 4)).astype(np.float32)
    labels = rng.integers(0, 4, size=50)
    given = {"int64 array": labels, "list": labels.tolist(),
             "index tensor": mg.tensor(np.eye(4)[labels]).argmax(dim=1),
             "float tensor": mg.tensor(labels)}[labels_as]
    out = mg.tensor(logits, requires_grad=True)
    pred = out.argmax(dim=1)
    mean_acc, n_correct = accuracy_numpy(logits, labels)
    acc = (pred == given).float().mean().item()
    correct = (pred == given).sum().item()
    assert isinstance(acc, float) and acc == pytest.approx(mean_acc)
    assert isinstance(correct, int) and correct == n_correct
    if not isinstance(given, list):  # the comparison the other way round too
        assert (given == pred).sum().item() == n_correct


def test_accuracy_idiom_matches_torch(rng):
    torch = pytest.importorskip("torch")
    logits = rng.normal(size=(64, 10)).astype(np.float32)
    labels = rng.integers(0, 10, size=64)
    ours = mg.tensor(logits).argmax(dim=1)
    theirs = torch.tensor(logits).argmax(dim=1)
    assert (ours == labels).float().mean().item() == pytest.approx(
        (theirs == torch.tensor(labels)).float().mean().item())
    a, b = (ours == labels).sum().item(), (theirs == torch.tensor(labels)).sum().item()
    assert a == b and type(a) is type(b) is int


def test_accuracy_over_a_data_loader_with_its_int64_labels(rng):
    x = rng.normal(size=(30, 3)).astype(np.float32)
    w = rng.normal(size=(3, 4)).astype(np.float32)
    labels = rng.integers(0, 4, size=30)
    model_w = mg.tensor(w)
    correct = 0
    for xb, yb in DataLoader(TensorDataset(mg.tensor(x), labels), batch_size=8):
        assert yb.dtype == np.int64  # default_collate's labels
        correct += ((xb @ model_w).argmax(dim=1) == yb).sum().item()
    assert correct == int(np.sum(np.argmax(x @ w, axis=1) == labels))


def test_indices_index_tensors_arrays_and_lists(rng):
    a = rng.normal(size=(4, 5)).astype(np.float32)
    x = mg.tensor(a)
    rows = x.argmax(dim=1)
    np.testing.assert_array_equal(x[np.arange(4), rows].data, a.max(axis=1))
    names = ["a", "b", "c", "d", "e"]
    assert names[x[0].argmax()] == names[int(np.argmax(a[0]))]
    assert np.arange(20)[x.argmax()] == int(np.argmax(a))
    assert rows.tolist() == np.argmax(a, axis=1).tolist() and isinstance(rows.tolist()[0], int)
    with pytest.raises(TypeError, match="integer tensors of one element"):
        names[x[0, 0]]  # a float tensor is not an index
    with pytest.raises(TypeError, match="integer tensors of one element"):
        [0, 1][rows]


# ----- max(dim) / min(dim) -----------------------------------------------------------------------
@pytest.mark.parametrize("shape, dim", [((6,), 0), ((4, 5), 1), ((4, 5), 0), ((2, 3, 4), -1), ((2, 3, 4), 1)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_give_values_and_indices(rng, shape, dim, keepdim, name):
    a = with_ties(rng, shape)
    x = mg.tensor(a, requires_grad=True)
    result = getattr(x, name)(dim=dim, keepdim=keepdim)
    values, indices = result  # a tuple ...
    assert result.values is values and result.indices is indices  # ... with names
    np.testing.assert_array_equal(values.data, getattr(np, name)(a, axis=dim, keepdims=keepdim))
    arg = np.argmax if name == "max" else np.argmin
    np.testing.assert_array_equal(indices.data, arg(a, axis=dim, keepdims=keepdim))
    assert values.requires_grad and no_graph(indices) and indices.dtype == np.int64
    # positional dim is the same call
    np.testing.assert_array_equal(getattr(x, name)(dim, keepdim).indices.data, indices.data)
    # values are differentiable: the gradient goes to the element at indices (the first of ties)
    g = rng.normal(size=values.shape)
    values.backward(g)
    expected = np.zeros(shape)
    np.put_along_axis(expected, arg(a, axis=dim, keepdims=True), g.reshape(arg(a, axis=dim, keepdims=True).shape),
                      axis=dim)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-6)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_match_torch_values_indices_and_gradient(rng, keepdim, name):
    torch = pytest.importorskip("torch")
    a = with_ties(rng, (5, 6))
    g = rng.normal(size=(5, 1) if keepdim else (5,)).astype(np.float32)
    x = mg.tensor(a, requires_grad=True)
    ours = getattr(x, name)(1, keepdim)
    ours.values.backward(g)
    xt = torch.tensor(a, requires_grad=True)
    theirs = getattr(xt, name)(1, keepdim)
    theirs.values.backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.values.data, theirs.values.detach().numpy())
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    np.testing.assert_array_equal(x.grad.data, xt.grad.numpy())


def test_max_values_are_twice_differentiable(rng):
    x = mg.tensor(rng.normal(size=(3, 4)), dtype=np.float64, requires_grad=True)
    assert mg.gradcheck(lambda x: x.max(dim=1).values ** 3, [x])
    assert mg.gradgradcheck(lambda x: x.min(dim=0, keepdim=True).values ** 3, [x])


def test_the_other_forms_of_max_and_min(rng):
    a = rng.normal(size=(3, 4)).astype(np.float32)
    b = rng.normal(size=(3, 4)).astype(np.float32)
    x = mg.tensor(a)
    assert x.max().shape == () and x.max().item() == a.max() and x.min().item() == a.min()
    np.testing.assert_array_equal(x.max(axis=1).data, a.max(axis=1))  # NumPy's spelling: values
    np.testing.assert_array_equal(x.min(axis=(0, 1), keepdims=True).data, a.min(axis=(0, 1), keepdims=True))
    np.testing.assert_array_equal(x.amax(dim=(0, 1)).data, a.max())
    np.testing.assert_array_equal(x.amin(1, keepdim=True).data, a.min(axis=1, keepdims=True))
    np.testing.assert_array_equal(x.amax(axis=0, keepdims=True).data, a.max(axis=0, keepdims=True))
    np.testing.assert_array_equal(x.max(mg.tensor(b)).data, np.maximum(a, b))  # elementwise
    np.testing.assert_array_equal(x.min(mg.tensor(b)).data, np.minimum(a, b))
    with pytest.raises(TypeError, match="amax"):
        x.max(dim=(0, 1))
    with pytest.raises(TypeError, match="axis or dim"):
        x.min(1, axis=0)


def test_the_other_forms_of_max_and_min_match_torch(rng):
    torch = pytest.importorskip("torch")
    a = rng.normal(size=(3, 4)).astype(np.float32)
    b = rng.normal(size=(3, 4)).astype(np.float32)
    x, xt = mg.tensor(a), torch.tensor(a)
    assert x.max().item() == xt.max().item()
    np.testing.assert_array_equal(x.amax(dim=(0, 1)).data, xt.amax(dim=(0, 1)).numpy())
    np.testing.assert_array_equal(x.amin(dim=1, keepdim=True).data, xt.amin(dim=1, keepdim=True).numpy())
    np.testing.assert_array_equal(x.max(mg.tensor(b)).data, xt.max(torch.tensor(b)).numpy())


# ----- size, numel, dim, t -----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 0, 3)])
def test_size_numel_dim(shape):
    a = np.zeros(shape, np.float32)
    x = mg.tensor(a)
    assert x.size == a.size and isinstance(x.size, int) and x.size * 2 == 2 * a.size  # NumPy's t.size
    assert x.size() == a.shape and isinstance(x.size(), tuple)  # PyTorch's t.size()
    assert [x.size(d) for d in range(len(shape))] == list(shape)
    assert [x.size(-d - 1) for d in range(len(shape))] == list(shape)[::-1]
    assert x.numel() == a.size and x.dim() == a.ndim == x.ndim
    assert json.loads(json.dumps({"n": x.size})) == {"n": a.size}
    assert pickle.loads(pickle.dumps(x.size)) == copy.deepcopy(x.size) == a.size
    with pytest.raises(IndexError, match="out of range"):
        x.size(len(shape))


def test_size_numel_dim_match_torch():
    torch = pytest.importorskip("torch")
    for shape in [(), (4,), (2, 3), (2, 1, 3)]:
        x, xt = mg.zeros(shape), torch.zeros(shape)
        assert x.size() == tuple(xt.size()) and x.numel() == xt.numel() and x.dim() == xt.dim()
        dims = range(-len(shape), len(shape))
        assert [x.size(d) for d in dims] == [xt.size(d) for d in dims]


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_t_transposes_up_to_two_dims(rng, shape):
    a = rng.normal(size=shape)
    x = mg.tensor(a, requires_grad=True)
    y = x.t()
    np.testing.assert_array_equal(y.data, a.T)
    g = rng.normal(size=y.shape)
    y.backward(g)
    np.testing.assert_allclose(x.grad.data, np.asarray(g).T, rtol=1e-6)
    with pytest.raises(ValueError, match="at most 2 dimensions"):
        mg.zeros(2, 3, 4).t()


def test_t_matches_torch(rng):
    torch = pytest.importorskip("torch")
    for shape in [(), (3,), (2, 3)]:
        a = rng.normal(size=shape).astype(np.float32)
        np.testing.assert_array_equal(mg.tensor(a).t().data, torch.tensor(a).t().numpy())


# ----- clone, tolist, item, float(t), int(t), format --------------------------------------------
def test_clone_copies_and_stays_in_the_graph(rng):
    a = rng.normal(size=(2, 3)).astype(np.float32)
    x = mg.tensor(a, requires_grad=True)
    y = x.clone()
    assert y.requires_grad and not y.is_leaf and y.dtype == x.dtype
    np.testing.assert_array_equal(y.data, a)
    assert not np.shares_memory(y.data, x.data)
    y.data[0, 0] = 100.0
    assert x.data[0, 0] == a[0, 0]
    g = rng.normal(size=(2, 3))
    (y * 1.0).backward(g)
    np.testing.assert_allclose(x.grad.data, g, rtol=1e-6)
    with mg.no_grad():
        assert x.clone().is_leaf and not x.clone().requires_grad
    idx = x.argmax(dim=1).clone()
    assert idx.dtype == np.int64 and no_graph(idx)
    assert x.clone().detach().is_leaf


def test_clone_matches_torch(rng):
    torch = pytest.importorskip("torch")
    a = rng.normal(size=(3,)).astype(np.float32)
    g = rng.normal(size=(3,)).astype(np.float32)
    x, xt = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (x.clone() ** 2).backward(g)
    (xt.clone() ** 2).backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-6)


def test_tolist_item_float_int(rng):
    a = rng.normal(size=(2, 3)).astype(np.float32)
    x = mg.tensor(a)
    assert x.tolist() == a.tolist() and mg.tensor(2.5).tolist() == 2.5
    assert mg.tensor([7.0]).item() == 7.0 and isinstance(mg.tensor([7.0]).item(), float)
    assert x.argmax().item() == int(np.argmax(a)) and isinstance(x.argmax().item(), int)
    assert float(mg.tensor(2.5)) == 2.5 and float(mg.tensor([[2.5]])) == 2.5
    assert int(mg.tensor(-2.7)) == -2 and int(mg.tensor([3.9])) == 3  # toward zero, as int(float)
    assert float(x[1, 2]) == float(a[1, 2])
    for convert in (float, int):
        with pytest.raises(ValueError, match="one element"):
            convert(x)


def test_tolist_float_int_match_torch(rng):
    torch = pytest.importorskip("torch")
    a = rng.normal(size=(2, 3)).astype(np.float32)
    assert mg.tensor(a).tolist() == torch.tensor(a).tolist()
    for v in (2.5, -2.7, 3.9):
        assert float(mg.tensor(v)) == float(torch.tensor(v)) and int(mg.tensor(v)) == int(torch.tensor(v))


def test_format_of_one_element_tensors():
    loss = mg.tensor(0.123456)
    assert f"{loss:.3f}" == f"{np.float32(0.123456).item():.3f}" == "0.123"
    assert f"{loss}" == str(np.float32(0.123456).item())  # a 0-d tensor formats as its number
    assert f"{mg.tensor(3.0):>6.1f}|" == "   3.0|"
    assert f"{mg.tensor([2.5]):.2f}" == "2.50"  # one element, a spec: its number
    assert f"{mg.tensor([2.5])}" == repr(mg.tensor([2.5]))  # no spec: the repr
    assert f"{mg.tensor([1.0, 2.0])}" == repr(mg.tensor([1.0, 2.0]))
    assert f"{mg.tensor([[1.0, 0.0]]).argmax():d}" == "0"
    with pytest.raises(TypeError, match="one element"):
        f"{mg.tensor([1.0, 2.0]):.2f}"


def test_format_matches_torch():
    torch = pytest.importorskip("torch")
    for v in (0.123456, -3.0, 1e-8):
        for spec in ("", ".3f", ".2e", "10.4g"):
            assert format(mg.tensor(v), spec) == format(torch.tensor(v), spec)


# ----- requires_grad_, zero_, fill_, to --------------------------------------------------------------
def test_requires_grad_in_place():
    x = mg.zeros(3)
    assert x.requires_grad_() is x and x.requires_grad
    assert x.requires_grad_(False) is x and not x.requires_grad
    y = mg.ones(2).requires_grad_() * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.requires_grad_(False)
    with pytest.raises(TypeError, match="only float tensors"):
        mg.tensor([1.0, 2.0]).argmax(dim=0).requires_grad_()


def test_grad_zero_in_place_then_accumulate(rng):
    a, g1, g2 = (rng.normal(size=4).astype(np.float32) for _ in range(3))
    x = mg.tensor(a, requires_grad=True)
    (x * 1.0).backward(g1)
    grad, array = x.grad, x.grad.data
    assert x.grad.zero_() is grad and x.grad is grad and x.grad.data is array
    np.testing.assert_array_equal(x.grad.data, np.zeros(4))
    (x * 1.0).backward(g2)
    np.testing.assert_allclose(x.grad.data, g2)  # accumulated onto the zeros, as after torch's zero_()
    filled = x.grad
    assert filled.fill_(3.0) is filled
    np.testing.assert_array_equal(x.grad.data, np.full(4, 3.0))


def test_in_place_writes_to_a_tensor_that_requires_grad_need_no_grad():
    w = mg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.zero_()
    with mg.no_grad():
        w.fill_(2.0)
    np.testing.assert_array_equal(w.data, [2, 2, 2])
    view = w.detach()
    view.zero_()  # detach() shares the data, as in PyTorch
    np.testing.assert_array_equal(w.data, [0, 0, 0])


def test_zero_matches_torch(rng):
    torch = pytest.importorskip("torch")
    a, g = rng.normal(size=3).astype(np.float32), rng.normal(size=3).astype(np.float32)
    x, xt = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for _ in range(2):
        (x * x).backward(g)
        (xt * xt).backward(torch.tensor(g))
    x.grad.zero_()
    xt.grad.zero_()
    (x * x).backward(g)
    (xt * xt).backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError):
        torch.ones(2, requires_grad=True).zero_()
    with pytest.raises(RuntimeError):
        mg.ones(2, requires_grad=True).zero_()


def test_to_and_cpu():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x and x.to(device="cpu:0") is x and x.to(np.float32) is x
    y = x.to(np.float64)
    assert y.dtype == np.float64 and y.requires_grad
    assert x.to("float64").dtype == np.float64 and x.to(y).dtype == np.float64
    assert x.to("cpu", np.float64).dtype == np.float64
    copy = x.to("cpu", copy=True)
    assert copy is not x and not np.shares_memory(copy.data, x.data)
    with pytest.raises(ValueError, match="CPU only"):
        x.to("cuda")
    with pytest.raises(TypeError, match="float32 or float64"):
        x.to(np.int64)


# ----- creation functions ------------------------------------------------------------------------
FILLED = [("zeros", np.zeros), ("ones", np.ones), ("empty", np.zeros)]


@pytest.mark.parametrize("name, reference", FILLED)
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([2, 3],), (4,), ((),)])
def test_zeros_ones_empty(name, reference, size):
    shape = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    x = getattr(mg, name)(*size)
    assert x.shape == tuple(shape) and x.dtype == np.float32 and x.is_leaf and not x.requires_grad
    np.testing.assert_array_equal(x.data, reference(shape))
    y = getattr(mg, name)(*size, dtype=np.float64, requires_grad=True)
    assert y.dtype == np.float64 and y.requires_grad and y.is_leaf


def test_full_and_full_like():
    x = mg.full((2, 3), 7)
    assert x.dtype == np.float32 and x.shape == (2, 3)
    np.testing.assert_array_equal(x.data, np.full((2, 3), 7.0))
    assert mg.full([4], 1.5, dtype="float64").dtype == np.float64
    y = mg.full_like(mg.zeros(2, dtype=np.float64), -1.0)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.data, [-1.0, -1.0])


@pytest.mark.parametrize("name, value", [("zeros_like", 0.0), ("ones_like", 1.0), ("empty_like", 0.0)])
def test_like_functions_take_shape_and_float_dtype(name, value):
    fn = getattr(mg, name)
    for source, dtype in [(mg.zeros(2, 3, dtype=np.float64), np.float64), (mg.zeros(2, 3), np.float32),
                          (np.zeros((2, 3), np.float64), np.float64), (np.zeros((2, 3), int), np.float32),
                          (mg.zeros(2, 3, 4).argmax(dim=2), np.float32)]:  # int64 indices -> float32
        x = fn(source)
        assert x.shape == (2, 3) and x.dtype == dtype and not x.requires_grad
        np.testing.assert_array_equal(x.data, np.full((2, 3), value))
    x = fn(mg.zeros(2, dtype=np.float64), dtype=np.float32, requires_grad=True)
    assert x.dtype == np.float32 and x.requires_grad


@pytest.mark.parametrize("name", ["rand", "randn"])
def test_rand_randn_follow_manual_seed(name):
    fn, like = getattr(mg, name), getattr(mg, name + "_like")
    mg.manual_seed(123)
    first = fn(3, 4)
    again_same_seed = (mg.manual_seed(123), fn(3, 4))[1]
    assert first.shape == (3, 4) and first.dtype == np.float32
    np.testing.assert_array_equal(first.data, again_same_seed.data)
    assert not np.array_equal(fn(3, 4).data, first.data)  # the generator moved on
    # the NumPy reference: minigrad.random's generator is numpy's default_rng(seed)
    draw = {"rand": lambda g, s, d: g.random(size=s, dtype=d),
            "randn": lambda g, s, d: g.standard_normal(size=s, dtype=d)}
    mg.manual_seed(7)
    np.testing.assert_array_equal(fn((2, 5), dtype=np.float64).data,
                                  draw[name](np.random.default_rng(7), (2, 5), np.float64))
    mg.manual_seed(7)
    np.testing.assert_array_equal(like(mg.zeros(2, 5)).data, draw[name](np.random.default_rng(7), (2, 5), np.float32))
    own = np.random.default_rng(5)
    np.testing.assert_array_equal(fn(4, generator=own).data, draw[name](np.random.default_rng(5), 4, np.float32))
    assert fn(2, requires_grad=True).requires_grad and like(mg.zeros(3, dtype=np.float64)).dtype == np.float64


def test_rand_randn_distributions():
    mg.manual_seed(0)
    u, z = mg.rand(20000).data, mg.randn(20000).data
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 2.5, 0.5), (0, 1, 0.1), (5, 0, -1.5), (-3, 3, 0.7), (3, 3)])
def test_arange(args):
    x = mg.arange(*args)
    expected = np.arange(*args, dtype=np.float64).astype(np.float32)
    assert x.dtype == np.float32 and x.shape == expected.shape
    np.testing.assert_array_equal(x.data, expected)
    assert mg.arange(*args, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="nonzero"):
        mg.arange(0, 1, 0)


@pytest.mark.parametrize("start, end, steps", [(0, 1, 5), (-2, 3.5, 12), (1, 1, 3), (0, 1, 1), (0, 1, 0), (5, -5, 7)])
def test_linspace(start, end, steps):
    x = mg.linspace(start, end, steps)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.data, np.linspace(start, end, steps).astype(np.float32))
    with pytest.raises(ValueError, match="steps"):
        mg.linspace(0, 1, 2.5)


def test_creation_matches_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs in [(mg.zeros(2, 3), torch.zeros(2, 3)), (mg.ones((4,)), torch.ones((4,))),
                         (mg.full((2, 2), 3.5), torch.full((2, 2), 3.5)),
                         (mg.zeros_like(mg.ones(3)), torch.zeros_like(torch.ones(3))),
                         (mg.ones_like(mg.zeros(2, 1)), torch.ones_like(torch.zeros(2, 1))),
                         (mg.full_like(mg.zeros(2), 9.0), torch.full_like(torch.zeros(2), 9.0)),
                         (mg.empty(3, 2), torch.empty(3, 2))]:
        assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32 and theirs.dtype == torch.float32
    for ours, theirs in [(mg.zeros(2, 3), torch.zeros(2, 3)), (mg.full((2, 2), 3.5), torch.full((2, 2), 3.5)),
                         (mg.ones_like(mg.zeros(2, 1)), torch.ones_like(torch.zeros(2, 1)))]:
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    for args in [(5.0,), (2.0, 7.0), (1, 2.5, 0.5), (0, 1, 0.1), (5, 0, -1.5), (-3, 3, 0.7)]:
        np.testing.assert_allclose(mg.arange(*args).data, torch.arange(*args, dtype=torch.float32).numpy(),
                                   rtol=0, atol=1e-6)
    for start, end, steps in [(0, 1, 5), (-2, 3.5, 12), (5, -5, 7), (0, 1, 1)]:
        np.testing.assert_allclose(mg.linspace(start, end, steps).data, torch.linspace(start, end, steps).numpy(),
                                   rtol=0, atol=1e-6)
    w, wt = mg.randn(3, 2, requires_grad=True), torch.randn(3, 2, requires_grad=True)
    assert w.is_leaf == wt.is_leaf and w.requires_grad == wt.requires_grad and w.shape == tuple(wt.shape)


def test_creation_accepts_cpu_only_and_checks_shapes():
    assert mg.zeros(2, device="cpu").shape == (2,)
    with pytest.raises(ValueError, match="CPU only"):
        mg.ones(2, device="cuda")
    with pytest.raises(TypeError, match="ints"):
        mg.zeros(2.5)
    with pytest.raises(ValueError, match="negative"):
        mg.ones(-1)
    with pytest.raises(TypeError, match="float32 or float64"):
        mg.zeros(2, dtype=np.int64)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        mg.randn(2, generator=3)


def test_created_leaves_train(rng):
    """zeros/randn with requires_grad are leaves that backward fills and an optimizer updates."""
    x = rng.normal(size=(8, 3)).astype(np.float32)
    w = mg.zeros(3, 1, requires_grad=True)
    b = mg.zeros(1).requires_grad_()
    loss = ((mg.tensor(x) @ w + b - 1.0) ** 2).mean()
    loss.backward()
    np.testing.assert_allclose(w.grad.data, (2 * x.T @ (x @ np.zeros((3, 1)) - 1) / 8), rtol=1e-5)
    np.testing.assert_allclose(b.grad.data, [-2.0], rtol=1e-6)


# ----- cat, concatenate(dim=), stack(dim=) -------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_concatenate_stack_with_dim(rng, dim):
    a, b = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=(2, 3)).astype(np.float32)
    x, y = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    joined = np.concatenate([a, b], axis=dim)
    for out in (mg.cat([x, y], dim=dim), mg.cat([x, y], dim), mg.cat((x, y), axis=dim),
                mg.concatenate([x, y], dim=dim), mg.concatenate([x, y], axis=dim), mg.concatenate([x, y], dim)):
        np.testing.assert_array_equal(out.data, joined)
    stacked = np.stack([a, b], axis=dim)
    for out in (mg.stack([x, y], dim=dim), mg.stack([x, y], dim), mg.stack([x, y], axis=dim)):
        np.testing.assert_array_equal(out.data, stacked)
    g = rng.normal(size=joined.shape)
    mg.cat([x, y], dim=dim).backward(g)
    ga, gb = np.split(g, [a.shape[dim]], axis=dim)
    np.testing.assert_allclose(x.grad.data, ga, rtol=1e-6)
    np.testing.assert_allclose(y.grad.data, gb, rtol=1e-6)


def test_join_rejects_axis_and_dim_together():
    x = mg.zeros(2, 2)
    with pytest.raises(TypeError, match="axis or dim"):
        mg.cat([x, x], 1, axis=0)
    with pytest.raises(TypeError, match="axis or dim"):
        mg.stack([x, x], 1, dim=0)
    with pytest.raises(TypeError, match="axis or dim"):
        mg.concatenate([x, x], axis=1, dim=0)


def test_cat_stack_match_torch(rng):
    torch = pytest.importorskip("torch")
    a, b = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=(2, 3)).astype(np.float32)
    for dim in (0, 1, -1):
        np.testing.assert_array_equal(mg.cat([mg.tensor(a), mg.tensor(b)], dim=dim).data,
                                      torch.cat([torch.tensor(a), torch.tensor(b)], dim=dim).numpy())
        np.testing.assert_array_equal(mg.stack([mg.tensor(a), mg.tensor(b)], dim=dim).data,
                                      torch.stack([torch.tensor(a), torch.tensor(b)], dim=dim).numpy())
        np.testing.assert_array_equal(mg.concatenate([mg.tensor(a), mg.tensor(b)], dim=dim).data,
                                      torch.concatenate([torch.tensor(a), torch.tensor(b)], dim=dim).numpy())


# ----- a PyTorch user's loop ---------------------------------------------------------------------
def test_a_pytorch_style_classification_loop_runs():
    """The habits together: manual_seed, randn, requires_grad_, cat, argmax accuracy, f-strings,
    grad.zero_() and size(); a linear softmax classifier learns two separable blobs."""
    import minigrad.nn.functional as F

    mg.manual_seed(0)
    x = mg.cat([mg.randn(40, 2) + 2.0, mg.randn(40, 2) - 2.0], dim=0)
    y = np.array([0] * 40 + [1] * 40)
    w = (mg.randn(2, 2) * 0.01).requires_grad_()
    b = mg.zeros(2, requires_grad=True)
    log = []
    for step in range(30):
        logits = x @ w + b
        loss = F.cross_entropy(logits, y)
        loss.backward()
        with mg.no_grad():
            w.data -= 0.5 * w.grad.data
            b.data -= 0.5 * b.grad.data
        w.grad.zero_()
        b.grad.zero_()
        acc = (logits.argmax(dim=1) == y).float().mean().item()
        log.append(f"step {step}: loss {loss:.4f} acc {acc:.2%} on {x.size(0)} samples")
    assert acc == 1.0 and float(loss) < 0.1
    assert log[-1].startswith("step 29: loss 0.") and log[-1].endswith("acc 100.00% on 80 samples")


def test_values_indices_is_a_namedtuple():
    r = mg.tensor([[1.0, 5.0]]).max(dim=1)
    assert isinstance(r, tuple) and r._fields == ("values", "indices")
    assert isinstance(r, collections.abc.Sequence) and len(r) == 2


def test_the_first_example_of_docs_pytorch_md_runs(capsys):
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "pytorch.md").read_text()
    code = page.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "docs/pytorch.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8 and all(line.startswith("loss ") and "accuracy" in line for line in lines)
