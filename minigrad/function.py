"""``Function``: the base class of every differentiable op, and the op registry.

An op is a class with two methods:

* ``forward(*arrays) -> ndarray`` computes the value from NumPy arrays and
  keeps, as attributes on ``self``, the constants its VJP will need (a mask,
  the indices of a maximum), never differentiable intermediates;
* ``vjp(g, inputs, y, xp) -> tuple`` receives g = dL/d(output) (the output's
  shape), the op's ``inputs`` and its output ``y``, and returns one
  vector-Jacobian product per input, ``None`` for inputs that need no
  gradient. It is written once, with arithmetic operators and the functions
  of the namespace ``xp`` (``xp.exp``, ``xp.sum``, ``xp.matmul``, ...):
  for first derivatives ``g``, ``inputs`` and ``y`` are NumPy arrays and
  ``xp`` is NumPy (plus the kernels), so a backward pass costs what it did
  before; with ``create_graph=True`` they are Tensors and ``xp`` is minigrad's
  own ops, so the VJP is recorded as a graph and can be differentiated again
  (``ops/namespaces.py`` lists both).

``self.needs_input_grad`` (one bool per input, set before forward) lets an op
skip a costly gradient nobody will use, such as the gradient of a first layer
with respect to the input images. A gradient may keep the *broadcast* shape:
the engine sums it back to the input's shape (``autograd.unbroadcast``), in
that one place.

``Function.apply`` wires an op into the graph: it converts Python numbers to
arrays of the tensors' dtype, checks dtypes agree, runs ``forward`` and, when
gradients are being recorded, remembers the op, its inputs and their arrays on
the output.
"""
import numpy as np

from . import dtypes
from .grad_mode import is_grad_enabled
from .tensor import Tensor  # the engine's one import cycle is closed at the end of tensor.py

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
    """Base class of differentiable ops. Subclasses define forward and vjp."""

    op_name = "function"
    takes_any_dtype = False  # True only for astype: a bool or int64 tensor (argmax, x > 0) -> float
    vjp = None  # subclasses define vjp(self, g, inputs, y, xp); see the module docstring

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad):
        """The older, first-order-only form of ``vjp``: NumPy arrays in and out."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on ``inputs`` (tensors, numbers, arrays, None) and wrap the result in a Tensor.

        ``params`` go to the op's constructor (axis, alpha, ...). When gradients
        are recorded and some input requires one, the result keeps the op in
        ``_ctx`` and the op keeps its inputs in ``parents``.
        """
        fn = cls(**params)
        arrays = _arrays_of_same_dtype_tensors(inputs)  # the common case, with nothing to convert
        same_dtype_tensors = arrays is not None
        if not same_dtype_tensors:
            arrays = _input_arrays(inputs, cls)
        if is_grad_enabled():
            fn.needs_input_grad = tuple([isinstance(x, Tensor) and x.requires_grad for x in inputs])
        else:
            fn.needs_input_grad = (False,) * len(inputs)
        out = fn.forward(*arrays)
        requires_grad = any(fn.needs_input_grad)  # recording, and some input requires a gradient
        result = Tensor._from_op(out, requires_grad)
        if requires_grad:
            fn.parents = inputs if same_dtype_tensors else tuple([x if isinstance(x, Tensor) else None
                                                                  for x in inputs])
            fn.arrays = arrays
            fn.released = False
            result._ctx = fn
        return result

    def release(self):
        """Drop everything saved for backward (called after a backward pass)."""
        parents = self.parents
        self.__dict__.clear()
        self.parents = parents
        self.released = True


def _arrays_of_same_dtype_tensors(inputs):
    """The tensors' arrays when every input is a tensor and all share one dtype, else None.

    This is the common case (x + y, x.tanh(), a @ w) and it needs none of the
    work in ``_input_arrays``: there is nothing to convert, and one shared dtype
    cannot mix, so ``common_dtype`` could only return it. A plain loop is used
    because it is faster than comprehensions for the one or two inputs of most ops.
    """
    arrays = []
    for x in inputs:
        if not isinstance(x, Tensor) or (arrays and x.data.dtype != arrays[0].dtype):
            return None
        arrays.append(x.data)
    if arrays and arrays[0].dtype not in dtypes.FLOAT_DTYPES:
        return None  # int64 or bool tensors (argmax, comparisons): see _input_arrays
    return arrays


def _input_arrays(inputs, op):
    """The arrays ``forward`` receives, for inputs that are not all float tensors of one dtype.

    Float tensors give their data and None stays None. The float tensors must
    share one dtype, and a float32/float64 NumPy array must have it too
    (TypeError naming both dtypes, from ``dtypes.common_dtype``); Python numbers,
    lists, integer arrays and integer or boolean tensors (argmax, comparisons)
    are converted to it, as a mask in ``mask * x`` is. An op whose tensors are
    all integer or boolean is refused (``pred + 1`` has no float dtype to take;
    ``.float()`` says which one), except ``astype``, which is that conversion.
    """
    op_name = op.op_name
    tensor_arrays = [x.data for x in inputs if isinstance(x, Tensor)]
    if op.takes_any_dtype:
        return [x.data if isinstance(x, Tensor) else x for x in inputs]
    if tensor_arrays and not any(a.dtype in dtypes.FLOAT_DTYPES for a in tensor_arrays):
        raise TypeError(f"{op_name}: no float tensor among the operands (a {tensor_arrays[0].dtype} tensor "
                        "computes nothing here); convert it first with .float() or .double()")
    dtype = dtypes.common_dtype(tensor_arrays, op_name)
    arrays = []
    for x in inputs:
        if isinstance(x, Tensor) and x.data.dtype in dtypes.FLOAT_DTYPES:
            arrays.append(x.data)
        elif isinstance(x, Tensor):
            arrays.append(x.data.astype(dtype))
        elif x is None:
            arrays.append(None)
        elif isinstance(x, np.ndarray) and x.dtype in dtypes.FLOAT_DTYPES:
            dtypes.common_dtype([x, np.empty(0, dtype)], op_name)
            arrays.append(x)
        else:
            arrays.append(np.asarray(x, dtype=dtype))
    return arrays
