from . import _numba_setup  # noqa: F401  (must run before NumPy/Numba are used)
