"""minigrad: a small reverse-mode autodiff engine on NumPy, with Numba kernels.

    >>> import minigrad as mg
    >>> x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4., 6.], dtype=float32)
"""
# The kernels package first: it sets thread-pool variables that OpenBLAS and
# OpenMP read when they load (see minigrad/kernels/_numba_setup.py).
from . import kernels  # noqa: I001

import numpy as _np

from . import ops
from .function import OPS, Function, register
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .kernels.denormal import flush_denormal, flushing_denormals, set_flush_denormal
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import (abs, add, broadcast_to, cat, clip, concatenate, div, elu, exp, expand_dims, flatten,
                  getitem, leaky_relu, log, log_sigmoid, log_softmax, logsumexp, matmul, max,
                  maximum, mean, min, minimum, mul, neg, pad, permute, pow, relu, reshape, selu,
                  sigmoid, softmax, softplus, split, sqrt, squeeze, stack, sub, sum, tanh,
                  transpose, var, where)
from .tensor import Tensor, argmax, argmin, grad, tensor
from .creation import (arange, empty, empty_like, full, full_like, linspace, ones, ones_like, rand,
                       rand_like, randn, randn_like, zeros, zeros_like)
from . import nn, optim, random  # noqa: E402  (after Tensor: layers build on it)
from . import utils  # noqa: E402
from .serialization import load, save  # noqa: E402

manual_seed = random.seed

float32 = _np.float32
float64 = _np.float64

__version__ = "0.1.0"
