"""The M2 model: its bounds against a NumPy forward pass written out by hand, the sum over
labels, and gradient checks of the whole objective in float64 (Bernoulli and Gaussian)."""
import math

import numpy as np
import pytest

import minigrad as mg
from autoencoders.semisupervised import bounds
from autoencoders.semisupervised.m2 import MIN_LOGVAR, M2
from model_helpers import parameter_slots

K, D, Z, H = 3, 5, 2, 4


def tiny(likelihood="bernoulli", activation="softplus", seed=0):
    mg.random.seed(seed)
    return M2(features=D, classes=K, latent=Z, hidden=H, classifier_hidden=(H,),
              likelihood=likelihood, activation=activation).to(np.float64)


def data(n, seed=1, gaussian=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, D)) if gaussian else rng.random((n, D))
    return x, rng.integers(0, K, n)


# ----- a NumPy reference of the forward pass ----------------------------------------------------
def softplus(a):
    return np.logaddexp(0.0, a)


def reference_bound(model, x, labels, eps):
    """L(x, y) per row, from the parameters, with the given eps (rows match x)."""
    p = {name: t.data for name, t in model.named_parameters()}
    act = softplus if model.config["activation"] == "softplus" else (lambda a: np.maximum(a, 0))
    onehot = np.eye(K)[labels]
    h = act(x @ p["enc_x.weight"].T + p["enc_x.bias"] + onehot @ p["enc_y.weight"].T)
    mu = h @ p["to_mu.weight"].T + p["to_mu.bias"]
    logvar = h @ p["to_logvar.weight"].T + p["to_logvar.bias"]
    z = mu + np.exp(0.5 * logvar) * eps
    hd = act(z @ p["dec_z.weight"].T + p["dec_z.bias"] + onehot @ p["dec_y.weight"].T)
    out = hd @ p["dec_out.weight"].T + p["dec_out.bias"]
    if model.config["likelihood"] == "bernoulli":
        recon = (softplus(out) - x * out).sum(axis=1)
    else:
        lv = np.maximum(hd @ p["dec_logvar.weight"].T + p["dec_logvar.bias"], MIN_LOGVAR)
        recon = 0.5 * (math.log(2 * math.pi) + lv + (x - out) ** 2 / np.exp(lv)).sum(axis=1)
    kl = 0.5 * (mu ** 2 + np.exp(logvar) - 1 - logvar).sum(axis=1)
    return recon + kl + math.log(K)


def reference_log_q(model, x):
    p = {name: t.data for name, t in model.named_parameters()}
    logits = softplus(x @ p["classifier.0.weight"].T + p["classifier.0.bias"]) @ \
        p["classifier.2.weight"].T + p["classifier.2.bias"]
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_labelled_bound_matches_the_reference(likelihood):
    model = tiny(likelihood)
    x, y = data(4, gaussian=likelihood == "gaussian")
    mg.random.seed(7)
    got = model.labelled_bound(mg.tensor(x), y).data
    eps = np.random.default_rng(7).normal(0.0, 1.0, (4, Z))   # what minigrad's generator draws
    np.testing.assert_allclose(got, reference_bound(model, x, y, eps), rtol=1e-10)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_every_label_bound_is_the_labelled_bound_of_each_label(likelihood):
    model = tiny(likelihood)
    x, _ = data(3, gaussian=likelihood == "gaussian")
    mg.random.seed(5)
    got = model.every_label_bound(mg.tensor(x)).data       # (K, B), class-major
    eps = np.random.default_rng(5).normal(0.0, 1.0, (K * 3, Z)).reshape(K, 3, Z)
    for k in range(K):
        np.testing.assert_allclose(got[k], reference_bound(model, x, np.full(3, k), eps[k]), rtol=1e-10)


def test_loss_is_the_weighted_sum_of_the_pieces():
    model = tiny()
    x_l, y_l = data(2, seed=1)
    x_u, _ = data(3, seed=2)
    weights = (0.25, 2.0, 5.0)
    mg.random.seed(11)
    loss, metrics = model.loss(x_l, y_l, x_u, weights)
    eps = np.random.default_rng(11).normal(0.0, 1.0, (2 + K * 3, Z))
    labelled = reference_bound(model, x_l, y_l, eps[:2])
    every = np.stack([reference_bound(model, x_u, np.full(3, k), eps[2:].reshape(K, 3, Z)[k])
                      for k in range(K)])
    log_q = reference_log_q(model, x_u)
    q = np.exp(log_q)
    entropy = -(q * log_q).sum(axis=1)
    unlabelled = (q * every.T).sum(axis=1) - entropy              # U = sum_y q L - H
    nll_y = -reference_log_q(model, x_l)[np.arange(2), y_l]
    expected = 0.25 * labelled.mean() + 2.0 * unlabelled.mean() + 5.0 * nll_y.mean()
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    assert metrics["entropy"] == pytest.approx(entropy.mean(), rel=1e-10)
    assert metrics["unlabelled"] == pytest.approx(unlabelled.mean(), rel=1e-10)
    assert metrics["nll_y"] == pytest.approx(nll_y.mean(), rel=1e-10)


# ----- gradient checks ---------------------------------------------------------------------------
def loss_as_function_of_parameters(model, x_l, y_l, x_u, weights, seed=3):
    slots, params = parameter_slots(model), model.parameters()

    def loss_of(*tensors):
        for (owner, attr), tensor in zip(slots, tensors):
            setattr(owner, attr, tensor)
        try:
            mg.random.seed(seed)      # the same eps in every evaluation
            return model.loss(x_l, y_l, x_u, weights)[0]
        finally:
            for (owner, attr), p in zip(slots, params):
                setattr(owner, attr, p)

    return loss_of, [mg.Tensor(p.data, requires_grad=True) for p in params]


@pytest.mark.parametrize("likelihood,activation", [("bernoulli", "softplus"), ("gaussian", "softplus"),
                                                   ("bernoulli", "relu")])
def test_objective_gradients_match_finite_differences(likelihood, activation):
    model = tiny(likelihood, activation)
    gaussian = likelihood == "gaussian"
    x_l, y_l = data(3, seed=1, gaussian=gaussian)
    x_u, _ = data(4, seed=2, gaussian=gaussian)
    fn, leaves = loss_as_function_of_parameters(model, x_l, y_l, x_u, (0.5, 1.0, 2.0))
    assert mg.gradcheck(fn, leaves, max_elements=40, n_directions=3)


def test_the_check_fails_for_a_wrong_gradient():
    """The checker is awake: dropping the entropy's gradient (detaching log q inside it) fails."""
    model = tiny()
    x_l, y_l = data(2, seed=1)
    x_u, _ = data(3, seed=2)
    original = bounds.entropy
    try:
        bounds.entropy = lambda log_q: original(log_q.detach())
        fn, leaves = loss_as_function_of_parameters(model, x_l, y_l, x_u, (0.5, 1.0, 2.0))
        assert not mg.gradcheck(fn, leaves, max_elements=40, n_directions=3, raise_exception=False)
    finally:
        bounds.entropy = original


def test_sample_draws_the_asked_classes_in_range():
    model = tiny()
    images = model.sample(np.array([0, 1, 2, 2]), np.random.default_rng(0))
    assert images.shape == (4, D) and images.min() >= 0 and images.max() <= 1
