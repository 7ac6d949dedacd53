"""Check an analytic gradient against central finite differences, in float64.

For a function y = f(x_1, ..., x_n) and a random upstream direction v (never
all ones: the gradient of sum(softmax(x)) is zero, which would hide any bug),
let phi(x) = <v, f(x)>. Backward gives grad_k = d phi / d x_k. Finite
differences give the same thing independently:

    per element:  d phi / d x_k[i] ~ (phi(x_k + eps e_i) - phi(x_k - eps e_i)) / (2 eps)
    directional:  <grad_k, u>      ~ (phi(x_k + eps u)   - phi(x_k - eps u))   / (2 eps)

Central differences have error O(eps^2); with eps = 1e-6 in float64 the
round-off is about 1e-10 relative, so agreement to ~1e-6 is expected. In
float32 the same test is meaningless, hence the float64 requirement.
Small inputs are checked element by element (two forward passes each); large
ones along a few random directions (two forward passes each, whatever the size).
"""
import numpy as np

from . import ops
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor, grad


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-4, max_elements=400, n_directions=4,
              seed=0, raise_exception=True, fn_uses_grad=False):
    """Compare ``fn``'s backward with finite differences; True if they agree.

    fn:           callable taking the tensors in ``inputs`` and returning one tensor.
    inputs:       sequence of float64 Tensors; those with requires_grad are checked.
    max_elements: inputs with at most this many elements are checked per
                  element, larger ones along ``n_directions`` random directions.
    fn_uses_grad: fn itself calls ``grad`` or ``backward`` (a gradient penalty, a
                  Jacobian norm), so its evaluations for finite differences must
                  record a graph too.
    On failure raises GradcheckError naming the input, the worst element, both
    values and the error (or returns False when raise_exception=False).
    """
    inputs = list(inputs)
    for k, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"gradcheck: input {k} is a {type(x).__name__}, not a Tensor")
        if x.requires_grad and x.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {k} is {x.dtype}; finite differences need float64 (use .double())"
            )
    checked = [k for k, x in enumerate(inputs) if x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, nothing to check")
    rng = np.random.default_rng(seed)

    leaves = [Tensor(x.data.copy(), requires_grad=x.requires_grad) for x in inputs]
    out = fn(*leaves)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    if out.dtype != np.float64:
        raise TypeError(f"gradcheck: fn returned {out.dtype}; it must stay in float64")
    v = rng.standard_normal(out.shape)
    if not out.requires_grad:
        raise GradcheckError("gradcheck: the output does not depend on any input that requires grad")
    out.backward(v)
    analytic = {k: (leaves[k].grad.data if leaves[k].grad is not None else np.zeros(inputs[k].shape)) for k in checked}

    def phi(k, data):
        # a fn that differentiates inside (fn_uses_grad) needs its inputs recorded even here
        args = [Tensor(x.data, requires_grad=fn_uses_grad and x.requires_grad) for x in inputs]
        args[k] = Tensor(data, requires_grad=fn_uses_grad and inputs[k].requires_grad)
        with (enable_grad() if fn_uses_grad else no_grad()):
            return float(np.sum(v * fn(*args).data))

    worst = None  # (excess, report)
    for k in checked:
        x0 = inputs[k].data.astype(np.float64)
        if x0.size <= max_elements:
            numeric = np.zeros(x0.shape)
            flat = numeric.reshape(-1)
            for i in range(x0.size):
                step = np.zeros(x0.size)
                step[i] = eps
                step = step.reshape(x0.shape)
                flat[i] = (phi(k, x0 + step) - phi(k, x0 - step)) / (2 * eps)
            err = np.abs(analytic[k] - numeric)
            excess = err - (atol + rtol * np.abs(numeric))
            if excess.size and excess.max() > 0:
                i = np.unravel_index(int(np.argmax(excess)), x0.shape)
                candidate = (excess.max(), f"input {k} (shape {x0.shape}) element {tuple(int(j) for j in i)}: "
                             f"analytic {analytic[k][i]:.10g}, numeric {numeric[i]:.10g}, error {err[i]:.3g}")
                worst = max(worst or candidate, candidate, key=lambda c: c[0])
        else:
            for d in range(n_directions):
                u = rng.standard_normal(x0.shape)
                u /= np.linalg.norm(u)
                numeric = (phi(k, x0 + eps * u) - phi(k, x0 - eps * u)) / (2 * eps)
                exact = float(np.sum(analytic[k] * u))
                err = abs(exact - numeric)
                excess = err - (atol + rtol * abs(numeric))
                if excess > 0:
                    candidate = (excess, f"input {k} (shape {x0.shape}) along random direction {d}: "
                                 f"analytic {exact:.10g}, numeric {numeric:.10g}, error {err:.3g}")
                    worst = max(worst or candidate, candidate, key=lambda c: c[0])
    if worst is None:
        return True
    if raise_exception:
        raise GradcheckError(f"gradient check failed; worst: {worst[1]}")
    return False


def gradgradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-4, max_elements=400, n_directions=4,
                  seed=0, raise_exception=True):
    """Compare second derivatives with finite differences of the analytic first derivative.

    For y = fn(x_1, ..., x_n) and an upstream v, the first derivative is the VJP
    D(x, v) = (v^T dy/dx_1, ..., v^T dy/dx_n), computed by ``grad(..., create_graph=True)``.
    ``gradcheck`` is then run on D itself, as a function of the x_k and of v: its backward
    (the second backward pass, through the recorded first one) is compared with central
    differences of D. v is random (seeded) and differentiated too, as in PyTorch.
    """
    inputs = list(inputs)
    checked = [k for k, x in enumerate(inputs) if x.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input has requires_grad=True, nothing to check")
    with no_grad():
        shape = fn(*inputs).shape
    v = Tensor(np.random.default_rng(seed + 1).standard_normal(shape), requires_grad=True)

    def first_derivative(*args):
        xs, upstream = args[:-1], args[-1]
        wanted = [xs[k] for k in checked]
        grads = grad(fn(*xs), wanted, grad_outputs=upstream, create_graph=True, allow_unused=True)
        pieces = [ops.reshape(g if g is not None else Tensor(np.zeros(x.shape)), (-1,))
                  for g, x in zip(grads, wanted)]
        return ops.concatenate(pieces, axis=0)

    return gradcheck(first_derivative, inputs + [v], eps=eps, atol=atol, rtol=rtol,
                     max_elements=max_elements, n_directions=n_directions, seed=seed,
                     raise_exception=raise_exception, fn_uses_grad=True)
