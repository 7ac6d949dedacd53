"""``minigrad.save(obj, f)`` and ``minigrad.load(f)``: state dicts in a NumPy .npz file, without pickle.

``torch.save`` pickles, and unpickling a file runs whatever code it names. Here the file
is an .npz archive, read back with ``np.load(allow_pickle=False)``: it holds arrays only.
One of them, ``__minigrad__``, is a UTF-8 JSON text that records the structure; every
other array is named in it. Each value becomes a JSON node:

    dict, OrderedDict       {"dict": [[key, node], ...]}    keys: str, int, float, bool or None
    list, tuple             {"list": [node, ...]}, {"tuple": [...]}
    ndarray                 {"array": "a3"}                  the archive's array "a3"
    Tensor, Parameter       {"tensor": "a4", "requires_grad": false}   (+ "parameter": true)
    NumPy scalar            {"scalar": "a5"}                 a 0-d array, read back as a scalar
    str, int, float, bool, None     itself (nan and inf included)

so a model's or an optimizer's ``state_dict`` (with its integer keys and tuples) comes back
with the same types. Anything else (other objects, arrays of Python objects) is refused,
naming where it sits. A file is written to a temporary file in the same directory and then
renamed over the target (``os.replace``, atomic): a crash never leaves half a file behind.
"""
import json
import os
import tempfile
from collections import OrderedDict

import numpy as np

from .nn.module import Parameter
from .tensor import Tensor

FORMAT = "minigrad.save"
VERSION = 1
MANIFEST = "__minigrad__"
KEY_TYPES = (str, int, float, bool, type(None))


def save(obj, f):
    """Write ``obj`` (nested dicts/lists of arrays, tensors, numbers, strings) to ``f``
    (a path, or a binary file object, which is written in place)."""
    arrays = {}
    tree = _encode(obj, arrays, "obj")
    text = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree})
    arrays[MANIFEST] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    path = os.fspath(f)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                               prefix=os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(f, map_location=None, weights_only=None):
    """Read what ``save`` wrote. ``map_location`` and ``weights_only`` are accepted for
    PyTorch code and ignored: everything is on the CPU, and no code is ever loaded."""
    with np.load(f, allow_pickle=False) as archive:
        if MANIFEST not in archive.files:
            raise ValueError(f"load: {f!r} is an .npz file but was not written by minigrad.save")
        header = json.loads(archive[MANIFEST].tobytes().decode("utf-8"))
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise ValueError(f"load: unknown format {header.get('format')!r} version {header.get('version')!r}")
        return _decode(header["tree"], archive)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _store(array, arrays, where):
    if array.dtype.hasobject:
        raise TypeError(f"save: {where} is an array of Python objects, which needs pickle; refused")
    name = f"a{len(arrays)}"
    arrays[name] = array
    return name


def _encode(obj, arrays, where):
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, Tensor):
        node = {"tensor": _store(obj.data, arrays, where), "requires_grad": obj.requires_grad}
        return {**node, "parameter": True} if type(obj).__name__ == "Parameter" else node
    if isinstance(obj, np.ndarray):
        return {"array": _store(obj, arrays, where)}
    if isinstance(obj, np.generic):  # before int/float: np.float64 is a float
        return {"scalar": _store(np.asarray(obj), arrays, where)}
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, dict):
        bad = [k for k in obj if type(k) not in KEY_TYPES]
        if bad:
            raise TypeError(f"save: {where} has keys of type {type(bad[0]).__name__}; keys must be "
                            "str, int, float, bool or None")
        node = {"dict": [[k, _encode(v, arrays, f"{where}[{k!r}]")] for k, v in obj.items()]}
        return {**node, "ordered": True} if isinstance(obj, OrderedDict) else node
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {kind: [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    raise TypeError(f"save: cannot store {type(obj).__name__} at {where} without pickle (arrays, "
                    "tensors, numbers, strings, None and dicts/lists/tuples of them only)")


def _decode(node, archive):
    if not isinstance(node, dict):
        return node
    if "dict" in node:
        items = [(k, _decode(v, archive)) for k, v in node["dict"]]
        return OrderedDict(items) if node.get("ordered") else dict(items)
    if "list" in node:
        return [_decode(v, archive) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, archive) for v in node["tuple"])
    if "array" in node:
        return archive[node["array"]]
    if "scalar" in node:
        return archive[node["scalar"]][()]
    if "tensor" in node:
        data = archive[node["tensor"]]
        if node.get("parameter"):
            return Parameter(data, requires_grad=node["requires_grad"])
        return Tensor(data, requires_grad=node["requires_grad"])
    raise ValueError(f"load: unknown node {sorted(node)}")
