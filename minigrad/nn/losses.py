"""Loss functions and penalties (also available as ``F.<name>``).

``reduction`` turns per-element (or per-sample) losses l into the result:
'mean' -> mean of l, 'sum' -> sum of l, 'none' -> l itself. Targets may be
tensors or arrays; they are differentiated only if they are tensors that
require grad. Names, argument names and the order of positional arguments
follow torch.nn.functional where it has the loss; the options PyTorch places
after its deprecated ``size_average``/``reduce`` are keyword-only here, so a
positional argument never means something else than it does in PyTorch.

Class weights (``weight``, ``pos_weight`` of the logit loss excepted) are constants: no gradient
flows into them.
"""
import math
import warnings

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


def _values(x):
    """The array behind a tensor, array, list or number."""
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _check_same_shape(name, input, target):
    if input.shape != target.shape:
        raise ValueError(f"{name}: input {input.shape} and target {target.shape} must have the same shape")


def _reduction_in_weight_slot(name, weight, reduction):
    """The third positional argument is ``weight``, as in PyTorch; it used to be ``reduction``.
    A string there ('mean', 'sum', 'none') is still read as the reduction, with a warning."""
    if isinstance(weight, str):
        warnings.warn(f"{name}: the third positional argument is `weight` (as in PyTorch); "
                      f"pass reduction={weight!r} by keyword", DeprecationWarning, stacklevel=3)
        return None, weight
    return weight, reduction


def mse_loss(input, target, reduction="mean"):
    """l_i = (x_i - t_i)^2.   sum: sum_i l_i;  mean: (1/n) sum_i l_i."""
    target = _like(target, input)
    _check_same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, *, reduction="mean"):
    """l_i = |x_i - t_i|  (its gradient at x_i = t_i is 0, as in PyTorch)."""
    target = _like(target, input)
    _check_same_shape("l1_loss", input, target)
    return _reduce(ops.abs(input - target), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """With d_i = x_i - t_i:   l_i = d_i^2 / 2               if |d_i| < delta
                              l_i = delta (|d_i| - delta / 2)  otherwise.

    Quadratic near 0, linear (slope delta) in the tails; value and slope are continuous at
    |d| = delta. Signature and order as torch.nn.functional.huber_loss.
    """
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    target = _like(target, input)
    _check_same_shape("huber_loss", input, target)
    d = input - target
    near = np.abs(d.data) < delta
    return _reduce(ops.where(near, 0.5 * d * d, delta * (ops.abs(d) - 0.5 * delta)), reduction)


def binary_cross_entropy(input, target, weight=None, *, reduction="mean"):
    """l_i = -w_i (t_i log p_i + (1 - t_i) log(1 - p_i)) for probabilities p = input.

    Each log is clamped at -100 (PyTorch's rule), so p = 0 or 1 gives a finite loss.
    ``weight`` (broadcast to input's shape) rescales each element; None means 1.
    """
    weight, reduction = _reduction_in_weight_slot("binary_cross_entropy", weight, reduction)
    target = _like(target, input)
    _check_same_shape("binary_cross_entropy", input, target)
    loss = ops.binary_cross_entropy(input, target)
    return _reduce(loss if weight is None else loss * _like(weight, input), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction="mean", pos_weight=None):
    """BCE of sigmoid(x) for logits x = input, computed stably:

        l_i = max(x_i, 0) - x_i t_i + log(1 + exp(-|x_i|))                (finite for any x)

    pos_weight r (one value per class, broadcast along the last axis) weighs the positive term:
    l = -(r t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))). With softplus(-x) = -log sigmoid(x)
    and log(1 - sigmoid(x)) = -x - softplus(-x) that is

        l_i = (1 - t_i) x_i + (1 + (r - 1) t_i) softplus(-x_i).

    r > 1 raises recall, r < 1 precision. ``weight`` rescales each element, as in BCE.
    """
    weight, reduction = _reduction_in_weight_slot("binary_cross_entropy_with_logits", weight, reduction)
    target = _like(target, input)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        loss = ops.binary_cross_entropy_with_logits(input, target)
    else:
        r = _like(pos_weight, input)
        loss = (1 - target) * input - (1 + (r - 1) * target) * ops.log_sigmoid(input)
    return _reduce(loss if weight is None else loss * _like(weight, input), reduction)


def kl_div(input, target, *, reduction="mean", log_target=False):
    """PyTorch's kl_div: input holds log-probabilities log q, target probabilities p
    (or log p when ``log_target``), element by element:

        l_i = p_i (log p_i - input_i)          (0 where p_i = 0)
        l_i = exp(t_i) (t_i - input_i)         (log_target: t = log p)

    Summed over a distribution's axis this is KL(p || q). reduction='batchmean' divides the
    sum by the batch size input.shape[0], which gives the mean KL per sample; 'mean' divides
    by the number of elements (PyTorch's default, which is not a KL divergence).
    """
    target = _like(target, input)
    _check_same_shape("kl_div", input, target)
    if log_target:
        terms = ops.exp(target) * (target - input)
    else:
        p_safe = ops.where(target.data > 0, target, 1.0)  # log(1) = 0 where p = 0, and no 0 * inf
        terms = target * (ops.log(p_safe) - input)
    if reduction == "batchmean":
        return ops.sum(terms) / input.shape[0] if input.ndim else ops.sum(terms)
    return _reduce(terms, reduction)


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


# ----- classification: class indices ------------------------------------------------------------
# Scores have the classes on axis 1: (N, C) or (N, C, d1, d2, ...), or a single sample (C,);
# class indices then have shape (N,) or (N, d1, d2, ...), or () for a single sample.

def _integers(name, target):
    """Class indices as an integer array; float values are accepted if they are whole numbers."""
    labels = _values(target)
    if labels.dtype.kind in "iu":
        return labels
    if labels.dtype.kind not in "bf" or np.any(labels != np.round(labels)):
        raise ValueError(f"{name}: class indices must be integers, got {labels.dtype} values")
    return labels.astype(np.int64)


def _labels(name, input, target, ignore_index):
    """(labels with ignored entries set to 0, mask of the entries that count), checked."""
    labels = _integers(name, target)
    expected = (input.shape[0],) + input.shape[2:] if input.ndim >= 2 else ()
    if input.ndim == 0 or labels.shape != expected:
        raise ValueError(f"{name}: expected scores (N, C, ...) and class indices {expected}, got "
                         f"{input.shape} and {labels.shape}")
    counted = labels != ignore_index
    n_classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    bad = counted & ((labels < 0) | (labels >= n_classes))
    if bad.any():
        raise ValueError(f"{name}: labels must lie in [0, {n_classes}) (or equal ignore_index="
                         f"{ignore_index}), got range [{labels[bad].min()}, {labels[bad].max()}]")
    return np.where(counted, labels, 0), counted


def _class_weight(name, weight, input):
    """weight as a constant array (C,) of input's dtype, or None."""
    if weight is None:
        return None
    w = _values(weight).astype(input.dtype)
    n_classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if w.shape != (n_classes,):
        raise ValueError(f"{name}: weight must have shape ({n_classes},), got {w.shape}")
    return w


def _pick(input, labels):
    """input[n, labels[n, ...], ...]: the score of each sample's class, shape labels.shape."""
    if input.ndim == 1:
        return input[labels]
    grid = np.indices(labels.shape, sparse=True)
    return input[(grid[0], labels, *grid[1:])]


def _weighted_mean(loss, weights, reduction):
    """'mean' divides the sum by the total weight of the entries that count (PyTorch's rule);
    with nothing counted that is 0 / 0 = nan."""
    if reduction != "mean":
        return _reduce(loss, reduction)
    total = float(weights.sum(dtype=np.float64))
    return ops.sum(loss) / total if total else ops.sum(loss) * float("nan")


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of class indices y for log-probabilities x (classes on axis 1):

        l_n = -w[y_n] x[n, y_n]            (0 where y_n = ignore_index)
        mean = sum_n l_n / sum_n w[y_n]     (over the entries not ignored; w = 1 without weight)

    Use after log_softmax (cross_entropy does both).
    """
    weight, reduction = _reduction_in_weight_slot("nll_loss", weight, reduction)
    labels, counted = _labels("nll_loss", input, target, ignore_index)
    w = _class_weight("nll_loss", weight, input)
    per_entry = counted.astype(input.dtype) if w is None else w[labels] * counted
    return _weighted_mean(-_pick(input, labels) * per_entry, per_entry, reduction)


def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits x (classes on axis 1) against class indices or class probabilities.

    Class indices y (shape of x without axis 1): nll_loss(log_softmax(x), y, weight, ...),
        l_n = w[y_n] (logsumexp(x_n) - x_n[y_n]).
    Probabilities p (x's shape), one distribution per sample:
        l_n = -sum_c w_c p_nc log softmax(x_n)_c,   mean = sum_n l_n / N  (N = x.size / C).
    label_smoothing e in [0, 1] mixes the target with the uniform distribution over C classes:
        p <- (1 - e) p + e / C. For class indices that is
        l = (1 - e) nll + (e / C) sum_c -w_c log softmax(x)_c,
        and 'mean' divides the smoothing term by the same total weight as the nll term.
    ignore_index applies to class indices only.
    """
    weight, reduction = _reduction_in_weight_slot("cross_entropy", weight, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    axis = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[axis]
    log_p = ops.log_softmax(input, axis=axis)
    w = _class_weight("cross_entropy", weight, input)
    along_axis = [1] * input.ndim
    along_axis[axis] = n_classes
    w_b = None if w is None else w.reshape(along_axis)  # broadcasts along the class axis
    if np.ndim(_values(target)) == input.ndim:  # probabilities
        p = _like(target, input)
        _check_same_shape("cross_entropy", input, p)
        if label_smoothing:
            p = p * (1 - label_smoothing) + label_smoothing / n_classes
        terms = log_p * p if w_b is None else log_p * p * w_b
        if reduction == "mean":
            return -ops.sum(terms) / (input.size // n_classes) if input.size else ops.sum(terms) * float("nan")
        return _reduce(-ops.sum(terms, axis=axis), reduction)
    nll = nll_loss(log_p, target, w, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return nll
    labels, counted = _labels("cross_entropy", input, target, ignore_index)
    per_entry = counted.astype(input.dtype) if w is None else w[labels] * counted
    smooth = -ops.sum(log_p if w_b is None else log_p * w_b, axis=axis) * counted.astype(input.dtype)
    smooth = _weighted_mean(smooth, per_entry, reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def one_hot(tensor, num_classes=-1):
    """Class indices (any shape) -> their one-hot vectors, shape (*tensor.shape, num_classes).

    num_classes=-1 takes max + 1. PyTorch returns int64; minigrad tensors are float, so this
    returns a float32 Tensor of 0s and 1s (no gradient), ready to multiply with scores.
    """
    labels = _integers("one_hot", tensor)
    if num_classes == -1:
        if labels.size == 0:
            raise ValueError("one_hot: cannot infer the number of classes from an empty input")
        num_classes = int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: class indices must lie in [0, {num_classes}), got range "
                         f"[{labels.min()}, {labels.max()}]")
    return Tensor(np.eye(num_classes, dtype=np.float32)[labels])
