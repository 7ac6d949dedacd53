"""Loss functions and penalties (also available as ``F.<name>``).

``reduction`` turns per-element (or per-sample) losses l into the result:
'mean' -> mean of l, 'sum' -> sum of l, 'none' -> l itself. Targets may be
tensors or arrays; they are differentiated only if they are tensors that
require grad. Names and signatures follow torch.nn.functional where it has the loss.
"""
import math

import numpy as np

from .. import ops
from ..tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _like(target, input):
    """Target as a Tensor of input's dtype (arrays and numbers are converted, tensors kept)."""
    return target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))


def _check_same_shape(name, input, target):
    if input.shape != target.shape:
        raise ValueError(f"{name}: input {input.shape} and target {target.shape} must have the same shape")


def mse_loss(input, target, reduction="mean"):
    """l_i = (x_i - t_i)^2.   sum: sum_i l_i;  mean: (1/n) sum_i l_i."""
    target = _like(target, input)
    _check_same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def binary_cross_entropy(input, target, reduction="mean"):
    """l_i = -(t_i log p_i + (1 - t_i) log(1 - p_i)) for probabilities p = input.

    Each log is clamped at -100 (PyTorch's rule), so p = 0 or 1 gives a finite loss.
    """
    target = _like(target, input)
    _check_same_shape("binary_cross_entropy", input, target)
    return _reduce(ops.binary_cross_entropy(input, target), reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """BCE of sigmoid(x) for logits x = input, computed stably as
    l_i = max(x_i, 0) - x_i t_i + log(1 + exp(-|x_i|))     (finite for any x)."""
    target = _like(target, input)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    return _reduce(ops.binary_cross_entropy_with_logits(input, target), reduction)


def gaussian_kl_divergence(mu, logvar, reduction="mean"):
    """KL( N(mu, diag(exp(logvar))) || N(0, I) ) per sample, in closed form:

        KL_n = -1/2 sum_j (1 + logvar_nj - mu_nj^2 - exp(logvar_nj))

    summed over all axes but the first (the latent dimensions), then reduced over
    the batch: 'mean' = average KL per sample, 'sum' = total, 'none' = (B,) values.
    logvar = log sigma^2, so a sample is mu + exp(0.5 logvar) * eps.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"gaussian_kl_divergence: mu {mu.shape} and logvar {logvar.shape} differ")
    terms = 1 + logvar - mu * mu - ops.exp(logvar)
    per_sample = ops.sum(terms, axis=tuple(range(1, mu.ndim))) * -0.5 if mu.ndim > 1 else ops.sum(terms) * -0.5
    return _reduce(per_sample, reduction)


def kl_divergence_discrete(p, q, reduction="mean"):
    """KL(p || q) = sum_i p_i log(p_i / q_i) over the last axis (natural log, nats).

    Terms with p_i = 0 count 0 (the limit of p log p). For 1-D p and q the result is
    one number; with leading axes it is one value per distribution, then reduced.
    Example: p = [.1, .2, .4, .2, .1], q = [.4, .1, .1, .1, .3] -> 0.5833 nats.
    """
    q = _like(q, p)
    _check_same_shape("kl_divergence_discrete", p, q)
    p_data = p.data if isinstance(p, Tensor) else np.asarray(p)
    p_safe = ops.where(p_data > 0, p, 1.0)  # log(1) = 0 where p = 0, and no 0 * inf
    terms = p * (ops.log(p_safe) - ops.log(q))
    return _reduce(ops.sum(terms, axis=-1), reduction)


def kl_sparsity_penalty(rho, rho_hat, eps=1e-7):
    """Sparse-autoencoder penalty: sum_j KL(Bernoulli(rho) || Bernoulli(rho_hat_j))

        = sum_j rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 - rho_hat_j))

    rho is the target mean activation (a number in (0, 1)); rho_hat_j the mean activation of
    hidden unit j over the batch (e.g. sigmoid(h).mean(0)). rho_hat is clipped to
    [eps, 1 - eps] so that a dead or saturated unit gives a large but finite penalty.
    """
    if not 0 < rho < 1:
        raise ValueError(f"kl_sparsity_penalty: rho must be in (0, 1), got {rho}")
    rho_hat = ops.clip(rho_hat, eps, 1 - eps)
    terms = rho * (math.log(rho) - ops.log(rho_hat)) + (1 - rho) * (math.log1p(-rho) - ops.log(1 - rho_hat))
    return ops.sum(terms)


def l1_activity_penalty(h, reduction="mean"):
    """sum_j |h_nj| per sample (all axes but the first), then reduced over the batch.

    The L1 penalty of a sparse autoencoder (multiply by lambda yourself).
    """
    per_sample = ops.sum(ops.abs(h), axis=tuple(range(1, h.ndim))) if h.ndim > 1 else ops.abs(h)
    return _reduce(per_sample, reduction)


def nll_loss(input, target, reduction="mean"):
    """Negative log-likelihood: l_n = -input[n, target_n] for log-probabilities (N, C).

    target holds integer class indices (N,). Use after log_softmax (cross_entropy does both).
    """
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if input.ndim != 2 or labels.shape != (input.shape[0],):
        raise ValueError(f"nll_loss: expected input (N, C) and integer target (N,), got "
                         f"{input.shape} and {labels.shape}")
    if labels.dtype.kind not in "iu":
        labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= input.shape[1]):
        raise ValueError(f"nll_loss: labels must lie in [0, {input.shape[1]}), got range "
                         f"[{labels.min()}, {labels.max()}]")
    picked = input[np.arange(input.shape[0]), labels]
    return _reduce(-picked, reduction)


def cross_entropy(input, target, reduction="mean"):
    """l_n = -log softmax(x_n)[target_n] = logsumexp(x_n) - x_n[target_n], for logits (N, C)
    and integer labels (N,): nll_loss(log_softmax(input, dim=1), target)."""
    return nll_loss(ops.log_softmax(input, axis=1), target, reduction)
