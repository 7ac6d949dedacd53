"""Freezing a part of a network, and giving each part its own learning rate.

Freezing. A parameter with ``requires_grad = False`` is a leaf the engine does not follow:
no op records a gradient for it (an op whose inputs all need none is not even put in the
graph), so after ``backward`` its ``grad`` is still None and an optimizer step, which skips
parameters without a gradient, leaves it alone. ``freeze(module)`` sets the flag on every
parameter of a submodule with ``Module.requires_grad_``.

Learning rates per part. minigrad's optimizers take parameter groups, as PyTorch's do:

    optim.Adam([{"params": body, "lr": 1e-4}, {"params": head}], lr=1e-3)

each group's own options override the defaults. ``param_groups`` builds that list from
(module, lr) pairs, leaving out frozen parameters and groups left empty.
"""


def freeze(module, frozen=True):
    """Stop (or, frozen=False, restart) gradients for every parameter of ``module``; returns it."""
    return module.requires_grad_(not frozen)


def trainable(module):
    """The parameters of ``module`` that are not frozen."""
    return [p for p in module.parameters() if p.requires_grad]


def param_groups(parts, lr):
    """Optimizer parameter groups from [(module, lr factor)]: the trainable parameters of each
    module with learning rate ``lr * factor``; frozen parameters and empty groups left out."""
    groups = [{"params": trainable(module), "lr": lr * factor} for module, factor in parts]
    return [group for group in groups if group["params"]]
