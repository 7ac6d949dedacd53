"""Adam and AdamW.

For gradient g_t (t = 1, 2, ...), betas (b1, b2), eps and learning rate lr:

    m_t = b1 m_{t-1} + (1 - b1) g_t                 (first moment, m_0 = 0)
    v_t = b2 v_{t-1} + (1 - b2) g_t^2               (second moment, v_0 = 0)
    m^_t = m_t / (1 - b1^t),  v^_t = v_t / (1 - b2^t)  (undo the bias towards 0)
    p   = p - lr m^_t / (sqrt(v^_t) + eps)

Weight decay lambda: Adam adds it to the gradient (g_t += lambda p, an L2 penalty
that Adam's scaling then distorts); AdamW decouples it, shrinking the weights
directly before the Adam step: p = p - lr lambda p (Loshchilov & Hutter).

AMSGrad (amsgrad=True, Reddi et al.) divides by the largest second moment seen so far,
v^max_t = max(v^max_{t-1}, v_t), instead of v_t, so a parameter's step size never grows
back after a burst of large gradients: p = p - lr m^_t / (sqrt(v^max_t / (1 - b2^t)) + eps).
It runs the NumPy form below; plain Adam runs the fused Numba loop.
"""
import math

import numpy as np

from .fused import fused_adam_update
from .optimizer import Optimizer


class Adam(Optimizer):
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"{type(self).__name__}: need lr, eps, weight_decay >= 0 and betas in "
                             f"[0, 1); got lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=bool(amsgrad)))

    fused = True  # run the one-pass Numba loop (optim/fused.py); False: the NumPy lines below

    def update(self, p, grad, state, group):
        lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        if wd and self.decoupled:  # AdamW: shrink the weights, then the Adam step without decay
            p.data *= p.dtype.type(1 - lr * wd)
        l2 = 0.0 if self.decoupled else wd
        if group["amsgrad"]:
            state.setdefault("max_exp_avg_sq", np.zeros_like(p.data))
        if self.fused and p.data.flags.c_contiguous and not group["amsgrad"]:
            fused_adam_update(p.data, grad, state["exp_avg"], state["exp_avg_sq"], b1, b2, lr,
                              group["eps"], l2, state["step"])
        else:
            self.update_numpy(p, grad, state, group, l2)

    def update_numpy(self, p, grad, state, group, l2):
        """The Adam step with L2 penalty ``l2`` written as array expressions: the reference for
        the fused loop."""
        s = p.dtype.type  # hyperparameters as scalars of the parameter's dtype
        lr, (b1, b2) = group["lr"], group["betas"]
        t = state["step"]
        g = grad + s(l2) * p.data if l2 else grad
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= s(b1)
        m += s(1 - b1) * g
        v *= s(b2)
        v += s(1 - b2) * g * g
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        bias1, bias2 = 1 - b1**t, 1 - b2**t
        denom = np.sqrt(v) / s(math.sqrt(bias2)) + s(group["eps"])
        p.data -= s(lr / bias1) * m / denom


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
