"""Writing a checkpoint atomically.

``save_checkpoint`` encodes a Checkpoint into the members of the file format
(format.py) and writes them with ``write_atomically``: to a temporary file in
the same directory, flushed to disk (fsync) and renamed over the target with
``os.replace``, which is atomic: a crash at any moment leaves either the old
complete file or the new complete file, never half of one.
"""
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .format import FORMAT, VERSION, _encode


def save_checkpoint(path, checkpoint):
    """Write ``checkpoint`` (a Checkpoint) to ``path`` atomically; return the path."""
    path = Path(path)
    arrays = {}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "model": checkpoint.model_name,
        "config": _encode(checkpoint.model_config, arrays),
        "epoch": int(checkpoint.epoch),
        "optimizer": _encode(checkpoint.optimizer_state, arrays),
        "scheduler": _encode(checkpoint.scheduler_state, arrays),
        "rng": _encode(checkpoint.rng_state, arrays),
        "history": _encode(checkpoint.history, arrays),
        "settings": _encode(checkpoint.settings, arrays),
    }
    for name, array in checkpoint.model_state.items():
        arrays[f"model/{name}"] = np.asarray(array)
    arrays["meta"] = np.array(json.dumps(meta))
    write_atomically(path, lambda f: np.savez(f, **arrays))
    return path


def write_atomically(path, write):
    """Call ``write(file)`` on a temporary file, then move it onto ``path``.

    The temporary file sits in the target's directory (``os.replace`` is only
    atomic within one file system) and is removed if ``write`` fails.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it a normal file's mode
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_directory(path.parent)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
