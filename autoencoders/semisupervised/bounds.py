"""The pieces of M2's objective, as functions of tensors (docs/models/m2.md derives them).

The generative model is p(x, y, z) = p(y) p(z) p(x | y, z) with p(y) uniform over K classes
and p(z) = N(0, I); the inference model is q(z | x, y) q(y | x). For a labelled pair (x, y):

    -L(x, y) = E_q(z|x,y)[log p(x|y,z) + log p(y) + log p(z) - log q(z|x,y)]
             = E_q(z|x,y)[log p(x|y,z)] - log K - KL(q(z|x,y) || p(z))

so L(x, y) = recon + log K + kl, with recon = -log p(x|y,z) at one sampled z and the KL in
closed form (the exact expectation of log q - log p(z) under q). For an unlabelled x the
label is summed over, weighted by the classifier:

    -U(x) = sum_y q(y|x) (-L(x, y)) + H(q(y|x))
     U(x) = sum_y q(y|x) (L(x, y) + log q(y|x))

Every function returns one value per image (a Tensor (B,)); the objective is their
weighted batch means (``objective``).
"""
import math

import minigrad.nn.functional as F
from minigrad import ops


def labelled_bound(recon, kl, classes):
    """L(x, y) = -log p(x|y,z) - log p(y) + KL(q(z|x,y) || p(z)), (B,) -> (B,).

    recon: -log p(x|y,z) per image at the sampled z; kl: the closed-form KL per image;
    -log p(y) = log K for the uniform prior over ``classes`` = K labels (a constant)."""
    return recon + kl + math.log(classes)


def entropy(log_q):
    """H(q(y|x)) = -sum_y q(y|x) log q(y|x) per image: log_q (B, K) -> (B,)."""
    return -ops.sum(ops.exp(log_q) * log_q, axis=1)


def expected_bound(bounds, log_q):
    """sum_y q(y|x) L(x, y) per image: bounds (K, B) (L for every label, class-major),
    log_q (B, K) -> (B,)."""
    return ops.sum(ops.exp(log_q) * ops.transpose(bounds), axis=1)


def unlabelled_bound(bounds, log_q):
    """U(x) = sum_y q(y|x) L(x, y) - H(q(y|x)): bounds (K, B), log_q (B, K) -> (B,)."""
    return expected_bound(bounds, log_q) - entropy(log_q)


def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per row: (N, Z) -> (N,)."""
    return F.gaussian_kl_divergence(mu, logvar, reduction="none")


def objective(labelled, unlabelled, nll_y, weights):
    """J = w_l mean_l L(x, y) + w_u mean_u U(x) + w_y mean_l [-log q(y|x)], a scalar Tensor.

    labelled, nll_y: (B_l,) values of L and of -log q(y|x) for the labelled batch;
    unlabelled: (B_u,) values of U; weights: (w_l, w_u, w_y), see ``paper_weights``."""
    w_l, w_u, w_y = weights
    return ops.mean(labelled) * w_l + ops.mean(unlabelled) * w_u + ops.mean(nll_y) * w_y


def paper_weights(n_labelled, n_unlabelled, alpha=0.1):
    """(w_l, w_u, w_y) that make ``objective`` an unbiased estimate of J^alpha / N, the
    paper's objective per image, for batches drawn uniformly from each set:

        J^alpha = sum_l L(x, y) + sum_u U(x) + alpha N E_l[-log q(y|x)],   N = N_l + N_u

    so J^alpha / N = (N_l / N) E_l[L] + (N_u / N) E_u[U] + alpha E_l[-log q(y|x)]
    (alpha = 0.1 in the paper, where it is written alpha = 0.1 N)."""
    n = n_labelled + n_unlabelled
    return n_labelled / n, n_unlabelled / n, alpha


def balanced_weights(n_labelled, n_unlabelled, alpha=0.1):
    """(w_l, w_u, w_y) = (1, 1, alpha N / N_l): the labelled set weighs as much as the
    unlabelled one, and each labelled image keeps the paper's ratio of its classification
    term to its bound, alpha N / N_l (50 for 100 labels of 50,000 in the paper).

    This is J^alpha with the labelled terms multiplied by N_u / N_l: the same model and the
    same optimum for the labelled pairs, but the few labelled images, which teach the decoder
    what y means, are no longer 1/600 of the gradient (docs/models/m2.md)."""
    n = n_labelled + n_unlabelled
    return 1.0, 1.0, alpha * n / n_labelled


WEIGHTS = {"paper": paper_weights, "balanced": balanced_weights}
