"""Reading a checkpoint: bounded and validated before anything large is unpacked.

A checkpoint may come from someone else, so reading it is bounded and checked
before anything large is unpacked or allocated (``load_checkpoint``):

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
the headers before step 4 (``check_model_state``, in resume.py). Every
problem is one CheckpointError naming the file and what is wrong.
"""
import contextlib
import json
import math
import re
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .format import FORMAT, VERSION, Checkpoint, CheckpointError, _decode, _is_int, _one_line
from .resume import _build_model, check_model_state
from ..models import saved_config

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
        name = archive.meta["model"]
        model = _build_model(archive.path, name, saved_config(name, _decode(archive.meta["config"], {})))
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
        settings = decoded["settings"]
        if isinstance(settings.get("model_config"), dict):
            settings = {**settings, "model_config": saved_config(meta["model"], settings["model_config"])}
        return Checkpoint(
            model_name=meta["model"],
            model_config=saved_config(meta["model"], decoded["config"]),
            model_state={key[len("model/"):]: a for key, a in arrays.items() if key.startswith("model/")},
            epoch=meta["epoch"],
            optimizer_state=decoded["optimizer"],
            scheduler_state=decoded["scheduler"],
            rng_state=decoded["rng"],
            history=decoded["history"],
            settings=settings,
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
