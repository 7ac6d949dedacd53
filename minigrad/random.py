"""One global random generator for everything minigrad draws at random.

Weight initialization, dropout masks and noise layers all draw from the same
``numpy.random.Generator``, so one call makes a run reproducible:

    >>> import minigrad
    >>> minigrad.random.seed(0)            # or minigrad.manual_seed(0)

``get_state()`` returns the generator's state (a plain dict of Python ints and
strings, so it pickles); ``set_state(state)`` puts it back, which lets a
training checkpoint resume with exactly the dropout masks it would have drawn.
"""
import numpy as np

_generator = np.random.default_rng(0)


def seed(s):
    """Restart the global generator from seed ``s`` (a non-negative int)."""
    global _generator
    _generator = np.random.default_rng(s)


def generator():
    """The global ``numpy.random.Generator`` (draw from it, do not replace it)."""
    return _generator


def get_state():
    """A copy of the generator's state, to save in a checkpoint."""
    state = _generator.bit_generator.state
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in state.items()}


def set_state(state):
    """Restore a state returned by ``get_state`` (same bit generator, PCG64)."""
    if state.get("bit_generator") != type(_generator.bit_generator).__name__:
        raise ValueError(
            f"set_state: state is for {state.get('bit_generator')!r}, the generator is "
            f"{type(_generator.bit_generator).__name__}"
        )
    _generator.bit_generator.state = state


def uniform(low, high, shape, dtype=np.float32):
    """Array of ``shape`` drawn uniformly from [low, high), in ``dtype``."""
    return _generator.uniform(low, high, size=shape).astype(dtype)


def normal(mean, std, shape, dtype=np.float32):
    """Array of ``shape`` drawn from N(mean, std^2), in ``dtype``."""
    return _generator.normal(mean, std, size=shape).astype(dtype)


def rand(shape, dtype=np.float32):
    """Array of ``shape`` drawn uniformly from [0, 1), in ``dtype``."""
    return _generator.random(size=shape, dtype=np.dtype(dtype).type)


def randn(shape, dtype=np.float32):
    """Array of ``shape`` drawn from N(0, 1), in ``dtype`` (drawn in that dtype, as ``rand``)."""
    return _generator.standard_normal(size=shape, dtype=np.dtype(dtype).type)
