"""The dtype rules of minigrad, in one place.

* A tensor holds float32 (the default) or float64. Python numbers, lists, and
  integer or boolean arrays become float32; a float32 or float64 NumPy array
  keeps its dtype.
* Two tensors combined in an op must have the same dtype. float32 with float64
  is an error, never a silent promotion: cast one side with ``.astype``.
* A Python scalar combined with a tensor takes the tensor's dtype.
"""
import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
DEFAULT_DTYPE = np.dtype(np.float32)


def resolve_dtype(dtype):
    """Turn 'float32', np.float32, ... into a supported np.dtype or raise."""
    if dtype is None:
        return None
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"minigrad tensors are float32 or float64, not {dt}")
    return dt


def to_float_array(data, dtype=None):
    """Convert ``data`` to a float ndarray following the rules above."""
    dtype = resolve_dtype(dtype)
    if isinstance(data, np.ndarray) and data.dtype in FLOAT_DTYPES and dtype is None:
        return data
    if dtype is None:
        arr = np.asarray(data)
        if arr.dtype in FLOAT_DTYPES and isinstance(data, (np.ndarray, np.generic)):
            return arr
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"cannot make a tensor from data of dtype {arr.dtype}")
        dtype = DEFAULT_DTYPE
    return np.asarray(data, dtype=dtype)


def common_dtype(arrays, op_name):
    """The single float dtype shared by ``arrays`` (an error if they differ)."""
    dtypes = {a.dtype for a in arrays if a is not None and a.dtype in FLOAT_DTYPES}
    if len(dtypes) > 1:
        names = " and ".join(sorted(str(d) for d in dtypes))
        raise TypeError(
            f"{op_name}: operands have different dtypes ({names}); minigrad never "
            "promotes silently, cast one of them with .astype(...)"
        )
    return dtypes.pop() if dtypes else DEFAULT_DTYPE
