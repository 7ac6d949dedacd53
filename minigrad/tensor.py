"""``Tensor``: a NumPy array that remembers how it was made.

A tensor made by an op keeps that op in ``_ctx``; the op keeps its inputs in
``parents``. Those links form the graph that ``backward`` walks (see
``autograd.py``). Methods and operators below are thin calls into ``ops/``;
the math of every op lives there, next to its backward.
"""
import numpy as np

from . import autograd, dtypes
from .grad_mode import enable_grad, is_grad_enabled


class Tensor:
    """An n-dimensional float32/float64 array with optional gradient tracking.

    ``Tensor(data, requires_grad=False, dtype=None)``: ``data`` is converted
    following ``minigrad.dtypes`` (float32 by default; float64 arrays are kept).
    """

    __array_ufunc__ = None  # make `ndarray + tensor` call Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = dtypes.to_float_array(data, dtype)
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self.requires_grad = bool(requires_grad)

    @classmethod
    def _from_op(cls, array, requires_grad):
        """A tensor around an op's result (no copy; ``requires_grad`` is a bool)."""
        t = cls.__new__(cls)
        t.data = array if isinstance(array, np.ndarray) else np.asarray(array)
        t.grad, t._ctx, t._retains_grad = None, None, False
        if requires_grad:
            t.requires_grad = True  # the setter checks the dtype is float
        else:
            t._requires_grad = False  # the setter would have nothing to check: flag off, no _ctx
        return t

    # ----- attributes -------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if flag and self.data.dtype not in dtypes.FLOAT_DTYPES:
            raise TypeError(f"only float tensors can require gradients, not {self.data.dtype}")
        if not flag and self._ctx is not None:
            raise RuntimeError("cannot turn off requires_grad on a non-leaf tensor; use .detach()")
        self._requires_grad = bool(flag)

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self._ctx is None)
    T = property(lambda self: self.transpose())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = [f"dtype={self.dtype}"]
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx.op_name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}, {', '.join(extras)})"

    # ----- conversion -------------------------------------------------------
    def numpy(self):
        """The underlying array, shared, not copied: writing to it changes the tensor, as writing to
        PyTorch's ``t.detach().numpy()`` does. No graph is recorded through it."""
        return self.data

    def item(self):
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def detach(self):
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor._from_op(self.data, False)

    def astype(self, dtype):
        return ops.astype(self, dtype)

    float = lambda self: self.astype(np.float32)  # noqa: E731
    double = lambda self: self.astype(np.float64)  # noqa: E731

    # ----- gradients --------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Add d(self)/d(leaf) . gradient to ``leaf.grad`` for every leaf behind self.

        gradient: dL/d(self), of self's shape; it may be omitted only when self holds a single
            element (then it is 1).
        retain_graph: keep the values saved for backward, to run it again (default: create_graph).
        create_graph: record the backward pass itself, so that the gradients it leaves in ``.grad``
            can be differentiated again (second derivatives, gradient penalties).
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad (no graph behind it)")
        _differentiate([self], [gradient], retain_graph, create_graph)

    def _accumulate_grad(self, g):
        if isinstance(g, Tensor):  # create_graph: keep the graph behind the gradient
            self.grad = g if self.grad is None else self.grad + g
            return
        g = np.array(g, dtype=self.data.dtype, copy=True)
        self.grad = Tensor._from_op(g, False) if self.grad is None else Tensor._from_op(self.grad.data + g, False)

    def retain_grad(self):
        """Keep .grad on this intermediate tensor too (leaves always keep it)."""
        self._retains_grad = True
        return self

    def zero_grad(self):
        self.grad = None

    # ----- operators --------------------------------------------------------
    __add__ = lambda self, o: ops.add(self, o)  # noqa: E731
    __radd__ = lambda self, o: ops.add(o, self)  # noqa: E731
    __sub__ = lambda self, o: ops.sub(self, o)  # noqa: E731
    __rsub__ = lambda self, o: ops.sub(o, self)  # noqa: E731
    __mul__ = lambda self, o: ops.mul(self, o)  # noqa: E731
    __rmul__ = lambda self, o: ops.mul(o, self)  # noqa: E731
    __truediv__ = lambda self, o: ops.div(self, o)  # noqa: E731
    __rtruediv__ = lambda self, o: ops.div(o, self)  # noqa: E731
    __pow__ = lambda self, o: ops.pow(self, o)  # noqa: E731
    __rpow__ = lambda self, o: ops.pow(o, self)  # noqa: E731
    __matmul__ = lambda self, o: ops.matmul(self, o)  # noqa: E731
    __rmatmul__ = lambda self, o: ops.matmul(o, self)  # noqa: E731
    __neg__ = lambda self: ops.neg(self)  # noqa: E731
    __pos__ = lambda self: self  # noqa: E731
    __abs__ = lambda self: ops.abs(self)  # noqa: E731
    __getitem__ = lambda self, index: ops.getitem(self, index)  # noqa: E731

    # Comparisons give boolean tensors outside the graph (they have no gradient).
    def _compare(self, other, ufunc):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(ufunc(self.data, other), False)

    __lt__ = lambda self, o: self._compare(o, np.less)  # noqa: E731
    __le__ = lambda self, o: self._compare(o, np.less_equal)  # noqa: E731
    __gt__ = lambda self, o: self._compare(o, np.greater)  # noqa: E731
    __ge__ = lambda self, o: self._compare(o, np.greater_equal)  # noqa: E731
    __eq__ = lambda self, o: self._compare(o, np.equal)  # noqa: E731
    __ne__ = lambda self, o: self._compare(o, np.not_equal)  # noqa: E731
    __hash__ = object.__hash__

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

    # ----- methods that call ops -------------------------------------------
    def exp(self): return ops.exp(self)
    def log(self): return ops.log(self)
    def sqrt(self): return ops.sqrt(self)
    def abs(self): return ops.abs(self)
    def clip(self, min=None, max=None): return ops.clip(self, min, max)
    clamp = clip
    def relu(self): return ops.relu(self)
    def sigmoid(self): return ops.sigmoid(self)
    def tanh(self): return ops.tanh(self)
    def softmax(self, axis=-1, dim=None): return ops.softmax(self, axis if dim is None else dim)
    def log_softmax(self, axis=-1, dim=None): return ops.log_softmax(self, axis if dim is None else dim)

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None):
        return ops.var(self, axis, keepdims, ddof=ddof, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def reshape(self, *shape):
        return ops.reshape(self, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)

    view = reshape

    def transpose(self, dim0=None, dim1=None):
        """No arguments: reverse all axes (NumPy's ``.T``). Two: swap them (PyTorch)."""
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return ops.permute(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)

    def flatten(self, start_dim=0, end_dim=-1): return ops.flatten(self, start_dim, end_dim)
    def squeeze(self, axis=None): return ops.squeeze(self, axis)
    def expand_dims(self, axis): return ops.expand_dims(self, axis)
    unsqueeze = expand_dims
    def broadcast_to(self, shape): return ops.broadcast_to(self, shape)
    def matmul(self, other): return ops.matmul(self, other)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a tuple; no ``.grad``
    is touched (PyTorch's ``torch.autograd.grad``).

    outputs: a tensor or a sequence of them; grad_outputs: dL/d(output) for each (None: 1 for a
        single-element output).
    create_graph: record the backward pass, so the returned gradients can be differentiated again.
    allow_unused: an input that the outputs do not depend on gets None instead of an error.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad(): {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"grad(): output {k} does not require grad (no graph behind it)")
    for k, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"grad(): input {k} does not require grad")
    found = _differentiate(outputs, grad_outputs, retain_graph, create_graph, wanted=inputs)
    result = []
    for k, x in enumerate(inputs):
        g = found.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(f"grad(): input {k} is not used by the outputs (pass allow_unused=True "
                               "to get None for it)")
        result.append(None if g is None else (g if isinstance(g, Tensor) else Tensor._from_op(g, False)))
    return tuple(result)


def _differentiate(roots, gradients, retain_graph, create_graph, wanted=None):
    """Seed each root with its gradient and run the engine (see autograd.run_backward)."""
    seeds = []
    for root, gradient in zip(roots, gradients):
        if gradient is None:
            if root.size != 1:
                raise RuntimeError(
                    f"backward() on a tensor of shape {root.shape} needs a gradient argument of that "
                    "shape; only single-element tensors have an implicit gradient of 1")
            gradient = np.ones(root.shape, dtype=root.dtype)
        array = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=root.dtype)
        if array.shape != root.shape:
            raise ValueError(f"backward(): the gradient has shape {array.shape}, the tensor has shape {root.shape}")
        if create_graph:  # a gradient that is a tensor with a graph keeps it
            seeds.append(gradient if isinstance(gradient, Tensor) else Tensor._from_op(array, False))
        else:
            seeds.append(array)
    retain = create_graph if retain_graph is None else retain_graph
    if not create_graph:
        return autograd.run_backward(roots, seeds, ops.namespaces.NUMPY, retain, False, wanted)
    with enable_grad():
        return autograd.run_backward(roots, seeds, ops.namespaces.TENSORS, retain, True, wanted)


def tensor(data, requires_grad=False, dtype=None):
    """Make a leaf tensor from data (a copy; see ``minigrad.dtypes`` for dtypes)."""
    if isinstance(data, Tensor):
        data = data.data
    return Tensor(np.array(dtypes.to_float_array(data, dtype), copy=True), requires_grad=requires_grad)


# The engine's one import cycle, closed here and nowhere else: Tensor's operators call ``ops``, and
# the ops (through ``function.Function.apply``) make Tensors. Importing ``ops`` at the end, after
# Tensor exists, lets every other module import plainly at its top, whichever is imported first.
from . import ops  # noqa: E402
