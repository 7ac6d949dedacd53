"""Argument normalization shared by the kernel files."""
import numpy as np


def pair(v, name):
    """An int or a pair of ints -> a pair of Python ints (``name`` is used in the error)."""
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    try:
        a, b = v
        return (int(a), int(b))
    except Exception:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}") from None
