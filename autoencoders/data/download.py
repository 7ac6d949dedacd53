"""Download one file from a list of mirrors, verify its checksum, store it atomically.

The bytes go to a hidden temporary file ``.<name>.<8 random chars>.part`` in
the destination's directory; only after the checksum matches is it renamed onto
the final name with ``os.replace`` (atomic on one file system). On any failure
the temporary file is deleted, so the directory never holds a half-written or
corrupt file under the real name; part files left by a killed process are
removed by the next download of the same name once they are stale.

Limits per attempt (one URL), so a hostile or broken server cannot hang or
fill the disk: ``timeout`` seconds of silence, ``deadline`` seconds in all
(checked after every read; a read returns whatever has arrived, at most
CHUNK_SIZE bytes), and ``max_bytes`` bytes, checked against Content-Length
before the body and against the bytes received while it arrives. Uses only
the standard library (urllib).
"""

import hashlib
import http.client
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .errors import DownloadError

DEFAULT_TIMEOUT = 30.0    # seconds of silence, per connection attempt and per read
DEFAULT_DEADLINE = 600.0  # seconds one attempt (one URL) may take in all
USER_AGENT = "minigrad-data/0.1 (Python urllib)"
CHUNK_SIZE = 1 << 16
PART_RANDOM = r"[a-z0-9_]{8}"  # what tempfile.mkstemp puts between prefix and suffix


class _GaveUp(Exception):
    """An attempt stopped by one of our limits; the message is the reason."""


def file_digest(path, algorithm="sha256"):
    """Hex digest of a file's bytes, e.g. ``file_digest(p, "md5")``."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _reason(err, timeout):
    """A one-line human reason for a failed attempt."""
    if isinstance(err, _GaveUp):
        text = str(err)
    elif isinstance(err, urllib.error.HTTPError):
        text = f"HTTP {err.code} {err.reason}"
    elif isinstance(err, TimeoutError):
        text = f"timed out after {timeout:g} s"
    elif isinstance(err, urllib.error.URLError):
        text = f"{err.reason}"
    else:
        text = f"{type(err).__name__}: {err}"
    return " ".join(text.split())


def _check_announced(response, max_bytes):
    """The Content-Length as an int (None if absent); refuse it above ``max_bytes``."""
    length = response.headers.get("Content-Length")
    length = None if length is None else int(length)
    if length is not None and max_bytes is not None and length > max_bytes:
        raise _GaveUp(f"the server announces {length} bytes, more than the cap of "
                      f"{max_bytes} bytes")
    return length


def _fetch(url, out, algorithm, timeout, deadline, max_bytes):
    """Stream ``url`` into the open file ``out`` within the limits; return the hex digest."""
    start = time.monotonic()
    digest = hashlib.new(algorithm)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    received = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = _check_announced(response, max_bytes)
        read = getattr(response, "read1", response.read)  # read1: what has arrived
        while chunk := read(CHUNK_SIZE):
            received += len(chunk)
            if max_bytes is not None and received > max_bytes:
                raise _GaveUp(f"received more than the cap of {max_bytes} bytes")
            out.write(chunk)
            digest.update(chunk)
            if time.monotonic() - start > deadline:
                raise _GaveUp(f"gave up after the {deadline:g}-s deadline "
                              f"({received} bytes received)")
    if length is not None and received != length:
        raise OSError(f"connection closed after {received} of {length} bytes")
    return digest.hexdigest()


def remove_stale_parts(destination, older_than):
    """Delete ``.<name>.<random>.part`` files beside ``destination`` unchanged for
    more than ``older_than`` seconds (left by killed downloads; a live one writes)."""
    destination = Path(destination)
    pattern = re.compile(re.escape(f".{destination.name}.") + PART_RANDOM + r"\.part")
    now = time.time()
    for entry in os.scandir(destination.parent):
        if not (pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime > older_than:
                os.remove(entry.path)
        except FileNotFoundError:  # removed meanwhile by another process
            pass


def _attempt(url, destination, checksum, timeout, deadline, max_bytes):
    """One URL into a temporary file, renamed onto ``destination`` if the checksum matches."""
    algorithm, expected = checksum
    fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part",
                               dir=destination.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            actual = _fetch(url, out, algorithm, timeout, deadline, max_bytes)
        if expected is not None and actual != expected.lower():
            raise _GaveUp(f"{algorithm} mismatch, expected {expected}, got {actual}")
        os.replace(tmp, destination)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def download_file(urls, destination, checksum=None, timeout=DEFAULT_TIMEOUT,
                  deadline=DEFAULT_DEADLINE, max_bytes=None):
    """Download the first of ``urls`` that works into ``destination``.

    ``checksum`` is ``(algorithm, hexdigest)``, e.g. ``("sha256", "44...")``,
    or None to skip verification. ``timeout``, ``deadline`` (seconds) and
    ``max_bytes`` limit each attempt (see the module docstring). A mirror that
    fails or delivers the wrong bytes is skipped; if all fail, DownloadError
    lists every URL and why, on one line. Returns the destination as a Path.
    """
    destination = Path(destination)
    urls = [urls] if isinstance(urls, str) else list(urls)
    if not urls:
        raise ValueError("download_file needs at least one URL")
    checksum = checksum if checksum else ("sha256", None)
    hashlib.new(checksum[0])  # raises ValueError for an unknown algorithm now
    timeout = min(timeout, deadline)  # no single read may outlast the deadline
    destination.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(destination, older_than=deadline + timeout)
    failures = []
    for url in urls:
        try:
            _attempt(url, destination, checksum, timeout, deadline, max_bytes)
            return destination
        except (_GaveUp, OSError, ValueError, http.client.HTTPException) as err:
            # URLError, HTTPError, timeouts, refused connections, bad URLs, our limits
            failures.append(f"{url}: {_reason(err, timeout)}")
    raise DownloadError(f"could not download {destination.name} into "
                        f"{destination.parent} ({'; '.join(failures)})")
