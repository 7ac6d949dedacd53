"""MNIST, Fashion-MNIST and the embedded 5k subset behind one ``load_dataset``.

Where the files live, first match wins:

1. the ``data_dir`` argument (the folder holding the four files itself; it
   must exist: a mistyped folder is an error, not a new empty cache);
2. ``$MINIGRAD_DATA/<name>``, e.g. ``$MINIGRAD_DATA/mnist``;
3. ``$XDG_CACHE_HOME/minigrad/<name>``, default ``~/.cache/minigrad/<name>``.

Each split is an images file and a labels file with the standard names
(``train-images-idx3-ubyte.gz`` ...); the uncompressed names without ``.gz``
are accepted too. Missing files are downloaded (if ``download``) from the
mirrors below, no larger than the size table says, and checked against the
checksum table before they are kept; a download that fails removes the
folders it created while they are still empty. Labels must lie in [0, classes).

Every fault is one DataError with a one-line message naming the path.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .download import DEFAULT_TIMEOUT, download_file
from .embedded import EMBEDDED_NAMES, load_embedded
from .errors import (DataError, DataFileMissing, DataPathError, DownloadError,
                     IDXFormatError)
from .idx import read_idx

DATA_ENV_VAR = "MINIGRAD_DATA"
SPLITS = ("train", "test")

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
)

# file name -> (hash algorithm, hex digest) of the .gz file
MNIST_CHECKSUMS = {
    "train-images-idx3-ubyte.gz":
        ("sha256", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train-labels-idx1-ubyte.gz":
        ("sha256", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "t10k-images-idx3-ubyte.gz":
        ("sha256", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "t10k-labels-idx1-ubyte.gz":
        ("sha256", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}
# The MD5 values published in the Fashion-MNIST README.
FASHION_MNIST_CHECKSUMS = {
    "train-images-idx3-ubyte.gz": ("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "train-labels-idx1-ubyte.gz": ("md5", "25c81989df183df01b3e8a0aad5dffbe"),
    "t10k-images-idx3-ubyte.gz": ("md5", "bef4ecab320f06d8554ea6380940ec79"),
    "t10k-labels-idx1-ubyte.gz": ("md5", "bb300cfdad3c16e7a12a480ee83cd310"),
}

# file name -> size in bytes of the .gz file; a download may not exceed it
MNIST_SIZES = {
    "train-images-idx3-ubyte.gz": 9912422,
    "train-labels-idx1-ubyte.gz": 28881,
    "t10k-images-idx3-ubyte.gz": 1648877,
    "t10k-labels-idx1-ubyte.gz": 4542,
}
FASHION_MNIST_SIZES = {
    "train-images-idx3-ubyte.gz": 26421880,
    "train-labels-idx1-ubyte.gz": 29515,
    "t10k-images-idx3-ubyte.gz": 4422102,
    "t10k-labels-idx1-ubyte.gz": 5148,
}


@dataclass(frozen=True)
class DatasetSpec:
    """Where a downloadable IDX dataset comes from and how to check it."""
    name: str
    description: str
    files: dict       # split -> (images file, labels file)
    mirrors: tuple    # base URLs, tried in order
    checksums: dict   # file name -> (algorithm, hex digest)
    sizes: dict       # file name -> size in bytes, the cap on its download
    classes: int = 10  # labels lie in [0, classes)


DATASETS = {
    "mnist": DatasetSpec("mnist", "MNIST handwritten digits, 60,000 train / 10,000 test",
                         MNIST_FILES, MNIST_MIRRORS, MNIST_CHECKSUMS, MNIST_SIZES),
    "fashion-mnist": DatasetSpec(
        "fashion-mnist", "Zalando Fashion-MNIST clothing, 60,000 train / 10,000 test",
        MNIST_FILES, FASHION_MNIST_MIRRORS, FASHION_MNIST_CHECKSUMS,
        FASHION_MNIST_SIZES),
}
EMBEDDED_DESCRIPTION = ("5,000 real MNIST digits shipped in the package, "
                        "4,000 train / 1,000 test (offline, no download)")
DATASET_NAMES = tuple(DATASETS) + EMBEDDED_NAMES


@dataclass(frozen=True)
class Dataset:
    """One split: images uint8 (N, 28, 28), labels uint8 (N,).

    Unpacks like a pair: ``images, labels = load_dataset("mnist")``.
    """
    images: np.ndarray
    labels: np.ndarray
    name: str
    split: str

    def __iter__(self):
        return iter((self.images, self.labels))

    def __len__(self):
        return len(self.labels)


def describe_datasets():
    """Dataset name -> one-line description, in a stable order (for the CLI)."""
    described = {name: spec.description for name, spec in DATASETS.items()}
    described[EMBEDDED_NAMES[0]] = EMBEDDED_DESCRIPTION
    described[EMBEDDED_NAMES[1]] = f"alias of {EMBEDDED_NAMES[0]}"
    return described


def default_cache_dir():
    """``$XDG_CACHE_HOME/minigrad``, or ``~/.cache/minigrad``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "minigrad"


def resolve_data_dir(name, data_dir=None):
    """The folder for dataset ``name``: argument > $MINIGRAD_DATA/name > cache."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    root = os.environ.get(DATA_ENV_VAR)
    if root:
        return Path(root).expanduser() / name
    return default_cache_dir() / name


def check_folder(directory, explicit):
    """Refuse a folder path that is a file, or an ``explicit`` one that does not exist."""
    if directory.is_file():
        raise DataPathError(f"{directory}: is a file, not a folder")
    if explicit and not directory.is_dir():
        raise DataFileMissing(f"{directory}: no such data folder")


def find_file(directory, filename):
    """The path of ``filename`` or its uncompressed twin (no .gz) if present."""
    for candidate in (filename, filename.removesuffix(".gz")):
        path = Path(directory) / candidate
        if path.is_dir():
            raise DataPathError(f"{path}: is a folder, not a data file")
        if path.is_file():
            return path
    return None


def _offline_hint(files):
    """The one-line advice ending a missing-file or download error."""
    return (f"place {files} there (gzip-compressed or not), "
            f"or use the offline dataset {EMBEDDED_NAMES[0]}")


def _download(spec, directory, filename, mirrors, timeout):
    """Download one file of ``spec`` into ``directory``, capped at its known size."""
    urls = [m.rstrip("/") + "/" + filename for m in mirrors]
    return download_file(urls, Path(directory) / filename, spec.checksums.get(filename),
                         timeout, max_bytes=spec.sizes.get(filename))


def fetch_split_files(spec, directory, split, download=True, base_url=None,
                      timeout=DEFAULT_TIMEOUT):
    """Paths (images, labels) for one split, downloading what is missing."""
    filenames = spec.files[split]
    mirrors = spec.mirrors if base_url is None else (
        (base_url,) if isinstance(base_url, str) else tuple(base_url))
    paths = [find_file(directory, filename) for filename in filenames]
    missing = [name for name, path in zip(filenames, paths) if path is None]
    if missing and not download:
        raise DataFileMissing(f"{directory} has no {', '.join(missing)} and downloading "
                              f"is off; {_offline_hint('them')}")
    created = missing_folders(directory)  # the download makes them
    try:
        return tuple(path or _download(spec, directory, name, mirrors, timeout)
                     for name, path in zip(filenames, paths))
    except BaseException as err:  # a failed or interrupted download leaves no empty folder behind
        remove_empty_folders(created)
        if isinstance(err, DownloadError):
            raise DownloadError(f"{err}; {_offline_hint(', '.join(filenames))}") from None
        raise


def missing_folders(folder):
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    folder = Path(folder)
    return [path for path in (folder, *folder.parents) if not path.exists()]


def remove_empty_folders(folders):
    """Remove ``folders``, deepest first, up to the first one that is not empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (a file was downloaded into it), or already gone
            return


def _read(path, ndim):
    """read_idx, with an OS refusal (permissions, I/O) as one DataPathError."""
    try:
        return read_idx(path, ndim=ndim)
    except OSError as err:
        raise DataPathError(f"{path}: cannot read it: {err.strerror or err}") from None


def _check_pair(images, labels, image_path, label_path, classes):
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise IDXFormatError(f"{image_path}, {label_path}: expected uint8 images and "
                             f"labels, found {images.dtype} and {labels.dtype}")
    if len(images) != len(labels):
        raise IDXFormatError(f"{image_path} holds {len(images)} images but "
                             f"{label_path} holds {len(labels)} labels")
    bad = np.flatnonzero(labels >= classes)  # uint8: never below 0
    if len(bad):
        raise IDXFormatError(f"{label_path}: label {labels[bad[0]]} at index {bad[0]} "
                             f"is outside [0, {classes})")


def load_dataset(name="mnist-5k", data_dir=None, split="train", download=True,
                 base_url=None, timeout=DEFAULT_TIMEOUT):
    """Load one split of a dataset as a Dataset (unpacks to images, labels).

    name: one of DATASET_NAMES ('mnist', 'fashion-mnist', 'mnist-5k'/'embedded').
    data_dir: an existing folder holding the files (see the module docstring
        for the defaults, which are created when needed).
    split: 'train' or 'test'.
    download: fetch missing files from the mirrors (ignored for 'mnist-5k').
    base_url: a base URL or list of them replacing the built-in mirrors.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if name in EMBEDDED_NAMES:
        images, labels = load_embedded(split)
        return Dataset(images, labels, EMBEDDED_NAMES[0], split)
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(DATASET_NAMES)}")
    spec = DATASETS[name]
    directory = resolve_data_dir(name, data_dir)
    check_folder(directory, explicit=data_dir is not None)
    image_path, label_path = fetch_split_files(spec, directory, split, download,
                                               base_url, timeout)
    images = _read(image_path, ndim=3)
    labels = _read(label_path, ndim=1)
    _check_pair(images, labels, image_path, label_path, spec.classes)
    return Dataset(images, labels, name, split)


def load_split(name, split, data_dir=None, limit=0, download=True, base_url=None):
    """(images, labels) of one split, at most ``limit`` of them (0: all); a split left with
    no images is refused. The other arguments are load_dataset's."""
    images, labels = load_dataset(name, data_dir=data_dir, split=split, download=download,
                                  base_url=base_url)
    if limit:
        images, labels = images[:limit], labels[:limit]
    if len(images) == 0:
        raise DataError(f"{name} {split} has no images")
    return images, labels
