"""Transfer learning on MNIST: does a network trained on one task give a better start than
random weights when labels are few?

(i) Supervised transfer. A DigitClassifier (evaluation/digit_classifier.py) is trained on
    the training images of digits 0-4 (the source). A new network for digits 5-9 (the
    target) is trained on k labelled images per class (k = 10, 100, 1,000), starting three
    ways:

        scratch      every weight random
        frozen       the convolutional layers (``features``) copied from the source and
                     frozen; only the hidden layer and the read-out learn
        fine-tuned   the convolutional layers copied from the source and trained too, with
                     their own, smaller learning rate (lr x body_lr_factor, a parameter group)

(ii) Unsupervised pretraining. The encoder of the convolutional autoencoder
    (models/conv.py), trained to reconstruct all 60,000 training images without their
    labels, followed by a linear read-out Linear(code, 10), is trained on k labelled images
    per class (k = 10, 100) of all ten digits, starting the same three ways (frozen: a linear
    classifier on the codes).

Every start of a comparison gets the same labelled images, the same random read-out and
hidden layer and the same batches (all drawn from the seed), so the start is the only
difference. Each (k, start) is repeated for every seed (a new labelled subset, new random
weights and, in (i), a new source network) and reported as mean and sample standard
deviation (ddof 1) of the test accuracy, on the test images of the target digits.

The training budget is the same for every start: at least ``epochs`` passes over the
labelled images and at least ``min_steps`` Adam steps (10 labels per class are one batch).
"""
import time
from dataclasses import asdict, dataclass

import numpy as np

import minigrad as mg
from minigrad import nn, optim

from ..apps.common import balanced_subset
from ..evaluation.digit_classifier import DigitClassifier, accuracy, fit
from ..models import build_model
from .freezing import freeze, param_groups

SOURCE_DIGITS = (0, 1, 2, 3, 4)
TARGET_DIGITS = (5, 6, 7, 8, 9)
STARTS = ("scratch", "frozen", "fine-tuned")


@dataclass
class Settings:
    """What a transfer run does; the defaults are the documented experiment."""
    seeds: tuple = (0, 1, 2)
    labels: tuple = (10, 100, 1000)       # per class, supervised transfer (i)
    pretrain_labels: tuple = (10, 100)    # per class, unsupervised pretraining (ii)
    source_epochs: int = 2                # the source network on digits 0-4
    epochs: int = 5                       # passes over the labelled images, at least ...
    min_steps: int = 300                  # ... and at least this many steps
    batch_size: int = 64
    lr: float = 1e-3                      # Adam
    body_lr_factor: float = 0.1           # fine-tuned: the copied layers learn at lr x this


def mean_std(values):
    """(mean, sample standard deviation; 0 for a single value)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def digits(images, labels, chosen):
    """The images of the digits ``chosen`` and their labels renumbered 0, 1, ... in that order."""
    labels = np.asarray(labels)
    keep = np.isin(labels, chosen)
    renumber = np.full(max(chosen) + 1, -1)
    renumber[list(chosen)] = np.arange(len(chosen))
    return images[keep], renumber[labels[keep]]


def optimizer_for(start, body, head, lr, body_lr_factor):
    """Adam for one start: scratch trains everything at lr; frozen freezes the body and trains
    the head; fine-tuned trains the body at lr x body_lr_factor (its own parameter group)."""
    if start == "frozen":
        freeze(body)
    factor = body_lr_factor if start == "fine-tuned" else 1.0
    return optim.Adam(param_groups([(body, factor), (head, 1.0)], lr), lr=lr)


def train_start(model, body, head, start, x, y, settings, seed):
    """Train one start on (x, y); returns the model."""
    opt = optimizer_for(start, body, head, settings.lr, settings.body_lr_factor)
    fit(model, x, y, opt, epochs=settings.epochs, batch_size=settings.batch_size, seed=seed,
        min_steps=settings.min_steps)
    return model


def scored(model, test_x, test_y, labels, start, seed, started, part, log):
    """The record of one trained model (its test accuracy and the seconds since ``started``),
    logged as one line."""
    record = {"labels": labels, "start": start, "seed": seed,
              "accuracy": accuracy(model, test_x, test_y), "seconds": time.perf_counter() - started}
    log(f"transfer {part}, seed {seed}: {labels} labels per class, {start}: test accuracy "
        f"{100 * record['accuracy']:.2f} % ({record['seconds']:.1f} s)")
    return record


def summarize(records, key):
    """[{key value, start, accuracies, mean, std}] over the seeds, in order of key and STARTS."""
    rows = []
    for k in sorted({r[key] for r in records}):
        for start in STARTS:
            accs = [r["accuracy"] for r in records if r[key] == k and r["start"] == start]
            if accs:
                mean, std = mean_std(accs)
                rows.append({key: k, "start": start, "accuracies": accs, "mean": mean, "std": std})
    return rows


# ----- (i) supervised transfer: digits 0-4 -> 5-9 ------------------------------------------------
class _Head(nn.Module):
    """The part of a DigitClassifier that is never copied: the hidden layer and the read-out."""

    def __init__(self, model):
        super().__init__()
        self.hidden, self.out = model.hidden, model.out


def supervised(train_x, train_y, test_x, test_y, settings=Settings(), log=None):
    """Experiment (i). Returns {"source_accuracy": [per seed], "runs": [...], "rows": [...],
    "seconds"}; a run is {labels, start, seed, accuracy, seconds}."""
    log = log or (lambda message: None)
    began = time.perf_counter()
    src_x, src_y = digits(train_x, train_y, SOURCE_DIGITS)
    src_tx, src_ty = digits(test_x, test_y, SOURCE_DIGITS)
    tgt_x, tgt_y = digits(train_x, train_y, TARGET_DIGITS)
    tgt_tx, tgt_ty = digits(test_x, test_y, TARGET_DIGITS)
    source_accuracy, runs = [], []
    for seed in settings.seeds:
        log(f"transfer (i), seed {seed}: source network on {len(src_x)} images of digits 0-4, "
            f"{settings.source_epochs} epochs...")
        mg.random.seed(seed)
        source = DigitClassifier(classes=len(SOURCE_DIGITS))
        fit(source, src_x, src_y, optim.Adam(source.parameters(), lr=settings.lr),
            epochs=settings.source_epochs, batch_size=settings.batch_size, seed=seed)
        source_accuracy.append(accuracy(source, src_tx, src_ty))
        log(f"transfer (i), seed {seed}: source test accuracy {100 * source_accuracy[-1]:.2f} %")
        for k in settings.labels:
            chosen = balanced_subset(tgt_y, k, seed)
            for start in STARTS:
                t = time.perf_counter()
                mg.random.seed(10_000 + seed)         # the same random weights for every start
                model = DigitClassifier(classes=len(TARGET_DIGITS))
                if start != "scratch":
                    model.features.load_state_dict(source.features.state_dict())
                train_start(model, model.features, _Head(model), start, tgt_x[chosen], tgt_y[chosen],
                            settings, seed)
                runs.append(scored(model, tgt_tx, tgt_ty, k, start, seed, t, "(i)", log))
    return {"source_accuracy": source_accuracy, "runs": runs, "rows": summarize(runs, "labels"),
            "target_test_images": len(tgt_tx), "seconds": time.perf_counter() - began}


# ----- (ii) unsupervised pretraining: the conv autoencoder's encoder -----------------------------
class EncoderClassifier(nn.Module):
    """An encoder (images -> codes) followed by a linear read-out (codes -> class logits)."""

    def __init__(self, encoder, code, classes):
        super().__init__()
        self.encoder = encoder
        self.out = nn.Linear(code, classes)

    def forward(self, x):
        return self.out(self.encoder(x))


def encoder_classifier(autoencoder, classes, pretrained):
    """An EncoderClassifier with the architecture of ``autoencoder`` (a conv model), its encoder
    copied from it if ``pretrained``, else random (drawn from minigrad's generator)."""
    fresh = build_model(autoencoder.name, **autoencoder.config)
    model = EncoderClassifier(fresh.encoder, autoencoder.config["code"], classes)
    if pretrained:
        model.encoder.load_state_dict(autoencoder.encoder.state_dict())
    return model


def unsupervised(autoencoder, train_x, train_y, test_x, test_y, settings=Settings(), log=None):
    """Experiment (ii) with a trained conv autoencoder. Returns {"runs", "rows", "seconds"}."""
    log = log or (lambda message: None)
    began = time.perf_counter()
    classes = int(np.max(train_y)) + 1
    runs = []
    for seed in settings.seeds:
        for k in settings.pretrain_labels:
            chosen = balanced_subset(train_y, k, seed)
            for start in STARTS:
                t = time.perf_counter()
                mg.random.seed(20_000 + seed)         # the same random weights for every start
                model = encoder_classifier(autoencoder, classes, pretrained=start != "scratch")
                train_start(model, model.encoder, model.out, start, train_x[chosen], train_y[chosen],
                            settings, seed)
                runs.append(scored(model, test_x, test_y, k, start, seed, t, "(ii)", log))
    return {"runs": runs, "rows": summarize(runs, "labels"), "test_images": len(test_x),
            "seconds": time.perf_counter() - began}


def run(train_x, train_y, test_x, test_y, settings=Settings(), autoencoder=None, log=None,
        supervised_part=True):
    """Experiment (i) (unless supervised_part is False) and, given an autoencoder, (ii); the
    numbers as one JSON-ready dict with a key per experiment run."""
    plain = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(settings).items()}
    numbers = {"settings": plain}
    if supervised_part:
        numbers["supervised"] = supervised(train_x, train_y, test_x, test_y, settings, log)
    if autoencoder is not None:
        numbers["unsupervised"] = unsupervised(autoencoder, train_x, train_y, test_x, test_y,
                                               settings, log)
    return numbers
