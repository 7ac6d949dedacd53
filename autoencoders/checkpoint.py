"""Checkpoints: one .npz file per snapshot, safe to load, written atomically.

What is inside. A checkpoint is a NumPy ``.npz`` archive (a zip of ``.npy``
arrays) holding

* ``model/<name>`` for each array of ``model.state_dict()``
  (e.g. ``model/encoder.0.weight``);
* ``meta``: a 0-d string array holding one JSON document with everything else:
  the format tag, the model name and config, the epoch, the optimizer and
  scheduler states, the random-number states, the metrics history and the
  training settings;
* ``state/<n>`` for arrays found inside that JSON-side state (the optimizer's
  moment estimates, for instance); the JSON holds ``{"__array__": "state/<n>"}``
  where the array was.

No pickle anywhere: ``np.load(..., allow_pickle=False)`` refuses object arrays,
so opening a checkpoint from someone else cannot run their code.

How it is written. ``save_checkpoint`` writes to a temporary file in the same
directory, flushes it to disk (fsync) and renames it over the target with
``os.replace``, which is atomic: a crash at any moment leaves either the old
complete file or the new complete file, never half of one.
"""
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT = "minigrad-autoencoder-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint (message says which and why)."""


@dataclass
class Checkpoint:
    """The contents of a checkpoint file, as ``load_checkpoint`` returns them."""
    model_name: str
    model_config: dict
    model_state: dict                  # name -> ndarray, for model.load_state_dict
    epoch: int = 0                     # epochs completed
    optimizer_state: object = None     # optimizer.state_dict()
    scheduler_state: object = None     # scheduler.state_dict(), or None
    rng_state: dict = field(default_factory=dict)
    history: list = field(default_factory=list)   # one dict of metrics per epoch
    settings: dict = field(default_factory=dict)  # the training settings of the run
    path: Path = None


# ----- nested states <-> JSON + arrays ---------------------------------------------
def _encode(value, arrays):
    """``value`` as JSON-ready data, moving every ndarray into ``arrays``.

    Dicts whose keys are not all strings (an optimizer's state keyed by
    parameter index), tuples and NumPy scalars are tagged so that ``_decode``
    gives back the same types.
    """
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("cannot store an object array in a checkpoint")
        key = f"state/{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, np.generic):
        key = f"state/{len(arrays)}"
        arrays[key] = np.asarray(value)
        return {"__scalar__": key}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: _encode(v, arrays) for k, v in value.items()}
        return {"__items__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a checkpoint")


def _decode(value, archive):
    """The inverse of ``_encode``; ``archive`` maps array keys to arrays."""
    if isinstance(value, list):
        return [_decode(v, archive) for v in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        return archive[value["__array__"]]
    if "__scalar__" in value:
        return archive[value["__scalar__"]][()]
    if "__tuple__" in value:
        return tuple(_decode(v, archive) for v in value["__tuple__"])
    if "__items__" in value:
        return {_decode(k, archive): _decode(v, archive) for k, v in value["__items__"]}
    return {k: _decode(v, archive) for k, v in value.items()}


# ----- writing ------------------------------------------------------------------------
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


# ----- reading ------------------------------------------------------------------------
def load_checkpoint(path, model_name=None):
    """Read a checkpoint written by ``save_checkpoint``.

    model_name: if given, the checkpoint must hold that model.
    Raises FileNotFoundError (no such file) or CheckpointError (not a
    checkpoint, a newer format, or another model).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise CheckpointError(f"{path} is not a checkpoint (cannot read it as .npz: {err})") from None
    if "meta" not in arrays:
        raise CheckpointError(f"{path} is not a checkpoint (an .npz file without checkpoint metadata)")
    try:
        meta = json.loads(str(arrays["meta"]))
    except ValueError:
        raise CheckpointError(f"{path} is not a checkpoint (its metadata is not JSON)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a checkpoint (metadata format is not {FORMAT!r})")
    if meta.get("version", 0) > VERSION:
        raise CheckpointError(f"{path} is a version {meta['version']} checkpoint; this code reads "
                              f"up to version {VERSION}")
    if model_name is not None and meta["model"] != model_name:
        raise CheckpointError(f"checkpoint holds model {meta['model']!r}, you asked for {model_name!r}")
    model_state = {key[len("model/"):]: arrays[key] for key in arrays if key.startswith("model/")}
    return Checkpoint(
        model_name=meta["model"],
        model_config=_decode(meta["config"], arrays),
        model_state=model_state,
        epoch=meta["epoch"],
        optimizer_state=_decode(meta["optimizer"], arrays),
        scheduler_state=_decode(meta["scheduler"], arrays),
        rng_state=_decode(meta["rng"], arrays),
        history=_decode(meta["history"], arrays),
        settings=_decode(meta["settings"], arrays),
        path=path,
    )


def load_model(path, model_name=None):
    """(model, checkpoint): the model rebuilt from a checkpoint, in eval mode."""
    from .models import build_model

    checkpoint = load_checkpoint(path, model_name)
    model = build_model(checkpoint.model_name, **checkpoint.model_config)
    try:
        model.load_state_dict(checkpoint.model_state)
    except (KeyError, ValueError) as err:
        raise CheckpointError(f"{path}: the weights do not fit model {checkpoint.model_name!r}: "
                              f"{err}") from None
    model.eval()
    return model, checkpoint
