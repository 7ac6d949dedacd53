"""Hand-written compute kernels: pure functions on NumPy arrays.

Every public function has a slow, obviously correct NumPy twin (``*_reference``, same signature).
The functions exported here dispatch on the *backend*:

* ``"numba"`` (default): the Numba kernels in matmul.py / conv.py / pool.py / lstm.py /
  elementwise.py / logistic.py;
* ``"numpy"``: the references.  Select it with the environment variable ``MINIGRAD_KERNELS=numpy``
  or temporarily with ``with minigrad.kernels.use_reference(): ...``.

``backend()`` returns the current name.  Import this package before NumPy where possible (see
_numba_setup: it sets OPENBLAS_THREAD_TIMEOUT and GOMP_SPINCOUNT, which are read at library load).
"""
from . import _numba_setup  # noqa: F401  (must run before NumPy/Numba are used)

import contextlib
import os
import threading

from . import conv as _conv
from . import matmul as _mm
from . import pool as _pool
from . import lstm as _lstm
from . import elementwise as _elementwise
from . import logistic as _logistic
from . import isa
from .notice import announce_compiles

_BACKENDS = ("numba", "numpy")
_default = os.environ.get("MINIGRAD_KERNELS", "numba").strip().lower() or "numba"
if _default not in _BACKENDS:
    raise ValueError(f"MINIGRAD_KERNELS must be one of {_BACKENDS}, got {_default!r}")
_state = threading.local()


def backend():
    """Name of the active kernel backend: 'numba' or 'numpy'."""
    return getattr(_state, "name", _default)


@contextlib.contextmanager
def use_backend(name):
    if name not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}, got {name!r}")
    old = backend()
    _state.name = name
    try:
        yield
    finally:
        _state.name = old


def use_reference():
    """Context manager: run the NumPy reference kernels inside the block."""
    return use_backend("numpy")


def _dispatch(fast, ref):
    """The public kernel: ``ref`` under the numpy backend, else ``fast`` (announcing its compiles)."""
    announced = announce_compiles(fast)

    def f(*args, **kwargs):
        if backend() == "numpy":
            kwargs.pop("parallel", None)
            return ref(*args, **kwargs)
        return announced(*args, **kwargs)
    f.__name__ = fast.__name__
    f.__qualname__ = fast.__name__
    f.__doc__ = fast.__doc__
    f.__wrapped__ = fast
    return f


matmul = _dispatch(_mm.matmul, _mm.matmul_reference)
batched_matmul = _dispatch(_mm.batched_matmul, _mm.batched_matmul_reference)

conv2d_forward = _dispatch(_conv.conv2d_forward, _conv.conv2d_forward_reference)
conv2d_backward_input = _dispatch(_conv.conv2d_backward_input, _conv.conv2d_backward_input_reference)
conv2d_backward_weight = _dispatch(_conv.conv2d_backward_weight, _conv.conv2d_backward_weight_reference)
conv_transpose2d_forward = _dispatch(_conv.conv_transpose2d_forward, _conv.conv_transpose2d_forward_reference)


def _ct_bi_ref(gy, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    return _conv.conv2d_forward_reference(gy, w, stride, padding, dilation, groups)


def _ct_bw_ref(x, gy, kernel_hw, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    return _conv.conv2d_backward_weight_reference(gy, x, kernel_hw, stride, padding, dilation, groups)


conv_transpose2d_backward_input = _dispatch(_conv.conv_transpose2d_backward_input, _ct_bi_ref)
conv_transpose2d_backward_weight = _dispatch(_conv.conv_transpose2d_backward_weight, _ct_bw_ref)

max_pool2d_forward = _dispatch(_pool.max_pool2d_forward, _pool.max_pool2d_forward_reference)
max_pool2d_backward = _dispatch(_pool.max_pool2d_backward, _pool.max_pool2d_backward_reference)
avg_pool2d_forward = _dispatch(_pool.avg_pool2d_forward, _pool.avg_pool2d_forward_reference)
avg_pool2d_backward = _dispatch(_pool.avg_pool2d_backward, _pool.avg_pool2d_backward_reference)
upsample_nearest_forward = _dispatch(_pool.upsample_nearest_forward, _pool.upsample_nearest_forward_reference)
upsample_nearest_backward = _dispatch(_pool.upsample_nearest_backward, _pool.upsample_nearest_backward_reference)

lstm_cell_forward = _dispatch(_lstm.lstm_cell_forward, _lstm.lstm_cell_forward_reference)
lstm_cell_backward = _dispatch(_lstm.lstm_cell_backward, _lstm.lstm_cell_backward_reference)

relu_backward = _dispatch(_elementwise.relu_backward, _elementwise.relu_backward_reference)
sigmoid = _dispatch(_logistic.sigmoid, _logistic.sigmoid_reference)
exp_neg_abs = _dispatch(_logistic.exp_neg_abs, _logistic.exp_neg_abs_reference)
exp = _dispatch(_logistic.exp, _logistic.exp_reference)

from .matmul import matmul_reference, batched_matmul_reference  # noqa: E402
from .conv import (conv2d_forward_reference, conv2d_backward_input_reference,  # noqa: E402
                   conv2d_backward_weight_reference, conv_transpose2d_forward_reference,
                   conv_output_size, conv_transpose_output_size)
from .pool import (max_pool2d_forward_reference, max_pool2d_backward_reference,  # noqa: E402
                   avg_pool2d_forward_reference, avg_pool2d_backward_reference,
                   upsample_nearest_forward_reference, upsample_nearest_backward_reference)
from .lstm import lstm_cell_forward_reference, lstm_cell_backward_reference  # noqa: E402
from .elementwise import relu_backward_reference  # noqa: E402
from .logistic import sigmoid_reference, exp_neg_abs_reference, exp_reference  # noqa: E402

__all__ = [n for n in dir() if not n.startswith("_") and n not in ("contextlib", "os", "threading")]
