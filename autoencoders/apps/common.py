"""What every application needs from a trained model, batched and in numpy.

The models take float32 batches shaped their own way (flat (B, 784) or images
(B, 1, 28, 28)) and some need labels. These helpers take images in any layout
(uint8 0..255 or floats in [0, 1]; (N, 28, 28), (N, 1, 28, 28) or (N, 784)),
feed them to the model in batches and return numpy arrays, so the
applications never care which model they hold.
"""
import numpy as np

import minigrad as mg

from ..data import to_float
from ..models import evaluating
from ..pca import PCA

BATCH = 512


def pixels(images):
    """Images as float32 rows (N, 784) in [0, 1]."""
    images = np.asarray(images)
    x = to_float(images, flatten=True) if images.dtype == np.uint8 \
        else images.astype(np.float32).reshape(len(images), -1)
    return x


def model_input(model, images):
    """Images as the float32 batch ``model`` takes: (N, D) flat or (N, 1, H, W)."""
    x = pixels(images)
    if model.input_kind == "flat":
        return x
    side = int(round(np.sqrt(x.shape[1])))
    return x.reshape(len(x), 1, side, side)


def _batched(fn, model, images, labels, batch_size):
    x = model_input(model, images)
    if model.needs_labels and labels is None:
        raise ValueError(f"model {model.name!r} is conditional: pass the labels of the images")
    parts = []
    for start in range(0, len(x), batch_size):
        y = None if labels is None else np.asarray(labels)[start:start + batch_size]
        parts.append(fn(x[start:start + batch_size], y))
    return np.concatenate(parts) if parts else np.zeros((0,))


def embed(model, images, labels=None, batch_size=BATCH):
    """The codes (N, width) of the images (a VAE's posterior means), float64."""
    return _batched(model.embed, model, images, labels, batch_size).astype(np.float64)


def reconstruct(model, images, labels=None, batch_size=BATCH):
    """The reconstructions as float32 rows (N, 784) in [0, 1]."""
    out = _batched(model.reconstruct, model, images, labels, batch_size)
    return out.reshape(len(out), -1)


def decode(model, codes, labels=None):
    """Images (N, 784) in [0, 1] decoded from codes (N, width) (conditional models: with labels)."""
    z = mg.tensor(np.asarray(codes, dtype=np.float32))
    if model.needs_labels and labels is None:
        raise ValueError(f"model {model.name!r} is conditional: pass the labels to decode with")
    with evaluating(model):
        out = model.to_pixels(model.decode(z, labels))
    return out.reshape(len(out), -1)


def code_width(model, images, labels=None):
    """The width of the model's code, found by encoding one image."""
    return embed(model, images[:1], None if labels is None else labels[:1]).shape[1]


def balanced_subset(labels, per_class, seed=0):
    """Indices of ``per_class`` examples of each label, chosen with a seeded shuffle, in
    shuffled order (all of a class if it has fewer)."""
    labels = np.asarray(labels)
    order = np.random.default_rng(seed).permutation(len(labels))
    chosen = np.concatenate([order[labels[order] == c][:per_class] for c in np.unique(labels)])
    return np.sort(chosen)


def code_pca_pixel_spaces(model, train_images, test_images, refusal):
    """The three spaces the applications compare, as (width, {"code", "pca", "pixels"} ->
    (train features, test features)): the model's codes, PCA codes of the same width (fit on
    the training pixels) and the raw pixels. A model that reads the label to encode is refused
    with ``refusal``: its codes would hand the label to whatever uses them."""
    if model.needs_labels:
        raise ValueError(f"model {model.name!r} reads the label to encode; {refusal}")
    codes_train, codes_test = embed(model, train_images), embed(model, test_images)
    width = codes_train.shape[1]
    px_train, px_test = pixels(train_images), pixels(test_images)
    pca = PCA(width).fit(px_train)
    return width, {"code": (codes_train, codes_test),
                   "pca": (pca.transform(px_train), pca.transform(px_test)),
                   "pixels": (px_train, px_test)}
