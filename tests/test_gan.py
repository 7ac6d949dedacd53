"""GANs: the theory on a discrete toy (the optimal discriminator D* = p_r / (p_r + p_g), the value
-2 log 2 at p_g = p_r), the two generator losses from logits (stable, and which one keeps its
gradient when D wins), gradients of both training phases in float64, the three models (shapes,
options, sampling, labels), and each network learning when the other is frozen."""
import math

import numpy as np
import pytest

import minigrad as mg
from autoencoders.models import MODELS, ConfigError, build_model
from autoencoders.models.gan import discriminator_loss, generator_loss
from model_helpers import digits, parameter_slots, train_steps

LOG2 = math.log(2.0)

# Two distributions over four points, with denominators 8 so that 8 samples hold them exactly:
# a mean over REAL (FAKE) is then exactly an expectation under p_r (p_g).
P_R = np.array([4, 2, 1, 1]) / 8
P_G = np.array([1, 1, 2, 4]) / 8
REAL = np.array([0, 0, 0, 0, 1, 1, 2, 3])
FAKE = np.array([0, 1, 2, 2, 3, 3, 3, 3])

TINY = {"gan": dict(widths=(6, 5), latent=3, image_size=4),            # 16 pixels
        "cgan": dict(widths=(6, 5), latent=3, image_size=4, classes=3),
        "dcgan": dict(channels=2, latent=3, image_size=8)}             # 8 x 8 images


def fit_table(real, fake, points=4, steps=400, seed=0):
    """The discriminator as a free table of logits, one per point, trained on loss_d to
    convergence with minigrad's Adam; returns D = sigmoid(logits) (numpy, float64)."""
    start = np.random.default_rng(seed).normal(0.0, 1.0, points)
    logits = mg.nn.Parameter(start, dtype=np.float64)
    optimizer = mg.optim.Adam([logits], lr=0.05)
    for _ in range(steps):
        loss = discriminator_loss(logits[real], logits[fake])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return 1.0 / (1.0 + np.exp(-logits.data))


def fit_mlp(real, fake, points=4, steps=400):
    """The discriminator as a tiny MLP on one-hot points, trained like ``fit_table``; returns D
    at every point and the network."""
    mg.random.seed(0)
    net = mg.nn.Sequential(mg.nn.Linear(points, 8), mg.nn.LeakyReLU(0.2), mg.nn.Linear(8, 1))
    net.to(np.float64)
    onehot = np.eye(points)
    optimizer = mg.optim.Adam(net.parameters(), lr=0.02)

    def logits(index):
        return mg.ops.reshape(net(mg.tensor(onehot[index], dtype=np.float64)), (-1,))

    for _ in range(steps):
        loss = discriminator_loss(logits(real), logits(fake))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with mg.no_grad():
        return mg.sigmoid(logits(np.arange(points))).data, logits


def value(d_real, d_fake):
    """V(D, G) = E_pr[log D] + E_pg[log(1 - D)] with NumPy, exactly, from the table of D."""
    return float(np.sum(P_R * np.log(d_real)) + np.sum(P_G * np.log(1 - d_fake)))


def js_divergence(p, q):
    """JS(p || q) in nats, with NumPy: the mean of KL(p || m) and KL(q || m), m = (p + q) / 2."""
    m = (p + q) / 2
    return 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))


# ----- the theory ----------------------------------------------------------------------------------
def test_the_trained_table_discriminator_is_p_r_over_p_r_plus_p_g():
    d = fit_table(REAL, FAKE)
    np.testing.assert_allclose(d, P_R / (P_R + P_G), atol=1e-5)   # 0.8, 2/3, 1/3, 0.2


def test_a_trained_mlp_discriminator_is_p_r_over_p_r_plus_p_g_too():
    d, _ = fit_mlp(REAL, FAKE)
    np.testing.assert_allclose(d, P_R / (P_R + P_G), atol=1e-5)


def test_the_value_at_d_star_is_minus_2_log_2_plus_twice_the_js_divergence():
    d_star = P_R / (P_R + P_G)
    assert value(d_star, d_star) == pytest.approx(-2 * LOG2 + 2 * js_divergence(P_R, P_G), rel=1e-12)
    # and the trained discriminator's loss reaches it: loss_d = -V
    d = fit_table(REAL, FAKE)
    logits = np.log(d / (1 - d))
    loss_d = discriminator_loss(mg.tensor(logits[REAL]), mg.tensor(logits[FAKE])).item()
    assert -loss_d == pytest.approx(value(d_star, d_star), abs=1e-9)
    # D* is the best discriminator: any other table scores a lower V
    for other in (np.full(4, 0.5), np.clip(d_star + 0.05, 0, 1), np.array([0.9, 0.6, 0.4, 0.1])):
        assert value(other, other) < value(d_star, d_star)


def test_when_p_g_is_p_r_d_star_is_one_half_and_the_value_is_minus_2_log_2():
    d = fit_table(REAL, REAL, seed=3)
    np.testing.assert_allclose(d, 0.5, atol=1e-5)
    logits = np.log(d / (1 - d))
    v = -discriminator_loss(mg.tensor(logits[REAL]), mg.tensor(logits[REAL])).item()
    assert v == pytest.approx(-2 * LOG2, abs=1e-9)                     # -1.3863 nats
    exact = -discriminator_loss(mg.tensor(np.zeros(8)), mg.tensor(np.zeros(8))).item()
    assert exact == pytest.approx(-2 * np.log(2), rel=1e-12)            # D* = 1/2 exactly
    # the lecture's -2 log10 2 = -0.602 is the same number in units of log10, not nats
    assert -2 * math.log10(2) == pytest.approx(exact / math.log(10), rel=1e-12)
    assert -2 * math.log10(2) != pytest.approx(exact, abs=0.1)


# ----- the losses from logits ---------------------------------------------------------------------
def test_the_losses_match_their_numpy_formulas():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(0, 3, 7), rng.normal(0, 3, 5)
    d_real, d_fake = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
    assert discriminator_loss(mg.tensor(real), mg.tensor(fake)).item() == pytest.approx(
        -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake)), rel=1e-12)
    assert generator_loss(mg.tensor(fake), "minimax").item() == pytest.approx(
        np.mean(np.log(1 - d_fake)), rel=1e-12)
    assert generator_loss(mg.tensor(fake), "non-saturating").item() == pytest.approx(
        -np.mean(np.log(d_fake)), rel=1e-12)
    with pytest.raises(ValueError, match="unknown generator loss 'wasserstein'"):
        generator_loss(mg.tensor(fake), "wasserstein")


@pytest.mark.parametrize("kind", ["minimax", "non-saturating"])
def test_the_losses_are_finite_at_saturated_logits(kind):
    logits = mg.tensor(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):   # underflow to 0 is fine
        for loss in (discriminator_loss(logits, logits), generator_loss(logits, kind)):
            logits.grad = None
            loss.backward()
            assert np.isfinite(loss.item()) and np.all(np.isfinite(logits.grad.data))
    # a confident D (logit -1000 on a fake) costs the generator 1000 nats, not inf
    assert generator_loss(mg.tensor([-1000.0]), "non-saturating").item() == pytest.approx(1000.0)


def test_the_minimax_gradient_vanishes_when_d_rejects_the_fakes_the_non_saturating_one_does_not():
    """d/dl of log(1 - sigmoid(l)) is -sigmoid(l): zero as l -> -inf, where D is sure the fake is
    fake. d/dl of -log sigmoid(l) is -(1 - sigmoid(l)): about -1 there. Both push l up."""
    grads = {}
    for kind in ("minimax", "non-saturating"):
        logit = mg.tensor([-10.0], requires_grad=True)
        generator_loss(logit, kind).backward()
        grads[kind] = logit.grad.data[0]
    assert -1e-4 < grads["minimax"] < 0
    assert grads["non-saturating"] == pytest.approx(-1.0, abs=1e-4)


# ----- gradients of both phases, float64 ---------------------------------------------------------
def tiny_batch(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    size = model.config["image_size"]
    shape = (n, size * size) if model.input_kind == "flat" else (n, 1, size, size)
    labels = np.arange(n) % model.config["classes"] if model.needs_labels else None
    return rng.uniform(0.05, 0.95, shape), labels


def check_phase_gradients(model, phase, x, labels, seed=0):
    """gradcheck of a phase's loss with respect to its own parameters, in float64; minigrad.random
    is re-seeded before every evaluation so the noise z is the same in each."""
    slots = dict(zip((name for name, _ in model.named_parameters()), parameter_slots(model)))
    names = [name for name, _ in phase.named_parameters]
    params = [p for _, p in phase.named_parameters]
    x = mg.tensor(np.asarray(x, dtype=np.float64))

    def loss_of(*tensors):
        for name, t in zip(names, tensors):
            setattr(*slots[name], t)
        try:
            mg.random.seed(seed)
            return phase.loss(x, labels)[0]
        finally:
            for name, p in zip(names, params):
                setattr(*slots[name], p)

    leaves = [mg.Tensor(p.data, requires_grad=True) for p in params]
    return mg.gradcheck(loss_of, leaves, max_elements=30, n_directions=3)


@pytest.mark.parametrize("name", ["gan", "cgan", "dcgan"])
@pytest.mark.parametrize("kind", ["non-saturating", "minimax"])
def test_gradients_of_both_phases(name, kind):
    mg.random.seed(1)
    model = build_model(name, **TINY[name], loss=kind)
    model.to(np.float64)
    x, labels = tiny_batch(model)
    phases = model.training_phases()
    assert [phase.name for phase in phases] == ["loss_d", "loss_g"]
    for phase in phases:
        assert check_phase_gradients(model, phase, x, labels)


def test_the_discriminator_phase_sends_no_gradient_to_the_generator():
    mg.random.seed(0)
    model = build_model("gan", **TINY["gan"])
    x, _ = tiny_batch(model)
    loss_d, _ = model.discriminator_loss(mg.tensor(x.astype(np.float32)))
    loss_d.backward()
    assert all(p.grad is None for p in model.generator.parameters())
    assert all(p.grad is not None for p in model.discriminator.parameters())


# ----- the models ----------------------------------------------------------------------------------
def test_the_three_models_are_registered_generative_and_encoderless():
    for name in ("gan", "cgan", "dcgan"):
        cls = MODELS[name]
        assert cls.can_sample and not cls.has_encoder
        assert cls.needs_labels == (name == "cgan")
        assert cls.input_kind == ("image" if name == "dcgan" else "flat")


def test_default_shapes():
    gan = build_model("gan")
    assert [type(m).__name__ for m in gan.generator] == ["Linear", "BatchNorm1d", "ReLU", "Linear",
                                                         "BatchNorm1d", "ReLU", "Linear"]
    assert [p.shape for p in gan.generator.parameters()] == [(256, 64), (256,), (256,), (256,),
                                                             (512, 256), (512,), (512,), (512,),
                                                             (784, 512), (784,)]
    plain = build_model("gan", batch_norm=False)
    assert [type(m).__name__ for m in plain.generator] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [p.shape for p in gan.discriminator.parameters()] == [(512, 784), (512,), (256, 512),
                                                                 (256,), (1, 256), (1,)]
    cgan = build_model("cgan")
    assert cgan.generator[0].weight.shape == (256, 74)
    assert [p.shape for p in cgan.discriminator.parameters()] == [(512, 784), (512,), (256, 512),
                                                                  (256,), (1, 256), (1,), (10, 256)]
    concat = build_model("cgan", conditioning="concat")
    assert concat.generator[0].weight.shape == (256, 74) and concat.discriminator[0].weight.shape == (512, 794)
    dcgan = build_model("dcgan")
    z = mg.tensor(np.zeros((3, 64), np.float32))
    with mg.no_grad():
        dcgan.eval()
        assert dcgan.decode(z).shape == (3, 1, 28, 28)
        assert dcgan.discriminate(mg.tensor(np.zeros((3, 1, 28, 28), np.float32))).shape == (3,)
    assert any(type(m).__name__ == "BatchNorm2d" for m in dcgan.generator.modules())
    assert [type(m).__name__ for m in dcgan.discriminator][::2] == ["Conv2d"] * 3


def test_the_projection_discriminator_adds_the_labels_vector_dotted_with_the_last_hidden_layer():
    model = build_model("cgan", **TINY["cgan"]).to(np.float64)
    d = model.discriminator
    x = np.random.default_rng(0).random((4, 16))
    labels = np.array([0, 2, 1, 2])
    h = d.body(mg.tensor(x * 2 - 1)).data
    expected = h @ d.head.weight.data[0] + d.head.bias.data[0] + np.sum(d.embed.weight.data[labels] * h, axis=1)
    np.testing.assert_allclose(model.discriminate(mg.tensor(x), labels).data, expected, rtol=1e-12)
    other = model.discriminate(mg.tensor(x), (labels + 1) % 3).data
    assert np.all(other != expected)   # the same images with other labels get other logits
    with pytest.raises(ValueError, match="labels must be integers in"):
        model.discriminate(mg.tensor(x), np.array([0, 1, 2, 3]))


@pytest.mark.parametrize("name", ["gan", "cgan", "dcgan"])
def test_samples_are_images_in_0_1_shaped_like_the_input_and_repeatable(name):
    model = build_model(name, **TINY[name])
    labels = np.array([0, 1, 2, 0, 1]) if model.needs_labels else None
    a = model.sample(5, np.random.default_rng(4), labels)
    b = model.sample(5, np.random.default_rng(4), labels)
    size = model.config["image_size"]
    assert a.shape == ((5, size * size) if name != "dcgan" else (5, 1, size, size))
    assert a.dtype == np.float32 and a.min() >= 0 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert model.training   # sampling restores the mode


def test_the_cgan_draws_the_digit_it_is_told():
    model = build_model("cgan", **TINY["cgan"])
    rng = np.random.default_rng(0)
    z_rng = np.random.default_rng(0)
    zeros = model.sample(3, rng, np.zeros(3, int))
    twos = model.sample(3, z_rng, np.full(3, 2))
    assert not np.allclose(zeros, twos)      # same z, another label: other images
    with pytest.raises(ConfigError, match="samples a chosen digit"):
        model.sample(3, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 3\)"):
        model.sample(2, np.random.default_rng(0), np.array([0, 3]))


@pytest.mark.parametrize("call", ["encode", "embed", "reconstruct"])
def test_a_gan_has_no_encoder(call):
    model = build_model("gan", **TINY["gan"])
    with pytest.raises(NotImplementedError, match="'gan' has no encoder"):
        getattr(model, call)(np.zeros((2, 16), np.float32))


@pytest.mark.parametrize("name, config, message", [
    ("dcgan", {"image_size": 10}, "'image_size' must be divisible by 4"),
    ("gan", {"widths": ()}, "'widths' must list at least one hidden width"),
    ("gan", {"loss": "wasserstein"}, "option 'loss' must be one of non-saturating, minimax"),
    ("gan", {"slope": 2.0}, "option 'slope' must be <= 1.0"),
    ("dcgan", {"channels": 5000}, "option 'channels' must be <= 1024"),
    ("cgan", {"classes": 0}, "option 'classes' must be >= 1"),
    ("cgan", {"conditioning": "film"}, "option 'conditioning' must be one of projection, concat"),
])
def test_config_errors(name, config, message):
    with pytest.raises(ConfigError, match=message):
        build_model(name, **config)


@pytest.mark.parametrize("name", ["gan", "cgan", "dcgan"])
def test_evaluation_loss_is_the_value_of_the_game(name):
    mg.random.seed(0)
    model = build_model(name, **TINY[name])
    x, labels = tiny_batch(model, n=6)
    value, metrics = model.loss(x.astype(np.float32), labels)
    assert set(metrics) == {"loss", "loss_d", "loss_g", "d_real", "d_fake"}
    assert metrics["loss"] == value.item() == pytest.approx(-metrics["loss_d"])
    assert 0 < metrics["d_real"] < 1 and 0 < metrics["d_fake"] < 1
    # an untrained discriminator cannot tell: V is near -2 log 2
    assert value.item() == pytest.approx(-2 * LOG2, abs=0.2)


# ----- each network learns when the other is frozen -------------------------------------------------
SMALL = {"gan": dict(widths=(32, 64), latent=8),
         "cgan": dict(widths=(32, 64), latent=8),
         "dcgan": dict(channels=4, latent=8)}


def train_phase(model, phase, x, labels, steps, lr=2e-3):
    """Adam on one phase's parameters only (the other network frozen); the losses, one per step."""
    return train_steps(model, x, labels, steps, lr, seed=None,
                       parameters=[p for _, p in phase.named_parameters], loss=phase.loss)


@pytest.mark.parametrize("name", ["gan", "cgan", "dcgan"])
def test_d_learns_with_g_frozen_and_g_learns_with_d_frozen(name):
    mg.random.seed(0)
    model = build_model(name, **SMALL[name])
    images, labels = digits(32, flat=model.input_kind == "flat")
    x = mg.tensor(images)
    loss_d, loss_g = model.training_phases()
    generator_before = [p.data.copy() for _, p in loss_g.named_parameters]

    d_losses = train_phase(model, loss_d, x, labels, steps=20)
    assert np.mean(d_losses[-3:]) < 0.75 * np.mean(d_losses[:3])    # D learns to tell
    assert all(np.array_equal(a, p.data) for a, (_, p) in zip(generator_before, loss_g.named_parameters))

    discriminator_before = [p.data.copy() for _, p in loss_d.named_parameters]
    g_losses = train_phase(model, loss_g, x, labels, steps=20)
    assert np.mean(g_losses[-3:]) < 0.75 * np.mean(g_losses[:3])    # G learns to fool it
    assert all(np.array_equal(a, p.data) for a, (_, p) in zip(discriminator_before, loss_d.named_parameters))


# ----- the command line ------------------------------------------------------------------------
def test_gans_train_sample_and_generate_from_the_command_line(tmp_path, capsys):
    from cli_helpers import run

    for name in ("gan", "cgan"):
        out = tmp_path / name
        assert run(["train", "--model", name, "--epochs", "1", "--limit", "128", "--batch-size", "32",
                    "--beta1", "0.5", "--set", "latent=4", "--out", str(out), "--quiet"]) == 0
        assert (out / "loss_curves.png").is_file() and (out / "samples.png").is_file()
        assert not (out / "reconstructions.png").exists()     # a GAN has nothing to reconstruct
        assert run(["sample", str(out / "last.npz"), "--n", "20", "--quiet"]) == 0
        assert run(["generate", str(out / "last.npz"), "--limit", "50", "--n", "10", "--quiet"]) == 0
        assert "no likelihood" in capsys.readouterr().out
        assert run(["reconstruct", str(out / "last.npz")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "has no encoder" in err
        assert run(["latent", str(out / "last.npz")]) == 2
        assert "has no encoder" in capsys.readouterr().err


def test_a_cgan_checkpoint_from_before_the_conditioning_option_loads_as_concat(tmp_path, capsys):
    """Checkpoints written before 'conditioning' existed hold a concat discriminator and no
    'conditioning' key: they sample, evaluate and resume as they were made."""
    from dataclasses import replace

    from autoencoders.checkpoint import load_checkpoint, load_model, save_checkpoint
    from cli_helpers import run

    out = tmp_path / "old"
    assert run(["train", "--model", "cgan", "--epochs", "1", "--limit", "64", "--batch-size", "32",
                "--set", "latent=4", "--set", "conditioning=concat", "--out", str(out),
                "--no-figures", "--quiet"]) == 0
    saved = load_checkpoint(out / "last.npz")
    config = {k: v for k, v in saved.model_config.items() if k != "conditioning"}
    settings = {**saved.settings, "model_config": config}
    save_checkpoint(out / "last.npz", replace(saved, model_config=config, settings=settings))

    model, checkpoint = load_model(out / "last.npz")
    assert model.config["conditioning"] == "concat" and checkpoint.model_config["conditioning"] == "concat"
    assert model.discriminator[0].weight.shape[1] == 784 + 10   # image and one-hot label
    capsys.readouterr()
    assert run(["evaluate", str(out / "last.npz"), "--limit", "64", "--quiet"]) == 0
    assert run(["train", "--resume", "--epochs", "2", "--out", str(out), "--no-figures", "--quiet"]) == 0
    assert load_checkpoint(out / "last.npz").epoch == 2
