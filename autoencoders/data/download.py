"""Download one file from a list of mirrors, verify its checksum, store it atomically.

The bytes go to a hidden temporary file in the destination's directory; only
after the checksum matches is it renamed onto the final name with
``os.replace`` (atomic on one file system). On any failure the temporary
file is deleted, so the directory never holds a half-written or corrupt file
under the real name. Uses only the standard library (urllib).
"""

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_TIMEOUT = 30.0  # seconds, per connection attempt and per read
USER_AGENT = "minigrad-data/0.1 (Python urllib)"
CHUNK_SIZE = 1 << 20


class DownloadError(OSError):
    """No mirror delivered the file with the expected checksum."""


def file_digest(path, algorithm="sha256"):
    """Hex digest of a file's bytes, e.g. ``file_digest(p, "md5")``."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _reason(err, timeout):
    """A one-line human reason for a failed request."""
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(err, urllib.error.URLError):
        return f"{err.reason}"
    return f"{type(err).__name__}: {err}"


def _fetch(url, out, algorithm, timeout):
    """Stream ``url`` into the open file ``out``; return the hex digest."""
    digest = hashlib.new(algorithm)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    received = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        for chunk in iter(lambda: response.read(CHUNK_SIZE), b""):
            out.write(chunk)
            digest.update(chunk)
            received += len(chunk)
    if length is not None and received != int(length):
        raise OSError(f"connection closed after {received} of {length} bytes")
    return digest.hexdigest()


def download_file(urls, destination, checksum=None, timeout=DEFAULT_TIMEOUT):
    """Download the first of ``urls`` that works into ``destination``.

    ``checksum`` is ``(algorithm, hexdigest)``, e.g. ``("sha256", "44...")``,
    or None to skip verification. A mirror that fails or delivers the wrong
    bytes is skipped; if all fail, DownloadError lists every URL and why.
    Returns the destination as a Path.
    """
    destination = Path(destination)
    urls = [urls] if isinstance(urls, str) else list(urls)
    if not urls:
        raise ValueError("download_file needs at least one URL")
    algorithm, expected = checksum if checksum else ("sha256", None)
    hashlib.new(algorithm)  # raises ValueError for an unknown algorithm now
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part",
                                   dir=destination.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                actual = _fetch(url, out, algorithm, timeout)
            if expected is not None and actual != expected.lower():
                failures.append(f"{url}: {algorithm} mismatch, expected {expected}, "
                                f"got {actual}")
                continue
            os.replace(tmp, destination)
            return destination
        except (OSError, ValueError, http.client.HTTPException) as err:
            # URLError, HTTPError, timeouts, refused connections, bad URLs
            failures.append(f"{url}: {_reason(err, timeout)}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    tried = "\n".join(f"  - {line}" for line in failures)
    raise DownloadError(f"could not download {destination.name}; tried:\n{tried}")
