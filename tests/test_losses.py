"""Losses: values against NumPy references and worked examples, gradients by
finite differences, reductions, and saturated inputs (finite, no warnings)."""
import math
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

F64 = np.float64


def t64(data, grad=True):
    return mg.tensor(np.asarray(data, dtype=F64), dtype=F64, requires_grad=grad)


def reduce_ref(values, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](values)


REDUCTIONS = pytest.mark.parametrize("reduction", ["mean", "sum", "none"])


# ----- worked examples ------------------------------------------------------------------------
# The lecture's mean-squared-error examples: target [0.6, 0.4, 0.4, 0.6];
#   close prediction [0.65, 0.42, 0.36, 0.59]: errors 0.05, 0.02, -0.04, -0.01,
#       squares 0.0025 + 0.0004 + 0.0016 + 0.0001 = 0.0046
#   poor prediction  [0.1, 0.9, 0.85, 0.2]:   errors -0.5, 0.5, 0.45, -0.4,
#       squares 0.25 + 0.25 + 0.2025 + 0.16 = 0.8625
MSE_TARGET = [0.6, 0.4, 0.4, 0.6]
MSE_EXAMPLES = [([0.65, 0.42, 0.36, 0.59], 0.0046), ([0.1, 0.9, 0.85, 0.2], 0.8625)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("prediction, expected", MSE_EXAMPLES)
def test_mse_worked_examples(prediction, expected, dtype):
    """The same sums with ops and with F.mse_loss, and their gradient 2 (p - t)."""
    rel = 1e-6 if dtype == np.float32 else 1e-12
    p = mg.tensor(prediction, dtype=dtype, requires_grad=True)
    t = mg.tensor(MSE_TARGET, dtype=dtype)
    by_ops = ((p - t) ** 2).sum()
    assert by_ops.dtype == dtype and by_ops.item() == pytest.approx(expected, rel=rel)
    assert F.mse_loss(p, t, reduction="sum").item() == pytest.approx(expected, rel=rel)
    assert F.mse_loss(p, t, reduction="mean").item() == pytest.approx(expected / 4, rel=rel)
    F.mse_loss(p, t, reduction="sum").backward()
    np.testing.assert_allclose(p.grad.data, 2 * (np.array(prediction) - MSE_TARGET), rtol=1e-5)


def test_kl_divergence_lecture_example():
    p = [0.1, 0.2, 0.4, 0.2, 0.1]
    q = [0.4, 0.1, 0.1, 0.1, 0.3]
    exact = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))
    assert exact == pytest.approx(0.58328595, abs=1e-8)
    assert F.kl_divergence_discrete(t64(p), t64(q)).item() == pytest.approx(exact, rel=1e-12)
    assert round(F.kl_divergence_discrete(mg.tensor(p), mg.tensor(q)).item(), 3) == 0.583
    assert F.kl_divergence_discrete(t64(q), t64(q)).item() == 0  # KL(q || q) = 0
    assert F.kl_divergence_discrete(t64(q), t64(p)).item() != pytest.approx(exact)  # not symmetric


def test_kl_divergence_zero_probabilities_and_batches(rng):
    p = t64([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]])
    q = t64([[0.2, 0.4, 0.4], [0.3, 0.3, 0.4]])
    per_row = F.kl_divergence_discrete(p, q, reduction="none")
    np.testing.assert_allclose(per_row.data, [0.5 * np.log(0.5 / 0.4) * 2,
                                              0.2 * np.log(2 / 3) + 0.5 * np.log(1.25)], rtol=1e-12)
    per_row.backward(np.ones(2))
    assert np.all(np.isfinite(p.grad.data)) and np.all(np.isfinite(q.grad.data))
    pp = t64(rng.dirichlet(np.ones(4), size=3))
    qq = t64(rng.dirichlet(np.ones(4), size=3))
    mg.gradcheck(lambda p, q: F.kl_divergence_discrete(p, q, reduction="none"), [pp, qq])


# ----- against references, with gradients ----------------------------------------------------------
@REDUCTIONS
def test_mse_loss(rng, reduction):
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(F.mse_loss(t64(x), t64(t), reduction).data, reduce_ref((x - t) ** 2, reduction))
    mg.gradcheck(lambda x, t: F.mse_loss(x, t, reduction), [t64(x), t64(t)])


@REDUCTIONS
def test_binary_cross_entropy(rng, reduction):
    p, t = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_cross_entropy(t64(p), t64(t), reduction=reduction).data,
                               reduce_ref(expected, reduction), rtol=1e-12)
    mg.gradcheck(lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction), [t64(p), t64(t)])


@REDUCTIONS
def test_binary_cross_entropy_with_logits(rng, reduction):
    x, t = rng.standard_normal((3, 4)) * 3, rng.uniform(0, 1, (3, 4))
    expected = t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(t64(x), t64(t), reduction=reduction).data,
                               reduce_ref(expected, reduction), rtol=1e-12)
    mg.gradcheck(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction), [t64(x), t64(t)])
    # equals BCE of the probabilities for moderate logits
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(t64(x), t64(t), reduction=reduction).data,
                               F.binary_cross_entropy(t64(p), t64(t), reduction=reduction).data, rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_saturated_inputs_are_finite_without_warnings(dtype):
    x = mg.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=dtype, requires_grad=True)
    t = np.array([1.0, 0.0, 0.5, 1.0, 0.0], dtype=dtype)
    p = mg.tensor([0.0, 1.0, 0.5, 1.0, 0.0], dtype=dtype, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        y = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        y.backward(np.ones(5, dtype))
        b = F.binary_cross_entropy(p, [1.0, 0.0, 0.5, 1.0, 0.0], reduction="none")
        b.backward(np.ones(5, dtype))
    np.testing.assert_allclose(y.data, [1000, 0, math.log(2), 0, 1000], rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(x.grad.data, [-1, 0, 0, 0, 1], atol=1e-6)
    np.testing.assert_allclose(b.data, [100, 100, math.log(2), 0, 0], rtol=1e-6)  # log clamped at -100
    assert np.all(np.isfinite(p.grad.data))


def test_bce_rejects_values_outside_zero_one():
    with pytest.raises(ValueError, match="with_logits"):
        F.binary_cross_entropy(mg.tensor([1.5]), [1.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        F.mse_loss(mg.tensor([1.0, 2.0, 3.0]), [1.0, 2.0])
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(mg.tensor([1.0]), [1.0], reduction="avg")


@REDUCTIONS
def test_gaussian_kl_divergence(rng, reduction):
    mu, logvar = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)) * 0.5
    # KL(N(mu, s^2) || N(0, 1)) = log(1/s) + (s^2 + mu^2)/2 - 1/2, per dimension, summed
    s2 = np.exp(logvar)
    per_sample = np.sum(-0.5 * logvar + 0.5 * (s2 + mu**2) - 0.5, axis=1)
    got = F.gaussian_kl_divergence(t64(mu), t64(logvar), reduction)
    np.testing.assert_allclose(got.data, reduce_ref(per_sample, reduction), rtol=1e-12)
    mg.gradcheck(lambda m, v: F.gaussian_kl_divergence(m, v, reduction), [t64(mu), t64(logvar)])
    assert F.gaussian_kl_divergence(t64(np.zeros((2, 3))), t64(np.zeros((2, 3)))).item() == 0


def test_gaussian_kl_by_monte_carlo():
    """The closed form agrees with E_q[log q(z) - log p(z)] estimated by sampling z = mu + exp(logvar/2) eps."""
    rng = np.random.default_rng(5)
    mu, logvar = np.array([0.5, -1.0]), np.array([-0.5, 0.3])
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal((400_000, 2))
    log_q = -0.5 * (np.log(2 * np.pi) + logvar + (z - mu) ** 2 / np.exp(logvar))
    log_p = -0.5 * (np.log(2 * np.pi) + z**2)
    estimate = np.mean(np.sum(log_q - log_p, axis=1))
    exact = F.gaussian_kl_divergence(t64(mu[None]), t64(logvar[None])).item()
    assert estimate == pytest.approx(exact, abs=0.01)


def test_kl_sparsity_penalty(rng):
    rho, rho_hat = 0.05, rng.uniform(0.01, 0.5, 6)
    expected = np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    assert F.kl_sparsity_penalty(rho, t64(rho_hat)).item() == pytest.approx(expected, rel=1e-12)
    mg.gradcheck(lambda r: F.kl_sparsity_penalty(rho, r), [t64(rho_hat)])
    assert F.kl_sparsity_penalty(rho, t64(np.full(3, rho))).item() == pytest.approx(0, abs=1e-15)
    dead = F.kl_sparsity_penalty(rho, mg.tensor([0.0, 1.0]))  # clipped: large but finite
    assert np.isfinite(dead.item()) and dead.item() > 10
    with pytest.raises(ValueError, match="rho"):
        F.kl_sparsity_penalty(1.5, t64(rho_hat))


@REDUCTIONS
def test_l1_activity_penalty(rng, reduction):
    h = rng.uniform(0.1, 1, (3, 4)) * rng.choice([-1, 1], (3, 4))
    np.testing.assert_allclose(F.l1_activity_penalty(t64(h), reduction).data,
                               reduce_ref(np.abs(h).sum(axis=1), reduction), rtol=1e-12)
    mg.gradcheck(lambda h: F.l1_activity_penalty(h, reduction), [t64(h)])


@REDUCTIONS
def test_cross_entropy_and_nll(rng, reduction):
    logits, labels = rng.standard_normal((5, 4)) * 2, rng.integers(0, 4, 5)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    expected = -log_probs[np.arange(5), labels]
    np.testing.assert_allclose(F.cross_entropy(t64(logits), labels, reduction=reduction).data,
                               reduce_ref(expected, reduction), rtol=1e-12)
    np.testing.assert_allclose(F.nll_loss(t64(log_probs), labels, reduction=reduction).data,
                               reduce_ref(expected, reduction), rtol=1e-12)
    mg.gradcheck(lambda x: F.cross_entropy(x, labels, reduction=reduction), [t64(logits)])
    huge = F.cross_entropy(mg.tensor([[1000.0, -1000.0]]), np.array([1]))
    assert huge.item() == pytest.approx(2000.0)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        F.cross_entropy(t64(logits), np.array([0, 1, 2, 3, 4]))


def test_losses_against_torch_when_available(rng):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x, t = rng.standard_normal((3, 4)) * 3, rng.uniform(0, 1, (3, 4))
    p = 1 / (1 + np.exp(-x))
    T = torch.tensor
    assert F.binary_cross_entropy_with_logits(t64(x), t64(t)).item() == pytest.approx(
        tf.binary_cross_entropy_with_logits(T(x), T(t)).item(), rel=1e-12)
    assert F.binary_cross_entropy(t64(p), t64(t), reduction="sum").item() == pytest.approx(
        tf.binary_cross_entropy(T(p), T(t), reduction="sum").item(), rel=1e-10)
    labels = rng.integers(0, 4, 3)
    assert F.cross_entropy(t64(x), labels).item() == pytest.approx(tf.cross_entropy(T(x), T(labels)).item(), rel=1e-12)
