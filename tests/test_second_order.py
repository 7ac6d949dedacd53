"""Gradients of gradients, end to end: the API (backward(create_graph=), minigrad.grad),
Hessian-vector products of an MLP, the contractive penalty by autograd, a WGAN-GP gradient
penalty, and Newton's method from docs/autodiff.md. Per-op second derivatives are in
tests/test_ops_gradgrad.py."""
import re
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from autoencoders.models import build_model
from autoencoders.models.contractive import contractive_penalty, jacobian_norm_sq

F64 = np.float64
DOCS = Path(__file__).resolve().parents[1] / "docs" / "autodiff.md"


def t64(data, grad=True):
    return mg.tensor(np.asarray(data, dtype=F64), dtype=F64, requires_grad=grad)


# ----- the API -------------------------------------------------------------------------------
def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x, y = t64([1.0, 2.0]), t64([3.0, -1.0])
    gx, gy = mg.grad((x * x * y).sum(), [x, y])
    np.testing.assert_allclose(gx.data, 2 * x.data * y.data)
    np.testing.assert_allclose(gy.data, x.data ** 2)
    assert x.grad is None and y.grad is None


def test_grad_of_several_outputs_with_their_upstreams():
    x = t64([1.0, 2.0, 3.0])
    a, b = x * 2, (x * x).sum()
    (g,) = mg.grad([a, b], x, grad_outputs=[np.array([1.0, 0.0, 1.0]), np.array(0.5)])
    np.testing.assert_allclose(g.data, [2.0, 0.0, 2.0] + 0.5 * 2 * x.data)


def test_unused_inputs():
    x, unused = t64([1.0]), t64([2.0])
    with pytest.raises(RuntimeError, match="input 1 is not used"):
        mg.grad((x * 3).sum(), [x, unused])
    g, none = mg.grad((x * 3).sum(), [x, unused], allow_unused=True)
    assert none is None and g.data[0] == 3.0


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    x = t64([0.5, -1.5])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad                       # d/dx x^3 = 3 x^2, with its graph
    (h,) = mg.grad(x.grad.sum(), x)
    np.testing.assert_allclose(h.data, 6 * x.data)    # d/dx 3 x^2 = 6 x


def test_first_order_gradients_carry_no_graph():
    x = t64([0.5, -1.5])
    (x ** 3).sum().backward()
    assert not x.grad.requires_grad
    (g,) = mg.grad((x ** 3).sum(), x)
    assert not g.requires_grad


def test_third_derivative():
    x = t64([0.7])
    (g1,) = mg.grad((x ** 4).sum(), x, create_graph=True)
    (g2,) = mg.grad(g1.sum(), x, create_graph=True)
    (g3,) = mg.grad(g2.sum(), x)
    assert g3.data[0] == pytest.approx(24 * 0.7)


# ----- Hessian-vector products of a small MLP ---------------------------------------------------
def mlp_loss(params, x, target):
    w1, b1, w2, b2 = params
    h = mg.tanh(x @ w1 + b1)
    out = h @ w2 + b2
    return ((out - target) ** 2).mean() + 0.1 * mg.softplus(out).sum()


def flat_gradient(params, x, target):
    grads = mg.grad(mlp_loss(params, x, target), params)
    return np.concatenate([g.data.ravel() for g in grads])


def test_hessian_vector_products_match_finite_differences_of_gradients():
    rng = np.random.default_rng(0)
    shapes = [(5, 6), (6,), (6, 3), (3,)]
    params = [t64(rng.standard_normal(s) * 0.5) for s in shapes]
    x, target = t64(rng.standard_normal((4, 5)), False), t64(rng.standard_normal((4, 3)), False)
    sizes = [int(np.prod(s)) for s in shapes]
    for trial in range(3):
        v = rng.standard_normal(sum(sizes))
        pieces = np.split(v, np.cumsum(sizes)[:-1])
        grads = mg.grad(mlp_loss(params, x, target), params, create_graph=True)
        dot = sum((g * mg.tensor(p.reshape(g.shape), dtype=F64)).sum() for g, p in zip(grads, pieces))
        hvp = np.concatenate([h.data.ravel() for h in mg.grad(dot, params)])

        eps = 1e-5

        def shifted(sign):
            moved = [t64(p.data + sign * eps * d.reshape(p.shape)) for p, d in zip(params, pieces)]
            return flat_gradient(moved, x, target)

        numeric = (shifted(+1) - shifted(-1)) / (2 * eps)
        np.testing.assert_allclose(hvp, numeric, rtol=1e-6, atol=1e-8)


# ----- the contractive penalty by autograd ------------------------------------------------------
def test_contractive_autograd_jacobian_equals_the_closed_form():
    mg.random.seed(3)
    model = build_model("contractive", code=5, input_size=7).to(F64)
    x = mg.tensor(np.random.default_rng(1).uniform(0, 1, (4, 7)), dtype=F64)
    h = model.encode(x)
    closed = contractive_penalty(h, model.encoder.weight).data
    by_autograd = jacobian_norm_sq(model.encode, x).data
    np.testing.assert_allclose(by_autograd, closed, rtol=1e-10, atol=0)

    both = {}
    for method in ("closed_form", "autograd"):
        mg.random.seed(3)
        m = build_model("contractive", code=5, input_size=7, jacobian=method).to(F64)
        loss, metrics = m.loss(x)
        loss.backward()
        both[method] = (metrics["loss"], {n: p.grad.data.copy() for n, p in m.named_parameters()})
    assert both["autograd"][0] == pytest.approx(both["closed_form"][0], rel=1e-12)
    for name, grad in both["closed_form"][1].items():   # the penalty's gradient: a second derivative
        np.testing.assert_allclose(both["autograd"][1][name], grad, rtol=1e-10, atol=1e-14)


def test_contractive_penalty_gradient_by_autograd_matches_finite_differences():
    mg.random.seed(4)
    model = build_model("contractive", code=3, input_size=5, hidden=(4,), jacobian="autograd").to(F64)
    x = mg.tensor(np.random.default_rng(2).uniform(0, 1, (2, 5)), dtype=F64)
    weights = [model.encoder[0].weight, model.encoder[1].weight]

    def penalty(w0, w1):
        saved = [w.data for w in weights]
        model.encoder[0].weight, model.encoder[1].weight = w0, w1
        try:
            return jacobian_norm_sq(model.encode, x).sum()
        finally:
            model.encoder[0].weight, model.encoder[1].weight = weights
            for w, d in zip(weights, saved):
                w.data = d

    mg.gradcheck(penalty, [t64(w.data) for w in weights], fn_uses_grad=True)


def train_deeper_contractive(lam, x, steps=80):
    mg.random.seed(0)
    model = build_model("contractive", code=4, input_size=16, hidden=(8,), lam=lam, jacobian="autograd")
    opt = mg.optim.Adam(model.parameters(), lr=2e-2)
    history = []
    for _ in range(steps):
        loss, metrics = model.loss(x)
        history.append(metrics)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return history


def test_the_autograd_form_trains_a_deeper_encoder():
    """Four 16-pixel prototypes with 5% of pixels flipped: a two-layer sigmoid encoder learns
    them, and the penalty (through second derivatives) shrinks its Jacobian."""
    rng = np.random.default_rng(0)
    prototypes = rng.uniform(0, 1, (4, 16)) > 0.5
    flips = rng.uniform(0, 1, (64, 16)) < 0.05
    x = mg.tensor((prototypes[np.arange(64) % 4] ^ flips).astype(np.float32))
    free, penalized = train_deeper_contractive(0.0, x), train_deeper_contractive(2.0, x)
    assert penalized[-1]["bce"] < 0.7 * penalized[0]["bce"]
    assert penalized[-1]["jacobian_norm_sq"] < 0.5 * free[-1]["jacobian_norm_sq"]


def test_closed_form_needs_one_layer():
    from autoencoders.models import ConfigError

    with pytest.raises(ConfigError, match="jacobian=autograd"):
        build_model("contractive", hidden=(8,))


# ----- a WGAN-GP gradient penalty -----------------------------------------------------------------
def test_gradient_penalty_has_the_right_gradient_with_respect_to_the_critic():
    """penalty = mean_n (||d critic(x_n) / d x_n|| - 1)^2, differentiated with respect to the
    critic's weights: a second derivative through the critic."""
    rng = np.random.default_rng(5)
    x = t64(rng.standard_normal((3, 4)), False)

    def penalty(w1, b1, w2):
        points = mg.tensor(x.data, dtype=F64, requires_grad=True)
        scores = mg.tanh(points @ w1 + b1) @ w2
        (g,) = mg.grad(scores.sum(), points, create_graph=True)
        norms = mg.sqrt((g * g).sum(axis=1) + 1e-12)
        return ((norms - 1) ** 2).mean()

    weights = [t64(rng.standard_normal((4, 5))), t64(rng.standard_normal(5)), t64(rng.standard_normal((5, 1)))]
    mg.gradcheck(penalty, weights, fn_uses_grad=True)


def test_gradient_penalty_through_nn_layers():
    mg.random.seed(1)
    critic = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).to(F64)
    points = t64(np.random.default_rng(6).standard_normal((5, 4)))
    (g,) = mg.grad(critic(points).sum(), points, create_graph=True)
    penalty = ((mg.sqrt((g * g).sum(axis=1)) - 1) ** 2).mean()
    penalty.backward()
    named = dict(critic.named_parameters())
    assert named.pop("2.bias").grad is None   # the last bias does not change d critic / d x
    assert all(p.grad is not None and np.all(np.isfinite(p.grad.data)) and np.any(p.grad.data != 0)
               for p in named.values())


# ----- Newton's method, as docs/autodiff.md shows it -------------------------------------------------
def newton_by_hand(p, steps):
    """Newton's method on Rosenbrock with its gradient and Hessian written out."""
    iterates = [np.array(p, dtype=F64)]
    for _ in range(steps):
        a, b = iterates[-1]
        grad = np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
        hess = np.array([[2 - 400 * (b - 3 * a * a), -400 * a], [-400 * a, 200.0]])
        iterates.append(iterates[-1] + np.linalg.solve(hess, -grad))
    return iterates


def test_newton_on_rosenbrock_from_the_docs():
    code = re.search(r"\*\*Newton's method.*?```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    namespace = {}
    exec(compile(code, str(DOCS), "exec"), namespace)
    iterates = namespace["iterates"]
    expected = newton_by_hand([-1.2, 1.0], len(iterates) - 1)
    for got, want in zip(iterates, expected):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(iterates[6], [1.0, 1.0], atol=1e-12)
