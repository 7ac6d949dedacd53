"""The whole state of an M2 training run, saved after every epoch, so that a stopped run goes on
from its last finished epoch and ends exactly as a run that never stopped.

    save_run(path, key, parts, history)     after an epoch: atomically, never a non-finite weight
    load_run(path, key, parts)  -> history  or None when there is no file, or one of another run

``parts`` (a RunParts) holds what changes during training and what a resumed run must get back:

    model       the weights
    optimizer   Adam's moments and step count
    scheduler   the position of the learning-rate schedule (or None)
    rng         numpy's generator: batch order, labelled cycle, code noise
    cycle       the LabelledCycle: its current order and place in it

and minigrad's generator (the eps of the bounds), which is global. ``key`` names the run: its
arguments and a digest of its data. A file made by another run (other settings, other data,
another draw) is not loaded; the first saved epoch of the new run replaces it.
"""
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import minigrad as mg

from ..checkpoint import CheckpointError


@dataclass
class RunParts:
    model: object
    optimizer: object
    scheduler: object
    rng: np.random.Generator
    cycle: object


def data_digest(*arrays):
    """A short sha256 of the arrays' shapes, dtypes and bytes (None entries are skipped)."""
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            continue
        a = np.ascontiguousarray(a)
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(a.data)
    return h.hexdigest()[:16]


def _key_text(key):
    return json.dumps(key, sort_keys=True, default=str)


def save_run(path, key, parts, history):
    """Write the state after the epochs of ``history`` to ``path`` (atomically: a crash leaves
    the previous epoch's file). Refuses, with FloatingPointError, weights that are not finite."""
    state = parts.model.state_dict()
    bad = [name for name, value in state.items() if not np.all(np.isfinite(value))]
    if bad:
        raise FloatingPointError(f"M2: parameter {bad[0]} is not finite after epoch "
                                 f"{len(history)}; the run state was not saved")
    mg.save({"key": _key_text(key), "model": state,
             "optimizer": parts.optimizer.state_dict(),
             "scheduler": None if parts.scheduler is None else parts.scheduler.state_dict(),
             "numpy_rng": json.dumps(parts.rng.bit_generator.state),
             "minigrad_rng": json.dumps(mg.random.get_state()),
             "cycle": {"order": parts.cycle.order, "at": parts.cycle.at},
             "history": history}, path)


def load_run(path, key, parts):
    """Put the state saved at ``path`` into ``parts`` (and minigrad's generator) and return the
    history of the epochs it holds; None, changing nothing, if there is no file or it belongs
    to another run. An unreadable file is a CheckpointError naming it."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        saved = mg.load(path)
    except Exception as error:       # a damaged file: say which, do not guess
        raise CheckpointError(f"{path}: unreadable M2 run state ({error}); delete it to start that "
                         "draw again") from None
    if saved.get("key") != _key_text(key):
        return None
    parts.model.load_state_dict(saved["model"])
    parts.optimizer.load_state_dict(saved["optimizer"])
    if parts.scheduler is not None:
        parts.scheduler.load_state_dict(saved["scheduler"])
    parts.rng.bit_generator.state = json.loads(saved["numpy_rng"])
    mg.random.set_state(json.loads(saved["minigrad_rng"]))
    parts.cycle.order = np.asarray(saved["cycle"]["order"], dtype=np.int64)
    parts.cycle.at = int(saved["cycle"]["at"])
    return list(saved["history"])
