"""Downloads against a local HTTP server: success, mirrors, checksums, failures."""

import dataclasses
import functools
import hashlib
import http.server
import os
import socket
import threading
import time

import numpy as np
import pytest

from autoencoders.data import (DATASETS, DataError, DownloadError, download_file,
                               file_digest, load_dataset, write_idx)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/'served' on 127.0.0.1; yields (base URL, served folder)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(QuietHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", served
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def serve():
    """serve(handler class) starts a local server for it and returns its base URL."""
    servers = []

    def start(handler):
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def closed_port():
    """A local port with nothing listening on it (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_download_verifies_and_stores(server, tmp_path):
    base, served = server
    (served / "blob.bin").write_bytes(b"hello idx")
    target = tmp_path / "out" / "blob.bin"
    path = download_file(base + "blob.bin", target, ("sha256", sha256(b"hello idx")))
    assert path == target and target.read_bytes() == b"hello idx"
    assert sorted(p.name for p in target.parent.iterdir()) == ["blob.bin"]
    assert file_digest(target, "md5") == hashlib.md5(b"hello idx").hexdigest()


def test_md5_checksums_are_supported(server, tmp_path):
    base, served = server
    (served / "blob.bin").write_bytes(b"abc")
    download_file([base + "blob.bin"], tmp_path / "blob.bin",
                  ("md5", hashlib.md5(b"abc").hexdigest().upper()))
    assert (tmp_path / "blob.bin").read_bytes() == b"abc"


def test_wrong_checksum_is_rejected_and_nothing_remains(server, tmp_path):
    base, served = server
    (served / "blob.bin").write_bytes(b"corrupted bytes")
    out = tmp_path / "out"
    with pytest.raises(DownloadError, match="sha256 mismatch, expected 0{64}, got") as info:
        download_file(base + "blob.bin", out / "blob.bin", ("sha256", "0" * 64))
    assert base + "blob.bin" in str(info.value)
    assert list(out.iterdir()) == []  # no final file, no .part file


def test_falls_back_to_the_next_mirror(server, tmp_path):
    base, served = server
    (served / "blob.bin").write_bytes(b"x")
    urls = [base + "missing/blob.bin", base + "blob.bin"]
    download_file(urls, tmp_path / "blob.bin", ("sha256", sha256(b"x")))
    assert (tmp_path / "blob.bin").read_bytes() == b"x"


def test_all_mirrors_failing_lists_every_url(server, closed_port, tmp_path):
    base, _ = server
    urls = [base + "missing/blob.bin", f"http://127.0.0.1:{closed_port}/blob.bin"]
    with pytest.raises(DownloadError) as info:
        download_file(urls, tmp_path / "out" / "blob.bin")
    message = str(info.value)
    assert "could not download blob.bin" in message
    assert f"{urls[0]}: HTTP 404" in message and urls[1] in message
    assert list((tmp_path / "out").iterdir()) == []


def test_silent_server_times_out(tmp_path):
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/blob.bin"
        with pytest.raises(DownloadError, match="timed out after 0.3 s"):
            download_file(url, tmp_path / "blob.bin", timeout=0.3)
    assert list(tmp_path.iterdir()) == []


def test_unknown_hash_algorithm(tmp_path):
    with pytest.raises(ValueError):
        download_file("http://127.0.0.1:1/x", tmp_path / "x", ("nohash", "00"))


# --- load_dataset downloading through the same code -------------------------

def serve_fake_mnist(served, n_train=7, n_test=3):
    """Write small IDX files with the standard names; return their sha256 table."""
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, array in arrays.items():
        write_idx(served / name, array, gzip=True)
    checksums = {name: ("sha256", file_digest(served / name)) for name in arrays}
    return arrays, checksums


@pytest.fixture
def fake_mnist(server, monkeypatch):
    base, served = server
    arrays, checksums = serve_fake_mnist(served)
    spec = dataclasses.replace(DATASETS["mnist"], checksums=checksums, mirrors=(base,))
    monkeypatch.setitem(DATASETS, "mnist", spec)
    return base, served, arrays


def test_load_dataset_downloads_missing_split(fake_mnist, tmp_path):
    base, served, arrays = fake_mnist
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    images, labels = load_dataset("mnist", data_dir=data_dir, split="test", base_url=base)
    np.testing.assert_array_equal(images, arrays["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(labels, arrays["t10k-labels-idx1-ubyte.gz"])
    assert sorted(p.name for p in data_dir.iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    # Now cached: loads with the server's files gone and download=False.
    for f in served.iterdir():
        f.unlink()
    again = load_dataset("mnist", data_dir=data_dir, split="test", download=False)
    np.testing.assert_array_equal(again.images, images)


def test_load_dataset_uses_spec_mirrors_without_base_url(fake_mnist, tmp_path):
    train = load_dataset("mnist", data_dir=tmp_path, split="train")
    assert train.images.shape == (7, 28, 28) and len(train) == 7


def test_load_dataset_rejects_corrupt_download(fake_mnist, tmp_path):
    base, served, _ = fake_mnist
    (served / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8bnot the real file")
    (tmp_path / "d").mkdir()
    with pytest.raises(DownloadError, match="train-images-idx3-ubyte.gz: sha256 mismatch"):
        load_dataset("mnist", data_dir=tmp_path / "d", split="train", base_url=base)
    assert list((tmp_path / "d").iterdir()) == []


def test_unreachable_server_explains_manual_placement(closed_port, tmp_path):
    base = f"http://127.0.0.1:{closed_port}/"
    data_dir = tmp_path / "mnist"
    data_dir.mkdir()
    with pytest.raises(DownloadError) as info:
        load_dataset("mnist", data_dir=data_dir, split="train", base_url=[base])
    message = str(info.value)
    assert base + "train-images-idx3-ubyte.gz" in message
    assert str(data_dir) in message
    assert "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz" in message
    assert "mnist-5k" in message
    assert list(data_dir.iterdir()) == []


def test_download_errors_are_one_line_without_python_arguments(server, closed_port, tmp_path):
    base, _ = server
    urls = [base + "missing/blob.bin", f"http://127.0.0.1:{closed_port}/blob.bin"]
    with pytest.raises(DataError) as info:
        download_file(urls, tmp_path / "blob.bin")
    assert "\n" not in str(info.value)
    assert f"into {tmp_path} (" in str(info.value)
    with pytest.raises(DataError) as info:
        load_dataset("mnist", data_dir=tmp_path, base_url=urls[1].removesuffix("blob.bin"))
    message = str(info.value)
    assert "\n" not in message and "=" not in message, message
    assert isinstance(info.value, DownloadError) and isinstance(info.value, OSError)


def test_missing_files_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no t10k-images-idx3-ubyte.gz, "
                                                "t10k-labels-idx1-ubyte.gz"):
        load_dataset("fashion-mnist", data_dir=tmp_path, split="test", download=False)


# --- hostile servers: trickling, oversized; stale partial files ------------------

class TricklingHandler(http.server.BaseHTTPRequestHandler):
    """Promises 1000 bytes, then sends one every 0.1 s (never silent for long)."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:  # the client hung up
            pass

    def log_message(self, *args):
        pass


def flood_handler(announce):
    """A handler sending 8 MiB, with its true Content-Length or with none."""

    class FloodHandler(TricklingHandler):
        def do_GET(self):
            self.send_response(200)
            if announce:
                self.send_header("Content-Length", str(8 << 20))
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(128):
                    self.wfile.write(bytes(1 << 16))
            except OSError:
                pass
    return FloodHandler


def test_trickling_server_hits_the_deadline(serve, tmp_path):
    url = serve(TricklingHandler) + "blob.bin"
    start = time.monotonic()
    with pytest.raises(DownloadError, match=r"blob.bin: gave up after the 1-s deadline"):
        download_file(url, tmp_path / "blob.bin", timeout=5, deadline=1)
    assert time.monotonic() - start < 3
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("announce", [True, False])
def test_oversized_download_stops_at_the_cap(serve, tmp_path, announce):
    url = serve(flood_handler(announce)) + "blob.bin"
    with pytest.raises(DownloadError, match=r"blob.bin: .*more than the cap of 100000 bytes"):
        download_file(url, tmp_path / "blob.bin", max_bytes=100_000)
    assert list(tmp_path.iterdir()) == []


def test_load_dataset_caps_downloads_at_the_known_sizes(fake_mnist, tmp_path, monkeypatch):
    base, served, _ = fake_mnist
    spec = DATASETS["mnist"]
    assert spec.sizes["train-images-idx3-ubyte.gz"] == 9912422
    sizes = dict(spec.sizes, **{"t10k-labels-idx1-ubyte.gz": 20})
    monkeypatch.setitem(DATASETS, "mnist", dataclasses.replace(spec, sizes=sizes))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with pytest.raises(DownloadError, match="t10k-labels-idx1-ubyte.gz: .*cap of 20 bytes"):
        load_dataset("mnist", data_dir=data_dir, split="test")
    assert sorted(p.name for p in data_dir.iterdir()) == ["t10k-images-idx3-ubyte.gz"]


def test_stale_part_files_are_removed(server, tmp_path):
    base, served = server
    (served / "blob.bin").write_bytes(b"new")
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".blob.bin.k2x9_q0a.part"      # left by a killed download
    live = out / ".blob.bin.a1b2c3d4.part"       # a download running now
    other = out / ".other.bin.k2x9_q0a.part"     # another file's
    for path in (stale, live, other):
        path.write_bytes(b"partial")
    two_days_ago = time.time() - 2 * 86400
    os.utime(stale, (two_days_ago, two_days_ago))
    os.utime(other, (two_days_ago, two_days_ago))
    download_file(base + "blob.bin", out / "blob.bin")
    assert sorted(p.name for p in out.iterdir()) == sorted(["blob.bin", live.name, other.name])
