"""The fully-connected autoencoders: deep, denoising, sparse, contractive (and linear's basics).

For each model: output shapes; the gradient of its loss with respect to every
parameter against finite differences (tiny instances, float64); a short training
run on a fixed batch of real digits (shrunk to 7 x 7 so it runs in a moment)
that must cut the loss by a clear margin; bad configurations. Then what is
particular to each: greedy pretraining and the trainer's ``prepare`` hook, the
corruptions, the pull of the KL penalty towards rho, and the contractive
closed form against a Jacobian built by finite differences.
"""
import functools

import numpy as np
import pytest

import minigrad as mg
from autoencoders.data import load_dataset
from autoencoders.models import ConfigError, build_model, evaluating
from autoencoders.models.contractive import contractive_penalty
from autoencoders.models.deep import pretrain_greedy, pretrain_layer
from autoencoders.models.denoising import CORRUPTIONS, corrupt
from autoencoders.train import Trainer, TrainSettings
from minigrad import optim

F64 = np.float64


# ----- helpers --------------------------------------------------------------------------------
def set_by_path(obj, dotted, value):
    """Replace the attribute (or list item) named by a dotted parameter name."""
    *path, last = dotted.split(".")
    for part in path:
        obj = obj[int(part)] if isinstance(obj, (list, tuple)) else getattr(obj, part)
    if isinstance(obj, list):
        obj[int(last)] = value
    else:
        setattr(obj, last, value)


def check_loss_gradients(model, x, seed=None):
    """gradcheck of model.loss(x) with respect to every parameter, in float64.

    seed: reseed minigrad.random before every evaluation (models that draw noise).
    Parameters are first moved off their initial values (biases start at 0, which puts
    a ReLU kink exactly under any all-zero input row)."""
    model.to(F64)
    rng = np.random.default_rng(5)
    for p in model.parameters():
        p.data += 0.1 * rng.standard_normal(p.shape)
    names = [name for name, _ in model.named_parameters()]
    params = [mg.Tensor(p.data.copy(), requires_grad=True) for _, p in model.named_parameters()]

    def fn(*args):
        for name, p in zip(names, args):
            set_by_path(model, name, p)
        if seed is not None:
            mg.random.seed(seed)
        return model.loss(x)[0]

    mg.gradcheck(fn, params)


def tiny_batch(seed=0, n=4, d=6):
    return mg.tensor(np.random.default_rng(seed).uniform(0.05, 0.95, (n, d)), dtype=F64)


@functools.lru_cache(maxsize=1)
def small_digits():
    """64 real digits from mnist-5k, each averaged over 4 x 4 blocks: (64, 49) float32 in [0, 1]."""
    images, _ = load_dataset("mnist-5k", split="train")
    x = images[:64].astype(np.float32) / 255
    return x.reshape(64, 7, 4, 7, 4).mean(axis=(2, 4)).reshape(64, 49)


def eval_loss(model, x):
    with evaluating(model):
        return model.loss(x)[0].item()


def train_steps(model, x, steps=150, lr=1e-2):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss, _ = model.loss(x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


# ----- every model: gradients, shapes, a short training run -------------------------------------
TINY = {  # name -> (model, options) on 6-pixel inputs
    "linear": ("linear", dict(code=2)),
    "deep_selu": ("deep", dict(widths=(5, 4, 3))),
    "deep_sigmoid_tied": ("deep", dict(widths=(5, 3), activation="sigmoid", tied=True)),
    "deep_relu": ("deep", dict(widths=(4, 2), activation="relu")),
    "denoising_gaussian": ("denoising", dict(widths=(5, 3), corruption="gaussian", noise_level=0.2)),
    "denoising_masking_tied": ("denoising", dict(widths=(8,), corruption="masking", tied=True,
                                                 activation="sigmoid")),
    "denoising_salt_pepper": ("denoising", dict(widths=(5, 3), corruption="salt_pepper", activation="selu")),
    "denoising_dropout": ("denoising", dict(widths=(5, 3), corruption="dropout", noise_level=0.5)),
    "sparse_kl": ("sparse", dict(code=8, penalty="kl", rho=0.1)),
    "sparse_l1_sigmoid": ("sparse", dict(code=4, penalty="l1", lam=0.3)),
    "sparse_l1_relu": ("sparse", dict(code=4, penalty="l1", activation="relu", lam=0.3)),
    "contractive": ("contractive", dict(code=4, lam=2.0)),
    "contractive_tied": ("contractive", dict(code=4, lam=2.0, tied=True)),
}
CODE_WIDTH = {"linear": 2, "deep_selu": 3, "deep_sigmoid_tied": 3, "deep_relu": 2,
              "denoising_masking_tied": 8, "sparse_kl": 8}


@pytest.mark.parametrize("case", sorted(TINY))
def test_loss_gradients(case):
    name, options = TINY[case]
    mg.random.seed(1)
    model = build_model(name, input_size=6, **options)
    check_loss_gradients(model, tiny_batch(), seed=7 if name == "denoising" else None)


@pytest.mark.parametrize("case", sorted(TINY))
def test_output_shapes(case):
    name, options = TINY[case]
    model = build_model(name, input_size=6, **options)
    x = tiny_batch(n=5).data.astype(np.float32)
    code = model.embed(x)
    assert code.ndim == 2 and code.shape[0] == 5
    assert code.shape[1] == CODE_WIDTH.get(case, code.shape[1])
    assert model(mg.tensor(x)).shape == (5, 6)
    recon = model.reconstruct(x)
    assert recon.shape == (5, 6) and recon.min() >= 0 and recon.max() <= 1
    loss, metrics = model.loss(mg.tensor(x))
    assert loss.shape == () and metrics["loss"] == pytest.approx(loss.item())


TRAIN = {  # name -> options on the 49-pixel digits
    "linear": ("linear", dict(code=8)),
    "deep": ("deep", dict(widths=(32, 16, 8))),
    "deep_tied_sigmoid": ("deep", dict(widths=(32, 8), tied=True, activation="sigmoid")),
    "denoising": ("denoising", dict(widths=(32, 8), corruption="masking", noise_level=0.25)),
    "sparse_kl": ("sparse", dict(code=32)),
    "sparse_l1": ("sparse", dict(code=32, penalty="l1", activation="relu", lam=0.05)),
    "contractive": ("contractive", dict(code=16, lam=0.5)),
}


@pytest.mark.parametrize("case", sorted(TRAIN))
def test_short_training_lowers_the_loss(case):
    name, options = TRAIN[case]
    mg.random.seed(0)
    model = build_model(name, input_size=49, **options)
    x = mg.tensor(small_digits())
    before = eval_loss(model, x)
    after = eval_loss(train_steps(model, x), x)
    assert after < 0.7 * before, (before, after)


# ----- bad configurations -------------------------------------------------------------------------
@pytest.mark.parametrize("name, options, message", [
    ("deep", dict(widths=(4, 6), input_size=6), "smaller than the input"),
    ("deep", dict(widths=()), "at least one"),
    ("deep", dict(activation="tanh"), "one of"),
    ("deep", dict(widths="64,x"), "widths"),
    ("deep", dict(pretrain_epochs=-1), ">= 0"),
    ("denoising", dict(corruption="blur"), "one of"),
    ("denoising", dict(corruption="masking", noise_level=1.0), "below 1"),
    ("denoising", dict(noise_level=-0.1), ">= 0"),
    ("sparse", dict(penalty="kl", activation="relu"), "needs activation=sigmoid"),
    ("sparse", dict(rho=1.0), r"\(0, 1\)"),
    ("sparse", dict(rho=0.0), r"\(0, 1\)"),
    ("sparse", dict(penalty="l2"), "one of"),
    ("contractive", dict(code=0), ">= 1"),
    ("contractive", dict(lam=-1.0), ">= 0"),
    ("linear", dict(code=800), "smaller than the input"),
])
def test_bad_configs_raise(name, options, message):
    with pytest.raises(ConfigError, match=message):
        build_model(name, **options)


def test_denoising_may_be_overcomplete():
    model = build_model("denoising", widths=(10,), input_size=6)
    assert model.embed(np.zeros((1, 6), np.float32)).shape == (1, 10)


# ----- deep: tied weights, greedy pretraining, the trainer hook -------------------------------
def test_tied_decoder_shares_the_encoder_weights():
    model = build_model("deep", widths=(5, 3), tied=True, input_size=6)
    names = {name for name, _ in model.named_parameters()}
    assert names == {"encoder.0.weight", "encoder.0.bias", "encoder.1.weight", "encoder.1.bias",
                     "decoder_bias.0", "decoder_bias.1"}
    model.to(F64)
    x = tiny_batch()
    W0, W1 = model.encoder[0].weight.data, model.encoder[1].weight.data
    h1 = mg.nn.functional.selu(x @ W0.T).data                       # biases start at 0
    z = h1 @ W1.T
    g1 = mg.nn.functional.selu(mg.tensor(z @ W1)).data
    np.testing.assert_allclose(model(x).data, g1 @ W0, rtol=1e-12)  # the decoder is W0^T, W1^T


def test_greedy_pretraining_trains_each_pair_and_lowers_the_loss():
    mg.random.seed(0)
    model = build_model("deep", widths=(24, 8), input_size=49)
    x = small_digits()
    before = eval_loss(model, mg.tensor(x))
    untouched = {name: p.data.copy() for name, p in model.named_parameters()}
    losses = pretrain_greedy(model, x, epochs=40, batch_size=16, lr=1e-2)
    assert len(losses) == 2 and all(np.isfinite(losses))
    for name, p in model.named_parameters():
        assert not np.array_equal(p.data, untouched[name]), f"{name} was not pretrained"
    assert eval_loss(model, mg.tensor(x)) < 0.7 * before  # pretraining alone gives a working autoencoder


def test_pretraining_a_pair_moves_only_that_pair():
    model = build_model("deep", widths=(6, 3), input_size=49, tied=True)
    pair1 = [p.data.copy() for p in model.layer_parameters(1)]
    pair0 = [p.data.copy() for p in model.layer_parameters(0)]
    pretrain_layer(model, 0, small_digits()[:16], epochs=1)
    assert all(np.array_equal(a, p.data) for a, p in zip(pair1, model.layer_parameters(1)))
    assert not any(np.array_equal(a, p.data) for a, p in zip(pair0, model.layer_parameters(0)))


def test_trainer_calls_prepare_before_the_first_epoch(tmp_path):
    images = (small_digits().reshape(64, 7, 7) * 255).round().astype(np.uint8)
    labels = np.zeros(64, np.int64)
    settings = TrainSettings(model="deep", model_config=dict(widths=(8, 4), input_size=49, pretrain_epochs=2),
                             epochs=1, batch_size=32)
    messages = []
    trainer = Trainer(settings, tmp_path, data=(images, labels, images[:16], labels[:16]),
                      log=messages.append)
    trainer.fit()
    assert sum("pretraining layer" in m for m in messages) == 4  # 2 layers x 2 epochs
    assert len(trainer.history) == 1


# ----- denoising: the corruptions ------------------------------------------------------------------
@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_corruptions(kind):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 0.8, (100, 100)).astype(np.float32)
    original = x.copy()
    y = corrupt(x, kind, 0.3, rng)
    assert y.shape == x.shape and y.dtype == x.dtype
    np.testing.assert_array_equal(x, original)  # the input is not changed
    changed = y != x
    if kind == "gaussian":
        assert abs(np.std(y - x) - 0.3) < 0.01 and changed.all()
    else:
        assert abs(changed.mean() - 0.3) < 0.02 if kind != "dropout" else changed.all()
    if kind == "masking":
        assert (y[changed] == 0).all()
    if kind == "salt_pepper":
        assert set(np.unique(y[changed])) == {0.0, 1.0}
    if kind == "dropout":
        hit = y == 0
        assert abs(hit.mean() - 0.3) < 0.02
        np.testing.assert_allclose(y[~hit], x[~hit] / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(corrupt(x, kind, 0.0, rng), x)
    with pytest.raises(ValueError, match="level"):
        corrupt(x, kind, -0.1, rng)


def test_corrupt_rejects_unknown_kinds_and_full_masking():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="unknown corruption"):
        corrupt(x, "blur", 0.1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="level"):
        corrupt(x, "masking", 1.0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="floats"):
        corrupt(np.zeros((2, 3), np.uint8), "masking", 0.1, np.random.default_rng(0))


def test_denoising_corrupts_only_in_training_and_targets_the_clean_input():
    model = build_model("denoising", widths=(8, 4), input_size=49, noise_level=0.5)
    x = mg.tensor(small_digits()[:8])
    with evaluating(model):
        clean = model.loss(x)[0].item()
        assert model.loss(x)[0].item() == clean  # deterministic: nothing drawn
        from autoencoders.models.base import bernoulli_nll
        assert clean == pytest.approx(bernoulli_nll(model(x), x).item())
    mg.random.seed(3)
    noisy = model.loss(x)[0].item()
    mg.random.seed(3)
    x_tilde = model.corrupt(x)
    assert noisy != clean
    with evaluating(model):  # the training loss = reconstruct x~, compare with the clean x
        assert noisy == pytest.approx(bernoulli_nll(model(x_tilde), x).item(), rel=1e-6)


# ----- sparse: the penalty pulls the mean activation to rho ----------------------------------------
def test_kl_penalty_pulls_mean_activation_towards_rho():
    x = mg.tensor(small_digits())
    mg.random.seed(0)
    model = build_model("sparse", code=32, input_size=49, rho=0.1, beta=5.0)
    with evaluating(model):
        start = model.encode(x).data.mean(axis=0)
    train_steps(model, x, steps=200)
    with evaluating(model):
        rho_hat = model.encode(x).data.mean(axis=0)
    assert abs(start.mean() - 0.1) > 0.3                     # sigmoid units start near 1/2
    assert abs(rho_hat.mean() - 0.1) < 0.02                  # the average unit sits at rho
    assert np.abs(rho_hat - 0.1).max() < 0.1                 # and so does every unit


def test_kl_penalty_value_and_l1_weight():
    model = build_model("sparse", code=3, input_size=6, rho=0.2, beta=2.0).to(F64)
    h = mg.tensor(np.array([[0.1, 0.5, 0.9], [0.3, 0.1, 0.7]]))
    rho_hat = h.data.mean(axis=0)
    expected = 2.0 * np.sum(0.2 * np.log(0.2 / rho_hat) + 0.8 * np.log(0.8 / (1 - rho_hat)))
    assert model.sparsity_penalty(h).item() == pytest.approx(expected, rel=1e-12)
    model = build_model("sparse", code=3, input_size=6, penalty="l1", lam=0.5).to(F64)
    assert model.sparsity_penalty(h).item() == pytest.approx(0.5 * np.abs(h.data).sum(axis=1).mean())


def test_l1_penalty_makes_codes_smaller():
    x = mg.tensor(small_digits())
    means = {}
    for lam in (0.0, 0.1):
        mg.random.seed(0)
        model = train_steps(build_model("sparse", code=32, input_size=49, penalty="l1", activation="relu",
                                        lam=lam), x, steps=100)
        means[lam] = np.abs(model.embed(x.data)).mean()
    assert means[0.1] < 0.5 * means[0.0]


# ----- contractive: the closed form of ||J||_F^2 ----------------------------------------------------
def finite_difference_jacobian(f, x, eps=1e-6):
    """J[j, i] = d f_j / d x_i for one sample x (d,), column i by central differences."""
    columns = []
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = eps
        columns.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.stack(columns, axis=1)


def test_contractive_closed_form_matches_a_finite_difference_jacobian():
    mg.random.seed(2)
    model = build_model("contractive", code=5, input_size=7).to(F64)
    x = np.random.default_rng(0).uniform(0, 1, (3, 7))
    with mg.no_grad():
        h = model.encode(mg.tensor(x))
        closed = contractive_penalty(h, model.encoder.weight).data
    for n in range(3):
        J = finite_difference_jacobian(lambda v: model.embed(v[None])[0], x[n])
        assert J.shape == (5, 7)
        assert closed[n] == pytest.approx(np.sum(J**2), rel=1e-7)
        # and the Jacobian itself is diag(h (1 - h)) W
        np.testing.assert_allclose(J, (h.data[n] * (1 - h.data[n]))[:, None] * model.encoder.weight.data,
                                   rtol=1e-6, atol=1e-10)


def test_contractive_penalty_shrinks_the_jacobian():
    x = mg.tensor(small_digits())
    norms = {}
    for lam in (0.0, 5.0):
        mg.random.seed(0)
        model = train_steps(build_model("contractive", code=16, input_size=49, lam=lam), x, steps=100)
        norms[lam] = model.loss(x)[1]["jacobian_norm_sq"]
    assert norms[5.0] < 0.5 * norms[0.0]
