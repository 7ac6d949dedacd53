"""Generate: new digits from a trained generative model.

A VAE's prior is p(z) = N(0, I), so new images are decoded from z drawn from
it (``model.sample``). A conditional VAE also takes the digit: one row of the
grid per digit 0..9, each row decoded from fresh z with that label.

The number next to the picture is the test log-likelihood, in nats per image
(the unit of the models' training loss), against the plainest generative model
of all: independent pixels, pixel j ~ Bernoulli(mean of pixel j over the
training images),

    -log p(x) = sum_j BCE(x_j, m_j) = -sum_j [x_j log m_j + (1 - x_j) log(1 - m_j)]

For a VAE, -log p(x) is estimated with ``log_likelihood(x, k)`` (importance
sampling with k draws; an upper bound on -log p(x) that tightens with k).
Lower is better. For a CVAE the same is -log p(x | y), conditioned on the label.

``run`` does all of it for one model.
"""
import numpy as np

from .common import model_input, pixels
from .result import AppResult, Grid, Table

DIGITS = 10
NLL_IMAGES = 1000   # test images whose -log p(x) is estimated


class NotGenerative(ValueError):
    """The model cannot draw new images (message says which models can)."""


def check_generative(model):
    if not model.can_sample:
        raise NotGenerative(f"model {model.name!r} is not generative (it has no prior to sample "
                            "from); use a checkpoint of a vae or cvae")


def prior_samples(model, n, seed=0):
    """n images (n, 784) in [0, 1] decoded from z ~ p(z). Conditional models draw the digits
    0, 1, ..., 9, 0, 1, ... in turn."""
    check_generative(model)
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % model.config.get("classes", DIGITS) if model.needs_labels else None
    return pixels(model.sample(n, rng, labels))


def class_grid(model, per_class=10, seed=0, classes=DIGITS):
    """(classes * per_class, 784): row c of the grid holds ``per_class`` samples of digit c."""
    check_generative(model)
    if not model.needs_labels:
        raise NotGenerative(f"model {model.name!r} is not conditional: it cannot be told which "
                            "digit to draw; use a cvae checkpoint for one row per digit")
    labels = np.repeat(np.arange(classes), per_class)
    return pixels(model.sample(len(labels), np.random.default_rng(seed), labels))


def independent_pixels_nll(train_images, test_images, eps=1e-3):
    """-log p(x) per test image (numpy (N,)) under independent Bernoulli pixels with the
    training means (clipped to [eps, 1 - eps] so a never-lit pixel does not cost infinity)."""
    m = np.clip(pixels(train_images).astype(np.float64).mean(axis=0), eps, 1 - eps)
    x = pixels(test_images).astype(np.float64)
    return -(x * np.log(m) + (1 - x) * np.log(1 - m)).sum(axis=1)


def model_nll(model, images, labels=None, k=50, batch_size=100):
    """-log p(x) per image (numpy (N,)) of a VAE/CVAE, by importance sampling with k draws."""
    check_generative(model)
    x = model_input(model, images)
    parts = []
    for start in range(0, len(x), batch_size):
        y = None if labels is None else np.asarray(labels)[start:start + batch_size]
        parts.append(-model.log_likelihood(x[start:start + batch_size], k=k, labels=y))
    return np.concatenate(parts)


def run(model, train_images, test_images, test_labels, n=64, per_class=10, k=50, seed=0,
        nll_images=NLL_IMAGES, log=None):
    """n samples from the prior (and, for a conditional model, a grid of per_class samples of
    each digit), and -log p(x) of the first ``nll_images`` test images by importance sampling
    with k draws, next to independent pixels fit on the training images. log: a function
    that is given one progress line per step.

    numbers: model, test_images, k, model_nll, independent_pixels_nll (means, nats/image);
    pictures: samples [, class_grid]."""
    log = log or (lambda message: None)
    log(f"generate: {n} samples from the prior" + (f" and {per_class} of each digit"
                                                   if model.needs_labels else "") + "...")
    samples = prior_samples(model, n, seed)
    if model.needs_labels:     # the digits cycle 0..9: with 10 columns, one digit per column
        classes = model.config.get("classes", DIGITS)
        ncols = classes if n % classes == 0 else None
        pictures = {"samples": Grid(samples, ncols, f"{model.name}: samples from the prior",
                                    col_labels=tuple(range(classes)) if ncols else None,
                                    xlabel="digit" if ncols else None)}
        pictures["class_grid"] = Grid(class_grid(model, per_class, seed, classes), per_class,
                                      f"{model.name}: one row per digit",
                                      row_labels=tuple(range(classes)), ylabel="digit")
    else:
        pictures = {"samples": Grid(samples, None, f"{model.name}: samples from the prior")}
    x, y = test_images[:nll_images], test_labels[:nll_images]
    baseline = float(independent_pixels_nll(train_images, x).mean())
    if not hasattr(model, "log_likelihood"):  # a GAN: samples, but no likelihood to estimate
        log(f"generate: {model.name} has no likelihood; samples only")
        return AppResult({"model": model.name, "test_images": len(x), "k": None, "model_nll": None,
                          "independent_pixels_nll": baseline}, pictures)
    log(f"generate: -log p(x) on {len(x)} test images (k={k})...")
    nll = model_nll(model, x, y, k=k)
    numbers = {"model": model.name, "test_images": len(x), "k": k, "model_nll": float(nll.mean()),
               "independent_pixels_nll": baseline}
    return AppResult(numbers, pictures)


def table(numbers):
    """The numbers of ``run`` as a Table: -log p(x) beside the independent-pixels baseline."""
    nll = "no likelihood (a GAN)" if numbers["model_nll"] is None else f"{numbers['model_nll']:.2f} nats"
    how = "" if numbers["k"] is None else f", importance sampling with k = {numbers['k']}"
    return Table(
        f"generate: test -log p(x) of {numbers['model']} on {numbers['test_images']} test images{how}",
        "nats per image, lower is better",
        ["model", "-log p(x)", "baseline: independent pixels"],
        [[numbers["model"], nll, f"{numbers['independent_pixels_nll']:.2f} nats"]],
        ["baseline: each pixel an independent Bernoulli with its mean over the training images"])
