"""``Optimizer``: the base class. It holds parameter groups and per-parameter state.

An optimizer is given the parameters to update (a list of Parameters, or a list
of dicts ``{"params": [...], "lr": ...}`` for per-group settings). Every step
reads ``p.grad`` and changes ``p.data`` in place, under ``no_grad``, in the
parameter's own dtype: every hyperparameter is first turned into a NumPy
scalar of that dtype, so a float32 model is never promoted to float64.

``state_dict()`` holds only NumPy arrays, numbers and lists (it pickles);
parameters are referred to by their position in the groups, as in PyTorch.
"""
import copy

import numpy as np

from ..grad_mode import no_grad
from ..tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors or of dicts, "
                            "not a single tensor (write [tensor])")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}  # id(parameter) -> dict of arrays and numbers
        for group in params if isinstance(params[0], dict) else [{"params": params}]:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group {"params": tensors, option: value, ...}; options it leaves out take the
        optimizer's defaults. Use it to train more parameters later, e.g. after unfreezing a
        layer. A parameter may belong to one group only."""
        params = param_group["params"]
        group = {**self.defaults, **param_group,
                 "params": [params] if isinstance(params, Tensor) else list(params)}
        unknown = set(param_group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown options {sorted(unknown)}")
        ids = [id(p) for p in group["params"]]
        if len(set(ids)) != len(ids) or set(ids) & {id(p) for p in self._params()}:
            raise ValueError(f"{type(self).__name__}: a parameter appears more than once in the parameter groups")
        self.param_groups.append(group)

    def _params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none=True):
        """Forget the gradients (the next backward starts from nothing).

        set_to_none=True (PyTorch's default): ``p.grad = None``. False: fill the gradient
        arrays with zeros in place (a gradient that carries a graph is replaced by zeros).
        """
        for p in self._params():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            elif p.grad.is_leaf:
                p.grad.data[...] = 0
            else:
                p.grad = Tensor(np.zeros_like(p.grad.data))

    def step(self):
        """Update every parameter that has a gradient (subclasses define ``update``)."""
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self.update(p, p.grad.data, self.state.setdefault(id(p), {}), group)

    def update(self, p, grad, state, group):
        raise NotImplementedError

    # ----- saving and loading ---------------------------------------------------
    def state_dict(self):
        """{"state": {index: {name: array or number}}, "param_groups": [{options, "params": [index]}]}."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[k]: copy.deepcopy(v) for k, v in self.state.items() if k in index}
        groups, start = [], 0
        for group in self.param_groups:
            n = len(group["params"])
            groups.append({**{k: v for k, v in group.items() if k != "params"},
                           "params": list(range(start, start + n))})
            start += n
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and state saved by ``state_dict`` (same parameters, same order)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: checkpoint has {len(groups)} parameter groups, "
                             f"optimizer has {len(self.param_groups)}")
        for i, (saved, group) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"load_state_dict: group {i} has {len(saved['params'])} parameters in "
                                 f"the checkpoint, {len(group['params'])} in the optimizer")
        params = self._params()
        self.state = {}
        for i, entry in state_dict["state"].items():
            p = params[int(i)]
            restored = {}
            for k, v in entry.items():
                if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                    if v.shape != p.shape:
                        raise ValueError(f"load_state_dict: state {k!r} of parameter {i} has shape "
                                         f"{v.shape}, the parameter has {p.shape}")
                    v = v.astype(p.dtype, copy=True)
                restored[k] = copy.deepcopy(v)
            self.state[id(p)] = restored
        for saved, group in zip(groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in group.items() if k != "params"]
        return "\n".join(lines) + "\n)"
