"""The reverse-mode engine: order the graph, then run the chain rule backwards.

For an output L and every tensor x that L depends on, reverse mode computes
dL/dx by visiting the graph from L towards its leaves. Each op's ``backward``
turns dL/d(output) into dL/d(input) (a vector-Jacobian product); a tensor used
by several ops receives the sum of what each one sends it.
"""
import numpy as np


def topological_order(root):
    """Every tensor ``root`` depends on (with gradient), inputs before users.

    Iterative depth-first search: a tensor is appended after all its parents,
    so a chain of any length never touches Python's recursion limit.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        ctx = node._ctx
        if ctx is None:
            continue
        if ctx.released:
            raise RuntimeError(
                "backward through a graph a second time: its saved values were freed "
                "after the first backward; call backward(retain_graph=True) the first time"
            )
        for parent in ctx.parents:
            if parent is not None and parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    return order


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched.

    If x of shape ``shape`` was broadcast to grad.shape in the forward pass,
    every copy of an element received a gradient, and the element's gradient is
    their sum: sum over leading extra axes, and over axes where ``shape`` is 1.
    This is the ONLY place in minigrad where broadcasting is undone.
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0 or any(n not in (1, m) for n, m in zip(shape, grad.shape[extra:])):
        raise ValueError(f"gradient of shape {grad.shape} cannot belong to an input of shape {shape}")
    stretched = tuple(i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    summed = grad.sum(axis=tuple(range(extra)) + stretched, keepdims=True)
    return summed.reshape(shape)


def run_backward(root, grad, retain_graph=False):
    """Accumulate d(root)/d(leaf) . grad into ``leaf.grad`` for every leaf."""
    order = topological_order(root)
    pending = {id(root): grad}
    for node in reversed(order):
        g = pending.pop(id(node), None)
        if g is None:
            continue
        if node._ctx is None or node._retains_grad:
            node._accumulate_grad(g)
        ctx = node._ctx
        if ctx is None:
            continue
        parent_grads = ctx.backward(g)
        if not isinstance(parent_grads, tuple):
            parent_grads = (parent_grads,)
        if len(parent_grads) != len(ctx.parents):
            raise RuntimeError(
                f"{ctx.op_name}.backward returned {len(parent_grads)} gradients for "
                f"{len(ctx.parents)} inputs"
            )
        for parent, pg in zip(ctx.parents, parent_grads):
            if parent is None or pg is None or not parent.requires_grad:
                continue
            pg, data = np.asarray(pg), parent.data
            if pg.shape != data.shape:  # most gradients already have their input's shape
                try:
                    pg = unbroadcast(pg, data.shape)
                except ValueError:
                    pass  # reported just below, with the op's name
            if pg.shape != data.shape or pg.dtype != data.dtype:
                raise AssertionError(
                    f"{ctx.op_name}: gradient {pg.shape} {pg.dtype} does not match its "
                    f"input {data.shape} {data.dtype}"
                )
            key = id(parent)
            pending[key] = pg if key not in pending else pending[key] + pg
        if not retain_graph:
            ctx.release()
