"""ReduceLROnPlateau: divide the learning rate when a watched metric stops improving.

Call ``scheduler.step(metric)`` once per epoch with, say, the validation loss. A value
is an improvement when it beats the best so far by more than ``threshold``:

    mode='min', 'rel':  value < best (1 - threshold)      'abs':  value < best - threshold
    mode='max', 'rel':  value > best (1 + threshold)      'abs':  value > best + threshold

After more than ``patience`` epochs in a row without improvement, every group's rate
becomes max(lr factor, min_lr) (a change smaller than ``eps`` is skipped), and the count
restarts after ``cooldown`` epochs in which bad epochs are not counted. The rate depends
on the metrics seen, so unlike the other schedules it has no closed form.
"""
import math


class ReduceLROnPlateau:
    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode 'rel' or "
                             f"'abs', got {mode!r} and {threshold_mode!r}")
        groups = optimizer.param_groups
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(groups)
        if len(min_lrs) != len(groups):
            raise ValueError(f"ReduceLROnPlateau: {len(min_lrs)} min_lr values for {len(groups)} groups")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience, self.cooldown = mode, factor, patience, cooldown
        self.threshold, self.threshold_mode, self.min_lrs, self.eps = threshold, threshold_mode, min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs, self.cooldown_counter, self.last_epoch = 0, 0, 0
        self._last_lr = [group["lr"] for group in groups]

    def is_better(self, value):
        if self.mode == "min":
            return value < (self.best * (1 - self.threshold) if self.threshold_mode == "rel"
                            else self.best - self.threshold)
        return value > (self.best * (1 + self.threshold) if self.threshold_mode == "rel"
                        else self.best + self.threshold)

    def step(self, metrics):
        """Record this epoch's metric (a number or a one-element tensor) and maybe lower the rates."""
        value = float(metrics.item() if hasattr(metrics, "item") else metrics)
        self.last_epoch += 1
        if self.is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, floor)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        vars(self).update(state_dict)
