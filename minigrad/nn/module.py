"""``Module``: a callable with parameters, found by looking at its attributes.

A module's parameters are the ``Parameter`` objects among its attributes,
followed into sub-modules and into lists, tuples and dicts of them. Nothing
needs registering by hand: ``self.fc = Linear(4, 3)`` is enough for
``fc.weight`` and ``fc.bias`` to appear in ``named_parameters()`` as
"fc.weight" and "fc.bias". Attributes are visited in the order they were
assigned. (``add_module``, ``register_parameter`` and ``register_module`` exist
for code written for PyTorch; they check the name and set the attribute.)

Buffers are arrays that belong to the model's state but are not trained
(BatchNorm's running mean and variance); a module names them with
``register_buffer`` and, unless ``persistent=False``, they are saved in
``state_dict``.

The state_dict follows PyTorch's order exactly, module by module: a module's
own parameters, then its own buffers, then each child's entries, recursively in
the order the children were assigned. It is not deduplicated: a parameter (or
module) registered under two names is saved under both, while
``named_parameters()`` and ``parameters()`` yield it once, under its first name.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from .. import dtypes
from ..tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A tensor that is a trainable weight of a module (requires_grad=True, owns a copy of data)."""

    def __init__(self, data, requires_grad=True, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(np.array(dtypes.to_float_array(data, dtype), copy=True), requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _walk(value, name):
    """(name, item) for every Parameter or Module inside value (lists, tuples, dicts followed)."""
    if isinstance(value, (Parameter, Module)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _walk(item, f"{name}.{i}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{name}.{key}")


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


class Module:
    """Base class of layers and models. Subclasses set attributes in ``__init__``
    (calling ``super().__init__()`` first) and define ``forward``."""

    # buffers a state_dict may lack (an older checkpoint): loading keeps their value
    _optional_buffers = ()

    def __init__(self):
        self.training = True
        self._buffer_names = []
        self._non_persistent_buffers = set()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ----- what the module holds ---------------------------------------------
    def _members(self):
        """(name, Parameter or Module) directly held by this module, in attribute order."""
        for attr, value in vars(self).items():
            yield from _walk(value, attr)

    def named_children(self):
        """(name, module) for the direct sub-modules, each module once."""
        seen = set()
        for name, value in self._members():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self):
        return (m for _, m in self.named_children())

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module ("") and every module below it, depth first;
        a module reachable under two names is yielded once (unless ``remove_duplicate=False``)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, value in self._members():
            if isinstance(value, Module):
                yield from value.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self):
        return (m for _, m in self.named_modules())

    def _named_members(self, own, prefix, recurse, remove_duplicate):
        """(dotted name, item) for the items ``own(module)`` gives, over this module or the tree."""
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, value in own(module):
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield _join(mod_name, name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) for every parameter, each shared parameter once."""
        return self._named_members(Module._own_parameters, prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        return [p for _, p in self.named_parameters(recurse=recurse)]

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, ndarray) for every buffer (non-persistent ones too; None ones skipped)."""
        return self._named_members(Module._own_buffers, prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        return [b for _, b in self.named_buffers(recurse=recurse)]

    def _own_parameters(self):
        return ((name, value) for name, value in self._members() if isinstance(value, Parameter))

    def _own_buffers(self, persistent_only=False):
        skip = getattr(self, "_non_persistent_buffers", ()) if persistent_only else ()
        for name in self._buffer_names:
            value = getattr(self, name, None)
            if value is not None and name not in skip:
                yield name, value

    # ----- registering by hand (PyTorch's API; plain attributes work too) --------------
    def _check_new_name(self, name, kind, allowed):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f'{kind} name can\'t be empty or contain ".", got {name!r}')
        if hasattr(self, name) and not (getattr(self, name) is None or allowed(getattr(self, name))):
            raise KeyError(f"attribute '{name}' already exists")

    def add_module(self, name, module):
        """Set sub-module ``name`` (a Module or None); the same as ``self.<name> = module``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_new_name(name, "module", lambda v: isinstance(v, Module))
        setattr(self, name, module)

    register_module = add_module

    def register_parameter(self, name, param):
        """Set parameter ``name`` (a Parameter or None); the same as ``self.<name> = param``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign a {type(param).__name__} as parameter {name!r} "
                            "(a Parameter or None is required)")
        self._check_new_name(name, "parameter", lambda v: isinstance(v, Parameter))
        setattr(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """Keep ``tensor`` (array-like, a Tensor or None) as attribute ``name``, an ndarray;
        saved in the state_dict unless ``persistent=False``."""
        self._check_new_name(name, "buffer", lambda v: name in self._buffer_names)
        if isinstance(tensor, Tensor):
            tensor = tensor.data
        setattr(self, name, None if tensor is None else np.asarray(tensor))
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        non_persistent = self.__dict__.setdefault("_non_persistent_buffers", set())
        if persistent:
            non_persistent.discard(name)
        else:
            non_persistent.add(name)

    # ----- modes and gradients ------------------------------------------------
    def train(self, mode=True):
        """Training mode (dropout, noise and batch statistics on); returns self."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode: same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter (False freezes them); returns self."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def apply(self, fn):
        """Call ``fn(module)`` on every child, recursively, then on self (PyTorch's order); returns
        self. For example ``model.apply(init_weights)`` with a function that tests the type."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----- dtype and device ------------------------------------------------------
    def to(self, *args, **kwargs):
        """Convert every parameter and floating-point buffer to a dtype, in place; return self.

        Takes what PyTorch's ``Module.to`` takes: ``to(dtype)``, ``to(device)``,
        ``to(device, dtype)``, ``to(tensor)`` (its dtype) or the keywords ``device``, ``dtype``,
        ``non_blocking``. The only device is the CPU ('cpu', 'cpu:0'): naming it changes
        nothing, naming another is a ValueError. ``model.to(np.float64)`` before a
        finite-difference gradient check. Gradients are dropped (they belonged to the old
        arrays); an optimizer made before holds the old moments, so make it after converting.
        """
        dtype = _parse_to_arguments(args, kwargs)
        if dtype is None:
            return self
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
        for module in self.modules():
            for name in module._buffer_names:
                value = getattr(module, name)
                if value is not None and np.issubdtype(np.asarray(value).dtype, np.floating):
                    setattr(module, name, np.asarray(value).astype(dtype))
        return self

    def float(self):
        """``to(np.float32)``."""
        return self.to(np.float32)

    def double(self):
        """``to(np.float64)``."""
        return self.to(np.float64)

    def cpu(self):
        """Nothing to do: everything lives in the CPU's memory. Returns self."""
        return self

    # ----- saving and loading ---------------------------------------------------
    def _state_entries(self, prefix=""):
        """(dotted name, Parameter or ndarray, optional) for every state_dict entry, in PyTorch's
        order (own parameters, own persistent buffers, then each child's), nothing copied."""
        for name, value in self._own_parameters():
            yield prefix + name, value, False
        for name, value in self._own_buffers(persistent_only=True):
            yield prefix + name, value, name in self._optional_buffers
        for name, value in self._members():
            if isinstance(value, Module):
                yield from value._state_entries(f"{prefix}{name}.")

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """OrderedDict name -> ndarray (a copy) of every parameter and persistent buffer.

        PyTorch's keys in PyTorch's order (see the module docstring); ``keep_vars=True`` gives the
        Parameters and buffer arrays themselves instead of copies. ``prefix`` is put before
        every key and ``destination`` (a dict) is filled instead of a new OrderedDict.
        """
        state = OrderedDict() if destination is None else destination
        for name, value, _ in self._state_entries(prefix):
            if keep_vars:
                state[name] = value
            else:
                state[name] = np.array(value.data if isinstance(value, Parameter) else value, copy=True)
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` into the parameters and buffers, in place.

        Keys are matched by name; their order does not matter. strict=True (default): the
        keys must match exactly; otherwise a KeyError lists the missing and unexpected keys.
        (A BatchNorm's ``num_batches_tracked``, absent from checkpoints written before it
        existed, may be missing: the current count is kept.) Shapes must always match
        (ValueError naming both). Values are converted to each entry's dtype. Values may be
        arrays, Tensors or anything ``np.asarray`` reads (a torch tensor on the CPU). Returns
        ``(missing_keys, unexpected_keys)``, a named tuple as in PyTorch.
        """
        targets, optional = OrderedDict(), set()
        for name, value, is_optional in self._state_entries():
            targets[name] = value.data if isinstance(value, Parameter) else value
            if is_optional:
                optional.add(name)
        missing = [k for k in targets if k not in state_dict and k not in optional]
        unexpected = [k for k in state_dict if k not in targets]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        values = {k: _as_array(state_dict[k]) for k in targets if k in state_dict}
        mismatched = [f"{k}: checkpoint has {v.shape}, model has {targets[k].shape}"
                      for k, v in values.items() if v.shape != targets[k].shape]
        if mismatched:
            raise ValueError("load_state_dict: shape mismatch: " + "; ".join(mismatched))
        for key, value in values.items():
            targets[key][...] = value
        return IncompatibleKeys(missing, unexpected)

    # ----- printing ---------------------------------------------------------------
    def extra_repr(self):
        """The text inside the parentheses of this module's repr (subclasses override)."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}({self.extra_repr()}\n" + "".join(f"  {line}\n" for line in lines) + ")"


def _as_array(value):
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _parse_to_arguments(args, kwargs):
    """The dtype named by ``Module.to``'s arguments (None if only a device is named)."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(unknown)}")
    dtype = kwargs.get("dtype")
    if "device" in kwargs:
        _check_device(kwargs["device"])
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif _is_device(arg):
            _check_device(arg)
        else:
            dtype = arg
    if dtype is None:
        return None
    if type(dtype).__module__ == "torch":  # torch.float64 -> "float64"
        dtype = str(dtype).replace("torch.", "")
    dtype = np.dtype(dtype)
    if dtype not in dtypes.FLOAT_DTYPES:
        raise TypeError(f"Module.to: parameters must be a float dtype, got {dtype}")
    return dtype


def _is_device(value):
    """A device name ('cpu', 'cuda:0') or a torch.device, as opposed to a dtype."""
    if isinstance(value, str):
        try:
            np.dtype(value)
        except TypeError:
            return True
        return False
    return type(value).__name__ == "device"


def _check_device(device):
    if device is None:
        return
    name = str(getattr(device, "type", device))
    if name.split(":")[0] != "cpu":
        raise ValueError(f"Module.to: minigrad runs on the CPU only, got device {str(device)!r}")
