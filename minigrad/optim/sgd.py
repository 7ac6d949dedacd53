"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

PyTorch's equations, for gradient g_t of parameter p, learning rate lr,
momentum mu, dampening tau and weight decay lambda:

    g_t = g_t + lambda p                          (L2 weight decay, if lambda != 0)
    b_t = g_t                       at t = 1      (momentum buffer, if mu != 0)
    b_t = mu b_{t-1} + (1 - tau) g_t   after
    g_t = g_t + mu b_t   if nesterov   else   b_t
    p   = p - lr g_t
"""
from .optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def update(self, p, grad, state, group):
        s = p.dtype.type  # hyperparameters as scalars of the parameter's dtype
        g = grad
        if group["weight_decay"]:
            g = g + s(group["weight_decay"]) * p.data
        mu = group["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= s(mu)
                buf += s(1 - group["dampening"]) * g
            g = g + s(mu) * buf if group["nesterov"] else buf
        p.data -= s(group["lr"]) * g
