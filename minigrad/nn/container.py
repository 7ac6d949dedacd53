"""Containers: ``Sequential`` (modules applied in turn), ``ModuleList`` and ``ModuleDict``.

Each keeps its modules as attributes named by their key ("0", "1", ... or the dict's keys),
so parameters are "0.weight" or "encoder.weight" as in PyTorch, and iterates over them in
the order they were added. As in PyTorch, slicing a ``Sequential`` keeps the children's names
(``seq[1:]`` holds "1", "2", ...), while slicing a ``ModuleList`` numbers from "0" again;
deleting or inserting renumbers both.
"""
from collections import OrderedDict

from .module import Module


def _child_items(container):
    """(name, module) of the container's direct children, in the order they were set."""
    return [(k, v) for k, v in vars(container).items() if isinstance(v, Module)]


def _renumber(container, modules):
    """Make ``modules`` the container's children, named "0", "1", ..."""
    for name, _ in _child_items(container):
        delattr(container, name)
    for i, module in enumerate(modules):
        container.add_module(str(i), module)


def _position(index, length, what):
    index = int(index)
    if not -length <= index < length:
        raise IndexError(f"{what} index {index} out of range for {length} modules")
    return index % length


def _check_module(module, where):
    if not isinstance(module, Module):
        raise TypeError(f"{where}: {type(module).__name__} is not a Module")
    return module


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: numbered children, counted, iterated, appended
    (named by their position) and popped."""

    def __len__(self):
        return len(_child_items(self))

    def __iter__(self):
        return iter([m for _, m in _child_items(self)])

    def append(self, module):
        self.add_module(str(len(self)), _check_module(module, f"{type(self).__name__}.append"))
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def pop(self, index=-1):
        module = self[index]
        del self[index]
        return module


class Sequential(_ModuleSequence):
    """Sequential(m0, m1, ...)(x) = ... m1(m0(x)); children named "0", "1", ...
    ``Sequential(OrderedDict([("conv", ...), ("act", ...)]))`` names them by the keys.
    Index with seq[i] (by position), slice with seq[a:b] (names kept), append, insert, extend, pop."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, _check_module(module, f"Sequential: entry {name!r}"))
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), _check_module(module, f"Sequential: argument {i}"))

    def __getitem__(self, index):
        items = _child_items(self)
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_position(index, len(items), "Sequential")][1]

    def __setitem__(self, index, module):
        items = _child_items(self)
        setattr(self, items[_position(index, len(items), "Sequential")][0], _check_module(module, "Sequential"))

    def __delitem__(self, index):
        items = _child_items(self)
        keep = list(range(len(items)))
        del keep[index if isinstance(index, slice) else _position(index, len(items), "Sequential")]
        _renumber(self, [items[i][1] for i in keep])

    def insert(self, index, module):
        modules = list(self)
        if not -len(modules) <= index <= len(modules):
            raise IndexError(f"Sequential.insert: index {index} out of range for {len(modules)} modules")
        modules.insert(index, _check_module(module, "Sequential.insert"))
        _renumber(self, modules)
        return self

    def forward(self, x):
        for module in self:
            x = module(x)
        return x


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the parent finds: ModuleList([m0, m1]), indexing,
    slicing (a new ModuleList, numbered from 0), append, extend, insert, pop, +=, len, iteration.
    It has no forward: the parent decides how to call its modules."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        modules = list(self)
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[_position(index, len(modules), "ModuleList")]

    def __setitem__(self, index, module):
        setattr(self, str(_position(index, len(self), "ModuleList")), _check_module(module, "ModuleList"))

    def __delitem__(self, index):
        modules = list(self)
        del modules[index if isinstance(index, slice) else _position(index, len(modules), "ModuleList")]
        _renumber(self, modules)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def insert(self, index, module):
        modules = list(self)
        modules.insert(index, _check_module(module, "ModuleList.insert"))
        _renumber(self, modules)


class ModuleDict(Module):
    """A dict of modules whose parameters the parent finds, in insertion order:
    ModuleDict({"enc": m0, "dec": m1}) (or pairs), md[key], md[key] = m, del md[key], ``in``,
    len, iteration over keys, keys(), values(), items(), update, pop, clear. Keys are strings
    without "." that are not already attributes of the module (PyTorch's rule)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        value = vars(self).get(key) if isinstance(key, str) else None
        if not isinstance(value, Module):
            raise KeyError(key)
        return value

    def __setitem__(self, key, module):
        self.add_module(key, _check_module(module, f"ModuleDict[{key!r}]"))

    def __delitem__(self, key):
        self[key]  # KeyError for a missing key
        delattr(self, key)

    def __len__(self):
        return len(_child_items(self))

    def __iter__(self):
        return iter(self.keys())

    def __contains__(self, key):
        return isinstance(key, str) and isinstance(vars(self).get(key), Module)

    def keys(self):
        return [k for k, _ in _child_items(self)]

    def values(self):
        return [m for _, m in _child_items(self)]

    def items(self):
        return _child_items(self)

    def update(self, modules):
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def clear(self):
        for key in self.keys():
            delattr(self, key)
