"""load_dataset: directory resolution, local files, the embedded 5k set, real MNIST."""

import os
from pathlib import Path

import numpy as np
import pytest

from autoencoders.data import (DATASET_NAMES, DATASETS, DataError, DownloadError,
                               IDXFormatError, describe_datasets, load_dataset,
                               load_embedded, resolve_data_dir, stratified_split,
                               write_idx)
from autoencoders.data import idx

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_MNIST_DIR = Path(os.environ.get("MINIGRAD_TEST_MNIST_DIR",
                                     REPO_ROOT.parent / "shared" / "data" / "mnist"))


# --- where the files are looked for -------------------------------------------

def test_resolution_order(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)
    assert resolve_data_dir("mnist") == tmp_path / "xdg" / "minigrad" / "mnist"
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "env"))
    assert resolve_data_dir("fashion-mnist") == tmp_path / "env" / "fashion-mnist"
    assert resolve_data_dir("mnist", tmp_path / "arg") == tmp_path / "arg"


def test_cache_defaults_to_home(tmp_path, monkeypatch):
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_data_dir("mnist") == tmp_path / ".cache" / "minigrad" / "mnist"


def write_split(directory, n, label_value, compress=True, prefix="train"):
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if compress else ""
    images = np.full((n, 28, 28), label_value, np.uint8)
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images, gzip=compress)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}",
              np.full(n, label_value, np.uint8), gzip=compress)


def test_load_follows_resolution_order(tmp_path, monkeypatch):
    write_split(tmp_path / "arg", 1, 1)
    write_split(tmp_path / "env" / "mnist", 2, 2)
    write_split(tmp_path / "xdg" / "minigrad" / "mnist", 3, 3)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)
    assert len(load_dataset("mnist", download=False)) == 3
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "env"))
    assert len(load_dataset("mnist", download=False)) == 2
    data = load_dataset("mnist", data_dir=tmp_path / "arg", download=False)
    assert len(data) == 1 and data.name == "mnist" and data.split == "train"


def test_uncompressed_file_names_are_accepted(tmp_path):
    write_split(tmp_path, 4, 7, compress=False, prefix="t10k")
    images, labels = load_dataset("fashion-mnist", data_dir=tmp_path, split="test",
                                  download=False)
    assert images.shape == (4, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == [7, 7, 7, 7]


def test_image_and_label_counts_must_agree(tmp_path):
    write_split(tmp_path, 4, 1)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(3, np.uint8), gzip=True)
    with pytest.raises(IDXFormatError, match="holds 4 images but .* holds 3 labels"):
        load_dataset("mnist", data_dir=tmp_path, download=False)


def test_images_must_be_three_dimensional(tmp_path):
    write_split(tmp_path, 4, 1)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((4, 784), np.uint8), gzip=True)
    with pytest.raises(IDXFormatError, match="train-images-idx3-ubyte.gz: expected a 3-dim"):
        load_dataset("mnist", data_dir=tmp_path, download=False)


def test_labels_outside_the_classes_are_refused(tmp_path):
    write_split(tmp_path, 4, 1)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([0, 9, 10, 3], np.uint8),
              gzip=True)
    assert DATASETS["mnist"].classes == DATASETS["fashion-mnist"].classes == 10
    with pytest.raises(IDXFormatError, match=r"train-labels-idx1-ubyte.gz: label 10 at "
                                             r"index 2 is outside \[0, 10\)"):
        load_dataset("mnist", data_dir=tmp_path, download=False)


# --- folder faults: each one error naming the path ------------------------------

UNREACHABLE = "http://127.0.0.1:9/"  # the discard port: nothing listens there


def test_missing_explicit_data_dir_is_not_created(tmp_path):
    folder = tmp_path / "typo"
    with pytest.raises(DataError, match=f"{folder}: no such data folder") as info:
        load_dataset("mnist", data_dir=folder, base_url=UNREACHABLE)
    assert isinstance(info.value, FileNotFoundError)
    assert not folder.exists()


def test_a_failed_download_leaves_no_empty_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "data"))
    with pytest.raises(DownloadError):
        load_dataset("mnist", base_url=UNREACHABLE)
    assert list(tmp_path.iterdir()) == []  # neither data/ nor data/mnist/ is left
    (tmp_path / "data" / "mnist").mkdir(parents=True)  # a folder that was there stays
    with pytest.raises(DownloadError):
        load_dataset("mnist", base_url=UNREACHABLE)
    assert (tmp_path / "data" / "mnist").is_dir()


def test_data_dir_that_is_a_file(tmp_path):
    path = tmp_path / "mnist"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=f"{path}: is a file, not a folder"):
        load_dataset("mnist", data_dir=path, base_url=UNREACHABLE)


def test_folder_in_place_of_a_data_file(tmp_path):
    write_split(tmp_path, 2, 1)
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").mkdir()
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz: is a folder, "
                                        "not a data file") as info:
        load_dataset("mnist", data_dir=tmp_path, base_url=UNREACHABLE)
    assert not isinstance(info.value, DownloadError)


def test_unreadable_data_file(tmp_path, monkeypatch):
    write_split(tmp_path, 2, 1)
    target = tmp_path / "train-labels-idx1-ubyte.gz"
    if os.geteuid() == 0:  # root reads anything: simulate the refusal
        real_open = open

        def refusing_open(path, *args, **kwargs):
            if os.fspath(path) == str(target):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)
        monkeypatch.setattr(idx, "open", refusing_open, raising=False)
    else:
        target.chmod(0)
    with pytest.raises(DataError, match=f"{target}: cannot read it: Permission denied") as info:
        load_dataset("mnist", data_dir=tmp_path, download=False)
    assert "\n" not in str(info.value)


def test_missing_files_without_download_is_one_line(tmp_path):
    write_split(tmp_path, 2, 1)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError) as info:
        load_dataset("mnist", data_dir=tmp_path, download=False)
    message = str(info.value)
    assert message.startswith(f"{tmp_path} has no train-labels-idx1-ubyte.gz")
    assert "\n" not in message and "=" not in message and "mnist-5k" in message
    assert isinstance(info.value, FileNotFoundError)


def test_bad_names_and_splits():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'; available: mnist, "
                                         "fashion-mnist, mnist-5k, embedded"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="split must be one of"):
        load_dataset("mnist-5k", split="validation")


def test_describe_datasets_lists_every_name():
    described = describe_datasets()
    assert tuple(described) == DATASET_NAMES
    assert all(isinstance(text, str) and text for text in described.values())


# --- the embedded 5k digits (more in test_embedded_mnist5k.py) -----------

def test_embedded_shapes_dtypes_and_classes():
    train = load_dataset("mnist-5k", split="train")
    test = load_dataset("embedded", split="test")
    assert train.images.shape == (4000, 28, 28) and test.images.shape == (1000, 28, 28)
    for data in (train, test):
        assert data.images.dtype == np.uint8 and data.labels.dtype == np.uint8
        assert data.images.max() > 200  # real pixels, 0..255
        assert data.name == "mnist-5k"
    assert np.bincount(train.labels).tolist() == [400] * 10
    assert np.bincount(test.labels).tolist() == [100] * 10
    assert len(set(train.labels[:50].tolist())) > 3  # shuffled, not sorted by label


def test_embedded_split_is_fixed():
    first, second = load_embedded("test"), load_embedded("test")
    np.testing.assert_array_equal(first[0], second[0])
    first[0][...] = 0  # a copy: changing it does not change the next load
    assert load_embedded("test")[0].any()
    # Pins the split itself, so a change to it (e.g. in NumPy's PCG64) is noticed.
    assert load_embedded("test")[1][:20].tolist() == [
        4, 2, 0, 9, 6, 6, 2, 1, 2, 0, 8, 1, 1, 4, 3, 9, 1, 9, 6, 8]


def test_stratified_split_partitions_the_indices():
    labels = np.repeat(np.arange(10), 50)
    train, test = stratified_split(labels, test_fraction=0.2, seed=0)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(500))
    assert np.bincount(labels[test]).tolist() == [10] * 10
    again = stratified_split(labels, test_fraction=0.2, seed=0)
    np.testing.assert_array_equal(train, again[0])
    np.testing.assert_array_equal(test, again[1])


# --- the real files, when this machine has them ----------------------------------

@pytest.mark.skipif(not REAL_MNIST_DIR.is_dir(), reason=f"no MNIST files at {REAL_MNIST_DIR}")
def test_real_mnist():
    train = load_dataset("mnist", data_dir=REAL_MNIST_DIR, split="train", download=False)
    test = load_dataset("mnist", data_dir=REAL_MNIST_DIR, split="test", download=False)
    assert train.images.shape == (60000, 28, 28) and test.images.shape == (10000, 28, 28)
    assert train.labels.shape == (60000,) and test.labels.shape == (10000,)
    for data in (train, test):
        assert data.images.dtype == np.uint8
        assert data.labels.min() == 0 and data.labels.max() == 9
        assert len(np.unique(data.labels)) == 10


def test_load_split_refuses_an_empty_split(tmp_path):
    from autoencoders.data import DataError, load_split, write_idx

    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros((0,), np.uint8))
    with pytest.raises(DataError, match="mnist test has no images"):
        load_split("mnist", "test", data_dir=tmp_path, download=False)
    images, labels = load_split("mnist-5k", "test", limit=7)
    assert images.shape == (7, 28, 28) and labels.shape == (7,)
