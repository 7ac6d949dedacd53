"""Checkpoints: one .npz file per snapshot, safe to load, written atomically.

A checkpoint is a NumPy ``.npz`` archive holding the model's arrays and, in
one JSON document, everything else a training run needs to go on: the model
name and config, the epoch, the optimizer, scheduler and random states, the
metrics history and the training settings. A checkpoint may come from someone
else, so reading it is bounded and checked before anything large is unpacked
or allocated; writing it is atomic, so a crash leaves either the old complete
file or the new one. Every problem is one CheckpointError naming the file and
what is wrong.

One idea per module (arrows point down: writing and resume import format;
reading imports format and resume):

    format.py    the file format: FORMAT, VERSION, the Checkpoint dataclass,
                 CheckpointError, nested states <-> JSON + arrays
    writing.py   save_checkpoint, write_atomically: a temporary file, fsync,
                 then an atomic os.replace
    resume.py    a checkpoint against a model, its optimizers and a training run:
                 check_model_state, check_resumable, load_settings,
                 pack_optimizer_states / unpack_optimizer_states
    reading.py   bounded, validated reading: load_checkpoint, load_model

This package re-exports the names the rest of the code imports from it.
"""
from .format import Checkpoint, CheckpointError
from .reading import MAX_CHECKPOINT_BYTES, load_checkpoint, load_model
from .resume import check_resumable, load_settings, pack_optimizer_states, unpack_optimizer_states
from .writing import save_checkpoint

__all__ = ["Checkpoint", "CheckpointError", "MAX_CHECKPOINT_BYTES", "check_resumable", "load_checkpoint",
           "load_model", "load_settings", "pack_optimizer_states", "save_checkpoint",
           "unpack_optimizer_states"]
