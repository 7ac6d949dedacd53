"""Losses as modules: ``criterion = nn.CrossEntropyLoss(); loss = criterion(logits, labels)``.

Each class stores its options and calls the function of the same loss in ``losses.py``
(where the math is). Constructor arguments follow PyTorch: ``weight`` may be given
positionally, every other option by keyword (PyTorch's next positional slots are its
deprecated ``size_average``/``reduce``). Class weights are buffers, so they are saved
in ``state_dict`` and converted by ``.to(dtype)``, as in PyTorch.
"""
import numpy as np

from .. import dtypes
from ..tensor import Tensor
from . import losses
from .module import Module


class _Loss(Module):
    def __init__(self, reduction="mean", allowed=losses.REDUCTIONS):
        super().__init__()
        if reduction not in allowed:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {allowed}, got {reduction!r}")
        self.reduction = reduction

    def _buffer(self, name, value):
        """Keep ``value`` (None, or anything array-like) as buffer ``name``."""
        if value is None:
            setattr(self, name, None)
        else:
            array = dtypes.to_float_array(value.data if isinstance(value, Tensor) else value)
            self.register_buffer(name, np.array(array, copy=True))

    def extra_repr(self):
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """(x - t)^2, reduced."""

    def __init__(self, *, reduction="mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return losses.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """|x - t|, reduced."""

    def __init__(self, *, reduction="mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return losses.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Quadratic for |x - t| < delta, linear beyond (PyTorch's order: reduction, delta)."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return losses.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """p (log p - input) for log-probabilities input; use reduction='batchmean' for the KL per sample."""

    def __init__(self, *, reduction="mean", log_target=False):
        super().__init__(reduction, losses.REDUCTIONS + ("batchmean",))
        self.log_target = log_target

    def forward(self, input, target):
        return losses.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities; ``weight`` rescales each element."""

    def __init__(self, weight=None, *, reduction="mean"):
        super().__init__(reduction)
        self._buffer("weight", weight)

    def forward(self, input, target):
        return losses.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits (stable); ``pos_weight`` (C,) weighs the positive term."""

    def __init__(self, weight=None, *, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self._buffer("weight", weight)
        self._buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return losses.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                       pos_weight=self.pos_weight)


class NLLLoss(_Loss):
    """-w[y] x[y] for log-probabilities x and class indices y."""

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self._buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return losses.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """log_softmax + nll for logits; targets are class indices or class probabilities."""

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self._buffer("weight", weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return losses.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                                    reduction=self.reduction, label_smoothing=self.label_smoothing)
