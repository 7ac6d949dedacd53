"""Datasets and batch loading, as in ``torch.utils.data``.

A dataset is anything with ``len(ds)`` and ``ds[i] -> sample``. ``DataLoader`` chooses
the order of the indices (0, 1, ... or a shuffle), fetches the samples of each batch and
joins them with ``collate_fn``. Data are loaded in the calling process.

Randomness (``generator`` of DataLoader and random_split) is an int seed or a
``numpy.random.Generator``; a ``torch.Generator`` is not accepted, and a seed gives
a different order than torch's generator with that seed would:

    None         minigrad's global generator (``minigrad.manual_seed`` fixes it)
    int          a generator of its own, made from the seed once: every run sees the
                 same sequence of epochs (each epoch still has a new order)
    Generator    used as given; its state advances with every draw

``default_collate`` turns a list of samples into a batch, field by field:

    Tensor                          Tensor, stacked on a new first axis (no graph)
    float array or number           Tensor: float32 and float64 arrays keep their dtype,
                                    Python floats become float32 (minigrad.dtypes;
                                    PyTorch makes float64 of them)
    int array or number             int64 NumPy array: minigrad tensors are float only,
                                    and the losses take class indices as arrays
    bool array or number            bool NumPy array
    str                             list of str
    tuple, list, dict, namedtuple   the same structure with each field collated
                                    (tuples and lists become lists, as in PyTorch)
"""
import math
import numbers

import numpy as np

from .. import random
from ..tensor import Tensor


class Dataset:
    """Base class of map-style datasets: define ``__getitem__(i)`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")


class TensorDataset(Dataset):
    """Sample i is (t[i] for t in tensors); tensors or arrays with the same first dimension."""

    def __init__(self, *tensors):
        if not tensors or any(len(t) != len(tensors[0]) for t in tensors):
            raise ValueError(f"TensorDataset: needs tensors of the same length, got "
                             f"{[len(t) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(Tensor(t.data[index]) if isinstance(t, Tensor) else t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def _rng(generator):
    """The numpy Generator that ``generator`` stands for (see the module docstring)."""
    if generator is None:
        return random.generator()
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be None, an int seed or a numpy.random.Generator, not "
                    f"{type(generator).__name__}")


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    ``lengths`` are counts that add up to len(dataset), or fractions that add up to 1:
    then each count is floor(fraction n) and the remaining samples go one each to the
    first subsets, in turn (PyTorch's rule).
    """
    n, lengths = len(dataset), list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        if any(not 0 <= f <= 1 for f in lengths):
            raise ValueError(f"random_split: fractions must lie in [0, 1], got {lengths}")
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} add up to {sum(lengths)}, the dataset has {n} samples")
    order = _rng(generator).permutation(n).tolist()
    ends = np.cumsum(lengths).tolist()
    return [Subset(dataset, order[end - size:end]) for size, end in zip(lengths, ends)]


def default_collate(batch):
    """A list of samples -> one batch (the rules are in the module docstring)."""
    first = batch[0]
    if isinstance(first, Tensor):
        return Tensor(_stack([s.data for s in batch]))
    if isinstance(first, (np.ndarray, np.generic, numbers.Number)):
        array = _stack([np.asarray(s) for s in batch])
        if array.dtype.kind == "b":
            return array
        if array.dtype.kind in "iu":
            return array.astype(np.int64)
        if array.dtype.kind == "f":
            python_float = isinstance(first, float) and not isinstance(first, np.generic)
            return Tensor(array.astype(np.float32) if python_float else array)
        raise TypeError(f"default_collate: cannot batch values of dtype {array.dtype}")
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, dict):
        fields = {key: default_collate([s[key] for s in batch]) for key in first}
        try:
            return type(first)(fields)  # OrderedDict and other mappings keep their type
        except TypeError:
            return fields
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in batch):
            raise ValueError("default_collate: the samples of a batch have different lengths")
        fields = [default_collate(list(column)) for column in zip(*batch)]
        return type(first)(*fields) if hasattr(first, "_fields") else fields  # namedtuple kept
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}")


def _stack(arrays):
    try:
        return np.stack(arrays)
    except ValueError:
        raise ValueError(f"default_collate: cannot stack samples of shapes "
                         f"{sorted({a.shape for a in arrays})} (pass a collate_fn)") from None


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    shuffle: a new random order at every epoch (every ``iter(loader)``), drawn from ``generator``.
    drop_last: leave out the last batch when it is smaller than batch_size.
    collate_fn: list of samples -> batch (default: ``default_collate``).
    num_workers, pin_memory: accepted for PyTorch code and ignored (one process, CPU).
    A dataset with ``__getitems__(indices)`` gets each batch's samples in one call.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, *, drop_last=False, collate_fn=None,
                 generator=None, num_workers=0, pin_memory=False):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, int(batch_size), shuffle, drop_last
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.generator = None if generator is None else _rng(generator)  # an int seed: made once, here

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = (_rng(self.generator).permutation(n) if self.shuffle else np.arange(n)).tolist()
        stop = n - n % self.batch_size if self.drop_last else n
        fetch_many = getattr(self.dataset, "__getitems__", None)
        for start in range(0, stop, self.batch_size):
            indices = order[start:start + self.batch_size]
            samples = fetch_many(indices) if fetch_many else [self.dataset[i] for i in indices]
            yield self.collate_fn(samples)
