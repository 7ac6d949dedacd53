"""One sample-quality metric for every generative model, read off a digit classifier.

A model draws N images (10,000 by default; a conditional model is asked for the digits
0, 1, ..., 9, 0, 1, ... in turn). The classifier of digit_classifier.py, trained on real
MNIST, looks at them (features.py) and three numbers come out:

    Frechet distance     d^2 between the Gaussians of the penultimate features of the samples
                         and of N test images (frechet.py); 0 when the two sets look alike to
                         the classifier; lower is better
    class entropy        H = -sum_c p_c log p_c of the histogram of predicted classes, in
                         nats; log 10 = 2.303 when every digit is drawn equally often, 0 when
                         the model draws a single digit (mode collapse)
    correct digit        conditional models only: the share of samples classified as the
                         digit that was asked for

Beside the models, two references put the numbers on a scale:

    floor     N training images, scored against the test images: what real digits get
              (their "correct digit" is the classifier's accuracy on them)
    ceiling   independent Bernoulli pixels, pixel j ~ Bernoulli(mean of pixel j over the
              training images): the plainest generative model; and the same with each
              digit's own pixel means, the plainest conditional one

``run`` scores a list of models and the references; ``table`` and ``markdown`` show them.
"""
from dataclasses import dataclass

import numpy as np

from .. import figures
from ..apps.result import Table, pct
from .features import classifier_view
from .frechet import frechet_distance

DIGITS = 10
SAMPLES = 10_000
CHUNK = 1000        # images a model draws at once (a generator's feature maps of 10,000 images
                    # would take gigabytes)


# ----- the numbers ----------------------------------------------------------------------------
def class_entropy(predicted, classes=DIGITS):
    """Entropy in nats of the histogram of predicted classes: log(classes) when uniform."""
    counts = np.bincount(np.asarray(predicted, dtype=np.int64).ravel(), minlength=classes)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def conditional_accuracy(predicted, requested):
    """Share of samples classified as the digit they were drawn for."""
    predicted, requested = np.asarray(predicted).ravel(), np.asarray(requested).ravel()
    if predicted.shape != requested.shape:
        raise ValueError(f"{len(predicted)} predictions but {len(requested)} requested digits")
    return float(np.mean(predicted == requested))


def score(view, reference, requested=None, classes=DIGITS):
    """The numbers of one set of images (a ClassifierView) against the reference's view."""
    return {"frechet": frechet_distance(view.mean, view.cov, reference.mean, reference.cov),
            "entropy": class_entropy(view.predicted, classes),
            "correct_digit": None if requested is None else conditional_accuracy(view.predicted, requested),
            "histogram": (np.bincount(view.predicted, minlength=classes) / view.count).round(4).tolist()}


# ----- the images -----------------------------------------------------------------------------
def requested_digits(n, classes=DIGITS):
    """The digits a conditional model is asked for: 0, 1, ..., classes - 1, 0, 1, ..."""
    return np.arange(n) % classes


def draw(model, n, seed=0, chunk=CHUNK):
    """(n images (n, 784) in [0, 1], requested digits or None) from a generative model."""
    if not model.can_sample:
        raise ValueError(f"model {model.name!r} is not generative, it cannot draw samples")
    rng = np.random.default_rng(seed)
    requested = requested_digits(n, model.config.get("classes", DIGITS)) if model.needs_labels else None
    parts = []
    for first in range(0, n, chunk):
        labels = None if requested is None else requested[first:first + chunk]
        x = np.asarray(model.sample(min(chunk, n - first), rng, labels), dtype=np.float32)
        parts.append(np.clip(x.reshape(len(x), -1), 0.0, 1.0))
    return np.concatenate(parts), requested


def independent_pixels(train_images, n, seed=0, train_labels=None, classes=DIGITS):
    """(n binary images (n, 784), requested digits or None): each pixel an independent
    Bernoulli with its mean over the training images, or, given train_labels, over the
    training images of the requested digit."""
    x = np.asarray(train_images).reshape(len(train_images), -1).astype(np.float64)
    x = x / 255.0 if np.asarray(train_images).dtype == np.uint8 else x
    rng = np.random.default_rng(seed)
    if train_labels is None:
        means, requested = np.broadcast_to(x.mean(axis=0), (n, x.shape[1])), None
    else:
        labels = np.asarray(train_labels)
        per_digit = np.stack([x[labels == c].mean(axis=0) for c in range(classes)])
        requested = requested_digits(n, classes)
        means = per_digit[requested]
    return (rng.random(means.shape) < means).astype(np.float32), requested


# ----- all of it --------------------------------------------------------------------------------
@dataclass
class Entry:
    """A model to score: its name, the model, its training seconds and epochs (None: unknown),
    where it came from."""
    name: str
    model: object
    seconds: float = None
    source: str = ""
    epochs: int = None


def run(classifier, entries, train_images, train_labels, test_images, n=SAMPLES, seed=0, log=None):
    """Score each Entry's n samples, n training images (the floor) and independent pixels (the
    ceilings) against the first n test images. log: given one progress line per step.

    Returns the numbers: {"samples", "test_images", "rows": [{name, kind, source, seconds, epochs,
    frechet, entropy, correct_digit, histogram}]}, kind one of floor / model / ceiling."""
    log = log or (lambda message: None)
    test = test_images[:n]
    log(f"sample-quality: features of {len(test)} test images...")
    reference = classifier_view(classifier, test)
    rows = []

    def add(name, kind, images, requested, source="", seconds=None, epochs=None):
        numbers = score(classifier_view(classifier, images), reference, requested)
        rows.append({"name": name, "kind": kind, "source": source, "seconds": seconds, "epochs": epochs,
                     **numbers})
        shown = f"Frechet {numbers['frechet']:.2f}, entropy {numbers['entropy']:.3f}"
        if requested is not None:
            shown += f", correct digit {pct(numbers['correct_digit'])}"
        log(f"sample-quality: {name}: {shown}")

    chosen = np.sort(np.random.default_rng(seed).permutation(len(train_images))[:n])
    add("training images", "floor", train_images[chosen], np.asarray(train_labels)[chosen], "MNIST train")
    for entry in entries:
        log(f"sample-quality: {n} samples of {entry.name}...")
        add(entry.name, "model", *draw(entry.model, n, seed), entry.source, entry.seconds, entry.epochs)
    add("independent pixels", "ceiling", *independent_pixels(train_images, n, seed), "pixel means")
    add("independent pixels per digit", "ceiling",
        *independent_pixels(train_images, n, seed, train_labels), "pixel means of each digit")
    return {"samples": n, "test_images": len(test), "rows": rows}


# ----- showing it -------------------------------------------------------------------------------
HEADER = ["samples from", "Frechet distance", "class entropy", "correct digit", "training time"]


def duration(seconds):
    """'-' for unknown, else seconds under 2 minutes, minutes under 2 hours, else hours."""
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def cells(row):
    correct = "-" if row["correct_digit"] is None else pct(row["correct_digit"])
    name = f"{row['name']} ({row['kind']})" if row["kind"] != "model" else row["name"]
    time = duration(row["seconds"])
    if row.get("epochs") and row["seconds"] is not None:
        time += f" ({row['epochs']} epoch{'s' if row['epochs'] != 1 else ''})"
    return [name, f"{row['frechet']:.2f}", f"{row['entropy']:.3f}", correct, time]


def notes(numbers):
    return [f"Frechet distance: d^2 between Gaussians of the classifier's 128 penultimate features, "
            f"{numbers['samples']} images against {numbers['test_images']} test images; lower is better",
            f"class entropy: nats, of the predicted-digit histogram; log 10 = {np.log(DIGITS):.3f} "
            "is every digit equally often",
            "correct digit: conditional models, share classified as the digit asked for"]


def table(numbers):
    """The numbers of ``run`` as a Table for the terminal."""
    return Table(f"sample quality: {numbers['samples']} images each, scored by the digit classifier",
                 "Frechet distance lower is better; entropy up to log 10 = 2.303; correct digit higher "
                 "is better", HEADER, [cells(row) for row in numbers["rows"]], notes(numbers))


def markdown(numbers):
    """The numbers of ``run`` as a Markdown table (the one docs/sample-quality.md shows)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in numbers["rows"]]
    return "\n".join(lines + [""] + [f"- {note}" for note in notes(numbers)]) + "\n"


def plot_histograms(numbers, path):
    """The predicted-digit histogram of every row after the floor, with the floor's (real
    training digits) outlined over each: mode collapse shows as missing and towering bars."""
    floor = next(row["histogram"] for row in numbers["rows"] if row["kind"] == "floor")
    histograms = {row["name"]: row["histogram"] for row in numbers["rows"] if row["kind"] != "floor"}
    return figures.plot_class_histograms(
        histograms, path, reference=floor,
        title=f"digits the classifier sees in {numbers['samples']:,} samples "
              "(outline: real training digits; dashed: 1/10)")
