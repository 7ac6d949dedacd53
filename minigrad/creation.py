"""Functions that make new tensors, with PyTorch's names and arguments.

    zeros, ones, empty, full        a shape, filled
    rand, randn                     uniform on [0, 1), standard normal: from minigrad.random's
                                    generator, so minigrad.manual_seed(s) fixes them
    arange, linspace                evenly spaced values
    zeros_like, ones_like, full_like, rand_like, randn_like, empty_like
                                    the shape (and dtype) of another tensor or array

A shape is given as separate ints or one tuple or list: ``zeros(2, 3)`` = ``zeros((2, 3))``.
Every function takes the keywords ``dtype`` (float32 by default, or float64: minigrad tensors are
float only, so ``arange(5)`` is float32 where PyTorch's is int64) and ``requires_grad`` (the
result is a leaf). The ``_like`` functions take the dtype of their input when it is a float
dtype and float32 otherwise. ``device`` is accepted when it is 'cpu'.
"""
import numpy as np

from . import dtypes, random
from .tensor import Tensor, _is_device


def _shape(size):
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros([2, 3])`` all mean the shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = tuple(size)
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"a shape is made of ints, got {shape!r}")
    if any(n < 0 for n in shape):
        raise ValueError(f"a shape cannot have negative sizes, got {shape!r}")
    return tuple(int(n) for n in shape)


def _leaf(array, requires_grad, device):
    if device is not None and not _is_device(device, cpu_only=True):
        raise ValueError(f"device={device!r}: minigrad runs on the CPU only; the device is 'cpu'")
    return Tensor._from_op(array, bool(requires_grad))


def _dtype(dtype):
    return dtypes.resolve_dtype(dtype) or dtypes.DEFAULT_DTYPE


def _like_dtype(input, dtype):
    if dtype is not None:
        return _dtype(dtype)
    source = np.asarray(input.data if isinstance(input, Tensor) else input).dtype
    return source if source in dtypes.FLOAT_DTYPES else dtypes.DEFAULT_DTYPE


def _like_shape(input):
    return np.shape(input.data if isinstance(input, Tensor) else input)


# ----- a shape, filled ----------------------------------------------------------------------------
def zeros(*size, dtype=None, requires_grad=False, device=None):
    return _leaf(np.zeros(_shape(size), _dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None):
    return _leaf(np.ones(_shape(size), _dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None):
    """A tensor of the shape whose values are not to be relied on (here they are zeros, where
    PyTorch leaves whatever was in memory)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, device=device)


def full(size, fill_value, *, dtype=None, requires_grad=False, device=None):
    """A tensor of shape ``size`` (a tuple or list) filled with ``fill_value``; float32 whatever the
    type of fill_value (PyTorch infers int64 or bool from it)."""
    return _leaf(np.full(_shape((size,) if isinstance(size, (int, np.integer)) else (tuple(size),)),
                         fill_value, _dtype(dtype)), requires_grad, device)


# ----- random -------------------------------------------------------------------------------------
def _generator(generator):
    if generator is None:
        return None
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator (or None for minigrad's own), "
                        f"not {type(generator).__name__}")
    return generator


def rand(*size, generator=None, dtype=None, requires_grad=False, device=None):
    """Uniform on [0, 1), drawn from minigrad.random's generator (or ``generator``, a numpy one)."""
    shape, dtype = _shape(size), _dtype(dtype)
    gen = _generator(generator)
    array = random.rand(shape, dtype) if gen is None else gen.random(size=shape, dtype=dtype.type)
    return _leaf(array, requires_grad, device)


def randn(*size, generator=None, dtype=None, requires_grad=False, device=None):
    """Standard normal N(0, 1), drawn from minigrad.random's generator (or ``generator``)."""
    shape, dtype = _shape(size), _dtype(dtype)
    gen = _generator(generator)
    array = random.randn(shape, dtype) if gen is None else gen.standard_normal(size=shape, dtype=dtype.type)
    return _leaf(array, requires_grad, device)


# ----- evenly spaced values -----------------------------------------------------------------------
def arange(start, end=None, step=1, *, dtype=None, requires_grad=False, device=None):
    """start, start + step, ... up to but not including end (``arange(n)``: 0, 1, ..., n - 1);
    ceil((end - start) / step) values, computed in float64 and then converted to dtype."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    return _leaf(np.arange(start, end, step, dtype=np.float64).astype(_dtype(dtype)), requires_grad, device)


def linspace(start, end, steps, *, dtype=None, requires_grad=False, device=None):
    """``steps`` values from start to end, both included."""
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    return _leaf(np.linspace(start, end, int(steps), dtype=np.float64).astype(_dtype(dtype)),
                 requires_grad, device)


# ----- the shape of another tensor ----------------------------------------------------------------
def zeros_like(input, *, dtype=None, requires_grad=False, device=None):
    return zeros(_like_shape(input), dtype=_like_dtype(input, dtype), requires_grad=requires_grad, device=device)


def ones_like(input, *, dtype=None, requires_grad=False, device=None):
    return ones(_like_shape(input), dtype=_like_dtype(input, dtype), requires_grad=requires_grad, device=device)


def empty_like(input, *, dtype=None, requires_grad=False, device=None):
    return empty(_like_shape(input), dtype=_like_dtype(input, dtype), requires_grad=requires_grad, device=device)


def full_like(input, fill_value, *, dtype=None, requires_grad=False, device=None):
    return full(_like_shape(input), fill_value, dtype=_like_dtype(input, dtype), requires_grad=requires_grad,
                device=device)


def rand_like(input, *, dtype=None, requires_grad=False, device=None):
    return rand(_like_shape(input), dtype=_like_dtype(input, dtype), requires_grad=requires_grad, device=device)


def randn_like(input, *, dtype=None, requires_grad=False, device=None):
    return randn(_like_shape(input), dtype=_like_dtype(input, dtype), requires_grad=requires_grad, device=device)
