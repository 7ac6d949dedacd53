"""``LRScheduler``: the base of the schedules that set each group's lr from the step count alone.

A subclass defines ``lr_at(epoch)``, the rates of all groups after ``epoch`` calls of
``step()``, in closed form. Stepping, resuming from a ``state_dict`` or jumping to an epoch
are then one evaluation of that formula: nothing accumulates, so there is no drift.
The base rate of a group (``base_lrs``) is its lr when the scheduler was made, kept in the
group as ``initial_lr`` (so a second scheduler on the same optimizer starts from it too).
"""


class LRScheduler:
    def __init__(self, optimizer):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, epoch):
        raise NotImplementedError

    def _apply(self):
        """Set every group's options for ``self.last_epoch`` (subclasses may set more than lr)."""
        self._set(self.lr_at(self.last_epoch))

    def _set(self, lrs):
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def step(self):
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        vars(self).update(state_dict)
        self._apply()
