"""The checkpoint file format: what a checkpoint holds, and nested states <-> JSON + arrays.

A checkpoint is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) holding

* ``model/<name>`` for each array of ``model.state_dict()``
  (e.g. ``model/encoder.0.weight``);
* ``meta``: a 0-d string array holding one JSON document with everything else:
  the format tag, the model name and config, the epoch, the optimizer and
  scheduler states, the random-number states, the metrics history and the
  training settings;
* ``state/<n>`` for arrays found inside that JSON-side state (the optimizer's
  moment estimates, for instance); the JSON holds ``{"__array__": "state/<n>"}``
  where the array was.

This module holds what the others share: the format tag and version
(FORMAT, VERSION), the Checkpoint dataclass (a checkpoint's contents in
memory), CheckpointError, the ``_encode``/``_decode`` pair that turns nested
states into JSON + arrays and back, and two small helpers the checks use
(``_is_int``, ``_one_line``).
"""
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
    optimizer_state: object = None     # optimizer.state_dict() (several: pack_optimizer_states)
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


# ----- helpers of the checks in reading.py and resume.py ----------------------------
def _is_int(value):
    """True for a Python or NumPy integer, False for a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _one_line(err):
    """The first line of an exception's message."""
    lines = str(err).splitlines()
    return lines[0] if lines else type(err).__name__
