"""``Sequential``: modules applied one after the other."""
from .module import Module


class Sequential(Module):
    """Sequential(m0, m1, ...)(x) = ... m1(m0(x)). Sub-modules are named "0", "1", ...
    (so parameters are "0.weight", as in PyTorch); index with seq[i] or slice seq[a:b]."""

    def __init__(self, *modules):
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(module).__name__}, not a Module")
            setattr(self, str(i), module)
        self._length = len(modules)

    def __len__(self):
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*[self[i] for i in range(self._length)[index]])
        if not -self._length <= index < self._length:
            raise IndexError(f"Sequential index {index} out of range for {self._length} modules")
        return getattr(self, str(index % self._length))

    def __iter__(self):
        return (self[i] for i in range(self._length))

    def forward(self, x):
        for module in self:
            x = module(x)
        return x
