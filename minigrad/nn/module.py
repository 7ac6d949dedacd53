"""``Module``: a callable with parameters, found by looking at its attributes.

A module's parameters are the ``Parameter`` objects among its attributes,
followed into sub-modules and into lists, tuples and dicts of them. Nothing is
registered by hand: ``self.fc = Linear(4, 3)`` is enough for ``fc.weight`` and
``fc.bias`` to appear in ``named_parameters()`` as "fc.weight" and "fc.bias".
Attributes are visited in the order they were assigned.

Buffers are arrays that belong to the model's state but are not trained
(BatchNorm's running mean and variance); a module names them with
``register_buffer`` and they are saved in ``state_dict`` next to parameters.
"""
from collections import OrderedDict

import numpy as np

from .. import dtypes
from ..tensor import Tensor


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


class Module:
    """Base class of layers and models. Subclasses set attributes in ``__init__``
    (calling ``super().__init__()`` first) and define ``forward``."""

    def __init__(self):
        self.training = True
        self._buffer_names = []

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
        """(name, module) for the direct sub-modules."""
        for name, value in self._members():
            if isinstance(value, Module):
                yield name, value

    def children(self):
        return (m for _, m in self.named_children())

    def named_modules(self, prefix=""):
        """(name, module) for this module ("" ) and every module below it, depth first."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix=""):
        """(dotted name, Parameter) for every parameter, each shared parameter once."""
        seen = set()
        for mod_name, module in self.named_modules(prefix):
            for name, value in module._members():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{mod_name}.{name}" if mod_name else name), value

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name, array):
        """Keep ``array`` (an ndarray) as attribute ``name`` and in the state_dict."""
        setattr(self, name, np.asarray(array))
        if name not in self._buffer_names:
            self._buffer_names.append(name)

    def named_buffers(self):
        for mod_name, module in self.named_modules():
            for name in module._buffer_names:
                yield (f"{mod_name}.{name}" if mod_name else name), getattr(module, name)

    # ----- modes and gradients ------------------------------------------------
    def train(self, mode=True):
        """Training mode (dropout, noise and batch statistics on); returns self."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode: same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def to(self, dtype):
        """Convert every parameter and floating-point buffer to ``dtype``, in place; return self.

        ``model.to(np.float64)`` before a finite-difference gradient check. Gradients are
        dropped (they belonged to the old arrays); an optimizer made before holds the old
        moments, so make it after converting.
        """
        dtype = np.dtype(dtype)
        if dtype not in dtypes.FLOAT_DTYPES:
            raise TypeError(f"Module.to: parameters must be a float dtype, got {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
        for module in self.modules():
            for name in module._buffer_names:
                value = getattr(module, name)
                if np.issubdtype(np.asarray(value).dtype, np.floating):
                    setattr(module, name, np.asarray(value).astype(dtype))
        return self

    # ----- saving and loading ---------------------------------------------------
    def state_dict(self):
        """OrderedDict name -> ndarray (a copy) of every parameter and buffer."""
        state = OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())
        state.update((name, np.array(b, copy=True)) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` into the parameters and buffers, in place.

        strict=True (default): the keys must match exactly; otherwise a KeyError lists
        the missing and unexpected keys. Shapes must always match (ValueError naming
        both). Values are converted to each parameter's dtype. Returns
        (missing_keys, unexpected_keys).
        """
        targets = OrderedDict((name, p.data) for name, p in self.named_parameters())
        targets.update(self.named_buffers())
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        mismatched = [f"{k}: checkpoint has {np.shape(state_dict[k])}, model has {targets[k].shape}"
                      for k in targets if k in state_dict and np.shape(state_dict[k]) != targets[k].shape]
        if mismatched:
            raise ValueError("load_state_dict: shape mismatch: " + "; ".join(mismatched))
        for key, target in targets.items():
            if key in state_dict:
                value = state_dict[key]
                target[...] = value.data if isinstance(value, Tensor) else np.asarray(value)
        return missing, unexpected

    # ----- printing ---------------------------------------------------------------
    def extra_repr(self):
        """The text inside the parentheses of this module's repr (subclasses override)."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}({self.extra_repr()}\n" + "".join(f"  {line}\n" for line in lines) + ")"
