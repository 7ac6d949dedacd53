"""A small convolutional digit classifier written with minigrad, and how to train, apply and
save it.

    x (B, 1, 28, 28) in [0, 1]
    features   Conv2d(1, 16, k3, p1) + ReLU + MaxPool2d(2)    -> (B, 16, 14, 14)
               Conv2d(16, 32, k3, p1) + ReLU + MaxPool2d(2)   -> (B, 32, 7, 7)
    hidden     Flatten + Linear(32 * 7 * 7, 128) + ReLU       -> (B, 128)   the penultimate layer
    out        Linear(128, classes)                           -> logits (B, classes)

    loss = mean over the batch of -log softmax(logits)_y      (F.cross_entropy), Adam,
    the learning rate annealed by a cosine over the epochs.

Two users. The sample-quality metric (sample_quality.py) trains it on all 60,000 MNIST
training digits (99.25 % on the test set after 6 epochs, docs/sample-quality.md) and reads
the 128 penultimate features and the predicted class of every image it scores. The transfer experiments
(autoencoders/transfer) reuse ``features``, the convolutional part, in a new network for other
digits: the three parts are separate submodules so that one of them can be copied, frozen or
given its own learning rate.

Deterministic: the weights come from minigrad's generator seeded with ``seed`` and the batch
order from ``numpy.random.default_rng(seed)``; same data and seed, same network.

The saved file (``save_classifier``) is a ``minigrad.save`` archive (arrays and JSON, no
pickle): {"format", "version", "config", "state", "info"}.
"""
import math
import time
import zipfile

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim

from ..data import to_float

FORMAT = "minigrad-digit-classifier"
VERSION = 1
BATCH = 500          # images per forward pass when only predicting


class ClassifierFileError(ValueError):
    """A file that is not a usable classifier (message names the file and why)."""


class DigitClassifier(nn.Module):
    """Conv 16-32 + max-pool, a 128-unit hidden layer, a linear read-out (see the module
    docstring). ``penultimate(x)`` is the hidden layer's output, the features the
    Frechet distance compares."""

    def __init__(self, classes=10, channels=(16, 32), hidden=128, image_size=28):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two 2x2 poolings), got {image_size}")
        c1, c2 = channels
        self.config = {"classes": int(classes), "channels": (int(c1), int(c2)),
                       "hidden": int(hidden), "image_size": int(image_size)}
        side = image_size // 4
        self.features = nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.hidden = nn.Sequential(nn.Flatten(), nn.Linear(c2 * side * side, hidden), nn.ReLU())
        self.out = nn.Linear(hidden, classes)

    def penultimate(self, x):
        return self.hidden(self.features(x))

    def forward(self, x):
        return self.out(self.penultimate(x))


def as_input(images):
    """Images in any layout (uint8 0..255 or floats in [0, 1]; (N, 28, 28), (N, 1, 28, 28) or
    flat (N, 784)) as the float32 batch (N, 1, side, side) the classifier takes."""
    images = np.asarray(images)
    x = to_float(images) if images.dtype == np.uint8 else images.astype(np.float32)
    side = int(round(math.sqrt(x[0].size))) if len(x) else 28
    return x.reshape(len(x), 1, side, side)


# ----- training -----------------------------------------------------------------------------
def fit(model, images, labels, optimizer, epochs=1, batch_size=128, seed=0, min_steps=0,
        cosine=False, log=None):
    """Train ``model`` with ``optimizer`` on (images, labels) by mini-batch cross-entropy.

    epochs: passes over the images, raised so that at least ``min_steps`` optimizer steps are
        taken however few the images (10 labels per class are one batch).
    cosine: anneal every parameter group's learning rate from its value to 0 over the epochs
        (CosineAnnealingLR, stepped once per epoch).
    log: given one dict per epoch {epoch, loss, seconds}; its return value is ignored.
    Returns the list of those dicts.
    """
    x, y = as_input(images), np.asarray(labels, dtype=np.int64)
    n = len(x)
    batch = min(batch_size, n)
    per_epoch = math.ceil(n / batch)
    epochs = max(epochs, math.ceil(min_steps / per_epoch))
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs) if cosine else None
    rng = np.random.default_rng(seed)
    model.train()
    history = []
    for epoch in range(1, epochs + 1):
        start, total = time.perf_counter(), 0.0
        order = rng.permutation(n)
        for first in range(0, n, batch):
            idx = order[first:first + batch]
            loss = F.cross_entropy(model(mg.tensor(x[idx])), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        if schedule is not None:
            schedule.step()
        record = {"epoch": epoch, "loss": total / n, "seconds": time.perf_counter() - start}
        history.append(record)
        if log:
            log(record)
    return history


def train_classifier(images, labels, classes=10, epochs=6, batch_size=128, lr=2e-3, seed=0,
                     log=None):
    """A new DigitClassifier trained with Adam (cosine-annealed lr) on (images, labels)."""
    mg.random.seed(seed)
    model = DigitClassifier(classes=classes)
    fit(model, images, labels, optim.Adam(model.parameters(), lr=lr), epochs=epochs,
        batch_size=batch_size, seed=seed, cosine=True, log=log)
    return model


# ----- applying -----------------------------------------------------------------------------
def predict(model, images, batch_size=BATCH):
    """(logits (N, classes), penultimate features (N, hidden)) of the images, float64 numpy."""
    x = as_input(images)
    logits, features = [], []
    was_training = model.training
    model.eval()
    try:
        with mg.no_grad():
            for first in range(0, len(x), batch_size):
                h = model.penultimate(mg.tensor(x[first:first + batch_size]))
                features.append(h.data.astype(np.float64))
                logits.append(model.out(h).data.astype(np.float64))
    finally:
        model.train(was_training)
    width = model.config["hidden"]
    return (np.concatenate(logits) if logits else np.zeros((0, model.config["classes"])),
            np.concatenate(features) if features else np.zeros((0, width)))


def logits(model, images, batch_size=BATCH):
    """The logits (N, classes) of any classifier module (images -> logits), float64 numpy."""
    x = as_input(images)
    parts = []
    was_training = model.training
    model.eval()
    try:
        with mg.no_grad():
            for first in range(0, len(x), batch_size):
                parts.append(model(mg.tensor(x[first:first + batch_size])).data.astype(np.float64))
    finally:
        model.train(was_training)
    return np.concatenate(parts)


def accuracy(model, images, labels):
    """Share of the images whose most likely class is their label (any classifier module)."""
    return float(np.mean(np.argmax(logits(model, images), axis=1) == np.asarray(labels)))


# ----- saving -------------------------------------------------------------------------------
def save_classifier(path, model, info=None):
    """Write the classifier (its config, weights and ``info``, a dict of JSON-able numbers and
    strings such as its test accuracy) to ``path`` atomically; returns the path."""
    mg.save({"format": FORMAT, "version": VERSION, "config": dict(model.config),
             "state": model.state_dict(), "info": dict(info or {})}, path)
    return path


def load_classifier(path):
    """(DigitClassifier, info) from a file written by ``save_classifier``, or
    ClassifierFileError saying why not."""
    try:
        saved = mg.load(path)
    except FileNotFoundError:
        raise ClassifierFileError(f"no classifier file {path}") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):   # not minigrad.save's, damaged
        raise ClassifierFileError(f"{path} is not a classifier file (one written by minigrad.save "
                                  "from 'autoencoders classifier')") from None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ClassifierFileError(f"{path} was written by minigrad.save but holds no digit classifier")
    if saved.get("version") != VERSION:
        raise ClassifierFileError(f"{path}: classifier format version {saved.get('version')}, "
                                  f"this code reads version {VERSION}")
    try:
        model = DigitClassifier(**saved["config"])
        model.load_state_dict(saved["state"])
    except (TypeError, ValueError, KeyError) as err:
        raise ClassifierFileError(f"{path}: the saved classifier does not fit: {err}") from None
    return model.eval(), dict(saved.get("info", {}))
