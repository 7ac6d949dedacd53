"""Learning-rate schedules, named as in ``torch.optim.lr_scheduler``.

Call ``scheduler.step()`` once per epoch, after ``optimizer.step()`` (OneCycleLR: once
per batch; ReduceLROnPlateau: ``step(validation_loss)``). The closed-form schedules,
for base rate lr_0 (the group's lr when the scheduler was made) and epoch e:

    StepLR:             lr_e = lr_0 gamma^floor(e / step_size)
    MultiStepLR:        lr_e = lr_0 gamma^(number of milestones <= e)
    ExponentialLR:      lr_e = lr_0 gamma^e
    CosineAnnealingLR:  lr_e = eta_min + (lr_0 - eta_min) (1 + cos(pi e / T_max)) / 2

PyTorch multiplies the previous rate step by step; the closed forms give the same
values up to rounding. (For the cosine schedule they agree for 0 <= e <= T_max;
after T_max our closed form rises again, like a cosine does.)
"""
import bisect
import math

from .one_cycle import OneCycleLR  # noqa: F401  (torch.optim.lr_scheduler has them all)
from .plateau import ReduceLROnPlateau  # noqa: F401
from .scheduler import LRScheduler


class StepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return [base * self.gamma ** (epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    def __init__(self, optimizer, milestones, gamma=0.1):
        self.milestones = sorted(int(m) for m in milestones)  # a repeated milestone counts twice
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return [base * self.gamma ** bisect.bisect_right(self.milestones, epoch) for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return [base * self.gamma**epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, epoch):
        c = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]
