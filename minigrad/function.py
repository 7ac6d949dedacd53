"""``Function``: the base class of every differentiable op, and the op registry.

An op is a class with two methods that work on plain NumPy arrays:

* ``forward(*arrays) -> ndarray`` computes the value and keeps, as attributes
  on ``self``, whatever backward will need;
* ``backward(grad) -> tuple`` receives dL/d(output) (same shape as the output)
  and returns one vector-Jacobian product per input, ``None`` for inputs that
  need no gradient. ``self.needs_input_grad`` (one bool per input, set before
  forward) lets an op skip a costly gradient nobody will use, such as the
  gradient of a first layer with respect to the input images. A gradient may keep the *broadcast* shape: the engine sums
  it back to the input's shape (``autograd.unbroadcast``), in that one place.

``Function.apply`` wires an op into the graph: it converts Python numbers to
arrays of the tensors' dtype, checks dtypes agree, runs ``forward`` and, when
gradients are being recorded, remembers the op and its inputs on the output.
"""
import numpy as np

from . import dtypes
from .grad_mode import is_grad_enabled

OPS = {}


def register(name):
    """Class decorator: enter an op in ``OPS`` under ``name`` (tests enumerate it)."""

    def decorate(cls):
        if name in OPS:
            raise ValueError(f"op {name!r} is registered twice")
        cls.op_name = name
        OPS[name] = cls
        return cls

    return decorate


class Function:
    """Base class of differentiable ops. Subclasses define forward and backward."""

    op_name = "function"

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        from .tensor import Tensor

        fn = cls(**params)
        tensors = [x for x in inputs if isinstance(x, Tensor)]
        fn.needs_input_grad = tuple(isinstance(x, Tensor) and x.requires_grad and is_grad_enabled()
                                    for x in inputs)
        dtype = dtypes.common_dtype([t.data for t in tensors], cls.op_name)
        arrays = []
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
            elif x is None:
                arrays.append(None)
            elif isinstance(x, np.ndarray) and x.dtype in dtypes.FLOAT_DTYPES:
                dtypes.common_dtype([x, np.empty(0, dtype)], cls.op_name)
                arrays.append(x)
            else:
                arrays.append(np.asarray(x, dtype=dtype))
        out = fn.forward(*arrays)
        requires_grad = is_grad_enabled() and any(t.requires_grad for t in tensors)
        result = Tensor._from_op(out, requires_grad)
        if requires_grad:
            fn.parents = tuple(x if isinstance(x, Tensor) else None for x in inputs)
            fn.released = False
            result._ctx = fn
        return result

    def release(self):
        """Drop everything saved for backward (called after a backward pass)."""
        parents = self.parents
        self.__dict__.clear()
        self.parents = parents
        self.released = True
