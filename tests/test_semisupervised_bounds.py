"""M2's objective piece by piece, against values computed by hand on tiny inputs."""
import math

import numpy as np
import pytest

import minigrad as mg
from autoencoders.semisupervised import bounds


def t(values):
    return mg.tensor(np.asarray(values, dtype=np.float64))


def test_labelled_bound_adds_recon_kl_and_log_k():
    # L = -log p(x|y,z) - log p(y) + KL with p(y) = 1/K: 3.0 + 0.5 + log 10
    out = bounds.labelled_bound(t([3.0, 1.0]), t([0.5, 0.0]), classes=10)
    np.testing.assert_allclose(out.data, [3.5 + math.log(10), 1.0 + math.log(10)])


def test_gaussian_kl_closed_form():
    # KL(N(mu, s^2) || N(0, 1)) = (mu^2 + s^2 - 1 - log s^2) / 2 per unit, summed over units
    mu, logvar = np.array([[1.0, 0.0]]), np.array([[0.0, math.log(4.0)]])
    expected = (1.0 + 1.0 - 1.0 - 0.0) / 2 + (0.0 + 4.0 - 1.0 - math.log(4.0)) / 2
    np.testing.assert_allclose(bounds.gaussian_kl(t(mu), t(logvar)).data, [expected])


def test_entropy_of_uniform_and_one_hot_like_distributions():
    log_q = np.log(np.array([[0.5, 0.5], [0.9, 0.1], [0.25, 0.75]]))
    expected = [math.log(2), -(0.9 * math.log(0.9) + 0.1 * math.log(0.1)),
                -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))]
    np.testing.assert_allclose(bounds.entropy(t(log_q)).data, expected)


def test_sum_over_labels_by_hand():
    # two images, three labels; bounds are (K, B) = class-major
    L = np.array([[10.0, 1.0], [20.0, 2.0], [30.0, 3.0]])
    q = np.array([[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]])
    expected_sum = [0.5 * 10 + 0.25 * 20 + 0.25 * 30, 0.1 * 1 + 0.2 * 2 + 0.7 * 3]
    np.testing.assert_allclose(bounds.expected_bound(t(L), t(np.log(q))).data, expected_sum)
    entropy = -(q * np.log(q)).sum(axis=1)
    np.testing.assert_allclose(bounds.unlabelled_bound(t(L), t(np.log(q))).data,
                               np.array(expected_sum) - entropy)


def test_unlabelled_bound_is_tightest_at_the_posterior():
    # -U(x) = log sum_y exp(-L(x,y)) - KL(q(y|x) || p(y|x)): with q = softmax(-L) the KL is 0 and
    # U = -logsumexp(-L); any other q gives a larger U.
    L = np.array([[3.0], [1.0], [2.5]])
    posterior = np.exp(-L[:, 0] - np.log(np.exp(-L[:, 0]).sum()))
    best = -np.log(np.exp(-L[:, 0]).sum())
    u = bounds.unlabelled_bound(t(L), t(np.log(posterior)[None, :])).data
    np.testing.assert_allclose(u, [best])
    other = np.log(np.array([[0.2, 0.5, 0.3]]))
    assert bounds.unlabelled_bound(t(L), t(other)).data[0] > best


def test_objective_weights_the_batch_means():
    out = bounds.objective(t([1.0, 3.0]), t([10.0, 20.0, 30.0]), t([0.5, 1.5]), (0.5, 2.0, 3.0))
    assert out.item() == pytest.approx(0.5 * 2.0 + 2.0 * 20.0 + 3.0 * 1.0)


def test_paper_weights_give_j_alpha_per_image():
    # J^alpha / N = (N_l/N) E_l L + (N_u/N) E_u U + alpha E_l[-log q], N = N_l + N_u
    assert bounds.paper_weights(100, 49_900, 0.1) == pytest.approx((0.002, 0.998, 0.1))
    # balanced: labelled and unlabelled sets weigh the same; alpha N / N_l = 50 as in the paper
    assert bounds.balanced_weights(100, 49_900, 0.1) == pytest.approx((1.0, 1.0, 50.0))


def test_paper_weights_are_an_unbiased_estimate_of_the_sum():
    """Over every labelled and every unlabelled image at once, the weighted means are J / N."""
    rng = np.random.default_rng(0)
    L, U, nll = rng.random(4), rng.random(6), rng.random(4)
    n = 10
    j = L.sum() + U.sum() + 0.1 * n * nll.mean()
    w = bounds.paper_weights(4, 6, 0.1)
    assert bounds.objective(t(L), t(U), t(nll), w).item() == pytest.approx(j / n)
