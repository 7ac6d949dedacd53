"""The layers and options a PyTorch user expects (issue 13): Embedding, LayerNorm, GRU, LSTM with
dropout and bidirectional, Conv1d, padding='same', pooling's ceil_mode (and avg_pool2d's
count_include_pad / divisor_override), F.interpolate with size= and the (bi)linear modes.

Each has a NumPy reference (loops written from the definitions) that always runs, gradient checks
(second derivatives too where the layer is new math), and a comparison with PyTorch when it is
installed (values, gradients, strict loading of a converted state_dict)."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

from conv_reference import conv2d_naive

F64 = np.float64


def t64(a, grad=True):
    return mg.tensor(np.asarray(a, dtype=F64), dtype=F64, requires_grad=grad)


def sig(z):
    return 1 / (1 + np.exp(-z))


def torch_or_skip():
    return pytest.importorskip("torch")


def load_into_torch(torch, ours, theirs):
    """ours' state_dict into theirs, strictly, and the key order compared."""
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()}, strict=True)


def compare_with_torch(torch, ours, theirs, x, rtol=1e-10):
    """Outputs, input gradients and parameter gradients of ours and theirs (both float64) for one
    random upstream gradient. ``ours``/``theirs`` map an input to one output tensor."""
    xo, xt = t64(x), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=rtol, atol=1e-12)
    g = np.random.default_rng(5).standard_normal(yo.shape)
    (yo * t64(g, False)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=rtol, atol=1e-12)
    return yo, yt


def compare_parameter_grads(ours, theirs, rtol=1e-10):
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=rtol, atol=1e-12, err_msg=name)


# ===== Embedding ========================================================================================
def test_embedding_gathers_rows_and_scatters_gradients(rng):
    emb = nn.Embedding(6, 3, dtype=F64)
    idx = np.array([[0, 2, 2], [5, 2, 1]])
    y = emb(idx)
    np.testing.assert_array_equal(y.data, emb.weight.data[idx])
    g = rng.standard_normal(y.shape)
    y.backward(g)
    expected = np.zeros((6, 3))
    np.add.at(expected, idx, g)  # row 2 used three times: three parts added
    np.testing.assert_allclose(emb.weight.grad.data, expected, rtol=1e-12)
    assert np.all(emb.weight.grad.data[[3, 4]] == 0)  # unused rows get nothing
    mg.gradcheck(lambda w: F.embedding(idx, w), [t64(emb.weight.data)])
    mg.gradgradcheck(lambda w: F.embedding(idx, w) ** 2, [t64(emb.weight.data)])
    assert emb(mg.tensor([3.0, 4.0])).shape == (2, 3) and emb(np.int64(1)).shape == (3,)


def test_embedding_padding_idx_and_from_pretrained(rng):
    mg.random.seed(0)
    emb = nn.Embedding(5, 2, padding_idx=-1)
    assert emb.padding_idx == 4 and np.all(emb.weight.data[4] == 0) and emb.weight.data.std() > 0.3
    emb.weight.data[4] = 7.0
    y = emb(np.array([4, 1, 4]))
    np.testing.assert_array_equal(y.data[0], [7, 7])  # the row as it is...
    y.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[4], [0, 0])  # ...but no gradient
    np.testing.assert_array_equal(emb.weight.grad.data[1], [1, 1])
    table = rng.standard_normal((4, 3))
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and frozen.weight.dtype == F64
    np.testing.assert_array_equal(frozen(np.array([3, 0])).data, table[[3, 0]])
    assert nn.Embedding.from_pretrained(mg.tensor(table), freeze=False).weight.requires_grad
    with pytest.raises(IndexError, match="out of range"):
        emb(np.array([5]))
    with pytest.raises(TypeError, match="integers"):
        emb(np.array([0.5]))


def test_embedding_matches_torch(rng):
    torch = torch_or_skip()
    ours, theirs = nn.Embedding(7, 4, padding_idx=3, dtype=F64), torch.nn.Embedding(7, 4, padding_idx=3).double()
    load_into_torch(torch, ours, theirs)
    idx = rng.integers(0, 7, (3, 5))
    y, yt = ours(idx), theirs(torch.tensor(idx))
    np.testing.assert_array_equal(y.data, yt.detach().numpy())
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-12)
    pre = torch.nn.Embedding.from_pretrained(torch.tensor(rng.standard_normal((3, 2))))
    ours = nn.Embedding.from_pretrained(pre.weight.detach().numpy())
    ours.load_state_dict({k: v.numpy() for k, v in pre.state_dict().items()}, strict=True)
    assert ours.weight.requires_grad == pre.weight.requires_grad


# ===== LayerNorm ========================================================================================
def test_layer_norm_against_numpy(rng):
    ln = nn.LayerNorm((3, 4), dtype=F64)
    ln.weight.data[...] = rng.uniform(0.5, 1.5, (3, 4))
    ln.bias.data[...] = rng.standard_normal((3, 4))
    x = rng.standard_normal((2, 5, 3, 4)) * 3 + 1
    mu = x.mean(axis=(2, 3), keepdims=True)
    var = ((x - mu) ** 2).mean(axis=(2, 3), keepdims=True)
    expected = (x - mu) / np.sqrt(var + 1e-5) * ln.weight.data + ln.bias.data
    np.testing.assert_allclose(ln(t64(x)).data, expected, rtol=1e-10)
    ln.eval()  # no batch statistics: the same in both modes, and per example
    np.testing.assert_allclose(ln(t64(x[:1])).data, expected[:1], rtol=1e-10)
    w, b = t64(ln.weight.data), t64(ln.bias.data)
    xs = t64(rng.standard_normal((2, 3, 4)))
    mg.gradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), [xs, w, b])
    mg.gradgradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), [xs, w, b])
    assert nn.LayerNorm(4, elementwise_affine=False).state_dict() == {}
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(t64(np.zeros((2, 4, 3))))


def test_layer_norm_matches_torch(rng):
    torch = torch_or_skip()
    ours, theirs = nn.LayerNorm(6, eps=1e-3, dtype=F64), torch.nn.LayerNorm(6, eps=1e-3).double()
    ours.weight.data[...] = rng.standard_normal(6)
    ours.bias.data[...] = rng.standard_normal(6)
    load_into_torch(torch, ours, theirs)
    compare_with_torch(torch, ours, theirs, rng.standard_normal((3, 4, 6)))
    compare_parameter_grads(ours, theirs)


# ===== GRU and LSTM (bidirectional, dropout) ================================================================
def gru_step(x, h, p, sfx):
    a = x @ p[f"weight_ih{sfx}"].T + p.get(f"bias_ih{sfx}", 0)
    u = h @ p[f"weight_hh{sfx}"].T + p.get(f"bias_hh{sfx}", 0)
    H = h.shape[1]
    r = sig(a[:, :H] + u[:, :H])
    z = sig(a[:, H:2 * H] + u[:, H:2 * H])
    n = np.tanh(a[:, 2 * H:] + r * u[:, 2 * H:])
    return (1 - z) * n + z * h, None


def lstm_step(x, h, p, sfx, c):
    gates = (x @ p[f"weight_ih{sfx}"].T + p.get(f"bias_ih{sfx}", 0)
             + h @ p[f"weight_hh{sfx}"].T + p.get(f"bias_hh{sfx}", 0))
    H = h.shape[1]
    i, f, g, o = sig(gates[:, :H]), sig(gates[:, H:2 * H]), np.tanh(gates[:, 2 * H:3 * H]), sig(gates[:, 3 * H:])
    c = f * c + i * g
    return o * np.tanh(c), c


def rnn_reference(kind, x, params, num_layers, hidden, bidirectional=False):
    """Step by step in NumPy, batch first: (output, h_n, c_n or None), PyTorch's layout."""
    B, T, _ = x.shape
    seq, h_n, c_n = x, [], []
    for k in range(num_layers):
        outs = []
        for sfx in (["", "_reverse"] if bidirectional else [""]):
            h, c = np.zeros((B, hidden)), np.zeros((B, hidden))
            steps = range(T - 1, -1, -1) if sfx else range(T)
            hs = [None] * T
            for t in steps:
                if kind == "gru":
                    h, _ = gru_step(seq[:, t], h, params, f"_l{k}{sfx}")
                else:
                    h, c = lstm_step(seq[:, t], h, params, f"_l{k}{sfx}", c)
                hs[t] = h
            outs.append(np.stack(hs, axis=1))
            h_n.append(h)
            c_n.append(c)
        seq = np.concatenate(outs, axis=2)
    return seq, np.stack(h_n), (np.stack(c_n) if kind == "lstm" else None)


@pytest.mark.parametrize("num_layers, bidirectional, bias", [(1, False, True), (2, True, True), (2, False, False)])
def test_gru_matches_numpy_reference(rng, num_layers, bidirectional, bias):
    gru = nn.GRU(3, 4, num_layers=num_layers, bias=bias, bidirectional=bidirectional, dtype=F64)
    x = rng.standard_normal((2, 5, 3))
    out, h = gru(t64(x, False))
    ref_out, ref_h, _ = rnn_reference("gru", x, gru.state_dict(), num_layers, 4, bidirectional)
    D = 2 if bidirectional else 1
    assert out.shape == (2, 5, 4 * D) and h.shape == (num_layers * D, 2, 4)
    np.testing.assert_allclose(out.data, ref_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h.data, ref_h, rtol=1e-12, atol=1e-14)
    assert gru.batch_first and nn.LSTM(1, 1).batch_first  # batch_first=True by default, like our LSTM


def test_gru_names_time_major_initial_state_and_gradients(rng):
    gru = nn.GRU(2, 3, num_layers=2, bidirectional=True, dtype=F64)
    assert list(gru.state_dict()) == [f"{w}_l{k}{s}" for k in range(2) for s in ("", "_reverse")
                                      for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert gru.weight_ih_l1.shape == (9, 6) and gru.weight_hh_l0_reverse.shape == (9, 3)
    tm = nn.GRU(2, 3, batch_first=False, dtype=F64)
    tm.load_state_dict({k: v for k, v in gru.state_dict().items() if k.endswith("l0")})
    x = rng.standard_normal((4, 2, 2))  # (T, B, I)
    out, h = tm(t64(x, False))
    ref_out, _, _ = rnn_reference("gru", x.transpose(1, 0, 2), tm.state_dict(), 1, 3)
    np.testing.assert_allclose(out.data, ref_out.transpose(1, 0, 2), rtol=1e-12)
    # the final state fed back continues the sequence
    _, h_mid = tm(t64(x[:2], False))
    rest, _ = tm(t64(x[2:], False), h_mid)
    np.testing.assert_allclose(rest.data, out.data[2:], rtol=1e-12)
    with pytest.raises(ValueError, match=r"h_0 must have shape \(1, 2, 3\)"):
        tm(t64(x, False), h[:, :1])
    small = nn.GRU(2, 2, num_layers=2, bidirectional=True, dtype=F64)
    names = [n for n, _ in small.named_parameters()]
    params = [t64(p.data) for p in small.parameters()]
    xs, h0 = t64(rng.standard_normal((2, 3, 2))), t64(rng.standard_normal((4, 2, 2)))

    def run(x, h0, *ps):
        for name, p in zip(names, ps):
            setattr(small, name, p)
        out, h = small(x, h0)
        return mg.concatenate([out.reshape(-1), h.reshape(-1)])

    mg.gradcheck(run, [xs, h0] + params)


def test_gru_second_derivatives(rng):
    gru = nn.GRU(2, 2, dtype=F64)
    w = t64(gru.weight_hh_l0.data)

    def run(x, w):
        gru.weight_hh_l0 = w
        return gru(x)[0]

    mg.gradgradcheck(run, [t64(rng.standard_normal((1, 3, 2))), w])


@pytest.mark.parametrize("num_layers", [1, 2])
def test_bidirectional_lstm_matches_numpy_reference(rng, num_layers):
    lstm = nn.LSTM(3, 4, num_layers=num_layers, bidirectional=True, dtype=F64)
    x = rng.standard_normal((2, 5, 3))
    out, (h, c) = lstm(t64(x, False))
    ref_out, ref_h, ref_c = rnn_reference("lstm", x, lstm.state_dict(), num_layers, 4, bidirectional=True)
    assert out.shape == (2, 5, 8) and h.shape == c.shape == (2 * num_layers, 2, 4)
    assert lstm.weight_ih_l0_reverse.shape == (16, 3) and (num_layers == 1 or lstm.weight_ih_l1.shape == (16, 8))
    np.testing.assert_allclose(out.data, ref_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h.data, ref_h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c.data, ref_c, rtol=1e-12, atol=1e-14)


def test_bidirectional_lstm_gradients(rng):
    lstm = nn.LSTM(2, 2, num_layers=2, bidirectional=True, dtype=F64)
    names = [n for n, _ in lstm.named_parameters()]
    params = [t64(p.data) for p in lstm.parameters()]

    def run(x, *ps):
        for name, p in zip(names, ps):
            setattr(lstm, name, p)
        out, (h, c) = lstm(x)
        return mg.concatenate([out.reshape(-1), h.reshape(-1), c.reshape(-1)])

    mg.gradcheck(run, [t64(rng.standard_normal((2, 3, 2)))] + params)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_rnn_dropout_acts_between_layers_in_training_only(rng, cls):
    x = t64(rng.standard_normal((2, 4, 3)), False)
    rnn = cls(3, 4, num_layers=2, dropout=1.0, dtype=F64)  # p = 1: layer 1 sees only zeros
    kind = "lstm" if cls is nn.LSTM else "gru"
    out = rnn(x)[0]
    layer1 = {k.replace("_l1", "_l0"): v for k, v in rnn.state_dict().items() if "_l1" in k}
    np.testing.assert_allclose(out.data, rnn_reference(kind, np.zeros((2, 4, 4)), layer1, 1, 4)[0], rtol=1e-12)
    rnn.eval()
    np.testing.assert_allclose(rnn(x)[0].data, rnn_reference(kind, x.data, rnn.state_dict(), 2, 4)[0], rtol=1e-12)
    half = cls(3, 4, num_layers=2, dropout=0.5, dtype=F64)
    mg.random.seed(3)
    a = half(x)[0].data
    mg.random.seed(3)
    np.testing.assert_array_equal(half(x)[0].data, a)  # masks from minigrad.random: reproducible
    assert not np.allclose(a, half.eval()(x)[0].data)
    with pytest.warns(UserWarning, match="num_layers=1"):
        cls(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="dropout"):
        cls(3, 4, num_layers=2, dropout=1.5)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("num_layers, bidirectional, batch_first", [(1, False, True), (2, True, True),
                                                                     (3, True, False)])
def test_rnns_match_torch(rng, kind, num_layers, bidirectional, batch_first):
    torch = torch_or_skip()
    cls, tcls = (nn.GRU, torch.nn.GRU) if kind == "gru" else (nn.LSTM, torch.nn.LSTM)
    ours = cls(3, 4, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, dtype=F64)
    theirs = tcls(3, 4, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first).double()
    load_into_torch(torch, ours, theirs)
    D = 2 if bidirectional else 1
    h0 = rng.standard_normal((num_layers * D, 2, 4))
    hx_ours = t64(h0, False) if kind == "gru" else (t64(h0, False), t64(h0 * 0.5, False))
    hx_theirs = torch.tensor(h0) if kind == "gru" else (torch.tensor(h0), torch.tensor(h0 * 0.5))
    yo, yt = compare_with_torch(torch, lambda x: ours(x, hx_ours)[0], lambda x: theirs(x, hx_theirs)[0],
                                rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3)))
    compare_parameter_grads(ours, theirs)
    # a PyTorch state_dict loads strictly into ours
    fresh = cls(3, 4, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, dtype=F64)
    fresh.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()}, strict=True)


def test_rnn_dropout_matches_torch(rng):
    torch = torch_or_skip()
    for cls, tcls in [(nn.LSTM, torch.nn.LSTM), (nn.GRU, torch.nn.GRU)]:
        ours, theirs = cls(3, 4, num_layers=2, dropout=1.0, dtype=F64), tcls(3, 4, num_layers=2, dropout=1.0,
                                                                         batch_first=True).double()
        load_into_torch(torch, ours, theirs)
        x = rng.standard_normal((2, 5, 3))
        for mode in (True, False):  # p = 1 is deterministic in training mode too
            ours.train(mode), theirs.train(mode)
            np.testing.assert_allclose(ours(t64(x, False))[0].data, theirs(torch.tensor(x))[0].detach().numpy(),
                                       rtol=1e-10, atol=1e-12)


# ===== Conv1d and padding='same' ===============================================================================
def conv1d_naive(x, w, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, i] = sum_{c in group(o), a} w[o, c, a] x_pad[n, c, s i + d a]."""
    N, C, L = x.shape
    O, Cg, K = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    Lo = (L + 2 * padding - dilation * (K - 1) - 1) // stride + 1
    y = np.zeros((N, O, Lo))
    for o in range(O):
        g = o // (O // groups)
        for i in range(Lo):
            for a in range(K):
                y[:, o, i] += xp[:, g * Cg:(g + 1) * Cg, stride * i + dilation * a] @ w[o, :, a]
    return y


def test_conv1d_against_numpy(rng):
    conv = nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, dtype=F64)
    assert conv.weight.shape == (6, 2, 3) and conv.kernel_size == (3,) and conv.stride == (2,)
    x = rng.standard_normal((2, 4, 9))
    expected = conv1d_naive(x, conv.weight.data, 2, 1, 2, 2) + conv.bias.data[:, None]
    np.testing.assert_allclose(conv(t64(x, False)).data, expected, rtol=1e-10)
    w, b = t64(conv.weight.data), t64(conv.bias.data)
    mg.gradcheck(lambda x, w, b: F.conv1d(x, w, b, 2, 1, 2, 2), [t64(x), w, b])
    mg.gradgradcheck(lambda x, w: F.conv1d(x, w, None, 1, 1, 1, 2), [t64(rng.standard_normal((1, 4, 5))), w])
    assert nn.Conv1d(2, 2, 5).weight.data.max() <= 1 / np.sqrt(10)  # fan_in = in * k
    with pytest.raises(ValueError, match=r"\(N, C, L\)"):
        conv(t64(np.zeros((2, 4, 3, 3)), False))


@pytest.mark.parametrize("kernel, dilation", [((3, 3), 1), ((4, 2), 1), ((2, 5), (2, 1)), ((1, 4), 2)])
def test_padding_same_keeps_the_size_with_extra_zeros_after(rng, kernel, dilation):
    conv = nn.Conv2d(2, 3, kernel, padding="same", dilation=dilation, dtype=F64)
    x = rng.standard_normal((1, 2, 6, 7))
    d = (dilation, dilation) if isinstance(dilation, int) else dilation
    total = [di * (k - 1) for di, k in zip(d, kernel)]
    padded = np.pad(x, ((0, 0), (0, 0), (total[0] // 2, total[0] - total[0] // 2),
                        (total[1] // 2, total[1] - total[1] // 2)))  # the odd zero goes after
    expected = conv2d_naive(padded, conv.weight.data, 1, 0, d) + conv.bias.data[:, None, None]
    y = conv(t64(x, False))
    assert y.shape == (1, 3, 6, 7)
    np.testing.assert_allclose(y.data, expected, rtol=1e-10)
    mg.gradcheck(lambda x, w: F.conv2d(x, w, None, padding="same", dilation=dilation), [t64(x), t64(conv.weight.data)])
    valid = nn.Conv2d(2, 3, kernel, padding="valid", dilation=dilation, dtype=F64)
    assert valid(t64(x, False)).shape == (1, 3, 6 - total[0], 7 - total[1])
    one = nn.Conv1d(2, 3, kernel[1], padding="same", dilation=d[1], dtype=F64)
    assert one(t64(x[:, :, 0], False)).shape == (1, 3, 7)


def test_padding_same_errors():
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="strided"):
        F.conv2d(t64(np.zeros((1, 1, 4, 4))), t64(np.zeros((1, 1, 3, 3))), stride=(1, 2), padding="same")
    with pytest.raises(ValueError, match="'same', 'valid'"):
        nn.Conv1d(1, 1, 3, padding="full")
    assert "padding=same" in repr(nn.Conv2d(1, 1, 3, padding="same"))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_conv1d_and_padding_same_match_torch(rng):
    torch = torch_or_skip()
    cases = [(nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, dtype=F64),
              torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2).double(), (2, 4, 9)),
             (nn.Conv1d(4, 2, 4, padding="same", dilation=1, dtype=F64),
              torch.nn.Conv1d(4, 2, 4, padding="same", dilation=1).double(), (2, 4, 9)),
             (nn.Conv2d(2, 3, (4, 3), padding="same", dilation=(1, 2), dtype=F64),
              torch.nn.Conv2d(2, 3, (4, 3), padding="same", dilation=(1, 2)).double(), (2, 2, 6, 7)),
             (nn.Conv2d(2, 3, (2, 2), padding="same", dtype=F64),
              torch.nn.Conv2d(2, 3, (2, 2), padding="same").double(), (1, 2, 5, 5)),
             (nn.Conv2d(2, 3, 3, padding="valid", dtype=F64),
              torch.nn.Conv2d(2, 3, 3, padding="valid").double(), (1, 2, 5, 5))]
    for ours, theirs, shape in cases:
        load_into_torch(torch, ours, theirs)
        compare_with_torch(torch, ours, theirs, rng.standard_normal(shape))
        compare_parameter_grads(ours, theirs)


# ===== pooling: ceil_mode, count_include_pad, divisor_override ========================================
def pool_reference(x, k, s, p, kind, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """PyTorch's pooling, window by window. Output size floor or ceil((n + 2p - k) / s) + 1, in ceil
    mode minus one if the last window would start past the input and its left padding; an average
    divides by the window's part inside the padded input (or the input alone, or the override)."""
    N, C, H, W = x.shape

    def size(n):
        out = -(-(n + 2 * p - k) // s) + 1 if ceil_mode else (n + 2 * p - k) // s + 1
        return out - 1 if ceil_mode and (out - 1) * s >= n + p else out

    y = np.zeros((N, C, size(H), size(W)))
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            h0, w0 = i * s - p, j * s - p
            h1, w1 = min(h0 + k, H + p), min(w0 + k, W + p)
            win = x[:, :, max(h0, 0):min(h1, H), max(w0, 0):min(w1, W)]
            if kind == "max":
                y[:, :, i, j] = win.max(axis=(2, 3))
            else:
                inside = (min(h1, H) - max(h0, 0)) * (min(w1, W) - max(w0, 0))
                divisor = divisor_override or ((h1 - h0) * (w1 - w0) if count_include_pad else inside)
                y[:, :, i, j] = win.sum(axis=(2, 3)) / divisor
    return y


POOL_CASES = [((1, 2, 5, 5), 2, 2, 0), ((2, 1, 7, 6), 3, 2, 1), ((1, 1, 6, 6), 3, 2, 0), ((1, 1, 1, 1), 2, 2, 0),
              ((1, 1, 9, 4), 4, 3, 2), ((1, 1, 5, 8), 2, 1, 1)]


@pytest.mark.parametrize("shape, k, s, p", POOL_CASES)
def test_pooling_ceil_mode_against_numpy(rng, shape, k, s, p):
    x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 - 1  # distinct values: no ties
    for ceil in (False, True) if min(shape[2:]) + 2 * p >= k else (True,):  # ceil mode fits more
        np.testing.assert_allclose(F.max_pool2d(t64(x, False), k, s, p, ceil_mode=ceil).data,
                                   pool_reference(x, k, s, p, "max", ceil), rtol=1e-12)
        layer = nn.MaxPool2d(k, s, p, ceil_mode=ceil)
        np.testing.assert_allclose(layer(t64(x, False)).data, pool_reference(x, k, s, p, "max", ceil), rtol=1e-12)
        for include in (True, False):
            for override in (None, 3):
                expected = pool_reference(x, k, s, p, "avg", ceil, include, override)
                got = nn.AvgPool2d(k, s, p, ceil, include, override)(t64(x, False)).data
                np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert nn.MaxPool2d(2, ceil_mode=True)(t64(np.zeros((1, 1, 5, 5)), False)).shape == (1, 1, 3, 3)


def test_pooling_ceil_mode_gradients(rng):
    x = t64(rng.permutation(2 * 7 * 6).reshape(1, 2, 7, 6) * 0.1)
    mg.gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), [x])
    mg.gradgradcheck(lambda x: F.max_pool2d(x, 2, 2, 0, ceil_mode=True) ** 2, [x])
    for include in (True, False):
        mg.gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=include), [x])
        mg.gradgradcheck(lambda x: F.avg_pool2d(x, 2, 2, 0, ceil_mode=True, count_include_pad=include) ** 2, [x])
    assert F.max_pool2d(mg.tensor(np.zeros((1, 1, 5, 5), np.float32)), 2, ceil_mode=True).dtype == np.float32
    assert F.avg_pool2d(mg.tensor(np.zeros((1, 1, 5, 5), np.float32)), 2, ceil_mode=True).dtype == np.float32
    with pytest.raises(ValueError, match="dilation"):
        nn.MaxPool2d(2, dilation=2)


@pytest.mark.parametrize("shape, k, s, p", POOL_CASES)
def test_pooling_ceil_mode_matches_torch(rng, shape, k, s, p):
    torch = torch_or_skip()
    x = rng.standard_normal(shape)
    for ceil in (False, True) if min(shape[2:]) + 2 * p >= k else (True,):
        compare_with_torch(torch, lambda v: F.max_pool2d(v, k, s, p, ceil_mode=ceil),
                           lambda v: torch.nn.functional.max_pool2d(v, k, s, p, ceil_mode=ceil), x)
        for include in (True, False):
            for override in (None, 2):
                compare_with_torch(torch, nn.AvgPool2d(k, s, p, ceil, include, override),
                                   torch.nn.AvgPool2d(k, s, p, ceil, include, override), x)


# ===== F.interpolate: size=, nearest, nearest-exact, linear, bilinear ===================================
def linear_reference(x, out, align_corners, axis):
    """Linear interpolation of x along ``axis`` to ``out`` points, each output point from the
    source position of PyTorch's definition (written per point, with Python floats)."""
    n = x.shape[axis]
    moved = np.moveaxis(x, axis, -1)
    y = np.zeros(moved.shape[:-1] + (out,))
    for i in range(out):
        if align_corners:
            src = i * (n - 1) / (out - 1) if out > 1 else 0.0
        else:
            src = max((i + 0.5) * n / out - 0.5, 0.0)
        i0 = min(int(np.floor(src)), n - 1)
        i1 = min(i0 + 1, n - 1)
        lam = src - i0
        y[..., i] = (1 - lam) * moved[..., i0] + lam * moved[..., i1]
    return np.moveaxis(y, -1, axis)


def nearest_reference(x, out_hw, exact=False):
    """y[i, j] = x[floor(i n / out), floor(j m / out')] (or floor((i + 1/2) n / out)), exact integers."""
    (H, W), (Ho, Wo) = x.shape[2:], out_hw
    rows = [min(((2 * i + exact) * H) // (2 * Ho), H - 1) for i in range(Ho)]
    cols = [min(((2 * j + exact) * W) // (2 * Wo), W - 1) for j in range(Wo)]
    return x[:, :, rows][:, :, :, cols]


SIZES = [(8, 11), (3, 4), (5, 7), (10, 14), (1, 1), (9, 2)]


@pytest.mark.parametrize("size", SIZES)
def test_interpolate_against_numpy(rng, size):
    x = rng.standard_normal((2, 3, 5, 7))
    for corners in (False, True):
        expected = linear_reference(linear_reference(x, size[0], corners, 2), size[1], corners, 3)
        np.testing.assert_allclose(F.interpolate(t64(x, False), size=size, mode="bilinear",
                                                 align_corners=corners).data, expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(F.interpolate(t64(x[:, :, 0], False), size=size[1], mode="linear",
                                                 align_corners=corners).data,
                                   linear_reference(x[:, :, 0], size[1], corners, 2), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(F.interpolate(t64(x, False), size=size).data, nearest_reference(x, size))
    np.testing.assert_array_equal(F.interpolate(t64(x, False), size=size, mode="nearest-exact").data,
                                  nearest_reference(x, size, exact=True))


def test_interpolate_scale_factor_modes_and_upsample(rng):
    x = rng.standard_normal((1, 2, 3, 4))
    for scale in (2, (2, 3)):
        sh, sw = (scale, scale) if isinstance(scale, int) else scale
        expected = linear_reference(linear_reference(x, 3 * sh, False, 2), 4 * sw, False, 3)
        np.testing.assert_allclose(F.interpolate(t64(x, False), scale_factor=scale, mode="bilinear").data, expected, rtol=1e-10)
        np.testing.assert_array_equal(F.interpolate(t64(x, False), scale_factor=scale).data,
                                      x.repeat(sh, 2).repeat(sw, 3))
    np.testing.assert_array_equal(F.interpolate(t64(x[:, :, 0], False), scale_factor=3).data, x[:, :, 0].repeat(3, 2))
    # the second positional argument is the size, as in PyTorch
    assert F.interpolate(t64(x, False), (7, 5)).shape == x.shape[:2] + (7, 5)
    up = nn.Upsample(size=(5, 6), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(up(t64(x, False)).data,
                               linear_reference(linear_reference(x, 5, True, 2), 6, True, 3), rtol=1e-10)
    assert "align_corners=True" in repr(up) and nn.Upsample(scale_factor=2)(t64(x, False)).shape == (1, 2, 6, 8)
    assert F.interpolate(mg.tensor(x, dtype=np.float32), size=(5, 5), mode="bilinear").dtype == np.float32
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(t64(x, False), (4, 4), scale_factor=2)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(t64(x, False), scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="4-D"):
        F.interpolate(t64(x[:, :, 0], False), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(t64(x, False), scale_factor=2, mode="bicubic")


def test_interpolate_is_differentiable_twice(rng):
    x = t64(rng.standard_normal((1, 2, 3, 4)))
    for corners in (False, True):
        mg.gradcheck(lambda x: F.interpolate(x, size=(5, 3), mode="bilinear", align_corners=corners), [x])
        mg.gradgradcheck(lambda x: F.interpolate(x, size=(5, 3), mode="bilinear", align_corners=corners) ** 2, [x])
    for mode in ("nearest", "nearest-exact"):
        mg.gradcheck(lambda x: F.interpolate(x, size=(5, 3), mode=mode), [x])
        mg.gradgradcheck(lambda x: F.interpolate(x, size=(5, 3), mode=mode) ** 2, [x])
    mg.gradgradcheck(lambda x: F.interpolate(x, size=7, mode="linear") ** 2, [t64(rng.standard_normal((1, 2, 3)))])


@pytest.mark.parametrize("size", SIZES)
def test_interpolate_matches_torch(rng, size):
    torch = torch_or_skip()
    tf = torch.nn.functional
    x = rng.standard_normal((2, 3, 5, 7))
    for mode in ("nearest", "nearest-exact"):
        compare_with_torch(torch, lambda v: F.interpolate(v, size=size, mode=mode),
                           lambda v: tf.interpolate(v, size=size, mode=mode), x)
    for corners in (False, True):
        compare_with_torch(torch, lambda v: F.interpolate(v, size=size, mode="bilinear", align_corners=corners),
                           lambda v: tf.interpolate(v, size=size, mode="bilinear", align_corners=corners), x)
        compare_with_torch(torch, lambda v: F.interpolate(v, size=size[1], mode="linear", align_corners=corners),
                           lambda v: tf.interpolate(v, size=size[1], mode="linear", align_corners=corners), x[:, 0])
    for scale in (2, 3, (2, 3)):
        for corners in (False, True):
            compare_with_torch(torch, lambda v: F.interpolate(v, scale_factor=scale, mode="bilinear",
                                                              align_corners=corners),
                               lambda v: tf.interpolate(v, scale_factor=scale, mode="bilinear",
                                                        align_corners=corners), x)
        compare_with_torch(torch, lambda v: F.interpolate(v, scale_factor=scale),
                           lambda v: tf.interpolate(v, scale_factor=scale), x)
    x32 = x.astype(np.float32)  # float32: source positions computed in float32 as PyTorch does
    np.testing.assert_allclose(F.interpolate(mg.tensor(x32), size=(13, 9), mode="bilinear").data,
                               tf.interpolate(torch.tensor(x32), size=(13, 9), mode="bilinear").numpy(), atol=2e-6)
