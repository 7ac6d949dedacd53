"""The command line's promise under faults: one line naming what was wrong, exit code 2,
and nothing lost (the last good checkpoint stays loadable, no temporary file is left)."""
import errno
import functools
import http.server
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from autoencoders.checkpoint import load_checkpoint
from autoencoders.data import write_idx
from autoencoders.train import METRICS
from cli_helpers import one_line_error, run

QUICK = ["--limit", "64", "--set", "hidden=8", "--set", "code=2", "--quiet"]
MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# ----- a full disk ----------------------------------------------------------------------------
def test_disk_full_at_a_checkpoint_keeps_the_last_good_one(tmp_path, capsys, monkeypatch):
    """The second epoch's checkpoint write fails: epoch 1's checkpoint and metrics stay intact."""
    import autoencoders.checkpoint as checkpoint_module

    real_replace, saves = os.replace, []

    def replace_until_full(src, dst):
        saves.append(dst)
        if len(saves) > 2:                     # epoch 1 wrote last.npz and best.npz
            disk_full()
        real_replace(src, dst)

    monkeypatch.setattr(checkpoint_module.writing.os, "replace", replace_until_full)
    assert run(["train", "--epochs", "2", "--out", str(tmp_path), *QUICK]) == 2
    monkeypatch.undo()
    one_line_error(capsys, "No space left on device", "holds epoch 1", "--resume")
    assert load_checkpoint(tmp_path / "last.npz").epoch == 1
    assert len((tmp_path / METRICS).read_text().splitlines()) == 1
    assert not list(tmp_path.glob(".*.tmp"))
    assert run(["train", "--out", str(tmp_path), "--resume", "--quiet", "--no-figures"]) == 0
    assert load_checkpoint(tmp_path / "last.npz").epoch == 2


def test_disk_full_at_the_figures_keeps_the_checkpoints(tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    monkeypatch.setattr(Figure, "savefig", disk_full)
    assert run(["train", "--epochs", "1", "--out", str(tmp_path), *QUICK]) == 2
    one_line_error(capsys, "cannot write the figures", "No space left on device", "plot")
    assert load_checkpoint(tmp_path / "last.npz").epoch == 1


def test_a_figure_path_that_is_a_folder(tmp_path, capsys):
    assert run(["train", "--epochs", "1", "--out", str(tmp_path / "run"), *QUICK, "--no-figures"]) == 0
    (tmp_path / "taken.png").mkdir()
    assert run(["reconstruct", str(tmp_path / "run" / "last.npz"), "--out", str(tmp_path / "taken.png")]) == 2
    one_line_error(capsys, "taken.png")


# ----- empty and out-of-range inputs ---------------------------------------------------------
def test_no_training_images_left(tmp_path, capsys):
    assert run(["train", "--val-fraction", "0.999", "--out", str(tmp_path), *QUICK]) == 2
    one_line_error(capsys, "no images to train on")
    assert not (tmp_path / METRICS).exists()


def test_an_empty_data_file(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    write_idx(data / "train-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    write_idx(data / "train-labels-idx1-ubyte", np.zeros((0,), np.uint8))
    assert run(["train", "--dataset", "mnist", "--data-dir", str(data), "--no-download",
                "--out", str(tmp_path / "run"), *QUICK]) == 2
    one_line_error(capsys, "no images to train on")


def test_anomaly_with_a_class_that_has_no_images(tmp_path, capsys):
    assert run(["anomaly", "--classes", "42", "--epochs", "1", "--limit", "64",
                "--runs", str(tmp_path)]) == 2
    one_line_error(capsys, "class 42 has no training images")


@pytest.fixture(scope="module")
def cvae_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("cvae")
    assert run(["train", "--model", "cvae", "--epochs", "1", "--limit", "64", "--set", "hidden=8",
                "--set", "latent=2", "--quiet", "--no-figures", "--out", str(out)]) == 0
    return out / "last.npz"


def test_sample_count_is_bounded(cvae_checkpoint, capsys):
    assert run(["sample", str(cvae_checkpoint), "--n", "10000000000"]) == 2
    one_line_error(capsys, "--n", "from 1 to 10000")


def test_sample_label_must_be_a_class(cvae_checkpoint, tmp_path, capsys):
    assert run(["sample", str(cvae_checkpoint), "--label", "200", "--out", str(tmp_path / "s")]) == 2
    one_line_error(capsys, "--label 200", "0..9")
    assert run(["sample", str(cvae_checkpoint), "--label", "9", "--n", "4",
                "--out", str(tmp_path / "s")]) == 0


# ----- where data comes from: --no-download, --mirror ----------------------------------------
@pytest.fixture
def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_download_reports_the_missing_file(tmp_path, capsys, closed_port):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["train", "--dataset", "mnist", "--data-dir", str(empty), "--no-download",
                "--mirror", f"http://127.0.0.1:{closed_port}/", "--out", str(tmp_path / "run"),
                *QUICK]) == 2
    err = one_line_error(capsys, "train-images-idx3-ubyte.gz", str(empty))
    assert str(closed_port) not in err                     # nothing was tried on the network
    assert list(empty.iterdir()) == []


def test_mirror_replaces_the_built_in_mirrors(tmp_path, capsys, closed_port):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["train", "--dataset", "mnist", "--data-dir", str(empty), "--out", str(tmp_path / "run"),
                "--mirror", f"http://127.0.0.1:{closed_port}/", *QUICK]) == 2
    err = one_line_error(capsys, f"http://127.0.0.1:{closed_port}/train-images-idx3-ubyte.gz")
    assert "amazonaws" not in err and "googleapis" not in err


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.skipif(not MNIST.is_dir(), reason="the MNIST files of ../shared/data/mnist")
def test_mirror_serves_checked_files(tmp_path):
    """A local mirror of the real MNIST files: downloaded, checked against the checksums, used."""
    handler = functools.partial(QuietHandler, directory=str(MNIST))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True).start()
    try:
        data = tmp_path / "data"
        data.mkdir()
        mirror = f"http://127.0.0.1:{httpd.server_address[1]}/"
        assert run(["train", "--dataset", "mnist", "--data-dir", str(data), "--mirror", mirror,
                    "--epochs", "1", "--out", str(tmp_path / "run"), *QUICK, "--no-figures"]) == 0
        assert (data / "train-images-idx3-ubyte.gz").read_bytes() == \
            (MNIST / "train-images-idx3-ubyte.gz").read_bytes()
    finally:
        httpd.shutdown()
        httpd.server_close()


# ----- data folders and files -------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["missing", "file", "folder-for-file", "unreadable"])
def test_data_faults_are_one_line(fault, tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    if fault == "file":
        data.write_text("not a folder")
    elif fault != "missing":
        data.mkdir()
        images = data / "train-images-idx3-ubyte.gz"
        write_idx(data / "train-labels-idx1-ubyte.gz", np.zeros(4, np.uint8), gzip=True)
        if fault == "folder-for-file":
            images.mkdir()
        else:
            write_idx(images, np.zeros((4, 28, 28), np.uint8), gzip=True)
            import builtins

            real_open = builtins.open

            def refuse(file, *args, **kwargs):   # chmod 000 does not stop root
                if str(file) == str(images):
                    raise PermissionError(13, "Permission denied", str(file))
                return real_open(file, *args, **kwargs)

            monkeypatch.setattr(builtins, "open", refuse)
    assert run(["train", "--dataset", "mnist", "--data-dir", str(data), "--no-download",
                "--out", str(tmp_path / "run"), *QUICK]) == 2
    fragment = str(data) if fault in ("missing", "file") else "train-images-idx3-ubyte.gz"
    one_line_error(capsys, fragment)
    assert fault != "missing" or not data.exists()          # a named folder is never created
