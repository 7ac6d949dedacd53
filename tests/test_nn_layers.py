"""Modules: gradients of every layer (input and parameters) by finite differences,
parameter discovery, state_dict round trips and errors, train/eval behaviour,
the LSTM against a step-by-step NumPy reference, and initializers."""
import math
import pickle

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

F64 = np.float64


# ----- a gradient check that also covers the module's parameters -----------------------
def _set_by_path(module, dotted, value):
    *path, last = dotted.split(".")
    for part in path:
        module = module[int(part)] if isinstance(module, (list, tuple)) else getattr(module, part)
    setattr(module, last, value)


def check_layer(module, *inputs, output=lambda out: out):
    """gradcheck of ``output(module(*inputs))`` wrt the inputs AND every parameter (float64)."""
    names = [name for name, _ in module.named_parameters()]
    params = [mg.Tensor(p.data.copy(), requires_grad=True) for _, p in module.named_parameters()]
    assert all(p.dtype == F64 for p in params), "build the layer with dtype=np.float64"
    n = len(inputs)

    def fn(*args):
        for name, p in zip(names, args[n:]):
            _set_by_path(module, name, p)
        return output(module(*args[:n]))

    mg.gradcheck(fn, list(inputs) + params)


def x64(rng, *shape):
    return mg.tensor(rng.standard_normal(shape), dtype=F64, requires_grad=True)


LAYERS = {
    "linear": (lambda: nn.Linear(4, 3, dtype=F64), (2, 4)),
    "linear_no_bias_3d_input": (lambda: nn.Linear(4, 3, bias=False, dtype=F64), (2, 2, 4)),
    "conv2d": (lambda: nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2, dtype=F64), (2, 2, 5, 5)),
    "conv2d_dilated": (lambda: nn.Conv2d(2, 3, (2, 3), dilation=(2, 1), dtype=F64), (1, 2, 5, 6)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, dtype=F64),
                         (2, 2, 3, 3)),
    "upsample": (lambda: nn.Upsample(scale_factor=2), (1, 2, 2, 3)),
    "flatten": (lambda: nn.Flatten(), (2, 3, 2, 2)),
    "unflatten": (lambda: nn.Unflatten(1, (2, 3)), (2, 6)),
    "batchnorm1d_train": (lambda: nn.BatchNorm1d(3, dtype=F64), (5, 3)),
    "batchnorm1d_sequence_train": (lambda: nn.BatchNorm1d(3, dtype=F64), (2, 3, 4)),
    "batchnorm2d_train": (lambda: nn.BatchNorm2d(2, dtype=F64), (2, 2, 3, 3)),
    "sequential_mlp": (lambda: nn.Sequential(nn.Linear(3, 4, dtype=F64), nn.Tanh(), nn.Linear(4, 2, dtype=F64),
                                             nn.Softplus()), (3, 3)),
    "conv_autoencoder": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, dtype=F64), nn.ELU(),
                                               nn.ConvTranspose2d(2, 1, 2, stride=2, dtype=F64), nn.Sigmoid()),
                         (1, 1, 3, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_gradients(rng, name):
    make, shape = LAYERS[name]
    layer = make()
    if "batchnorm" in name:  # non-trivial affine parameters
        layer.weight.data[...] = rng.uniform(0.5, 1.5, layer.weight.shape)
        layer.bias.data[...] = rng.standard_normal(layer.bias.shape)
    check_layer(layer, x64(rng, *shape))


def test_pool_layers_gradients(rng):
    data = rng.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) * 0.1  # distinct values: no ties
    for layer in [nn.MaxPool2d(2), nn.AvgPool2d(3, stride=1, padding=1), nn.MaxPool2d((2, 3), stride=1)]:
        check_layer(layer, mg.tensor(data, dtype=F64, requires_grad=True))


@pytest.mark.parametrize("activation, reference", [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    (nn.SELU(), lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
])
def test_activation_modules(rng, activation, reference):
    x = mg.tensor(rng.uniform(0.1, 2, (3, 4)) * rng.choice([-1, 1], (3, 4)), dtype=F64, requires_grad=True)
    np.testing.assert_allclose(activation(x).data, reference(x.data), rtol=1e-12)
    check_layer(activation, x)


# ----- LSTM ------------------------------------------------------------------------------
def lstm_reference(x, params, num_layers, hidden):
    """Step by step in NumPy, batch first, gates in PyTorch's order i, f, g, o."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    B, T, _ = x.shape
    seq, h_n, c_n = x, [], []
    for k in range(num_layers):
        w_ih, w_hh = params[f"weight_ih_l{k}"], params[f"weight_hh_l{k}"]
        b = params[f"bias_ih_l{k}"] + params[f"bias_hh_l{k}"]
        h, c = np.zeros((B, hidden)), np.zeros((B, hidden))
        outs = []
        for t in range(T):
            z = seq[:, t] @ w_ih.T + h @ w_hh.T + b
            i, f, g, o = sig(z[:, :hidden]), sig(z[:, hidden:2 * hidden]), np.tanh(z[:, 2 * hidden:3 * hidden]), \
                sig(z[:, 3 * hidden:])
            c = f * c + i * g
            h = o * np.tanh(c)
            outs.append(h)
        seq = np.stack(outs, axis=1)
        h_n.append(h)
        c_n.append(c)
    return seq, np.stack(h_n), np.stack(c_n)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_lstm_matches_numpy_reference(rng, num_layers):
    lstm = nn.LSTM(3, 4, num_layers=num_layers, dtype=F64)
    x = rng.standard_normal((2, 5, 3))
    out, (h, c) = lstm(mg.tensor(x, dtype=F64))
    ref_out, ref_h, ref_c = lstm_reference(x, lstm.state_dict(), num_layers, 4)
    assert out.shape == (2, 5, 4) and h.shape == c.shape == (num_layers, 2, 4)
    np.testing.assert_allclose(out.data, ref_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h.data, ref_h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c.data, ref_c, rtol=1e-12, atol=1e-14)


def test_lstm_time_major_and_initial_state(rng):
    lstm = nn.LSTM(2, 3, batch_first=False, dtype=F64)
    x = rng.standard_normal((4, 2, 2))  # (T, B, I)
    out, (h, c) = lstm(mg.tensor(x, dtype=F64))
    ref_out, _, _ = lstm_reference(x.transpose(1, 0, 2), lstm.state_dict(), 1, 3)
    np.testing.assert_allclose(out.data, ref_out.transpose(1, 0, 2), rtol=1e-12)
    # feeding the final state back continues the sequence
    out2, _ = lstm(mg.tensor(x[2:], dtype=F64), (mg.tensor(np.zeros((1, 2, 3)), dtype=F64),) * 2)
    with pytest.raises(ValueError, match=r"\(1, 2, 3\)"):
        lstm(mg.tensor(x, dtype=F64), (h[:, :1], c))
    with pytest.raises(ValueError, match="input_size=2"):
        lstm(mg.tensor(rng.standard_normal((4, 2, 5)), dtype=F64))


def test_lstm_gradients(rng):
    lstm = nn.LSTM(2, 3, num_layers=2, dtype=F64)
    x = x64(rng, 2, 3, 2)
    check_layer(lstm, x, output=lambda r: mg.concatenate(
        [r[0].reshape(-1), r[1][0].reshape(-1), r[1][1].reshape(-1)]))


def test_lstm_against_torch_when_available(rng):
    torch = pytest.importorskip("torch")
    ours = nn.LSTM(3, 4, num_layers=2, dtype=F64)
    theirs = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((2, 5, 3))
    out, (h, c) = ours(mg.tensor(x, dtype=F64))
    t_out, (t_h, t_c) = theirs(torch.tensor(x))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.data, t_c.detach().numpy(), rtol=1e-10, atol=1e-12)


# ----- Module: parameters, modes, state_dict ----------------------------------------------------
class TwoLayer(nn.Module):
    def __init__(self, hidden=20):
        super().__init__()
        self.layer1 = nn.Linear(5, hidden)
        self.blocks = [nn.Linear(hidden, hidden), nn.ReLU()]
        self.heads = {"mu": nn.Linear(hidden, 2), "logvar": nn.Linear(hidden, 2)}
        self.bn = nn.BatchNorm1d(hidden)
        self.scale = nn.Parameter(np.ones(1, np.float32))
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        h = self.drop(self.bn(self.layer1(x)))
        for block in self.blocks:
            h = block(h)
        return self.heads["mu"](h) * self.scale


def test_parameters_found_in_attributes_lists_and_dicts():
    model = TwoLayer()
    names = [n for n, _ in model.named_parameters()]
    # the module's own parameters first, then each child's (PyTorch's order)
    assert names == ["scale", "layer1.weight", "layer1.bias", "blocks.0.weight", "blocks.0.bias", "heads.mu.weight",
                     "heads.mu.bias", "heads.logvar.weight", "heads.logvar.bias", "bn.weight", "bn.bias"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert model.layer1.weight.shape == (20, 5) and model.layer1.weight.dtype == np.float32
    assert [n for n, _ in model.named_children()] == ["layer1", "blocks.0", "blocks.1", "heads.mu", "heads.logvar",
                                                     "bn", "drop"]
    assert len(list(model.modules())) == 8
    assert list(model.state_dict()) == names + ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(seq.parameters()) == 2
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]


def test_train_eval_and_zero_grad():
    model = TwoLayer()
    assert model.training and model.bn.training
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model(mg.tensor(np.random.default_rng(0).standard_normal((4, 5)), dtype=np.float32)).sum().backward()
    assert all(p.grad is not None for n, p in model.named_parameters() if "logvar" not in n)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_round_trip_is_exact_and_pickles():
    mg.random.seed(1)
    a, b = TwoLayer(), TwoLayer()
    x = mg.tensor(np.random.default_rng(0).standard_normal((6, 5)), dtype=np.float32)
    a.train()
    a(x)  # moves BatchNorm's running statistics
    state = pickle.loads(pickle.dumps(a.state_dict()))
    assert all(isinstance(v, np.ndarray) for v in state.values())
    b.load_state_dict(state)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).data, b(x).data)
    np.testing.assert_array_equal(b.bn.running_mean, a.bn.running_mean)
    state["layer1.weight"][...] = 0  # a copy: changing it does not touch the model
    assert np.any(a.layer1.weight.data != 0)
    np.savez(__import__("io").BytesIO(), **a.state_dict())  # npz-friendly names and values


def test_load_state_dict_errors_name_the_keys_and_shapes():
    model = TwoLayer()
    state = TwoLayer(hidden=10).state_dict()
    with pytest.raises(ValueError, match=r"layer1\.weight: checkpoint has \(10, 5\), model has \(20, 5\)"):
        model.load_state_dict(state)
    state = model.state_dict()
    del state["bn.running_var"]
    state["extra.weight"] = np.zeros(3)
    with pytest.raises(KeyError, match=r"missing keys \['bn.running_var'\], unexpected keys \['extra.weight'\]"):
        model.load_state_dict(state)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == ["bn.running_var"] and unexpected == ["extra.weight"]


def test_load_state_dict_keeps_the_parameter_dtype():
    model = nn.Linear(2, 3)
    model.load_state_dict({"weight": np.ones((3, 2), np.float64), "bias": np.zeros(3)})
    assert model.weight.dtype == np.float32 and np.all(model.weight.data == 1)


def test_repr_is_readable():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2), nn.Dropout(0.25))
    text = repr(model)
    assert text.splitlines()[0] == "Sequential("
    assert "(0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" in text
    assert "(3): Linear(in_features=4, out_features=2, bias=True)" in text
    assert "(4): Dropout(p=0.25)" in text
    assert len(model) == 5 and isinstance(model[-1], nn.Dropout) and len(model[1:3]) == 2


# ----- train-only layers -----------------------------------------------------------------------
def test_dropout_and_noise_are_identity_in_eval():
    x = mg.tensor(np.arange(12.0).reshape(3, 4))
    for layer in [nn.Dropout(0.5), nn.GaussianNoise(0.3)]:
        layer.eval()
        assert layer(x) is x


def test_dropout_in_training():
    mg.random.seed(3)
    x = mg.tensor(np.ones((200, 50)), requires_grad=True)
    y = nn.Dropout(0.3)(x)
    kept = y.data != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y.data[kept], 1 / 0.7, rtol=1e-6)
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad.data, y.data)  # dy/dx = mask / (1 - p)
    assert np.all(nn.Dropout(1.0)(x).data == 0) and nn.Dropout(0.0)(x) is x
    assert mg.nn.functional.dropout(x, 0.5, training=False) is x
    assert np.any(mg.nn.functional.dropout(x, 0.5).data == 0)


def test_random_state_makes_masks_reproducible():
    x = mg.tensor(np.ones((4, 8)))
    mg.random.seed(7)
    state = mg.random.get_state()
    first = nn.Dropout(0.5)(x).data
    mg.random.set_state(pickle.loads(pickle.dumps(state)))
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).data, first)
    mg.manual_seed(7)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).data, first)


def test_gaussian_noise_in_training():
    mg.random.seed(0)
    x = mg.tensor(np.zeros((100, 100), np.float32))
    y = nn.GaussianNoise(0.5)(x)
    assert y.dtype == np.float32
    assert abs(y.data.mean()) < 0.02 and abs(y.data.std() - 0.5) < 0.02


def test_batchnorm_train_and_eval(rng):
    bn = nn.BatchNorm2d(3, momentum=0.1, dtype=F64)
    x = rng.standard_normal((4, 3, 2, 5)) * 2 + 1
    y = bn(mg.tensor(x, dtype=F64)).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1 / (1 + 1e-5 / x.var(axis=(0, 2, 3))), rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-12)
    bn.eval()
    y_eval = bn(mg.tensor(x, dtype=F64)).data
    expected = (x - bn.running_mean[None, :, None, None]) / np.sqrt(bn.running_var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(y_eval, expected, rtol=1e-12)
    single = bn(mg.tensor(x[:1], dtype=F64)).data  # eval: one example at a time gives the same answer
    np.testing.assert_allclose(single, y_eval[:1], rtol=1e-12)
    bn.train()
    with pytest.raises(ValueError, match="more than one value"):
        nn.BatchNorm1d(3)(mg.tensor(np.zeros((1, 3))))
    with pytest.raises(ValueError, match=r"3 channels.*\(4, 2\)"):
        nn.BatchNorm1d(3)(mg.tensor(np.zeros((4, 2))))


def test_batchnorm_against_torch_when_available(rng):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm1d(3, dtype=F64), torch.nn.BatchNorm1d(3).double()
    for _ in range(3):
        x = rng.standard_normal((5, 3))
        np.testing.assert_allclose(ours(mg.tensor(x, dtype=F64)).data, theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)


# ----- initializers -------------------------------------------------------------------------------
def test_fans():
    assert nn.init.calculate_fan_in_and_fan_out(mg.tensor(np.zeros((20, 5)))) == (5, 20)
    assert nn.init.calculate_fan_in_and_fan_out(mg.tensor(np.zeros((8, 3, 5, 5)))) == (75, 200)
    with pytest.raises(ValueError, match="at least 2"):
        nn.init.calculate_fan_in_and_fan_out(mg.tensor(np.zeros(3)))


def test_init_scales():
    mg.random.seed(0)
    w = mg.tensor(np.zeros((400, 300), np.float32))
    assert np.abs(nn.init.xavier_uniform_(w).data).max() <= math.sqrt(6 / 700)
    assert abs(nn.init.xavier_normal_(w).data.std() - math.sqrt(2 / 700)) < 0.002
    bound = math.sqrt(3) * math.sqrt(2) / math.sqrt(300)
    data = nn.init.kaiming_uniform_(w, nonlinearity="relu").data
    assert data.max() <= bound and data.max() > 0.99 * bound
    assert abs(nn.init.kaiming_normal_(w, nonlinearity="relu").data.std() - math.sqrt(2 / 300)) < 0.002
    assert abs(nn.init.kaiming_normal_(w, mode="fan_out").data.std() - math.sqrt(2 / 400)) < 0.002
    assert abs(nn.init.lecun_normal_(w).data.std() - math.sqrt(1 / 300)) < 0.002
    assert np.all(nn.init.zeros_(w).data == 0) and w.dtype == np.float32


def test_default_inits_follow_pytorch():
    mg.random.seed(0)
    lin = nn.Linear(50, 400)
    assert np.abs(lin.weight.data).max() <= 1 / math.sqrt(50) and np.abs(lin.weight.data).max() > 0.95 / math.sqrt(50)
    assert np.abs(lin.bias.data).max() <= 1 / math.sqrt(50)
    conv = nn.Conv2d(4, 100, 3)
    assert np.abs(conv.weight.data).max() <= 1 / math.sqrt(36) and conv.bias.shape == (100,)
    convt = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert convt.weight.shape == (4, 3, 3, 3) and np.abs(convt.weight.data).max() <= 1 / math.sqrt(27)
