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

How it is read. A checkpoint may come from someone else, so reading it is
bounded and checked before anything large is unpacked or allocated
(``load_checkpoint``):

1. from the zip's directory alone: every member is ``meta.npy``,
   ``model/<name>.npy`` or ``state/<n>.npy``, and all of them together unpack
   to at most ``max_bytes`` (MAX_CHECKPOINT_BYTES by default);
2. the metadata (at most MAX_META_BYTES) is parsed, then the .npy header of
   every array: plain numbers only (no object arrays, so no pickle and no
   code run), and header length + shape x itemsize must equal the member's
   size in the zip;
3. the metadata's fields are checked, each against the type it must have
   (``_check_meta``), and every array reference against the members;
4. only then is the data read, in chunks, into arrays allocated from the
   checked headers; zipfile checks each member's CRC at its end.

``load_model`` also compares the model's array names, shapes and dtypes with
the headers before step 4, and the trainer checks the optimizer and random
states before resuming (``check_resumable``). Every problem is one
CheckpointError naming the file and what is wrong.

How it is written. ``save_checkpoint`` writes to a temporary file in the same
directory, flushes it to disk (fsync) and renames it over the target with
``os.replace``, which is atomic: a crash at any moment leaves either the old
complete file or the new complete file, never half of one.
"""
import contextlib
import json
import math
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .models import ConfigError, build_model, get_model_class
from .models.base import resolve_config

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
MAX_CHECKPOINT_BYTES = 4 * 2**30   # all members together, unpacked (the max_bytes default)
MAX_META_BYTES = 64 * 2**20        # the metadata member, unpacked
_MEMBER = re.compile(r"meta|model/[\w.]+|state/\d+")  # member names, without '.npy'
_NUMBER_KINDS = "biufc"            # bool, int, uint, float, complex: no objects, no records
_CHUNK = 2**20                     # bytes unpacked at a time
_META_FIELDS = {                   # field -> what it may decode to
    "model": (str,), "config": (dict,), "optimizer": (dict, type(None)),
    "scheduler": (dict, type(None)), "rng": (dict,), "history": (list,), "settings": (dict,),
}


class _Header(NamedTuple):
    """The .npy header of a member: the array's shape and dtype, and where its data starts."""
    shape: tuple
    dtype: np.dtype
    fortran_order: bool
    offset: int


def load_checkpoint(path, model_name=None, max_bytes=MAX_CHECKPOINT_BYTES):
    """Read a checkpoint written by ``save_checkpoint``.

    model_name: if given, the checkpoint must hold that model.
    max_bytes: the most its members may take once unpacked, all together.
    Raises FileNotFoundError (no such file) or CheckpointError (not a
    checkpoint, a damaged one, a newer format, or another model).
    """
    with _open_checkpoint(path, max_bytes) as archive:
        archive.check_model_name(model_name)
        return archive.checkpoint()


def load_model(path, model_name=None, max_bytes=MAX_CHECKPOINT_BYTES):
    """(model, checkpoint): the model rebuilt from a checkpoint, in eval mode.

    The model is built from the metadata, and the names, shapes and dtypes of
    its arrays are compared with the file's .npy headers before any array data
    is read: a checkpoint that does not fit is a CheckpointError.
    """
    with _open_checkpoint(path, max_bytes) as archive:
        archive.check_model_name(model_name)
        model = _build_model(archive.path, archive.meta["model"], _decode(archive.meta["config"], {}))
        check_model_state(archive.path, archive.model_headers(), model)
        checkpoint = archive.checkpoint()
    model.load_state_dict(checkpoint.model_state)
    model.eval()
    return model, checkpoint


@contextlib.contextmanager
def _open_checkpoint(path, max_bytes):
    """The checkpoint at ``path`` as an _Archive (metadata and headers read), closed on exit."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as err:
        raise CheckpointError(f"{path} is not a checkpoint "
                              f"(cannot read it as .npz: {_one_line(err)})") from None
    with zf:
        yield _Archive(path, zf, max_bytes)


class _Archive:
    """An open checkpoint file whose member names, metadata and array headers
    have been read and checked, and whose array data has not been read yet."""

    def __init__(self, path, zf, max_bytes):
        self.path, self.zf = path, zf
        self.infos = _member_infos(path, zf, max_bytes)
        self.meta = self.read_meta()
        self.headers = {key: self.read_header(key) for key in self.infos if key != "meta"}
        _check_meta(path, self.meta, self.headers)

    @contextlib.contextmanager
    def member(self, key):
        """The member ``key`` opened for reading; a failure to read it is a CheckpointError."""
        try:
            with self.zf.open(self.infos[key]) as f:
                yield f
        except CheckpointError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError,
                ValueError, OverflowError) as err:
            raise CheckpointError(f"{self.path}: member {key}.npy cannot be read: {_one_line(err)}") from None

    def read_header(self, key, kinds=_NUMBER_KINDS):
        """The checked _Header of member ``key`` (only its first bytes are unpacked)."""
        with self.member(key) as f:
            return _read_header(f, self.path, self.infos[key], kinds)

    def read_array(self, key):
        """The array of member ``key``, read after its header."""
        header = self.headers[key]
        with self.member(key) as f:
            f.read(header.offset)
            return _read_data(f, header, f"{self.path}: member {key}.npy")

    def read_meta(self):
        """The metadata as parsed JSON; its size is checked before it is unpacked."""
        size = self.infos["meta"].file_size
        if size > MAX_META_BYTES:
            raise CheckpointError(f"{self.path}: member meta.npy unpacks to {size} bytes, more than "
                                  f"the limit of {MAX_META_BYTES}")
        with self.member("meta") as f:
            header = _read_header(f, self.path, self.infos["meta"], kinds="U")
            if header.shape != ():
                raise CheckpointError(f"{self.path}: member meta.npy must hold one string, "
                                      f"not an array of shape {header.shape}")
            text = _read_data(f, header, f"{self.path}: member meta.npy").item()
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            raise CheckpointError(f"{self.path} is not a checkpoint (its metadata is not JSON)") from None

    def check_model_name(self, model_name):
        """Raise CheckpointError unless the checkpoint holds ``model_name`` (None: any model)."""
        if model_name is not None and self.meta["model"] != model_name:
            raise CheckpointError(f"{self.path}: checkpoint holds model {self.meta['model']!r}, "
                                  f"you asked for {model_name!r}")

    def model_headers(self):
        """name -> _Header of every model array ('encoder.0.weight' for model/encoder.0.weight)."""
        return {key[len("model/"):]: h for key, h in self.headers.items() if key.startswith("model/")}

    def checkpoint(self):
        """The Checkpoint, every array read (each member once)."""
        arrays = {key: self.read_array(key) for key in self.headers}
        meta, decoded = self.meta, {name: _decode(self.meta[name], arrays) for name in _META_FIELDS}
        return Checkpoint(
            model_name=meta["model"],
            model_config=decoded["config"],
            model_state={key[len("model/"):]: a for key, a in arrays.items() if key.startswith("model/")},
            epoch=meta["epoch"],
            optimizer_state=decoded["optimizer"],
            scheduler_state=decoded["scheduler"],
            rng_state=decoded["rng"],
            history=decoded["history"],
            settings=decoded["settings"],
            path=self.path,
        )


def _member_infos(path, zf, max_bytes):
    """key -> ZipInfo of every member ('model/x' for 'model/x.npy'), checked from the zip's
    directory alone, before anything is unpacked: metadata present, no unknown or repeated
    names, and at most ``max_bytes`` unpacked in all."""
    infos = {}
    if "meta.npy" not in zf.namelist():
        raise CheckpointError(f"{path} is not a checkpoint (an .npz file without checkpoint metadata)")
    for info in zf.infolist():
        key = info.filename.removesuffix(".npy")
        if key == info.filename or not _MEMBER.fullmatch(key):
            raise CheckpointError(f"{path}: member {info.filename!r} is not part of a checkpoint "
                                  "(expected meta.npy, model/<name>.npy or state/<n>.npy)")
        if key in infos:
            raise CheckpointError(f"{path}: member {info.filename!r} appears twice")
        infos[key] = info
    total = sum(info.file_size for info in infos.values())
    if total > max_bytes:
        raise CheckpointError(f"{path}: its members unpack to {total} bytes, more than the limit "
                              f"of {max_bytes}")
    return infos


def _read_header(f, path, info, kinds):
    """The _Header at the start of the open member ``f``, checked: a dtype of one of ``kinds``
    (never objects, so never pickle) and exactly as much data as the zip says the member holds."""
    where = f"{path}: member {info.filename}"
    version = np.lib.format.read_magic(f)
    read = {(1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if read is None:
        raise CheckpointError(f"{where} is a .npy file of version {version}, not 1.0 or 2.0")
    shape, fortran_order, dtype = read(f)
    if dtype.kind not in kinds or dtype.hasobject or dtype.fields is not None:
        raise CheckpointError(f"{where} holds dtype {dtype}; a checkpoint holds only plain numbers")
    if any(n < 0 for n in shape):
        raise CheckpointError(f"{where} has a negative shape {shape}")
    offset = f.tell()
    size = offset + math.prod(shape) * dtype.itemsize
    if size != info.file_size:
        raise CheckpointError(f"{where}: its header describes {dtype} {shape} ({size} bytes with the "
                              f"header) but the member holds {info.file_size} bytes")
    return _Header(shape, dtype, fortran_order, offset)


def _read_data(f, header, where):
    """The array described by ``header``, read from ``f`` (just past the header) into a new array
    in chunks; reading to the member's end makes zipfile check its CRC."""
    shape = header.shape[::-1] if header.fortran_order else header.shape
    array = np.empty(shape, header.dtype)
    flat = array.reshape(-1).view(np.uint8)
    done = 0
    while done < flat.size:
        chunk = f.read(min(_CHUNK, flat.size - done))
        if not chunk:
            raise CheckpointError(f"{where} ends after {done} of its {flat.size} data bytes")
        flat[done:done + len(chunk)] = np.frombuffer(chunk, np.uint8)
        done += len(chunk)
    if f.read(1):
        raise CheckpointError(f"{where} holds more data than its header describes")
    array = array.T if header.fortran_order else array
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def _check_meta(path, meta, headers):
    """Raise CheckpointError (naming the file and the field) unless ``meta`` is checkpoint
    metadata this code reads: the format tag, an int version up to VERSION, an int epoch >= 0,
    every field of _META_FIELDS of the type it decodes to, a history of dicts, and every array
    reference pointing at a member ('config' holds none)."""
    def fail(field, problem):
        raise CheckpointError(f"{path}: metadata field {field!r} {problem}")

    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a checkpoint (metadata format is not {FORMAT!r})")
    version, epoch = meta.get("version"), meta.get("epoch")
    if not _is_int(version) or version < 1:
        fail("version", f"must be an int >= 1, got {version!r}")
    if version > VERSION:
        raise CheckpointError(f"{path} is a version {version} checkpoint; this code reads "
                              f"up to version {VERSION}")
    if not _is_int(epoch) or epoch < 0:
        fail("epoch", f"must be an int >= 0, got {epoch!r}")
    for name, types in _META_FIELDS.items():
        if name not in meta:
            fail(name, "is missing")
        if _decoded_type(meta[name]) not in types:
            fail(name, f"must be {' or '.join(t.__name__ for t in types)}, got {meta[name]!r:.60}")
        try:
            references = _references(meta[name], headers)
        except LookupError as err:
            fail(name, str(err))
        except RecursionError:
            fail(name, "is nested too deeply")
        if name == "config" and references:
            fail(name, "holds arrays; a model config is plain values")
    if not all(_decoded_type(record) is dict for record in meta["history"]):
        fail("history", "must be a list of dicts (one per epoch)")
    if "__items__" in meta["config"]:
        fail("config", "must map option names (strings) to values")


def _decoded_type(value):
    """The type ``_decode`` makes of the JSON value ``value``."""
    if isinstance(value, dict):
        tags = {"__array__": np.ndarray, "__scalar__": np.generic, "__tuple__": tuple}
        return next((kind for tag, kind in tags.items() if tag in value), dict)
    return type(value)


def _references(value, headers):
    """The set of array keys the JSON value ``value`` refers to; LookupError (saying which)
    for a reference to no member, a scalar that is not 0-d, or a malformed tag."""
    if isinstance(value, list):
        return set().union(*(_references(v, headers) for v in value))
    if not isinstance(value, dict):
        return set()
    for tag in ("__array__", "__scalar__"):
        if tag in value:
            key = value[tag]
            if not isinstance(key, str) or not key.startswith("state/") or key not in headers:
                raise LookupError(f"refers to array {key!r}, which the file does not hold")
            if tag == "__scalar__" and headers[key].shape != ():
                raise LookupError(f"refers to {key!r} as a scalar, but it has shape {headers[key].shape}")
            return {key}
    if "__tuple__" in value:
        return _references(_expect_list(value["__tuple__"], "__tuple__"), headers)
    if "__items__" in value:
        return set().union(*(_references(_item(pair), headers) for pair in
                             _expect_list(value["__items__"], "__items__")))
    return _references(list(value.values()), headers)


def _expect_list(value, tag):
    """``value``, or LookupError if a tag's value is not a list."""
    if not isinstance(value, list):
        raise LookupError(f"holds a {tag} tag whose value is not a list")
    return value


def _item(pair):
    """One [key, value] pair of an __items__ tag, checked; its key must decode to a hashable scalar."""
    if not (isinstance(pair, list) and len(pair) == 2):
        raise LookupError("holds an __items__ entry that is not a [key, value] pair")
    if _decoded_type(pair[0]) not in (str, int, float, bool, type(None), np.generic):
        raise LookupError(f"holds a dict key {pair[0]!r:.60} that is not a number or a string")
    return pair


def _is_int(value):
    """True for a Python or NumPy integer, False for a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _one_line(err):
    """The first line of an exception's message."""
    lines = str(err).splitlines()
    return lines[0] if lines else type(err).__name__


# ----- checking a checkpoint against a model, an optimizer, a training run ---------------
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
