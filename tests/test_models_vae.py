"""The VAE and the conditional VAE: shapes, the KL term against a NumPy closed form,
the reparameterization, gradients of the ELBO (float64 finite differences, with
the noise fixed by seeding), the importance-weighted log-likelihood, labels for
the CVAE, configuration errors, and short training runs on 64 real digits."""
import math

import numpy as np
import pytest
from scipy.stats import norm

import minigrad as mg
from autoencoders.models import ConfigError, build_model
from model_helpers import check_loss_gradients, digits, train_steps

TINY = dict(hidden=5, latent=2, image_size=4)      # 16 pixels


def random_flat(n, pixels, seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.95, (n, pixels))


def numpy_gaussian_kl(mu, logvar):
    """KL(N(mu, sigma^2) || N(0, 1)) summed over dimensions: 1/2 (sigma^2 + mu^2 - 1 - log sigma^2)."""
    var = np.exp(logvar.astype(np.float64))
    return 0.5 * np.sum(var + mu.astype(np.float64) ** 2 - 1.0 - logvar, axis=1)


# ----- shapes and configuration ------------------------------------------------------------
def test_vae_default_is_the_pytorch_example_network():
    model = build_model("vae")
    shapes = sorted(p.shape for p in model.parameters())
    # fc1 784->400, fc21 and fc22 400->20 (mu, logvar), fc3 20->400, fc4 400->784
    assert shapes == sorted([(400, 784), (400,), (20, 400), (20,), (20, 400), (20,),
                             (400, 20), (400,), (784, 400), (784,)])
    assert sum(p.size for p in model.parameters()) == 652_824  # as in PyTorch's example


def test_vae_layers_and_activation_shape_the_mlp():
    model = build_model("vae", hidden=30, latent=5, layers=2, activation="softplus")
    kinds = [type(m).__name__ for m in model.decoder]
    assert kinds == ["Linear", "Softplus", "Linear", "Softplus", "Linear"]
    assert [tuple(p.shape) for p in model.encoder.parameters()] == [(30, 784), (30,), (30, 30), (30,)]
    # the defaults keep the keys of every saved one-layer VAE
    assert list(build_model("vae").state_dict())[:6] == [
        "encoder.0.weight", "encoder.0.bias", "decoder.0.weight", "decoder.0.bias",
        "decoder.2.weight", "decoder.2.bias"]


@pytest.mark.parametrize("config, x_shape", [
    ({}, (6, 784)),
    ({"likelihood": "gaussian"}, (6, 784)),
    ({"arch": "conv", "channels": (4, 8, 8), "hidden": 32}, (6, 1, 28, 28)),
])
def test_vae_shapes(config, x_shape):
    model = build_model("vae", **config)
    x, _ = digits(6, flat=len(x_shape) == 2)
    assert x.shape == x_shape and model.input_kind == ("flat" if len(x_shape) == 2 else "image")
    mu, logvar = model.encode(mg.tensor(x))
    assert mu.shape == logvar.shape == (6, 20)
    assert model(x).shape == x_shape
    assert model.reconstruct(x).shape == x_shape
    assert model.embed(x).shape == (6, 20)
    samples = model.sample(7, np.random.default_rng(0))
    assert samples.shape == (7,) + x_shape[1:] and samples.min() >= 0 and samples.max() <= 1
    loss, metrics = model.loss(mg.tensor(x))
    assert loss.shape == () and set(metrics) >= {"loss", "recon", "kl"}
    assert metrics["loss"] == pytest.approx(metrics["recon"] + metrics["kl"], rel=1e-5)


@pytest.mark.parametrize("name, config, message", [
    ("vae", {"latent": 0}, "'latent' must be >= 1"),
    ("vae", {"likelihood": "poisson"}, "bernoulli, gaussian"),
    ("vae", {"arch": "conv", "kernel_size": 2}, "odd"),
    ("vae", {"arch": "conv", "kernel_size": 11}, "does not fit"),
    ("vae", {"beta": -1.0}, ">= 0"),
    ("vae", {"sigma": 0.0}, ">= 0.001"),
    ("vae", {"layers": 0}, "'layers' must be >= 1"),
    ("vae", {"activation": "tanh"}, "relu, softplus"),
    ("cvae", {"arch": "conv"}, "no option 'arch'"),
    ("cvae", {"classes": 0}, ">= 1"),
])
def test_bad_config(name, config, message):
    with pytest.raises(ConfigError, match=message):
        build_model(name, **config)


# ----- the pieces of the ELBO --------------------------------------------------------------
def test_kl_term_matches_numpy_closed_form():
    model = build_model("vae", hidden=32, latent=6)
    x, _ = digits(16, flat=True)
    for p in model.to_logvar.parameters():   # spread the variances away from 1
        p.data *= 8
    mu, logvar = (t.data for t in model.encode(mg.tensor(x)))
    assert np.ptp(logvar) > 1
    _, metrics = model.loss(mg.tensor(x))
    assert metrics["kl"] == pytest.approx(numpy_gaussian_kl(mu, logvar).mean(), rel=1e-5)


def test_reparameterization_uses_std_exp_half_logvar():
    model = build_model("vae", **TINY)
    mu = mg.tensor(np.array([[0.5, -1.0]] * 4000))
    logvar = mg.tensor(np.array([[math.log(4.0), math.log(0.01)]] * 4000))  # std 2 and 0.1
    mg.random.seed(3)
    z = model.reparameterize(mu, logvar).data
    mg.random.seed(3)
    eps = mg.random.normal(0.0, 1.0, mu.shape, dtype=np.float64)
    np.testing.assert_allclose(z, mu.data + np.exp(0.5 * logvar.data) * eps, rtol=1e-6)
    np.testing.assert_allclose(z.std(axis=0), [2.0, 0.1], rtol=0.05)
    np.testing.assert_allclose(z.mean(axis=0), [0.5, -1.0], atol=0.1)


def test_eval_mode_reconstructs_from_the_mean():
    model = build_model("vae", hidden=16, latent=4)
    x, _ = digits(4, flat=True)
    model.eval()
    mu, _ = model.encode(mg.tensor(x))
    np.testing.assert_array_equal(model(x).data, model.decode(mu).data)
    model.train()
    assert not np.array_equal(model(x).data, model(x).data)     # training samples z


def test_beta_weights_the_kl_term():
    x, _ = digits(8, flat=True)
    metrics = {}
    for beta in (1.0, 4.0):
        mg.random.seed(0)
        model = build_model("vae", hidden=16, latent=4, beta=beta)
        mg.random.seed(1)
        _, metrics[beta] = model.loss(mg.tensor(x))
    assert metrics[4.0]["kl"] == pytest.approx(metrics[1.0]["kl"])
    assert metrics[4.0]["loss"] == pytest.approx(metrics[4.0]["recon"] + 4 * metrics[4.0]["kl"], rel=1e-5)


def test_gaussian_likelihood_matches_scipy():
    """recon = -sum_pixels log N(x; sigmoid(logits), sigma^2), fixed or learned (per-pixel) sigma."""
    x = random_flat(3, 16)
    logits = np.random.default_rng(1).normal(size=(3, 16))
    mean = 1 / (1 + np.exp(-logits))
    fixed = build_model("vae", likelihood="gaussian", variance="fixed", sigma=0.2, **TINY)
    got = fixed.to(np.float64).recon_nll(mg.tensor(logits), mg.tensor(x)).data
    np.testing.assert_allclose(got, -norm.logpdf(x, mean, 0.2).sum(axis=1), rtol=1e-10)
    learned = build_model("vae", likelihood="gaussian", sigma=0.2, **TINY).to(np.float64)
    learned.pixel_logvar.data[:] = np.linspace(-3, 1, 16)
    got = learned.recon_nll(mg.tensor(logits), mg.tensor(x)).data
    std = np.exp(0.5 * np.linspace(-3, 1, 16))
    np.testing.assert_allclose(got, -norm.logpdf(x, mean, std).sum(axis=1), rtol=1e-10)


# ----- gradients -------------------------------------------------------------------------
@pytest.mark.parametrize("config", [
    {},
    {"beta": 0.5},
    {"likelihood": "gaussian"},
    {"likelihood": "gaussian", "variance": "fixed", "sigma": 0.3},
    {"layers": 2, "activation": "softplus"},
])
def test_vae_loss_gradients(config):
    model = build_model("vae", **TINY, **config)
    check_loss_gradients(model, random_flat(3, 16))


def test_gradient_check_needs_the_noise_fixed():
    """Without re-seeding, every evaluation draws new eps; finite differences of that
    noisy loss are garbage and the check fails, so passing above means something."""
    model = build_model("vae", **TINY)
    with pytest.raises(mg.GradcheckError):
        check_loss_gradients(model, random_flat(3, 16), seed=None)


def test_conv_vae_loss_gradients():
    model = build_model("vae", arch="conv", channels=(2, 2, 2), hidden=3, latent=2, image_size=12)
    check_loss_gradients(model, np.random.default_rng(0).uniform(0.05, 0.95, (2, 1, 12, 12)))


def test_cvae_loss_gradients():
    model = build_model("cvae", classes=3, **TINY)
    check_loss_gradients(model, random_flat(3, 16), labels=np.array([0, 2, 1]))


# ----- importance-weighted log-likelihood ----------------------------------------------
@pytest.fixture(scope="module")
def trained_vae():
    """A small VAE after a few steps on 64 digits (its posterior is no longer the prior)."""
    mg.random.seed(0)
    model = build_model("vae", hidden=64, latent=4)
    x, _ = digits(64, flat=True)
    train_steps(model, x, steps=40, lr=3e-3)
    return model, x


def test_iwae_k1_is_the_elbo_in_expectation(trained_vae):
    model, x = trained_vae
    reps = 40
    x_many = np.tile(x[:16], (reps, 1))              # every image 40 times
    mg.random.seed(5)
    log_w = model.log_likelihood(x_many, k=1)
    mg.random.seed(6)
    with mg.no_grad():
        losses = [model.loss(mg.tensor(x_many))[1]["loss"] for _ in range(10)]
    # both are unbiased estimates of the same ELBO; compare within their standard errors
    stderr = math.hypot(log_w.std() / math.sqrt(log_w.size), np.std(losses) / math.sqrt(len(losses)))
    assert abs(log_w.mean() + np.mean(losses)) < 4 * stderr, (log_w.mean(), -np.mean(losses), stderr)


def test_iwae_bound_rises_with_k(trained_vae):
    model, x = trained_vae
    mg.random.seed(7)
    estimates = {k: model.log_likelihood(x, k=k).mean() for k in (1, 10, 100)}
    mg.random.seed(8)
    with mg.no_grad():
        elbo = -np.mean([model.loss(mg.tensor(x))[1]["loss"] for _ in range(20)])
    assert estimates[1] < estimates[10] < estimates[100], estimates
    assert estimates[100] > elbo
    assert np.all(model.log_likelihood(x, k=5) < 0)     # log-probabilities of binary-ish images


def test_log_likelihood_rejects_k0():
    with pytest.raises(ConfigError, match="k must be >= 1"):
        build_model("vae", **TINY).log_likelihood(random_flat(2, 16), k=0)


# ----- the conditional VAE -------------------------------------------------------------
def test_cvae_labels():
    model = build_model("cvae", hidden=16, latent=3)
    assert model.needs_labels and model.can_sample
    x, y = digits(5, flat=True)
    assert model(x, y).shape == (5, 784)
    assert model.embed(x, y).shape == (5, 3)
    assert model.reconstruct(x, y).shape == (5, 784)
    sevens = model.sample(6, np.random.default_rng(0), labels=[7] * 6)
    assert sevens.shape == (6, 784)
    ones = model.sample(6, np.random.default_rng(0), labels=np.ones(6, int))  # same z, other digit
    assert not np.allclose(sevens, ones)
    assert model.log_likelihood(x, k=3, labels=y).shape == (5,)


@pytest.mark.parametrize("call", [
    lambda m, x: m.loss(mg.tensor(x)),
    lambda m, x: m.reconstruct(x),
    lambda m, x: m.embed(x),
    lambda m, x: m.sample(4, np.random.default_rng(0)),
])
def test_cvae_without_labels_raises(call):
    model = build_model("cvae", hidden=8, latent=2)
    x, _ = digits(4, flat=True)
    with pytest.raises(ConfigError, match="labels"):
        call(model, x)


def test_cvae_rejects_bad_labels():
    model = build_model("cvae", hidden=8, latent=2)
    x, _ = digits(4, flat=True)
    with pytest.raises(ValueError, match=r"in \[0, 10\)"):
        model.loss(mg.tensor(x), np.array([0, 1, 2, 10]))
    with pytest.raises(ValueError, match="expected 4 labels"):
        model.loss(mg.tensor(x), np.array([0, 1]))


# ----- training -------------------------------------------------------------------------
@pytest.mark.parametrize("name, config, lr, ratio", [
    ("vae", {}, 3e-3, 0.55),
    ("vae", {"likelihood": "gaussian"}, 3e-3, 0.5),
    ("vae", {"arch": "conv", "variant": "strided", "channels": (8, 8, 8), "hidden": 64}, 1e-2, 0.65),
    ("cvae", {}, 3e-3, 0.55),
])
def test_training_lowers_loss(name, config, lr, ratio):
    mg.random.seed(0)
    model = build_model(name, **config)
    x, y = digits(64, flat=model.input_kind == "flat")
    losses = train_steps(model, x, y if model.needs_labels else None, steps=25, lr=lr)
    assert losses[-1] < ratio * losses[0], losses
