"""``Tensor``: a NumPy array that remembers how it was made.

A tensor made by an op keeps that op in ``_ctx``; the op keeps its inputs in
``parents``. Those links form the graph that ``backward`` walks (see
``autograd.py``). Methods and operators below are thin calls into ``ops/``;
the math of every op lives there, next to its backward.
"""
import collections

import numpy as np

from . import autograd, dtypes
from .grad_mode import enable_grad, is_grad_enabled

# What ``t.max(dim)`` and ``t.min(dim)`` return, as PyTorch's torch.return_types do.
ValuesIndices = collections.namedtuple("ValuesIndices", ["values", "indices"])


class _Size(int):
    """``t.size``: NumPy's element count (an int), which can also be called as PyTorch's
    ``t.size()`` (the shape, a tuple) or ``t.size(d)`` (the length of axis d)."""

    def __new__(cls, array):
        n = int.__new__(cls, array.size)
        n.shape = array.shape
        return n

    def __call__(self, dim=None):
        if dim is None:
            return self.shape
        if not -len(self.shape) <= dim < len(self.shape):
            raise IndexError(f"size({dim}): dimension out of range for a tensor with {len(self.shape)} dimensions")
        return self.shape[dim]

    def __reduce__(self):  # pickle and deepcopy keep the number, as a plain int
        return int, (int(self),)


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
    size = property(lambda self: _Size(self.data))  # both t.size (NumPy) and t.size() (PyTorch)
    is_leaf = property(lambda self: self._ctx is None)
    T = property(lambda self: self.transpose())

    # PyTorch's names for the same facts (NumPy's shape/ndim/size are kept beside them).
    def numel(self):
        """The number of elements (NumPy's ``t.size``)."""
        return self.data.size

    def dim(self):
        """The number of dimensions (NumPy's ``t.ndim``)."""
        return self.data.ndim

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self (PyTorch's spelling, for chaining)."""
        self.requires_grad = requires_grad
        return self

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
        """The one element, as a Python number (float, or int and bool for index and mask tensors)."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        """The elements as nested Python lists of numbers (a number for a 0-d tensor)."""
        return self.data.tolist()

    # float(t), int(t), f"{t:.3f}" and operator.index(t) read a one-element tensor, as in PyTorch.
    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of one element can be used as an index, not one of "
                            f"dtype {self.dtype} and shape {self.shape}")
        return int(self.data.item())

    def __format__(self, spec):
        """A 0-d tensor formats as its number (f"{loss:.4f}"); so does any one-element tensor when
        a format spec is given; with no spec, other tensors print as their repr."""
        if self.data.size == 1 and (self.data.ndim == 0 or spec):
            return format(self.data.item(), spec)
        if not spec:
            return repr(self)
        raise TypeError(f"format spec {spec!r} needs a tensor with one element, this one has shape "
                        f"{self.shape}; format its .tolist() or .numpy() instead")

    def detach(self):
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor._from_op(self.data, False)

    def astype(self, dtype):
        return ops.astype(self, dtype)

    float = lambda self: self.astype(np.float32)  # noqa: E731
    double = lambda self: self.astype(np.float64)  # noqa: E731

    def clone(self):
        """A copy of the data that stays in the graph: the gradient flows back to self unchanged.

        (``detach()`` shares the data and leaves the graph; ``clone().detach()`` does both.)
        """
        if self.data.dtype not in dtypes.FLOAT_DTYPES:  # index and mask tensors have no graph
            return Tensor._from_op(self.data.copy(), False)
        return ops.astype(self, self.data.dtype)  # astype copies, and its VJP is the identity here

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """PyTorch's ``t.to(dtype)``, ``t.to('cpu')``, ``t.to(other)``: a dtype converts (as
        ``astype``); the only device is the CPU, so 'cpu' changes nothing. Returns self when nothing
        changes (a copy if ``copy``)."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif _is_device(arg):
                device = arg
            else:
                dtype = arg
        if device is not None and not _is_device(device, cpu_only=True):
            raise ValueError(f"to({device!r}): minigrad runs on the CPU only; the device is 'cpu'")
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.astype(dtype)
        return self.clone() if copy else self

    def cpu(self):
        """Self: every tensor is on the CPU."""
        return self

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

    # ----- in place -----------------------------------------------------------
    def fill_(self, value):
        """Write ``value`` into every element, in place; return self (``p.grad.zero_()``).

        autograd does not see in-place writes, so a tensor that requires grad can only be
        written under ``minigrad.no_grad()`` (as a leaf can in PyTorch); and a tensor whose data
        an op saved for a backward pass still to come must not be written at all.
        """
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError("an in-place write to a tensor that requires grad is not recorded by "
                               "autograd; do it under minigrad.no_grad(), or write to t.detach()")
        self.data[...] = value
        return self

    def zero_(self):
        """Set every element to 0, in place; return self."""
        return self.fill_(0)

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
        if self.data.dtype not in dtypes.FLOAT_DTYPES:  # counting: (pred == y).sum() is an int64 count
            axis = axis if dim is None else dim
            keepdims = keepdims if keepdim is None else keepdim
            return Tensor._from_op(np.asarray(self.data.sum(axis=axis, keepdims=keepdims, dtype=np.int64)), False)
        return ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None):
        return ops.var(self, axis, keepdims, ddof=ddof, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """PyTorch's three forms: ``t.max()`` the largest element; ``t.max(dim)`` (an int, keyword
        or positional) the namedtuple (values, indices) along dim; ``t.max(other)`` the elementwise
        maximum. NumPy's ``t.max(axis=...)`` (one axis or several) gives the values only, as does
        ``t.amax(dim)``.

        Gradients: through ``t.max(dim).values`` each row's gradient goes to the element at
        ``indices`` (the first of tied maxima), as in PyTorch; through ``t.max()``, ``t.amax`` and
        ``axis=``, tied maxima share it equally.
        """
        return self._extremum(ops.max, np.argmax, ops.maximum, dim, keepdim, axis, keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The forms of ``max`` (see there), for the smallest elements."""
        return self._extremum(ops.min, np.argmin, ops.minimum, dim, keepdim, axis, keepdims)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The largest values over dim (one or several; all if None), without indices."""
        return ops.max(self, _axis_or_dim(axis, dim), bool(keepdim if keepdims is None else keepdims))

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The smallest values over dim (one or several; all if None), without indices."""
        return ops.min(self, _axis_or_dim(axis, dim), bool(keepdim if keepdims is None else keepdims))

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The index of the largest element along dim (of the flattened tensor if None); the first
        one where several tie. An int64 tensor outside the graph (see ``_indices``)."""
        return self._indices(np.argmax, dim, keepdim, axis, keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The index of the smallest element along dim; see ``argmax``."""
        return self._indices(np.argmin, dim, keepdim, axis, keepdims)

    def _indices(self, arg_fn, dim, keepdim, axis, keepdims):
        """``arg_fn`` (np.argmax or np.argmin) of the data as an int64 tensor with no graph, as
        PyTorch's int64 indices: ``(logits.argmax(dim=1) == labels).float().mean()`` compares it with
        integer labels (arrays or tensors), and it indexes tensors and arrays."""
        axis = _axis_or_dim(axis, dim)
        keep = bool(keepdim if keepdims is None else keepdims)
        if axis is not None and not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{arg_fn.__name__} takes one dim (an int) or None, not {axis!r}")
        return Tensor._from_op(arg_fn(self.data, axis=axis, keepdims=keep).astype(np.int64), False)

    def _extremum(self, reduce, arg_fn, elementwise, dim, keepdim, axis, keepdims):
        """max or min in the form chosen by the arguments (see ``max``)."""
        if isinstance(dim, Tensor):
            if axis is not None:
                raise TypeError("give a tensor to compare with or an axis, not both")
            return elementwise(self, dim)
        keep = bool(keepdim if keepdims is None else keepdims)
        if dim is None:
            return reduce(self, axis, keep)
        if axis is not None:
            raise TypeError("give axis or dim, not both")
        if not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{reduce.__name__}(dim) takes one dim and returns (values, indices); for "
                            f"several dims use {reduce.__name__}(axis={dim!r}) or a{reduce.__name__}(dim={dim!r})")
        indices = arg_fn(self.data, axis=dim, keepdims=keep)
        # values = self at the chosen indices: one array per axis, an open grid over the result's
        # axes for all but dim, so the gradient goes to that one element (getitem's VJP).
        grid = np.indices(indices.shape, sparse=True)
        dim = dim % self.ndim
        index = tuple(indices if a == dim else grid[a if keep or a < dim else a - 1] for a in range(self.ndim))
        return ValuesIndices(ops.getitem(self, index), Tensor._from_op(indices.astype(np.int64), False))

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def reshape(self, *shape):
        return ops.reshape(self, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)

    view = reshape

    def transpose(self, dim0=None, dim1=None):
        """No arguments: reverse all axes (NumPy's ``.T``). Two: swap them (PyTorch)."""
        return ops.transpose(self, dim0, dim1)

    def t(self):
        """PyTorch's ``t()``: a 2-D tensor transposed; a 0-d or 1-D tensor as it is."""
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dimensions, this one has shape {self.shape}; "
                             "use transpose(dim0, dim1) or permute")
        return ops.transpose(self)

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


def argmax(input, dim=None, keepdim=False):
    """``torch.argmax``: ``input.argmax(dim, keepdim)`` (see ``Tensor.argmax``)."""
    return (input if isinstance(input, Tensor) else Tensor(input)).argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """``torch.argmin``: ``input.argmin(dim, keepdim)`` (see ``Tensor.argmin``)."""
    return (input if isinstance(input, Tensor) else Tensor(input)).argmin(dim, keepdim)


def _axis_or_dim(axis, dim):
    if axis is not None and dim is not None:
        raise TypeError("give axis or dim, not both")
    return dim if axis is None else axis


def _is_device(arg, cpu_only=False):
    """Whether ``arg`` names a device ('cpu', 'cpu:0', 'cuda', ... or a torch.device)."""
    name = getattr(arg, "type", arg)  # torch.device('cpu').type == 'cpu'
    if not isinstance(name, str):
        return False
    kind = name.split(":")[0]
    return kind == "cpu" if cpu_only else kind in ("cpu", "cuda", "mps", "xpu", "meta")


def tensor(data, requires_grad=False, dtype=None):
    """Make a leaf tensor from data (a copy; see ``minigrad.dtypes`` for dtypes)."""
    if isinstance(data, Tensor):
        data = data.data
    return Tensor(np.array(dtypes.to_float_array(data, dtype), copy=True), requires_grad=requires_grad)


# The engine's one import cycle, closed here and nowhere else: Tensor's operators call ``ops``, and
# the ops (through ``function.Function.apply``) make Tensors. Importing ``ops`` at the end, after
# Tensor exists, lets every other module import plainly at its top, whichever is imported first.
from . import ops  # noqa: E402
