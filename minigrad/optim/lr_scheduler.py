"""Learning-rate schedules: set each group's lr from the epoch count, in closed form.

Call ``scheduler.step()`` once per epoch, after ``optimizer.step()``. With
base rate lr_0 (the group's lr when the scheduler was made) and epoch e:

    StepLR:             lr_e = lr_0 gamma^floor(e / step_size)
    CosineAnnealingLR:  lr_e = eta_min + (lr_0 - eta_min) (1 + cos(pi e / T_max)) / 2

(PyTorch computes the cosine schedule recursively; for 0 <= e <= T_max the
values agree. After T_max our closed form rises again, like a cosine does.)
"""
import math


class LRScheduler:
    def __init__(self, optimizer):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._set(self.lr_at(0))

    def lr_at(self, epoch):
        raise NotImplementedError

    def _set(self, lrs):
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def step(self):
        self.last_epoch += 1
        self._set(self.lr_at(self.last_epoch))

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        vars(self).update(state_dict)
        self._set(self.lr_at(self.last_epoch))


class StepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return [base * self.gamma ** (epoch // self.step_size) for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, epoch):
        c = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]
