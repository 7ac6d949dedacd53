"""A run folder belongs to one training run at a time.

``claim_run_folder(path, fresh, overwrite)`` is held for as long as a run
writes to its folder. On entry it

1. refuses a path that is a file, or a folder that cannot be written;
2. locks the folder: an exclusive ``flock`` on ``.lock`` (its text is the
   owner's process id). A second run into the same folder gets
   ``RunFolderError`` naming that process instead of interleaving its
   checkpoints and metrics with the first. The operating system drops the
   lock when the process ends, however it ends, so a killed run never leaves
   a folder locked;
3. refuses to start a new run (``fresh``) in a folder that already holds one
   (a checkpoint or a metrics file), unless ``overwrite``: then the old run's
   files are removed first, so the folder never mixes two runs;
4. removes the temporary files a killed checkpoint write left behind
   (``.last.npz.<random>.tmp``); with the lock held no live writer owns them.
"""
import contextlib
import errno
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOCK = ".lock"
RUN_FILES = ("last.npz", "best.npz", "metrics.jsonl")
FIGURES = ("loss_curves.png", "reconstructions.png", "codes.png", "samples.png")


class RunFolderError(Exception):
    """The run folder cannot be used; the message says why, in one line."""


def holds_run(folder):
    """True if ``folder`` has a checkpoint or a metrics file of a run."""
    return any((Path(folder) / name).exists() for name in RUN_FILES)


def stale_temporary_files(folder):
    """Leftovers of interrupted atomic writes (checkpoint.writing.write_atomically names them so)."""
    return sorted(p for p in Path(folder).glob(".*.tmp") if p.is_file())


@contextlib.contextmanager
def claim_run_folder(folder, fresh=True, overwrite=False):
    """Hold ``folder`` for one run (see the module docstring); yields its Path."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RunFolderError(f"{folder} is a file, not a folder; choose another --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK, "a+")
    except OSError as err:
        raise RunFolderError(f"cannot write to {folder}: {err.strerror or err}") from None
    try:
        _lock(handle, folder)
        if fresh and holds_run(folder):
            if not overwrite:
                raise RunFolderError(
                    f"{folder} already holds a run; continue it with --resume, replace it with "
                    "--overwrite, or choose another --out")
            for name in RUN_FILES + FIGURES:
                (folder / name).unlink(missing_ok=True)
        for path in stale_temporary_files(folder):
            path.unlink(missing_ok=True)
        yield folder
    finally:
        handle.close()  # closing the file releases the lock


def _lock(handle, folder):
    """Take the exclusive lock on the open ``.lock`` file and write our pid into it."""
    if fcntl is not None:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise RunFolderError(f"cannot lock {folder / LOCK}: {err.strerror}") from None
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            raise RunFolderError(f"{folder} is in use by another training run (process {owner}); "
                                 "wait for it to end or choose another --out") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
