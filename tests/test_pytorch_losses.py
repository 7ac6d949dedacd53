"""Losses as a PyTorch user writes them: F.cross_entropy / nll_loss with weight, ignore_index,
label smoothing and probability targets; binary cross-entropy with weight and pos_weight;
l1_loss, huber_loss, kl_div, one_hot; the loss modules; clip_grad_norm_ / clip_grad_value_.

Each behaviour is checked against a NumPy reference written out below (always run), and its
gradient by finite differences; then values and gradients against PyTorch when it is installed.
"""
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn

F64 = np.float64
REDUCTIONS = pytest.mark.parametrize("reduction", ["mean", "sum", "none"])


def t64(data, grad=True):
    return mg.tensor(np.asarray(data, dtype=F64), dtype=F64, requires_grad=grad)


def reduce_ref(values, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](values)


def log_softmax_ref(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def softplus_ref(x):
    return np.logaddexp(0, x)


# ----- NumPy references, straight from the definitions ------------------------------------------
def nll_ref(logp, labels, weight=None, ignore_index=-100, reduction="mean"):
    """(N, C) log-probabilities, one loop over samples."""
    w = np.ones(logp.shape[1]) if weight is None else weight
    losses, total = np.zeros(len(labels)), 0.0
    for n, y in enumerate(labels):
        if y != ignore_index:
            losses[n] = -w[y] * logp[n, y]
            total += w[y]
    return losses.sum() / total if reduction == "mean" else reduce_ref(losses, reduction)


def cross_entropy_ref(x, labels, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    """Class indices: (1 - e) nll + e / C * (the loss against the uniform distribution)."""
    logp = log_softmax_ref(x)
    n_classes = x.shape[1]
    w = np.ones(n_classes) if weight is None else weight
    counted = labels != ignore_index
    smooth = np.where(counted, -(logp * w).sum(axis=1), 0.0)
    if reduction == "mean":
        smooth = smooth.sum() / w[labels[counted]].sum()
    else:
        smooth = reduce_ref(smooth, reduction)
    nll = nll_ref(logp, labels, weight, ignore_index, reduction)
    return (1 - smoothing) * nll + smoothing / n_classes * smooth


def cross_entropy_probs_ref(x, p, weight=None, reduction="mean", smoothing=0.0):
    n_classes = x.shape[1]
    p = (1 - smoothing) * p + smoothing / n_classes
    w = np.ones(n_classes) if weight is None else weight
    per_sample = -(log_softmax_ref(x) * p * w).sum(axis=1)
    return reduce_ref(per_sample, reduction)


def bce_logits_ref(x, t, weight=None, pos_weight=None):
    """-(r t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))), with log sigmoid(x) = -softplus(-x)."""
    r = 1.0 if pos_weight is None else pos_weight
    loss = r * t * softplus_ref(-x) + (1 - t) * softplus_ref(x)
    return loss if weight is None else loss * weight


def huber_ref(x, t, delta):
    d = x - t
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def kl_div_ref(logq, p):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * (np.log(p) - logq), 0.0)


@pytest.fixture
def scores(rng):
    """Logits (5, 4), labels with one ignored entry, class weights."""
    x = rng.standard_normal((5, 4)) * 2
    labels = np.array([1, -100, 3, 0, 3])
    return x, labels, rng.uniform(0.5, 2.0, 4)


# ----- cross_entropy / nll_loss ------------------------------------------------------------------
@REDUCTIONS
def test_cross_entropy_weight_ignore_index_and_smoothing(scores, reduction):
    x, labels, w = scores
    for smoothing in (0.0, 0.2):
        got = F.cross_entropy(t64(x), labels, w, ignore_index=-100, reduction=reduction,
                              label_smoothing=smoothing)
        np.testing.assert_allclose(got.data, cross_entropy_ref(x, labels, w, -100, reduction, smoothing),
                                   rtol=1e-12, atol=1e-15)
        mg.gradcheck(lambda a: F.cross_entropy(a, labels, w, reduction=reduction, label_smoothing=smoothing),
                     [t64(x)])
    np.testing.assert_allclose(F.nll_loss(t64(log_softmax_ref(x)), labels, w, reduction=reduction).data,
                               nll_ref(log_softmax_ref(x), labels, w, reduction=reduction), rtol=1e-12)


def test_cross_entropy_mean_divides_by_the_weight_of_the_counted_samples(scores):
    x, labels, w = scores
    counted = labels != -100
    expected = (w[labels[counted]] * -log_softmax_ref(x)[counted, labels[counted]]).sum() / w[labels[counted]].sum()
    assert F.cross_entropy(t64(x), labels, w).item() == pytest.approx(expected, rel=1e-12)
    all_ignored = F.cross_entropy(t64(x), np.full(5, 7), ignore_index=7)
    assert np.isnan(all_ignored.item())  # 0 / 0, as in PyTorch


@REDUCTIONS
def test_cross_entropy_with_probability_targets(rng, reduction):
    x, p = rng.standard_normal((5, 4)), rng.dirichlet(np.ones(4), 5)
    w = rng.uniform(0.5, 2.0, 4)
    for weight, smoothing in [(None, 0.0), (w, 0.1)]:
        got = F.cross_entropy(t64(x), t64(p), weight, reduction=reduction, label_smoothing=smoothing)
        np.testing.assert_allclose(got.data, cross_entropy_probs_ref(x, p, weight, reduction, smoothing),
                                   rtol=1e-12)
        mg.gradcheck(lambda a, b: F.cross_entropy(a, b, weight, reduction=reduction, label_smoothing=smoothing),
                     [t64(x), t64(p)])
    one_hot = np.eye(4)[[1, 0, 3, 2, 2]]  # a one-hot distribution is the same as its class index
    assert F.cross_entropy(t64(x), one_hot).item() == pytest.approx(
        F.cross_entropy(t64(x), np.array([1, 0, 3, 2, 2])).item(), rel=1e-12)


def test_cross_entropy_with_spatial_dimensions(rng):
    x, labels = rng.standard_normal((2, 3, 4, 5)), rng.integers(0, 3, (2, 4, 5))
    flat_x = x.transpose(0, 2, 3, 1).reshape(-1, 3)  # (N, C, H, W) -> (N H W, C)
    for reduction in ("mean", "none"):
        got = F.cross_entropy(t64(x), labels, reduction=reduction, label_smoothing=0.3)
        expected = cross_entropy_ref(flat_x, labels.reshape(-1), reduction=reduction, smoothing=0.3)
        np.testing.assert_allclose(got.data, expected.reshape(got.shape), rtol=1e-12)
    single = F.cross_entropy(t64(x[0, :, 0, 0]), np.array(labels[0, 0, 0]))  # one sample (C,)
    assert single.item() == pytest.approx(-log_softmax_ref(x[0, :, 0, 0], 0)[labels[0, 0, 0]], rel=1e-12)


def test_positional_arguments_bind_like_pytorch(scores):
    x, labels, w = scores
    by_keyword = F.cross_entropy(t64(x), labels, weight=w).item()
    assert F.cross_entropy(t64(x), labels, w).item() == by_keyword  # third: weight
    assert F.nll_loss(t64(x), labels, w).item() == F.nll_loss(t64(x), labels, weight=w).item()
    with pytest.raises(TypeError):
        F.cross_entropy(t64(x), labels, w, -100)  # PyTorch's fourth is size_average: keyword only here
    with pytest.warns(DeprecationWarning, match="pass reduction='sum' by keyword"):
        old = F.cross_entropy(t64(x), labels, "sum")  # the old order still means what it meant
    assert old.item() == pytest.approx(F.cross_entropy(t64(x), labels, reduction="sum").item(), rel=1e-15)


def test_class_index_errors(scores):
    x, _, _ = scores
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        F.cross_entropy(t64(x), np.array([0, 1, 2, 3, 4]))
    with pytest.raises(ValueError, match="must be integers"):
        F.nll_loss(t64(x), np.array([0.5, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.cross_entropy(t64(x), np.zeros(5, int), np.ones(3))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(t64(x), np.zeros(5, int), label_smoothing=1.5)


# ----- binary cross-entropy ------------------------------------------------------------------------
@REDUCTIONS
def test_bce_with_logits_weight_and_pos_weight(rng, reduction):
    x, t = rng.standard_normal((5, 4)) * 3, rng.uniform(0, 1, (5, 4))
    w, r = rng.uniform(0.5, 2, 4), rng.uniform(0.5, 3, 4)
    got = F.binary_cross_entropy_with_logits(t64(x), t64(t), w, reduction=reduction, pos_weight=r)
    np.testing.assert_allclose(got.data, reduce_ref(bce_logits_ref(x, t, w, r), reduction), rtol=1e-12)
    mg.gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction, pos_weight=r),
                 [t64(x), t64(t)])
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(F.binary_cross_entropy(t64(p), t64(t), w, reduction=reduction).data,
                               reduce_ref(bce_logits_ref(x, t, w), reduction), rtol=1e-9)


def test_bce_with_logits_pos_weight_is_finite_at_saturation():
    x = mg.tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0], requires_grad=True)
    t = mg.tensor([1.0, 0.0, 0.5, 1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy_with_logits(x, t, reduction="none", pos_weight=mg.tensor([2.0]))
        loss.sum().backward()
    assert np.all(np.isfinite(loss.data)) and np.all(np.isfinite(x.grad.data))
    assert loss.data[0] == pytest.approx(2000.0) and loss.data[4] == pytest.approx(1000.0)
    # d/dx = (1 - t) sigmoid(x) - r t sigmoid(-x) = -2, 0, ..., 1 at the ends
    np.testing.assert_allclose(x.grad.data[[0, 4]], [-2.0, 1.0])


# ----- l1, huber, kl_div, one_hot -------------------------------------------------------------------
@REDUCTIONS
def test_l1_and_huber(rng, reduction):
    x, t = rng.standard_normal((3, 4)) * 2, rng.standard_normal((3, 4))
    np.testing.assert_allclose(F.l1_loss(t64(x), t64(t), reduction=reduction).data,
                               reduce_ref(np.abs(x - t), reduction), rtol=1e-12)
    mg.gradcheck(lambda a, b: F.l1_loss(a, b, reduction=reduction), [t64(x), t64(t)])
    for delta in (0.5, 1.0, 3.0):
        np.testing.assert_allclose(F.huber_loss(t64(x), t64(t), reduction, delta).data,
                                   reduce_ref(huber_ref(x, t, delta), reduction), rtol=1e-12)
        mg.gradcheck(lambda a, b: F.huber_loss(a, b, reduction, delta), [t64(x), t64(t)])


def test_huber_worked_example_and_l1_kink():
    # d = -2, -0.5, 0, 0.5, 2 with delta 1: 1.5, 0.125, 0, 0.125, 1.5; slopes clip(d, -1, 1)
    x = t64([-2.0, -0.5, 0.0, 0.5, 2.0])
    loss = F.huber_loss(x, np.zeros(5), reduction="sum")
    assert loss.item() == pytest.approx(3.25)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [-1, -0.5, 0, 0.5, 1])
    y = t64([0.0, 1.0])
    F.l1_loss(y, np.array([0.0, 0.0]), reduction="sum").backward()
    np.testing.assert_array_equal(y.grad.data, [0.0, 1.0])  # PyTorch's sign(0) = 0


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_kl_div(rng, reduction):
    logq, p = np.log(rng.dirichlet(np.ones(4), 3)), rng.dirichlet(np.ones(4), 3)
    p[0, 2] = 0.0  # a zero probability contributes 0
    p[0] /= p[0].sum()
    expected = kl_div_ref(logq, p)
    expected = expected.sum() / 3 if reduction == "batchmean" else reduce_ref(expected, reduction)
    np.testing.assert_allclose(F.kl_div(t64(logq), t64(p), reduction=reduction).data, expected, rtol=1e-12)
    positive = rng.dirichlet(np.ones(4), 3)  # log_target: log 0 = -inf would give 0 * inf = nan
    with_log = F.kl_div(t64(logq), t64(np.log(positive)), reduction=reduction, log_target=True)
    np.testing.assert_allclose(with_log.data, F.kl_div(t64(logq), t64(positive), reduction=reduction).data,
                               rtol=1e-12)
    mg.gradcheck(lambda a: F.kl_div(a, p, reduction=reduction), [t64(logq)])
    log_p = logq[::-1].copy()  # another set of log-probabilities, as a differentiable log target
    mg.gradcheck(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=True), [t64(logq), t64(log_p)])


def test_kl_div_batchmean_is_the_discrete_kl_per_sample(rng):
    p, q = rng.dirichlet(np.ones(5), 4), rng.dirichlet(np.ones(5), 4)
    ours = F.kl_div(t64(np.log(q)), t64(p), reduction="batchmean").item()
    assert ours == pytest.approx(F.kl_divergence_discrete(t64(p), t64(q)).item(), rel=1e-12)


def test_one_hot():
    out = F.one_hot(np.array([[0, 2], [1, 1]]), 4)
    assert out.shape == (2, 2, 4) and out.dtype == np.float32 and not out.requires_grad
    np.testing.assert_array_equal(out.data.argmax(-1), [[0, 2], [1, 1]])
    np.testing.assert_array_equal(out.data.sum(-1), 1)
    assert F.one_hot(mg.tensor([3.0, 0.0])).shape == (2, 4)  # num_classes = max + 1; float labels ok
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        F.one_hot(np.array([3]), 3)
    with pytest.raises(ValueError, match="integers"):
        F.one_hot(np.array([0.5]))


# ----- the modules -------------------------------------------------------------------------------
def test_loss_modules_call_their_functions(rng, scores):
    x, labels, w = scores
    t, p = rng.uniform(0, 1, (5, 4)), rng.dirichlet(np.ones(4), 5)
    labels_3 = np.where(labels == -100, 3, labels)  # for ignore_index=3
    X = t64(x)
    cases = [(nn.MSELoss(reduction="sum"), t, F.mse_loss(X, t, reduction="sum")),
             (nn.L1Loss(), t, F.l1_loss(X, t)),
             (nn.HuberLoss("none", 0.5), t, F.huber_loss(X, t, "none", 0.5)),
             (nn.KLDivLoss(reduction="batchmean"), p, F.kl_div(X, p, reduction="batchmean")),
             (nn.BCEWithLogitsLoss(w, pos_weight=w[::-1]), t,
              F.binary_cross_entropy_with_logits(X, t, w, pos_weight=w[::-1])),
             (nn.CrossEntropyLoss(w, ignore_index=3, label_smoothing=0.1), labels_3,
              F.cross_entropy(X, labels_3, w, ignore_index=3, label_smoothing=0.1)),
             (nn.NLLLoss(w, reduction="sum"), labels, F.nll_loss(X, labels, w, reduction="sum"))]
    for module, target, expected in cases:
        np.testing.assert_allclose(module(X, target).data, expected.data, rtol=1e-6)
    bce = nn.BCELoss(w)
    np.testing.assert_allclose(bce(t64(t), p).data, F.binary_cross_entropy(t64(t), p, w).data, rtol=1e-6)


def test_loss_modules_keep_weights_as_buffers():
    criterion = nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0])
    assert list(criterion.state_dict()) == ["weight"] and criterion.weight.dtype == np.float32
    assert list(nn.BCEWithLogitsLoss(pos_weight=[2.0]).state_dict()) == ["pos_weight"]
    assert nn.CrossEntropyLoss().state_dict() == {} and nn.CrossEntropyLoss().weight is None
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
    with pytest.raises(TypeError):
        nn.MSELoss("sum")  # PyTorch's first argument is size_average: keyword only here
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="batchmean")


# ----- gradient clipping -------------------------------------------------------------------------
def grads_of(arrays):
    params = [nn.Parameter(np.zeros_like(a)) for a in arrays]
    for p, a in zip(params, arrays):
        p.grad = mg.tensor(a, dtype=a.dtype)
    return params


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, float("inf"), "inf"])
def test_clip_grad_norm_of_any_order(rng, norm_type):
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    flat = np.concatenate([a.ravel() for a in arrays])
    q = float(norm_type)
    expected = np.abs(flat).max() if q == np.inf else (np.abs(flat) ** q).sum() ** (1 / q)
    params = grads_of(arrays)
    total = nn.utils.clip_grad_norm_(params, 0.5, norm_type)  # third positional: norm_type
    assert total == pytest.approx(expected, rel=1e-12) and total.item() == total
    for p, a in zip(params, arrays):
        np.testing.assert_allclose(p.grad.data, a * 0.5 / (expected + 1e-6), rtol=1e-12)


def test_clip_grad_norm_of_a_single_tensor():
    p = grads_of([np.array([[3.0, 4.0], [0.0, 0.0]])])[0]  # rows must not be taken as parameters
    assert nn.utils.clip_grad_norm_(p, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.data, [[0.6, 0.8], [0, 0]], rtol=1e-6)
    nonfinite = grads_of([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="non|inf"):
        nn.utils.clip_grad_norm_(nonfinite, 1.0, error_if_nonfinite=True)
    assert nn.utils.clip_grad_norm_([nn.Parameter([1.0])], 1.0) == 0.0  # no gradients at all


def test_clip_grad_value():
    params = grads_of([np.array([-3.0, 0.2, 5.0]), np.array([[0.7]])])
    assert nn.clip_grad_value_(params, 0.5) is None
    np.testing.assert_array_equal(params[0].grad.data, [-0.5, 0.2, 0.5])
    np.testing.assert_array_equal(params[1].grad.data, [[0.5]])
    single = grads_of([np.array([-1.0, 1.0])])[0]
    nn.utils.clip_grad_value_(single, 0.25)
    np.testing.assert_array_equal(single.grad.data, [-0.25, 0.25])


# ----- against PyTorch ---------------------------------------------------------------------------
def compare_with_torch(torch, ours, theirs, arrays, rng, grad_inputs=None):
    """Values and gradients along a random upstream direction (never all ones)."""
    grad_inputs = range(len(arrays)) if grad_inputs is None else grad_inputs
    xs = [t64(a, grad=k in grad_inputs) for k, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=k in grad_inputs) for k, a in enumerate(arrays)]
    out, tout = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-13)
    v = rng.standard_normal(out.shape)
    (out * v).sum().backward()
    (tout * torch.tensor(v)).sum().backward()
    for k in grad_inputs:
        np.testing.assert_allclose(xs[k].grad.data, ts[k].grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_classification_losses_match_torch(rng, scores, reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x, labels, w = scores
    T = torch.tensor
    for ignore, smoothing in [(-100, 0.0), (-100, 0.25), (3, 0.1)]:
        labels = labels if ignore == -100 else np.where(labels == -100, 2, labels)
        compare_with_torch(torch, lambda a: F.cross_entropy(a, labels, w, ignore_index=ignore, reduction=reduction,
                                                            label_smoothing=smoothing),
                           lambda a: tf.cross_entropy(a, T(labels), T(w), ignore_index=ignore, reduction=reduction,
                                                      label_smoothing=smoothing), [x], rng)
        compare_with_torch(torch, lambda a: F.cross_entropy(a, labels, ignore_index=ignore, reduction=reduction,
                                                            label_smoothing=smoothing),
                           lambda a: tf.cross_entropy(a, T(labels), ignore_index=ignore, reduction=reduction,
                                                      label_smoothing=smoothing), [x], rng)
    logp = log_softmax_ref(x)
    compare_with_torch(torch, lambda a: F.nll_loss(a, labels, w, reduction=reduction),
                       lambda a: tf.nll_loss(a, T(labels), T(w), reduction=reduction), [logp], rng)
    p = rng.dirichlet(np.ones(4), 5)
    compare_with_torch(torch, lambda a, b: F.cross_entropy(a, b, w, reduction=reduction, label_smoothing=0.2),
                       lambda a, b: tf.cross_entropy(a, b, T(w), reduction=reduction, label_smoothing=0.2), [x, p], rng)
    x4, y4 = rng.standard_normal((2, 3, 4, 5)), rng.integers(0, 3, (2, 4, 5))
    compare_with_torch(torch, lambda a: F.cross_entropy(a, y4, reduction=reduction, label_smoothing=0.3),
                       lambda a: tf.cross_entropy(a, T(y4), reduction=reduction, label_smoothing=0.3), [x4], rng)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_and_binary_losses_match_torch(rng, reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    T = torch.tensor
    x, t = rng.standard_normal((5, 4)) * 2, rng.uniform(0, 1, (5, 4))
    w, r = rng.uniform(0.5, 2, 4), rng.uniform(0.5, 3, 4)
    compare_with_torch(torch, lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction,
                                                                              pos_weight=r),
                       lambda a, b: tf.binary_cross_entropy_with_logits(a, b, T(w), reduction=reduction,
                                                                        pos_weight=T(r)), [x, t], rng)
    compare_with_torch(torch, lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction),
                       lambda a, b: tf.binary_cross_entropy(a, b, T(w), reduction=reduction),
                       [1 / (1 + np.exp(-x)), t], rng)
    compare_with_torch(torch, lambda a, b: F.l1_loss(a, b, reduction=reduction),
                       lambda a, b: tf.l1_loss(a, b, reduction=reduction), [x, t], rng)
    compare_with_torch(torch, lambda a, b: F.huber_loss(a, b, reduction, 0.7),
                       lambda a, b: tf.huber_loss(a, b, reduction, 0.7), [x, t], rng)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")  # torch's advice for 'mean'
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_kl_div_matches_torch(rng, reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    logq, p = np.log(rng.dirichlet(np.ones(4), 5)), rng.dirichlet(np.ones(4), 5)
    p[1, 3] = 0.0
    compare_with_torch(torch, lambda a, b: F.kl_div(a, b, reduction=reduction),
                       lambda a, b: tf.kl_div(a, b, reduction=reduction), [logq, p], rng, grad_inputs=[0])
    logp = np.log(rng.dirichlet(np.ones(4), 5))
    compare_with_torch(torch, lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=True),
                       lambda a, b: tf.kl_div(a, b, reduction=reduction, log_target=True), [logq, logp], rng)


def test_one_hot_modules_and_clipping_match_torch(rng, scores):
    torch = pytest.importorskip("torch")
    labels = rng.integers(0, 5, (3, 2))
    np.testing.assert_array_equal(F.one_hot(labels, 6).data, torch.nn.functional.one_hot(torch.tensor(labels), 6))
    x, y, w = scores
    y = np.where(y == -100, 3, y)
    ours = nn.CrossEntropyLoss(w, ignore_index=3, label_smoothing=0.1)(t64(x), y).item()
    theirs = torch.nn.CrossEntropyLoss(torch.tensor(w), ignore_index=3, label_smoothing=0.1)(
        torch.tensor(x), torch.tensor(y)).item()
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert list(torch.nn.CrossEntropyLoss(torch.tensor(w)).state_dict()) == list(
        nn.CrossEntropyLoss(w).state_dict())
    for norm_type in (2.0, 1.0, float("inf")):
        arrays = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
        params = grads_of(arrays)
        tparams = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays]
        for tp, a in zip(tparams, arrays):
            tp.grad = torch.tensor(a)
        total = nn.utils.clip_grad_norm_(params, 0.7, norm_type)
        ttotal = torch.nn.utils.clip_grad_norm_(tparams, 0.7, norm_type)
        assert total == pytest.approx(ttotal.item(), rel=1e-12)
        for p, tp in zip(params, tparams):
            np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-12)
    single, tsingle = grads_of([np.array([[3.0, 4.0], [0.0, 0.0]])])[0], torch.zeros(2, 2, requires_grad=True)
    tsingle.grad = torch.tensor([[3.0, 4.0], [0.0, 0.0]])
    nn.utils.clip_grad_norm_(single, 1.0)
    torch.nn.utils.clip_grad_norm_(tsingle, 1.0)
    np.testing.assert_allclose(single.grad.data, tsingle.grad.numpy(), rtol=1e-6)
