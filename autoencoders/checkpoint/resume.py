"""Checking a checkpoint against a model, its optimizers and a training run.

A checkpoint that reads cleanly (reading.py) may still not fit what it is to
be loaded into. ``check_model_state`` compares the names, shapes and dtypes of
the model's arrays with the checkpoint's (``load_model`` calls it on the .npy
headers, before any array data is read). Before resuming, the trainer checks
the optimizer and random states too (``check_resumable``) and the saved
training settings (``load_settings``); ``pack_optimizer_states`` and
``unpack_optimizer_states`` put one optimizer's state, or several (a GAN's
two), into the checkpoint's 'optimizer' field and back. Every problem is one
CheckpointError naming the file and what is wrong.
"""
from dataclasses import fields

import numpy as np

from ..models import ConfigError, build_model, get_model_class
from ..models.base import resolve_config
from .format import CheckpointError, _is_int, _one_line


def _build_model(path, name, config):
    """The model ``name`` built with ``config``, or CheckpointError naming the file."""

    try:
        return build_model(name, **config)
    except ConfigError as err:
        raise CheckpointError(f"{path}: metadata fields 'model' and 'config' do not make a model: "
                              f"{_one_line(err)}") from None


def check_model_state(path, state, model):
    """Raise CheckpointError unless ``state`` (name -> array, or anything with .shape and
    .dtype) has exactly the names, shapes and dtypes of ``model.state_dict()``. Dtypes must be
    equal: float64 weights for a float32 model, complex or integer ones are refused, not cast."""
    wanted = model.state_dict()
    # BatchNorm's step counter arrived after the first checkpoints; without it loading restarts
    # the count (it only matters for momentum=None), as PyTorch's load_state_dict allows too
    missing = [name for name in wanted if name not in state and not name.endswith(".num_batches_tracked")]
    unexpected = [name for name in state if name not in wanted]
    if missing:
        raise CheckpointError(f"{path}: model array {missing[0]!r} is missing ({len(missing)} of "
                              f"the {len(wanted)} arrays of model {model.name!r} are)")
    if unexpected:
        raise CheckpointError(f"{path}: model array {unexpected[0]!r} is not an array of model "
                              f"{model.name!r} ({len(unexpected)} such arrays)")
    for name, array in wanted.items():
        if name not in state:
            continue
        found = state[name]
        shape, dtype = tuple(found.shape), np.dtype(found.dtype).newbyteorder("=")
        if shape != array.shape or dtype != array.dtype:
            raise CheckpointError(f"{path}: model array {name!r} does not fit model {model.name!r}: "
                                  f"the checkpoint has {dtype} {shape}, "
                                  f"the model {array.dtype} {array.shape}")


def pack_optimizer_states(states):
    """The 'optimizer' field of a checkpoint from ``states``, a dict training phase name ->
    optimizer state_dict: a single optimizer's state as it is (every autoencoder), several
    (a GAN's discriminator and generator) as {"phases": {name: state}}."""
    if len(states) == 1:
        return next(iter(states.values()))
    return {"phases": dict(states)}


def unpack_optimizer_states(saved):
    """The inverse of ``pack_optimizer_states``: a dict phase name -> optimizer state, with a
    single optimizer's state under the name None."""
    if isinstance(saved, dict) and "phases" in saved:
        return saved["phases"]
    return {None: saved}


def check_resumable(checkpoint, model, optimizers):
    """Raise CheckpointError (naming the file and what is wrong) unless the checkpoint's model
    arrays, optimizer states, random state and history can be put into ``model`` and
    ``optimizers`` (a dict training phase name -> optimizer, or one optimizer) and trained on
    from there."""
    path = checkpoint.path
    check_model_state(path, checkpoint.model_state, model)
    if not isinstance(optimizers, dict):
        optimizers = {None: optimizers}
    saved = unpack_optimizer_states(checkpoint.optimizer_state)
    if len(optimizers) == 1 and isinstance(saved, dict) and len(saved) == 1:
        _check_optimizer_state(path, next(iter(saved.values())), next(iter(optimizers.values())))
    elif not isinstance(saved, dict) or set(saved) != set(optimizers):
        raise CheckpointError(f"{path}: metadata field 'optimizer' must hold the optimizer states of "
                              f"the training phases {', '.join(map(str, optimizers))}")
    else:
        for name, optimizer in optimizers.items():
            _check_optimizer_state(path, saved[name], optimizer, f" (training phase {name!r})")
    _check_rng_state(path, checkpoint.rng_state)
    for record in checkpoint.history:  # the trainer picks the best epoch by val_loss
        if "val_loss" not in record or not (record["val_loss"] is None or _is_number(record["val_loss"])):
            raise CheckpointError(f"{path}: metadata field 'history' has a record without a val_loss "
                                  f"(a number or None): {record!r:.60}")


def load_settings(checkpoint, settings_class):
    """``settings_class.from_dict(checkpoint.settings)``, checked: every saved setting has the
    type of its default (a str or None where the default is None), the settings pass their
    ``check()`` and the model options resolve. CheckpointError naming the file otherwise."""

    path, template = checkpoint.path, settings_class()
    defaults = {f.name: getattr(template, f.name) for f in fields(template)}
    for name, value in checkpoint.settings.items():
        if name in defaults and not _same_kind(value, defaults[name]):
            raise CheckpointError(f"{path}: setting {name!r} must be like {defaults[name]!r}, "
                                  f"got {value!r:.60}")
    settings = settings_class.from_dict(checkpoint.settings)
    try:
        settings.check()
        resolve_config(settings.model, get_model_class(settings.model).options, settings.model_config)
    except ConfigError as err:
        raise CheckpointError(f"{path}: metadata field 'settings': {_one_line(err)}") from None
    return settings


def _check_optimizer_state(path, saved, optimizer, phase=""):
    """Raise CheckpointError unless ``saved`` is a state_dict of ``optimizer``'s kind: as many
    groups and parameters, options of the same types, and per-parameter state made of
    numbers, None and arrays of that parameter's shape and dtype. ``phase``: words naming the
    training phase in the message."""
    where = f"{path}: metadata field 'optimizer'{phase}"
    if not (isinstance(saved, dict) and isinstance(saved.get("state"), dict)
            and isinstance(saved.get("param_groups"), list)):
        raise CheckpointError(f"{where} must hold 'state' (a dict) and 'param_groups' (a list)")
    groups = optimizer.param_groups
    if len(saved["param_groups"]) != len(groups):
        raise CheckpointError(f"{where} has {len(saved['param_groups'])} parameter groups, "
                              f"the optimizer {len(groups)}")
    for i, (group, current) in enumerate(zip(saved["param_groups"], groups)):
        _check_param_group(f"{where}: parameter group {i}", group, current)
    params = [p for group in groups for p in group["params"]]
    for index, entry in saved["state"].items():
        _check_param_state(where, index, entry, params)


def _check_param_group(where, saved, group):
    """Raise CheckpointError unless the saved group lists as many parameters as ``group`` and
    each option the two share has the same type."""
    n = len(group["params"])
    if not (isinstance(saved, dict) and isinstance(saved.get("params"), list) and len(saved["params"]) == n):
        raise CheckpointError(f"{where} must be a dict listing {n} parameters")
    for key, value in saved.items():
        if key != "params" and key in group and not _same_kind(value, group[key]):
            raise CheckpointError(f"{where}: option {key!r} must be like {group[key]!r}, got {value!r:.60}")


def _check_param_state(where, index, entry, params):
    """Raise CheckpointError unless ``entry`` is the state of an existing parameter, made of
    numbers, None and arrays of that parameter's shape and dtype."""
    if not (_is_int(index) and 0 <= index < len(params)):
        raise CheckpointError(f"{where} has state for parameter {index!r}; the optimizer has "
                              f"parameters 0 to {len(params) - 1}")
    if not isinstance(entry, dict):
        raise CheckpointError(f"{where}: the state of parameter {index} must be a dict")
    p = params[index]
    for key, value in entry.items():
        if isinstance(value, np.ndarray):
            if value.shape != p.shape or value.dtype != p.dtype:
                raise CheckpointError(f"{where}: {key!r} of parameter {index} is {value.dtype} "
                                      f"{value.shape}, the parameter {p.dtype} {p.shape}")
        elif not (value is None or _is_number(value)):
            raise CheckpointError(f"{where}: {key!r} of parameter {index} must be an array, a number "
                                  f"or None, got {value!r:.60}")


def _check_rng_state(path, rng):
    """Raise CheckpointError unless rng['minigrad'] is a state minigrad's generator accepts."""
    try:
        np.random.PCG64().state = rng.get("minigrad")  # minigrad.random draws from a PCG64
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise CheckpointError(f"{path}: metadata field 'rng' holds no usable 'minigrad' random "
                              f"state ({_one_line(err)})") from None


def _same_kind(value, default):
    """True if ``value`` may stand where ``default`` stands: a bool for a bool, an int for an int,
    a number for a float, a str or None for None, a list or tuple of such entries for a tuple,
    otherwise the same type."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return _is_int(value)
    if isinstance(default, float):
        return _is_number(value)
    if default is None:
        return value is None or isinstance(value, str)
    if isinstance(default, (tuple, list)):
        return (isinstance(value, (tuple, list)) and len(value) == len(default)
                and all(_same_kind(v, d) for v, d in zip(value, default)))
    return isinstance(value, type(default))


def _is_number(value):
    """True for a real Python or NumPy number, False for a bool or a complex."""
    return _is_int(value) or isinstance(value, (float, np.floating))
