"""Read gensim's ``mini_newsgroup`` test file: 200 real posts of 20 Newsgroups, 100 from
alt.atheism and 100 from sci.space, each with its header, its group and its article number.

The file is a zlib-compressed pickle (protocol 0, written by Python 2) of a scikit-learn
``Bunch``: a dict with ``data`` (the posts), ``target`` (their group's index), ``target_names``
and ``filenames`` (``.../<group>/<article number>``). Unpickling can run any function a file
names, so this reader allows exactly the handful of globals such a file needs (the dict, the
Bunch read as a plain dict, NumPy's array reconstruction, and codecs.encode for bytes) and
refuses every other with one line. Neither scikit-learn nor gensim is imported. The decompressed size is capped before it is
unpickled, so a damaged or hostile file cannot take more memory than that cap.
"""
import codecs
import importlib
import io
import pickle
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_BYTES = 16 << 20          # the real file unpacks to 0.56 MB


class MiniNewsgroupsError(ValueError):
    """The file is not a readable mini_newsgroup pickle (one line says what is wrong)."""


@dataclass
class Posts:
    texts: list              # each post as it was posted, header included
    labels: np.ndarray       # (N,) int64 index into groups
    groups: list             # group names, e.g. ['alt.atheism', 'sci.space']
    articles: np.ndarray     # (N,) int64 article number (the file name of the post)


class _Bunch(dict):
    """scikit-learn's Bunch, read as the dict it is."""


def _reconstructor(cls, base, state):
    """copy_reg._reconstructor for the one class it may build here: a Bunch from its dict."""
    if cls is not _Bunch or base is not dict or not isinstance(state, dict):
        raise MiniNewsgroupsError(f"mini_newsgroup: unexpected object {cls!r} in the pickle")
    return _Bunch(state)


def _numpy_reconstruct():
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return importlib.import_module(module)._reconstruct
        except (ImportError, AttributeError):
            continue
    raise MiniNewsgroupsError("mini_newsgroup: this NumPy cannot rebuild pickled arrays")


class _AllowListUnpickler(pickle.Unpickler):
    """Resolves only the globals such a file names; every other is refused with one line."""
    ALLOWED = {**dict.fromkeys([("copy_reg", "_reconstructor"), ("copyreg", "_reconstructor")],
                               lambda: _reconstructor),
               **dict.fromkeys([("sklearn.datasets.base", "Bunch"), ("sklearn.utils", "Bunch"),
                                ("sklearn.utils._bunch", "Bunch")], lambda: _Bunch),
               **dict.fromkeys([("__builtin__", "dict"), ("builtins", "dict")], lambda: dict),
               **dict.fromkeys([("numpy.core.multiarray", "_reconstruct"),
                                ("numpy._core.multiarray", "_reconstruct")], _numpy_reconstruct),
               ("numpy", "ndarray"): lambda: np.ndarray, ("numpy", "dtype"): lambda: np.dtype,
               ("_codecs", "encode"): lambda: codecs.encode}   # how Python 3 pickles bytes at protocol 0

    def find_class(self, module, name):
        resolve = self.ALLOWED.get((module, name))
        if resolve is None:
            raise MiniNewsgroupsError(f"mini_newsgroup: refusing to load {module}.{name} from the pickle")
        return resolve()


def decompress(raw, limit=MAX_BYTES):
    """zlib-decompress ``raw`` into at most ``limit`` bytes; one-line errors otherwise."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, limit)
    except zlib.error as error:
        raise MiniNewsgroupsError(f"mini_newsgroup: not zlib data ({error})") from None
    if inflater.unconsumed_tail:
        raise MiniNewsgroupsError(f"mini_newsgroup: unpacks to more than {limit:,} bytes")
    if not inflater.eof:
        raise MiniNewsgroupsError("mini_newsgroup: the compressed data is cut short")
    return out


def read_posts(path):
    """The Posts of the file at ``path``."""
    raw = decompress(Path(path).read_bytes())
    try:
        bunch = _AllowListUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except MiniNewsgroupsError:
        raise
    except Exception as error:      # a damaged pickle can fail in many ways; say so in one line
        raise MiniNewsgroupsError(f"mini_newsgroup: not a readable pickle ({type(error).__name__}: {error})") from None
    return _check(bunch)


def _check(bunch):
    if not isinstance(bunch, dict) or not {"data", "target", "target_names", "filenames"} <= set(bunch):
        raise MiniNewsgroupsError("mini_newsgroup: expected a dict with data, target, target_names "
                                  "and filenames")
    texts, groups = bunch["data"], bunch["target_names"]
    labels = np.asarray(bunch["target"])
    if not (isinstance(texts, list) and all(isinstance(t, str) for t in texts)):
        raise MiniNewsgroupsError("mini_newsgroup: data must be a list of texts")
    if not (isinstance(groups, list) and all(isinstance(g, str) for g in groups)):
        raise MiniNewsgroupsError("mini_newsgroup: target_names must be a list of names")
    if labels.shape != (len(texts),) or labels.dtype.kind not in "iu" or \
            (len(labels) and not 0 <= labels.min() <= labels.max() < len(groups)):
        raise MiniNewsgroupsError(f"mini_newsgroup: target must hold one group index in "
                                  f"[0, {len(groups)}) per post")
    names = [n.decode("latin-1") if isinstance(n, bytes) else str(n) for n in bunch["filenames"]]
    if len(names) != len(texts) or not all(n.rsplit("/", 1)[-1].isdigit() for n in names):
        raise MiniNewsgroupsError("mini_newsgroup: filenames must end in one article number per post")
    return Posts(texts, labels.astype(np.int64), groups,
                 np.array([int(n.rsplit("/", 1)[-1]) for n in names], dtype=np.int64))


def split_by_article(posts, train_share=0.6):
    """(train indices, test indices): in each group the posts with the lower article numbers
    train and the others test. A news server numbers posts as they arrive, so this is close to
    a split by date, as 20news-bydate's (here the numbers' rank correlation with the Date
    headers is 0.89 in alt.atheism and 0.99 in sci.space)."""
    train, test = [], []
    for label in range(len(posts.groups)):
        members = np.flatnonzero(posts.labels == label)
        members = members[np.argsort(posts.articles[members], kind="stable")]
        cut = int(round(train_share * len(members)))
        train += members[:cut].tolist()
        test += members[cut:].tolist()
    return np.array(train, dtype=np.int64), np.array(test, dtype=np.int64)
