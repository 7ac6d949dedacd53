"""OneCycleLR (Smith & Topin, "super-convergence"): one warm-up and one cool-down over the whole run.

Call ``step()`` after every batch, ``total_steps`` times (or epochs * steps_per_epoch).
With lr_max = max_lr, lr_0 = lr_max / div_factor and lr_min = lr_0 / final_div_factor,
the rate moves through phases, each ending at a step number:

    two phases (default):  lr_0 -> lr_max   until s_1 = pct_start T - 1
                           lr_max -> lr_min until T - 1
    three_phase=True:      lr_0 -> lr_max   until s_1 = pct_start T - 1
                           lr_max -> lr_0   until 2 pct_start T - 2
                           lr_0 -> lr_min   until T - 1

Inside a phase from step a to step b, with pct = (s - a) / (b - a), the rate is

    cos:     end + (start - end) (1 + cos(pi pct)) / 2
    linear:  start + (end - start) pct

The momentum (SGD's ``momentum`` or Adam's beta1) moves the opposite way, between
max_momentum and base_momentum, when ``cycle_momentum``: high momentum while the rate
is low. As in PyTorch, the scheduler writes these values into the optimizer's groups
(also ``initial_lr``, ``max_lr``, ``min_lr``, ``max_momentum``, ``base_momentum``), and
cycle_momentum=True turns on SGD's momentum even if it was 0.
"""
import math

from .scheduler import LRScheduler


def _per_group(value, groups, name):
    values = list(value) if isinstance(value, (list, tuple)) else [value] * len(groups)
    if len(values) != len(groups):
        raise ValueError(f"OneCycleLR: {name} has {len(values)} values for {len(groups)} parameter groups")
    return values


class OneCycleLR(LRScheduler):
    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False):
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if total_steps <= 0:
            raise ValueError(f"OneCycleLR: total_steps must be positive, got {total_steps}")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        groups = optimizer.param_groups
        self.total_steps, self.anneal_strategy = total_steps, anneal_strategy
        up = float(pct_start * total_steps) - 1
        if three_phase:  # (end step, lr from, lr to, momentum from, momentum to)
            self.phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (2 * up, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                           (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self.phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        for group, top in zip(groups, _per_group(max_lr, groups, "max_lr")):
            group.update(initial_lr=top / div_factor, max_lr=top, min_lr=top / div_factor / final_div_factor)
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("OneCycleLR: cycle_momentum needs an optimizer with momentum or betas")
            self.use_beta1 = "betas" in optimizer.defaults
            for group, low, high in zip(groups, _per_group(base_momentum, groups, "base_momentum"),
                                        _per_group(max_momentum, groups, "max_momentum")):
                group.update(base_momentum=low, max_momentum=high)
        super().__init__(optimizer)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _at(self, step, group, first, last):
        """The value between group[first] and group[last] keys of the phase holding ``step``."""
        start = 0.0
        for i, phase in enumerate(self.phases):
            end = phase[0]
            if step <= end or i == len(self.phases) - 1:
                pct = (step - start) / (end - start)
                return self._anneal(group[phase[first]], group[phase[last]], pct)
            start = end

    def lr_at(self, step):
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times; total_steps is {self.total_steps}")
        return [self._at(step, group, 1, 2) for group in self.optimizer.param_groups]

    def _apply(self):
        super()._apply()
        if not self.cycle_momentum:
            return
        for group in self.optimizer.param_groups:
            m = self._at(self.last_epoch, group, 3, 4)
            if self.use_beta1:
                group["betas"] = (m, *group["betas"][1:])
            else:
                group["momentum"] = m
