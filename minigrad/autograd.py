"""The reverse-mode engine: order the graph, then run the chain rule backwards.

For an output L and every tensor x that L depends on, reverse mode computes
dL/dx by visiting the graph from L towards its leaves. Each op's ``backward``
turns dL/d(output) into dL/d(input) (a vector-Jacobian product); a tensor used
by several ops receives the sum of what each one sends it.
"""
import numpy as np


def topological_order(roots):
    """Every tensor the ``roots`` depend on (with gradient), inputs before users.

    Iterative depth-first search: a tensor is appended after all its parents,
    so a chain of any length never touches Python's recursion limit.
    """
    order, visited = [], set()
    stack = [(root, False) for root in reversed(roots)]
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


def run_backward(roots, grads, xp, retain_graph=False, create_graph=False, wanted=None):
    """The chain rule from ``roots`` (seeded with ``grads``, dL/d(root)) back to the leaves.

    Each op's VJP runs once, on the sum of what its output received. ``xp`` is the namespace the
    VJPs compute with (``ops.namespaces``): NumPy on arrays for first derivatives, or, with
    ``create_graph``, minigrad's own ops on tensors, so that the backward pass is itself recorded
    and can be differentiated again.

    wanted: None to add each leaf's gradient to its ``.grad`` (``Tensor.backward``); or a list of
        tensors whose gradients are returned in a dict keyed by ``id`` instead, touching no
        ``.grad`` (``minigrad.grad``).
    """
    order = topological_order(roots)
    pending = {}
    for root, grad in zip(roots, grads):
        key = id(root)
        pending[key] = grad if key not in pending else pending[key] + grad
    wanted_ids = None if wanted is None else {id(t) for t in wanted}
    found = {}
    for node in reversed(order):
        g = pending.pop(id(node), None)
        if g is None:
            continue
        if wanted_ids is not None:
            if id(node) in wanted_ids:
                found[id(node)] = g
        elif node._ctx is None or node._retains_grad:
            node._accumulate_grad(g)
        ctx = node._ctx
        if ctx is None:
            continue
        for parent, pg in zip(ctx.parents, ctx_vjp(ctx, g, node, xp, create_graph)):
            if parent is None or pg is None or not parent.requires_grad:
                continue
            if not create_graph:
                pg = np.asarray(pg)
            if pg.shape != parent.shape:  # most gradients already have their input's shape
                try:
                    pg = unbroadcast(pg, parent.shape)
                except ValueError:
                    pass  # reported just below, with the op's name
            if pg.shape != parent.shape or pg.dtype != parent.dtype:
                raise AssertionError(
                    f"{ctx.op_name}: gradient {pg.shape} {pg.dtype} does not match its "
                    f"input {parent.shape} {parent.dtype}"
                )
            key = id(parent)
            pending[key] = pg if key not in pending else pending[key] + pg
        if not retain_graph:
            ctx.release()
    return found


def ctx_vjp(ctx, g, node, xp, create_graph):
    """The VJPs of the op ``ctx`` that made ``node``, one per input (None where none is needed).

    First order: the op sees its input arrays and output array. With create_graph it sees the
    input tensors (constants wrapped as tensors that need no gradient) and the output tensor, so
    what it computes from them is recorded as a graph of its own.
    """
    if ctx.vjp is None:  # an op written with backward(g) on arrays only
        if create_graph:
            raise RuntimeError(f"{ctx.op_name} cannot be differentiated twice (create_graph=True): "
                               "its backward is written on NumPy arrays only, not with vjp(g, inputs, y, xp)")
        parent_grads = ctx.backward(g)
    elif create_graph:
        inputs = tuple([p if p is not None else (None if a is None else xp.constant(a))
                        for p, a in zip(ctx.parents, ctx.arrays)])
        parent_grads = ctx.vjp(g, inputs, node, xp)
    else:
        parent_grads = ctx.vjp(g, ctx.arrays, node.data, xp)
    if not isinstance(parent_grads, tuple):
        parent_grads = (parent_grads,)
    if len(parent_grads) != len(ctx.parents):
        raise RuntimeError(f"{ctx.op_name}'s VJP returned {len(parent_grads)} gradients for "
                           f"{len(ctx.parents)} inputs")
    return parent_grads
