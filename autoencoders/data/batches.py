"""Mini-batches of images as float arrays in [0, 1], ready for a model.

``iterate_batches`` makes one pass over the data. ``Batches`` is a small
reusable loader: each ``iter()`` is one epoch, shuffled by a generator seeded
from ``(seed, epoch)``, so epoch k always has the same order; a resumed run
calls ``set_epoch(k)`` and sees exactly the batches it would have seen.

Shapes: images (N, H, W) give x of shape (B, 1, H, W) (NCHW), or (B, H*W)
with ``flatten=True``; images (N, C, H, W) keep their channels; images
(N, D) stay (B, D). Labels become int64 (B,), or None without labels.
uint8 pixels are divided by 255 in the output dtype (float32 by default),
never through float64; float images are taken as already scaled.
"""

import numpy as np


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be an int, got {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")


def _check_dtype(dtype):
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"dtype must be a floating type such as float32, got {dtype}")
    return dtype


def _check_arrays(images, labels):
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(f"images must have shape (N, ...) with at least 2 "
                         f"dimensions, got shape {images.shape}")
    if images.dtype != np.uint8 and not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"images must be uint8 (0..255) or floating point "
                        f"(already in [0, 1]), got {images.dtype}")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1:
            raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
        if len(labels) != len(images):
            raise ValueError(f"images and labels differ in length: "
                             f"{len(images)} images, {len(labels)} labels")
    return images, labels


def to_float(images, dtype=np.float32, flatten=False):
    """Scale a batch to ``dtype`` in [0, 1] and shape it (see module docstring)."""
    x = images.astype(dtype)  # uint8 -> float32 is exact
    if images.dtype == np.uint8:
        x /= x.dtype.type(255)
    if flatten:
        return x.reshape(len(x), -1)
    if x.ndim == 3:
        return x[:, None, :, :]
    return x


def num_batches(n, batch_size, drop_last=False):
    """How many batches a pass over n items gives."""
    return n // batch_size if drop_last else -(-n // batch_size)


def _batches(images, labels, order, batch_size, drop_last, flatten, dtype):
    for i in range(num_batches(len(order), batch_size, drop_last)):
        index = order[i * batch_size:(i + 1) * batch_size]
        x = to_float(images[index], dtype, flatten)
        y = None if labels is None else labels[index].astype(np.int64)
        yield x, y


def iterate_batches(images, labels=None, batch_size=128, shuffle=True, seed=0,
                    drop_last=False, flatten=False, dtype=np.float32):
    """Yield (x, y) batches covering every item once (see module docstring).

    seed: an int, or an np.random.Generator (which is advanced) for the shuffle.
    drop_last: skip the final batch if it is smaller than ``batch_size``.
    Arguments are checked at the call, not at the first ``next``.
    """
    _check_batch_size(batch_size)
    dtype = _check_dtype(dtype)
    images, labels = _check_arrays(images, labels)
    if shuffle:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        order = rng.permutation(len(images))
    else:
        order = np.arange(len(images))
    return _batches(images, labels, order, batch_size, drop_last, flatten, dtype)


class Batches:
    """A re-iterable loader: ``for x, y in loader`` runs one epoch, then the next.

    ``epoch`` is the index of the epoch the next ``iter()`` will run; each
    ``iter()`` advances it by one. Epoch k is shuffled by
    ``np.random.default_rng([seed, k])``.
    """

    def __init__(self, images, labels=None, batch_size=128, shuffle=True, seed=0,
                 drop_last=False, flatten=False, dtype=np.float32, epoch=0):
        _check_batch_size(batch_size)
        if isinstance(seed, np.random.Generator) or not isinstance(seed, (int, np.integer)):
            raise TypeError("Batches needs an int seed (each epoch is reshuffled "
                            f"from (seed, epoch)), got {type(seed).__name__}")
        self.images, self.labels = _check_arrays(images, labels)
        self.batch_size = int(batch_size)
        self.shuffle, self.seed = shuffle, int(seed)
        self.drop_last, self.flatten, self.dtype = drop_last, flatten, _check_dtype(dtype)
        self.set_epoch(epoch)

    def set_epoch(self, epoch):
        """Make the next ``iter()`` run epoch ``epoch`` (e.g. when resuming)."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self.epoch = int(epoch)

    def order(self, epoch):
        """The item order of epoch ``epoch``."""
        if not self.shuffle:
            return np.arange(len(self.images))
        return np.random.default_rng([self.seed, epoch]).permutation(len(self.images))

    def __len__(self):
        return num_batches(len(self.images), self.batch_size, self.drop_last)

    def __iter__(self):
        epoch, self.epoch = self.epoch, self.epoch + 1
        return _batches(self.images, self.labels, self.order(epoch), self.batch_size,
                        self.drop_last, self.flatten, self.dtype)
