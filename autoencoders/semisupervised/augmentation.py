"""Augmentation re-measured: do generated, labelled images help a classifier with few labels?

For one labelled set (n images, n / 10 per digit) and the unlabelled rest, three training
sets for the same classifier, the pixel softmax regression of apps/classifier.py:

    none    the n real labelled images
    cvae    + per_class images of every digit drawn from a CVAE trained on the n labelled
            images alone, as the ``augment`` application does (apps/augment.py: hidden 256,
            latent 8, 10 epochs each showing every labelled image 20 times, Adam 1e-3, batch 32)
    m2      + per_class images of every digit drawn from M2, trained on the n labelled images
            and all the unlabelled ones (the M2 of the table, same draw)

Each generated image is the mean of p(x | y, z) (pixel probabilities) for z ~ N(0, I),
labelled with the digit y it was asked for. The CVAE's images only re-say what the n
labelled images say; M2's also carry what the unlabelled images taught its decoder.
"""
import numpy as np

import minigrad as mg

from ..apps.classifier import train_and_score
from ..models import build_model
from .m1 import train_vae

CVAE_CONFIG = {"hidden": 256, "latent": 8}      # as apps/augment.py
CVAE_REPEATS, CVAE_BATCH, CVAE_LR = 20, 32, 1e-3


def train_cvae(x, labels, epochs=10, seed=0):
    """A CVAE trained on (x, labels) only, each epoch showing every image CVAE_REPEATS times;
    its initial weights too come from ``seed`` (not from whatever ran before)."""
    mg.random.seed(seed)
    model = build_model("cvae", **CVAE_CONFIG)
    xs, ys = np.tile(x, (CVAE_REPEATS, 1)), np.tile(labels, CVAE_REPEATS)
    train_vae(model, xs, ys, epochs=epochs, batch_size=CVAE_BATCH, lr=CVAE_LR, seed=seed)
    return model


def cvae_images(model, per_class, seed=0, classes=10):
    """(images (classes * per_class, 784), labels) drawn from a CVAE."""
    labels = np.repeat(np.arange(classes), per_class)
    return model.sample(len(labels), np.random.default_rng(seed), labels), labels


def m2_images(model, per_class, seed=0):
    """(images (classes * per_class, D), labels) drawn from an M2."""
    labels = np.repeat(np.arange(model.classes), per_class)
    return model.sample(labels, np.random.default_rng(seed)), labels


def accuracies(x_l, y_l, test_x, test_y, generated, seed=0, **classifier):
    """Test accuracy of the classifier on the real images alone ('none') and with each set of
    generated images: generated maps a name to (images, labels)."""
    out = {"none": train_and_score(x_l, y_l, test_x, test_y, seed=seed, **classifier)}
    for name, (images, labels) in generated.items():
        out[name] = train_and_score(np.concatenate([x_l, images]), np.concatenate([y_l, labels]),
                                    test_x, test_y, seed=seed, **classifier)
    return out
