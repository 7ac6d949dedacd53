"""A PyTorch user's habits with modules (issue 13): state_dict order and contents, tied parameters,
buffers, BatchNorm's num_batches_tracked and momentum=None, Sequential/ModuleList/ModuleDict,
apply, add_module, requires_grad_, float/double, to('cpu').

Every behaviour has a test that always runs (expected values written out, or NumPy references)
and, where PyTorch is installed, one that compares with it (keys, order, values, strict loading
of a converted state_dict in both directions)."""
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

F64 = np.float64


def torch_or_skip():
    return pytest.importorskip("torch")


def to_numpy(state):
    return OrderedDict((k, v.detach().numpy()) for k, v in state.items())


def build_net(N, P, ones):
    """The same network in minigrad (N = minigrad.nn) or PyTorch (N = torch.nn): own parameter and
    buffers, nested Sequential with BatchNorm, a tied parameter and a module under two names."""

    class Net(N.Module):
        def __init__(self):
            super().__init__()
            self.conv = N.Conv2d(1, 2, 3)
            self.bn = N.BatchNorm2d(2)
            self.seq = N.Sequential(N.Linear(2, 3), N.BatchNorm1d(3), N.Linear(3, 2))
            self.scale = P(ones(1))
            self.head = N.Linear(2, 2)
            self.tied = self.head.weight           # one Parameter, two names
            self.shared = self.seq[0]              # one module, two names
            self.register_buffer("scratch", ones(2), persistent=False)
            self.register_buffer("count", ones(2))

        def forward(self, x):
            h = self.bn(self.conv(x)).mean((2, 3)) if hasattr(x, "mean") else None
            return self.head(self.seq(h)) * self.scale

    return Net()


EXPECTED_KEYS = [
    "scale", "tied", "count",  # own parameters, then own persistent buffers, then the children's
    "conv.weight", "conv.bias",
    "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
    "seq.0.weight", "seq.0.bias",
    "seq.1.weight", "seq.1.bias", "seq.1.running_mean", "seq.1.running_var", "seq.1.num_batches_tracked",
    "seq.2.weight", "seq.2.bias",
    "head.weight", "head.bias",
    "shared.weight", "shared.bias",
]


def ours_net():
    return build_net(nn, nn.Parameter, lambda n: np.ones(n, np.float32))


# ----- state_dict: PyTorch's order, tied parameters, shared modules --------------------------------
def test_state_dict_interleaves_parameters_and_buffers_per_module():
    net = ours_net()
    assert list(net.state_dict()) == EXPECTED_KEYS
    assert "scratch" not in net.state_dict()  # persistent=False


def test_tied_parameter_is_saved_under_both_names_and_listed_once():
    net = ours_net()
    names = [n for n, _ in net.named_parameters()]
    assert "tied" in names and "head.weight" not in names  # the first name only (own params come first)
    assert len(net.parameters()) == len({id(p) for p in net.parameters()}) == len(names)
    state = net.state_dict()
    np.testing.assert_array_equal(state["tied"], state["head.weight"])
    state["tied"] = np.full((2, 2), 3.0)
    state["head.weight"] = np.full((2, 2), 3.0)
    net.load_state_dict(state)
    assert net.tied is net.head.weight and np.all(net.head.weight.data == 3)
    assert [n for n, _ in net.named_modules()].count("shared") == 0  # seq.0 under its first name


def test_state_dict_keep_vars_prefix_and_destination():
    lin = nn.Linear(2, 3)
    assert lin.state_dict(keep_vars=True)["weight"] is lin.weight
    dest = {}
    assert lin.state_dict(destination=dest, prefix="fc.") is dest and list(dest) == ["fc.weight", "fc.bias"]
    missing, unexpected = lin.load_state_dict(nn.Linear(2, 3).state_dict())
    assert missing == unexpected == []
    result = lin.load_state_dict({"weight": np.zeros((3, 2))}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == []


def test_state_dict_order_and_strict_loading_match_torch():
    torch = torch_or_skip()
    ours, theirs = ours_net(), build_net(torch.nn, torch.nn.Parameter, torch.ones)
    assert list(theirs.state_dict()) == EXPECTED_KEYS == list(ours.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    theirs.train()(torch.randn(4, 1, 5, 5))  # move the running statistics and counters
    ours.load_state_dict(to_numpy(theirs.state_dict()), strict=True)
    for key, value in to_numpy(theirs.state_dict()).items():
        np.testing.assert_allclose(ours.state_dict()[key], value, rtol=1e-6)
    assert int(ours.bn.num_batches_tracked) == 1
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours_net().state_dict().items()}, strict=True)


def test_checkpoints_written_before_num_batches_tracked_still_load_strictly():
    bn = nn.BatchNorm1d(3)
    old = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    old["running_mean"] = np.arange(3.0)
    assert bn.load_state_dict(old, strict=True) == ([], [])
    np.testing.assert_array_equal(bn.running_mean, [0, 1, 2])
    with pytest.raises(KeyError, match="running_var"):
        bn.load_state_dict({k: v for k, v in old.items() if k != "running_var"})


# ----- BatchNorm: num_batches_tracked, momentum=None, track_running_stats -----------------------------
def test_batchnorm_momentum_none_is_the_cumulative_average(rng):
    bn = nn.BatchNorm2d(3, momentum=None, dtype=F64)
    batches = [rng.standard_normal((4, 3, 2, 2)) * (k + 1) + k for k in range(4)]
    for x in batches:
        bn(mg.tensor(x, dtype=F64))
    assert bn.num_batches_tracked.dtype == np.int64 and int(bn.num_batches_tracked) == 4
    np.testing.assert_allclose(bn.running_mean, np.mean([x.mean(axis=(0, 2, 3)) for x in batches], axis=0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var,
                               np.mean([x.var(axis=(0, 2, 3), ddof=1) for x in batches], axis=0), rtol=1e-12)
    assert np.all(np.isfinite(bn.running_var))
    bn.eval()
    bn(mg.tensor(batches[0], dtype=F64))
    assert int(bn.num_batches_tracked) == 4  # counted in training mode only


def test_batchnorm_counts_batches_and_round_trips_with_momentum():
    bn = nn.BatchNorm1d(2)
    for _ in range(3):
        bn(mg.tensor(np.random.default_rng(0).standard_normal((5, 2)), dtype=np.float32))
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert state["num_batches_tracked"].shape == () and state["num_batches_tracked"] == 3
    other = nn.BatchNorm1d(2)
    other.load_state_dict(state)
    assert int(other.num_batches_tracked) == 3
    assert bn.to(np.float64).num_batches_tracked.dtype == np.int64  # .to() converts float buffers only


def test_batchnorm_without_running_stats_uses_batch_statistics(rng):
    bn = nn.BatchNorm1d(3, track_running_stats=False, dtype=F64).eval()
    x = rng.standard_normal((6, 3)) * 2 + 1
    np.testing.assert_allclose(bn(mg.tensor(x, dtype=F64)).data,
                               (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-10)
    assert list(bn.state_dict()) == ["weight", "bias"] and bn.running_mean is None


def test_batchnorm_momentum_none_matches_torch(rng):
    torch = torch_or_skip()
    for track in (True, False):
        ours = nn.BatchNorm2d(3, momentum=None, track_running_stats=track, dtype=F64)
        theirs = torch.nn.BatchNorm2d(3, momentum=None, track_running_stats=track).double()
        for _ in range(3):
            x = rng.standard_normal((4, 3, 2, 3)) * 2 + 1
            np.testing.assert_allclose(ours(mg.tensor(x, dtype=F64)).data, theirs(torch.tensor(x)).detach().numpy(),
                                       rtol=1e-10, atol=1e-12)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        if track:
            np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
            np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
            assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 3
        ours.eval(), theirs.eval()
        x = rng.standard_normal((2, 3, 2, 3))
        np.testing.assert_allclose(ours(mg.tensor(x, dtype=F64)).data, theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-10, atol=1e-12)


# ----- containers ---------------------------------------------------------------------------------
def test_sequential_slices_keep_their_names():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh())
    tail = seq[1:]
    assert [n for n, _ in tail.named_children()] == ["1", "2", "3"]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]
    assert tail[1] is seq[2] and len(tail) == 3 and list(tail) == list(seq)[1:]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and isinstance(named[1], nn.ReLU)
    del seq[0]  # deleting renumbers, as in PyTorch
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"] and list(seq.state_dict()) == ["1.weight", "1.bias"]
    seq.append(nn.Linear(4, 1)).insert(0, nn.Identity())
    assert len(seq) == 5 and isinstance(seq[0], nn.Identity) and list(seq.state_dict())[-1] == "4.bias"
    assert isinstance(seq.pop(0), nn.Identity) and len(seq) == 4
    x = mg.tensor(np.ones((1, 3), np.float32))
    np.testing.assert_allclose(seq(x).data, seq[3](seq[2](seq[1](seq[0](x)))).data)


def test_module_list_and_module_dict_register_their_modules():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
            self.heads = nn.ModuleDict({"mu": nn.Linear(2, 1), "logvar": nn.Linear(2, 1)})

    net = Net()
    assert list(net.state_dict()) == [f"layers.{i}.{p}" for i in range(3) for p in ("weight", "bias")] + \
        ["heads.mu.weight", "heads.mu.bias", "heads.logvar.weight", "heads.logvar.bias"]
    layers, heads = net.layers, net.heads
    assert len(layers) == 3 and layers[-1] is list(layers)[2]
    assert [n for n, _ in layers[1:].named_children()] == ["0", "1"]  # a ModuleList slice renumbers
    layers.append(nn.ReLU())
    layers += [nn.Tanh()]
    layers.insert(0, nn.Identity())
    assert [type(m).__name__ for m in layers] == ["Identity", "Linear", "Linear", "Linear", "ReLU", "Tanh"]
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3", "4"]
    assert list(heads) == heads.keys() == ["mu", "logvar"] and "mu" in heads and "sigma" not in heads
    heads["sigma"] = nn.Linear(2, 1)
    heads.update({"mu": nn.Linear(2, 5)})  # replacing keeps the position
    assert heads.keys() == ["mu", "logvar", "sigma"] and heads["mu"].out_features == 5
    assert isinstance(heads.pop("logvar"), nn.Linear) and len(heads) == 2
    with pytest.raises(KeyError):
        heads["nope"]
    with pytest.raises(KeyError, match="already exists"):
        heads["keys"] = nn.ReLU()
    with pytest.raises(KeyError, match=r'"\."'):
        heads["a.b"] = nn.ReLU()
    with pytest.raises(NotImplementedError):
        layers(mg.tensor(np.ones(2)))


def test_containers_match_torch():
    torch = torch_or_skip()
    pairs = [
        (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4))[1:],
         torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 4))[1:]),
        (nn.ModuleList([nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 2)])[1:],
         torch.nn.ModuleList([torch.nn.Linear(1, 1), torch.nn.ReLU(), torch.nn.Linear(1, 2)])[1:]),
        (nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.Linear(1, 2)}),
         torch.nn.ModuleDict({"b": torch.nn.Linear(1, 1), "a": torch.nn.Linear(1, 2)})),
        (nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("bn", nn.BatchNorm1d(2))])),
         torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(2, 2)), ("bn", torch.nn.BatchNorm1d(2))]))),
    ]
    for ours, theirs in pairs:
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
        ours.load_state_dict(to_numpy(theirs.state_dict()), strict=True)
    seq, tseq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid()), torch.nn.Sequential(
        torch.nn.ReLU(), torch.nn.Tanh(), torch.nn.Sigmoid())
    del seq[1], tseq[1]
    assert [n for n, _ in seq.named_children()] == [n for n, _ in tseq.named_children()]


# ----- buffers, registration, apply, requires_grad_, dtype and device ------------------------------------
def test_buffers_and_registration():
    m = nn.Module()
    m.register_buffer("a", np.zeros(2))
    m.register_buffer("b", mg.tensor(np.ones(3)), persistent=False)
    m.register_buffer("c", None)
    m.add_module("fc", nn.Linear(1, 1))
    m.fc.register_buffer("d", np.zeros(1))
    m.register_parameter("w", nn.Parameter(np.ones(2)))
    assert [n for n, _ in m.named_buffers()] == ["a", "b", "fc.d"]
    assert [n for n, _ in m.named_buffers(recurse=False)] == ["a", "b"] and len(m.buffers()) == 3
    assert isinstance(m.b, np.ndarray) and list(m.state_dict()) == ["w", "a", "fc.weight", "fc.bias", "fc.d"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["w"]
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("fc", np.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.add_module("training", nn.ReLU())
    with pytest.raises(TypeError, match="not a Module"):
        m.add_module("x", np.zeros(1))
    with pytest.raises(TypeError):
        m.register_parameter("v", np.zeros(1))


def test_apply_visits_children_first_then_self():
    seq = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    seen = []
    assert seq.apply(lambda m: seen.append(type(m).__name__)) is seq
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    seq.apply(init)
    assert np.all(seq[0].weight.data == 0.5) and np.all(seq[1][1].weight.data == 0.5)


def test_apply_matches_torch():
    torch = torch_or_skip()
    ours = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1)))
    a, b = [], []
    ours.apply(lambda m: a.append(type(m).__name__))
    theirs.apply(lambda m: b.append(type(m).__name__))
    assert a == b


def test_requires_grad_freezes_and_unfreezes():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    assert model[0].requires_grad_(False) is model[0]
    out = model(mg.tensor(np.ones((3, 2), np.float32)))
    out.sum().backward()
    assert model[0].weight.grad is None and model[1].weight.grad is not None
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def test_float_double_and_cpu_device():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    assert model.double() is model and model[0].weight.dtype == np.float64 and model[1].running_var.dtype == np.float64
    assert model.float()[0].weight.dtype == np.float32
    assert model.to("cpu") is model and model[0].weight.dtype == np.float32
    model.to("cpu", np.float64)
    assert model[0].bias.dtype == np.float64
    model.to(device="cpu:0", dtype="float32")
    assert model[0].bias.dtype == np.float32
    model.to(mg.tensor(np.zeros(1), dtype=np.float64))  # a tensor's dtype
    assert model[1].weight.dtype == np.float64 and model.cpu() is model
    assert model[1].num_batches_tracked.dtype == np.int64
    with pytest.raises(ValueError, match="CPU only"):
        model.to("cuda")
    with pytest.raises(TypeError, match="float dtype"):
        model.to(np.int32)


def test_torch_dtype_and_device_objects_are_understood():
    torch = torch_or_skip()
    model = nn.Linear(2, 2)
    model.to(torch.device("cpu"), torch.float64)
    assert model.weight.dtype == np.float64
    with pytest.raises(ValueError, match="CPU only"):
        model.to(torch.device("meta"))
