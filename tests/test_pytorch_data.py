"""minigrad.utils.data (Dataset, TensorDataset, DataLoader, random_split, default_collate) and
minigrad.save / minigrad.load, as a PyTorch user calls them.

Orders, batches and splits are checked against NumPy written out (always run), then against
torch.utils.data where the two are comparable (not the random orders themselves: a seed means
different draws for a numpy Generator and a torch.Generator)."""
import collections
import io
import os

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

X = np.arange(30, dtype=np.float32).reshape(10, 3)
Y = np.arange(10) % 3


def epoch(loader):
    return [(xb.data.copy(), yb) for xb, yb in loader]


# ----- datasets ----------------------------------------------------------------------------------
def test_tensor_dataset_indexes_every_tensor():
    ds = TensorDataset(mg.tensor(X), Y)
    x, y = ds[4]
    assert len(ds) == 10 and isinstance(x, mg.Tensor) and not x.requires_grad
    np.testing.assert_array_equal(x.data, X[4])
    assert y == Y[4]
    with pytest.raises(ValueError, match="same length"):
        TensorDataset(X, Y[:5])


def test_a_dataset_is_any_class_with_getitem_and_len():
    class Squares(Dataset):
        def __getitem__(self, i):
            return {"x": np.full(2, i, np.float32), "y": i * i, "name": f"s{i}"}

        def __len__(self):
            return 5

    batch = next(iter(DataLoader(Squares(), batch_size=3)))
    np.testing.assert_array_equal(batch["x"].data, [[0, 0], [1, 1], [2, 2]])
    np.testing.assert_array_equal(batch["y"], [0, 1, 4])
    assert batch["name"] == ["s0", "s1", "s2"]
    with pytest.raises(NotImplementedError):
        Dataset()[0]


# ----- DataLoader --------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size, drop_last, sizes", [(4, False, [4, 4, 2]), (4, True, [4, 4]),
                                                          (5, True, [5, 5]), (20, False, [10]), (20, True, [])])
def test_in_order_batches(batch_size, drop_last, sizes):
    loader = DataLoader(TensorDataset(X, Y), batch_size, drop_last=drop_last)
    batches = epoch(loader)
    assert len(loader) == len(sizes) and [len(y) for _, y in batches] == sizes
    if batches:
        np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), X[:sum(sizes)])
        assert batches[0][1].dtype == np.int64 and batches[0][0].dtype == np.float32


def test_shuffle_with_an_int_seed_is_numpy_permutations_epoch_after_epoch():
    loader = DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True, generator=7)
    rng = np.random.default_rng(7)
    for _ in range(3):  # each epoch: the next permutation of the loader's own generator
        order = rng.permutation(10)
        got = np.concatenate([y for _, y in epoch(loader)])
        np.testing.assert_array_equal(got, Y[order])
    again = DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True, generator=7)
    np.testing.assert_array_equal(epoch(again)[0][0], X[np.random.default_rng(7).permutation(10)[:4]])


def test_shuffle_with_a_generator_or_the_global_seed():
    gen = np.random.default_rng(3)
    loader = DataLoader(TensorDataset(X), batch_size=10, shuffle=True, generator=gen)
    first = next(iter(loader))[0].data
    np.testing.assert_array_equal(first, X[np.random.default_rng(3).permutation(10)])
    assert gen.bit_generator.state != np.random.default_rng(3).bit_generator.state  # it advanced
    mg.manual_seed(11)
    a = next(iter(DataLoader(TensorDataset(X), batch_size=10, shuffle=True)))[0].data
    mg.manual_seed(11)
    b = next(iter(DataLoader(TensorDataset(X), batch_size=10, shuffle=True)))[0].data
    np.testing.assert_array_equal(a, b)
    assert sorted(a[:, 0]) == sorted(X[:, 0])
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(TensorDataset(X), shuffle=True, generator="seed")
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(X), batch_size=0)


def test_getitems_fetches_a_batch_in_one_call():
    class Batched(Dataset):
        calls = []

        def __getitems__(self, indices):
            self.calls.append(list(indices))
            return [(X[i], Y[i]) for i in indices]

        def __len__(self):
            return 10

    ds = Batched()
    assert len(epoch(DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True))) == 3
    assert ds.calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_training_with_a_loader_and_loss_module():
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2)).astype(np.float32)
    y = (x[:, 0] > x[:, 1]).astype(np.int64)
    model, criterion = nn.Linear(2, 2), nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=0.1)
    losses = []
    for _ in range(15):
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=1):
            loss = criterion(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert np.mean(losses[-4:]) < 0.5 * np.mean(losses[:4])


# ----- default_collate ---------------------------------------------------------------------------
def test_collate_types():
    Point = collections.namedtuple("Point", "x y")
    batch = default_collate([(np.ones(2, np.float32), np.zeros(2), 1.5, 3, True, "a", Point(1, 2.0)),
                             (np.ones(2, np.float32), np.zeros(2), 2.5, 4, False, "b", Point(5, 6.0))])
    f32, f64, floats, ints, bools, strs, point = batch
    assert isinstance(batch, list) and f32.dtype == np.float32 and f32.shape == (2, 2)
    assert f64.dtype == np.float64  # a float64 array keeps its dtype (minigrad.dtypes)
    assert isinstance(floats, mg.Tensor) and floats.dtype == np.float32  # Python floats: float32
    assert isinstance(ints, np.ndarray) and ints.dtype == np.int64 and list(ints) == [3, 4]
    assert bools.dtype == bool and strs == ["a", "b"]
    assert isinstance(point, Point) and list(point.x) == [1, 5] and point.y.dtype == np.float32
    stacked = default_collate([mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0])])
    assert stacked.shape == (2, 2) and not stacked.requires_grad
    ordered = default_collate([collections.OrderedDict(b=1, a=2.0)] * 2)
    assert type(ordered) is collections.OrderedDict and list(ordered) == ["b", "a"]
    with pytest.raises(ValueError, match=r"shapes \[\(2,\), \(3,\)\]"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="object"):
        default_collate([object(), object()])


def test_collated_labels_go_straight_into_the_losses():
    xb, yb = default_collate([(np.array([0.1, 2.0, -1.0], np.float32), 1), (np.zeros(3, np.float32), 2)])
    expected = -np.log(np.exp(xb.data[[0, 1], [1, 2]]) / np.exp(xb.data).sum(1)).mean()
    assert F.cross_entropy(xb, yb).item() == pytest.approx(expected, rel=1e-6)


# ----- random_split ------------------------------------------------------------------------------
def test_random_split_lengths_and_fractions():
    ds = TensorDataset(X, Y)
    parts = random_split(ds, [3, 7], generator=5)
    order = np.random.default_rng(5).permutation(10)
    assert [p.indices for p in parts] == [list(order[:3]), list(order[3:])]
    assert isinstance(parts[0], Subset) and parts[1][0][1] == Y[order[3]]
    # fractions: floor(10 f) = 3, 3, 3; the one left over goes to the first part
    assert [len(p) for p in random_split(ds, [0.33, 0.33, 0.34], generator=0)] == [4, 3, 3]
    assert [len(p) for p in random_split(range(7), [0.5, 0.5])] == [4, 3]
    every = sorted(i for p in random_split(range(10), [0.2, 0.3, 0.5], generator=1) for i in p.indices)
    assert every == list(range(10))
    with pytest.raises(ValueError, match="add up to 9"):
        random_split(ds, [4, 5])


# ----- save / load -------------------------------------------------------------------------------
def test_save_load_round_trips_types(tmp_path):
    obj = collections.OrderedDict([
        ("w", np.arange(6, dtype=np.float32).reshape(2, 3)), ("ids", np.array([1, 2], np.int64)),
        ("mask", np.array([True, False])), ("names", np.array(["a", "bc"])),
        ("t", mg.tensor([1.0, 2.0], requires_grad=True)), ("p", nn.Parameter(np.ones(2))),
        ("scalar", np.float32(1.5)), ("n", 3), ("x", 0.1), ("inf", float("inf")), ("flag", False),
        ("none", None), ("text", "hé"), ("tuple", (1, [2.0, "3"])), ("nested", {0: {"step": 2}, "1": [None]}),
    ])
    path = tmp_path / "state.pt"
    mg.save(obj, path)
    back = mg.load(path)
    assert type(back) is collections.OrderedDict and list(back) == list(obj)
    for key in ("w", "ids", "mask", "names"):
        assert back[key].dtype == obj[key].dtype
        np.testing.assert_array_equal(back[key], obj[key])
    assert isinstance(back["t"], mg.Tensor) and back["t"].requires_grad and back["t"].dtype == np.float32
    assert isinstance(back["p"], nn.Parameter) and back["p"].dtype == np.float64
    assert type(back["scalar"]) is np.float32 and back["scalar"] == 1.5
    assert back["n"] == 3 and type(back["n"]) is int and back["x"] == 0.1 and back["inf"] == float("inf")
    assert back["flag"] is False and back["none"] is None and back["text"] == "hé"
    assert back["tuple"] == (1, [2.0, "3"]) and back["nested"] == {0: {"step": 2}, "1": [None]}
    with np.load(path, allow_pickle=False) as archive:  # a plain .npz, no pickle inside
        assert "__minigrad__" in archive.files
    assert (os.stat(path).st_mode & 0o777) == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_model_and_optimizer_resume_from_a_saved_checkpoint(tmp_path):
    def make():
        mg.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        return model, optim.Adam(model.parameters(), lr=0.05, amsgrad=True)

    def train(model, opt, steps):
        for k in range(steps):
            loss = F.mse_loss(model(mg.tensor(X[k:k + 3] / 30)), mg.tensor(np.ones((3, 1), np.float32)))
            opt.zero_grad()
            loss.backward()
            opt.step()

    model, opt = make()
    train(model, opt, 2)
    mg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 2}, tmp_path / "ckpt.npz")
    train(model, opt, 3)
    model2, opt2 = make()
    ckpt = mg.load(tmp_path / "ckpt.npz", map_location="cpu", weights_only=True)
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optimizer"])
    assert ckpt["epoch"] == 2 and ckpt["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    train(model2, opt2, 3)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_save_refuses_what_needs_pickle_and_writes_atomically(tmp_path, monkeypatch):
    path = tmp_path / "keep.npz"
    mg.save({"v": 1}, path)
    for bad, where in [({"a": [1, object()]}, r"obj\['a'\]\[1\]"), ({"f": lambda: 0}, r"obj\['f'\]"),
                       ({"o": np.array([{}], dtype=object)}, "Python objects"), ({(1, 2): 0}, "keys")]:
        with pytest.raises(TypeError, match=where):
            mg.save(bad, path)

    def half_written(f, **arrays):
        f.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", half_written)
    with pytest.raises(OSError, match="disk full"):
        mg.save({"v": 2}, path)
    monkeypatch.undo()
    assert mg.load(path) == {"v": 1} and os.listdir(tmp_path) == ["keep.npz"]  # old file, no temp left


def test_save_to_a_file_object_and_reject_foreign_npz(tmp_path):
    buffer = io.BytesIO()
    mg.save({"a": np.arange(3)}, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(mg.load(buffer)["a"], np.arange(3))
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    with pytest.raises(ValueError, match="not written by minigrad.save"):
        mg.load(tmp_path / "plain.npz")


# ----- against torch.utils.data ------------------------------------------------------------------
def test_loader_and_split_match_torch():
    torch = pytest.importorskip("torch")
    tdata = torch.utils.data
    for n, batch_size, drop_last in [(10, 4, False), (10, 4, True), (12, 3, True), (7, 10, False)]:
        ours = DataLoader(TensorDataset(X[:n], Y[:n]), batch_size, drop_last=drop_last)
        theirs = tdata.DataLoader(tdata.TensorDataset(torch.tensor(X[:n]), torch.tensor(Y[:n])), batch_size,
                                  drop_last=drop_last)
        assert len(ours) == len(theirs)
        for (xb, yb), (txb, tyb) in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(xb.data, txb.numpy())
            np.testing.assert_array_equal(yb, tyb.numpy())
        shuffled = DataLoader(TensorDataset(X[:n]), batch_size, shuffle=True, drop_last=drop_last, generator=0)
        tshuffled = tdata.DataLoader(tdata.TensorDataset(torch.tensor(X[:n])), batch_size, shuffle=True,
                                     drop_last=drop_last, generator=torch.Generator().manual_seed(0))
        sizes = [[len(b[0]) for b in loader] for loader in (shuffled, tshuffled)]
        assert sizes[0] == sizes[1]
        if not drop_last:  # both are permutations of the whole data set
            for loader in (shuffled, tshuffled):
                rows = np.concatenate([np.asarray(b[0].data if isinstance(b[0], mg.Tensor) else b[0]) for b in loader])
                assert sorted(rows[:, 0]) == sorted(X[:n, 0])
    for n, fractions in [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (101, [0.8, 0.1, 0.1]), (5, [0.1, 0.9])]:
        ours = [len(p) for p in random_split(range(n), fractions, generator=0)]
        theirs = [len(p) for p in tdata.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))]
        assert ours == theirs


def test_collate_structure_matches_torch():
    torch = pytest.importorskip("torch")
    Point = collections.namedtuple("Point", "x y")
    samples = [{"image": np.ones((2, 2), np.float32), "label": 3, "meta": (Point(1, 0.5), "a")},
               {"image": np.zeros((2, 2), np.float32), "label": 1, "meta": (Point(2, 1.5), "b")}]
    ours, theirs = default_collate(samples), torch.utils.data.default_collate(samples)

    def same(a, b):
        if isinstance(b, torch.Tensor):
            values = a.data if isinstance(a, mg.Tensor) else a
            assert values.shape == tuple(b.shape)
            np.testing.assert_array_equal(values, b.numpy())
        elif isinstance(b, dict):
            assert list(a) == list(b)
            for key in b:
                same(a[key], b[key])
        elif isinstance(b, (list, tuple)):
            assert len(a) == len(b) and (type(a) is type(b) or not hasattr(b, "_fields"))
            for x, y in zip(a, b):
                same(x, y)
        else:
            assert a == b

    same(ours, theirs)
    # the documented dtype differences: int labels are int64 arrays, Python floats float32
    assert ours["label"].dtype == np.int64 and theirs["label"].dtype == torch.int64
    assert ours["meta"][0].y.dtype == np.float32 and theirs["meta"][0].y.dtype == torch.float64
