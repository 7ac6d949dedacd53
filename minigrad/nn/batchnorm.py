"""Batch normalization: normalize each channel with statistics of the batch.

For channel c, over the batch (and the spatial positions, for images):

    mu = mean(x),  var = mean((x - mu)^2)            (biased variance)
    x_hat = (x - mu) / sqrt(var + eps)
    y = gamma * x_hat + beta                         (gamma = weight, beta = bias, learned)

Training mode uses the batch's mu and var, differentiating through them (the
ops below build that graph), and updates the running estimates

    running_mean <- (1 - momentum) running_mean + momentum mu
    running_var  <- (1 - momentum) running_var  + momentum var * n / (n - 1)   (unbiased)

With ``momentum=None`` the running statistics are instead the cumulative
average of every batch seen so far (PyTorch's convention): the factor is
1 / num_batches_tracked, where the buffer ``num_batches_tracked`` (int64, in
the state_dict as in PyTorch) counts the training batches.

Evaluation mode uses running_mean and running_var instead, so the output of
one example no longer depends on the rest of the batch. The running
statistics are buffers: saved in state_dict, never trained. With
``track_running_stats=False`` there are none: batch statistics are used in
both modes.
"""
import numpy as np

from .. import ops
from .module import Module, Parameter


class _BatchNorm(Module):
    expected_ndims = ()
    _optional_buffers = ("num_batches_tracked",)  # absent from checkpoints written before it existed

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float32):
        super().__init__()
        self.num_features, self.eps, self.momentum, self.affine = num_features, eps, momentum, affine
        self.track_running_stats = track_running_stats
        self.weight = Parameter(np.ones(num_features), dtype=dtype) if affine else None
        self.bias = Parameter(np.zeros(num_features), dtype=dtype) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def forward(self, x):
        if x.ndim not in self.expected_ndims or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): expected input of "
                             f"{' or '.join(map(str, self.expected_ndims))} dimensions with "
                             f"{self.num_features} channels on axis 1, got shape {x.shape}")
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)  # broadcast a (C,) vector against x
        if self.training or not self.track_running_stats:
            n = x.size // x.shape[1]
            if n < 2:
                raise ValueError(f"{type(self).__name__}: training needs more than one value per "
                                 f"channel, got input of shape {x.shape}")
            mean = ops.mean(x, axes, keepdims=True)
            var = ops.var(x, axes, keepdims=True)
            if self.training and self.track_running_stats:
                self._update_running_stats(mean.data.reshape(-1), var.data.reshape(-1), n)
            x_hat = (x - mean) / ops.sqrt(var + self.eps)
        else:
            mean = self.running_mean.reshape(shape)
            std = np.sqrt(self.running_var + self.running_var.dtype.type(self.eps)).reshape(shape)
            x_hat = (x - mean) / std
        if self.affine:
            x_hat = x_hat * ops.reshape(self.weight, shape) + ops.reshape(self.bias, shape)
        return x_hat

    def _update_running_stats(self, mean, var, n):
        self.num_batches_tracked[...] += 1
        factor = 1.0 / int(self.num_batches_tracked) if self.momentum is None else self.momentum
        m = self.running_mean.dtype.type(factor)
        unbiased = var * var.dtype.type(n / (n - 1))
        self.running_mean[...] = (1 - m) * self.running_mean + m * mean.astype(self.running_mean.dtype)
        self.running_var[...] = (1 - m) * self.running_var + m * unbiased.astype(self.running_var.dtype)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """For (N, C) features or (N, C, L) sequences; statistics over N (and L)."""

    expected_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """For (N, C, H, W) images; statistics over N, H and W."""

    expected_ndims = (4,)
