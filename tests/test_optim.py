"""Optimizers and schedulers: one step equals the update written out by hand,
dtypes are kept, state round trips continue identically, clip_grad_norm_."""
import math
import pickle

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import Parameter
from minigrad.optim.lr_scheduler import CosineAnnealingLR, StepLR

F64 = np.float64
A0, B0 = np.array([1.0, -2.0]), np.array([[0.5]])           # the two parameters
GRADS = [(np.array([0.3, -0.1]), np.array([[2.0]])),          # their gradients at steps 1, 2, 3
         (np.array([-0.2, 0.4]), np.array([[-1.0]])),
         (np.array([0.1, 0.1]), np.array([[0.5]]))]


def two_params(dtype=F64):
    return [nn.Parameter(A0, dtype=dtype), nn.Parameter(B0, dtype=dtype)]


def run(make_optimizer, steps, dtype=F64):
    params = two_params(dtype)
    opt = make_optimizer(params)
    for ga, gb in GRADS[:steps]:
        params[0].grad, params[1].grad = mg.tensor(ga, dtype=dtype), mg.tensor(gb, dtype=dtype)
        opt.step()
    return params, opt


def by_hand(update, steps):
    """Apply update(p, g, state, t) to each parameter with its own state dict."""
    out = []
    for k, p in enumerate([A0.copy(), B0.copy()]):
        state = {}
        for t in range(1, steps + 1):
            p = update(p, GRADS[t - 1][k], state, t)
        out.append(p)
    return out


def assert_params(params, expected, rtol=1e-12):
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.data, e, rtol=rtol, atol=1e-15)


# ----- SGD ------------------------------------------------------------------------------------
def test_sgd_plain_step():
    params, _ = run(lambda ps: optim.SGD(ps, lr=0.1), 1)
    assert_params(params, [A0 - 0.1 * GRADS[0][0], B0 - 0.1 * GRADS[0][1]])


def test_sgd_momentum_written_out():
    params, _ = run(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), 2)
    g1, g2 = GRADS[0][0], GRADS[1][0]
    a1 = A0 - 0.1 * g1                       # b1 = g1
    a2 = a1 - 0.1 * (0.9 * g1 + g2)          # b2 = 0.9 b1 + g2
    np.testing.assert_allclose(params[0].data, a2, rtol=1e-12)


def test_sgd_nesterov_and_dampening_and_weight_decay():
    def update(p, g, state, t, lr=0.05, mu=0.9, wd=0.01, nesterov=True, tau=0.0):
        g = g + wd * p
        state["b"] = g if t == 1 else mu * state["b"] + (1 - tau) * g
        return p - lr * (g + mu * state["b"] if nesterov else state["b"])

    params, _ = run(lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True), 3)
    assert_params(params, by_hand(update, 3))
    params, _ = run(lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01), 3)
    assert_params(params, by_hand(lambda p, g, s, t: update(p, g, s, t, nesterov=False, tau=0.5), 3))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(two_params(), lr=0.1, nesterov=True)


# ----- Adam / AdamW -----------------------------------------------------------------------------
def adam_by_hand(lr=0.01, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False):
    def update(p, g, state, t):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        state["m"] = b1 * state.get("m", 0) + (1 - b1) * g
        state["v"] = b2 * state.get("v", 0) + (1 - b2) * g * g
        m_hat, v_hat = state["m"] / (1 - b1**t), state["v"] / (1 - b2**t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)

    return update


def test_adam_first_step_moves_by_lr_times_sign():
    params, _ = run(lambda ps: optim.Adam(ps, lr=0.01), 1)
    assert_params(params, [A0 - 0.01 * np.sign(GRADS[0][0]), B0 - 0.01], rtol=1e-7)


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_adam_and_adamw_written_out(wd):
    params, _ = run(lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=wd), 3)
    assert_params(params, by_hand(adam_by_hand(0.01, 0.8, 0.99, wd=wd), 3))
    params, _ = run(lambda ps: optim.AdamW(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=wd), 3)
    assert_params(params, by_hand(adam_by_hand(0.01, 0.8, 0.99, wd=wd, decoupled=True), 3))


def test_adamw_decay_differs_from_l2():
    adam, _ = run(lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.5), 3)
    adamw, _ = run(lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.5), 3)
    assert not np.allclose(adam[0].data, adamw[0].data)


def test_adam_minimizes_a_quadratic():
    target = np.array([3.0, -1.0, 0.5], np.float32)
    p = nn.Parameter(np.zeros(3, np.float32))
    opt = optim.Adam([p], lr=0.05)
    for _ in range(600):
        opt.zero_grad()
        loss = ((p - target) * (p - target) * np.array([1.0, 10.0, 0.1], np.float32)).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(p.data, target, atol=1e-2)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.1),
    lambda ps: optim.AdamW(ps, lr=0.1),
])
def test_float32_parameters_stay_float32(make):
    params, opt = run(make, 3, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in params)
    for entry in opt.state.values():
        assert all(v.dtype == np.float32 for v in entry.values() if isinstance(v, np.ndarray))


def test_against_torch_when_available():
    torch = pytest.importorskip("torch")
    pairs = [(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
              lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
             (lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.1), lambda ps: torch.optim.Adam(ps, lr=0.1, weight_decay=0.1)),
             (lambda ps: optim.AdamW(ps, lr=0.1), lambda ps: torch.optim.AdamW(ps, lr=0.1))]
    for ours, theirs in pairs:
        params, _ = run(ours, 3)
        tparams = [torch.tensor(A0, requires_grad=True), torch.tensor(B0, requires_grad=True)]
        topt = theirs(tparams)
        for ga, gb in GRADS:
            tparams[0].grad, tparams[1].grad = torch.tensor(ga), torch.tensor(gb)
            topt.step()
        assert_params(params, [t.detach().numpy() for t in tparams], rtol=1e-10)


def test_zero_grad_and_skipping_parameters_without_grad():
    params = two_params()
    opt = optim.SGD(params, lr=0.1)
    params[0].grad = mg.tensor(np.ones(2), dtype=F64)
    opt.step()
    np.testing.assert_array_equal(params[1].data, B0)  # no grad: untouched
    opt.zero_grad()
    assert params[0].grad is None
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])


# ----- saving and resuming ---------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.1), lambda ps: optim.AdamW(ps, lr=0.1)])
def test_state_dict_resume_continues_identically(make):
    full, _ = run(make, 3)
    params, opt = run(make, 1)
    saved = pickle.loads(pickle.dumps(opt.state_dict()))
    resumed = [nn.Parameter(p.data) for p in params]
    opt2 = make(resumed)
    opt2.load_state_dict(saved)
    for ga, gb in GRADS[1:3]:
        resumed[0].grad, resumed[1].grad = mg.tensor(ga, dtype=F64), mg.tensor(gb, dtype=F64)
        opt2.step()
    for a, b in zip(full, resumed):
        np.testing.assert_array_equal(a.data, b.data)


def test_state_dict_holds_plain_values_and_checks_sizes():
    _, opt = run(lambda ps: optim.Adam(ps, lr=0.1), 2)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1] and sd["param_groups"][0]["lr"] == 0.1
    assert sd["state"][0]["step"] == 2 and isinstance(sd["state"][1]["exp_avg"], np.ndarray)
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the checkpoint, 1 in the optimizer"):
        optim.Adam([nn.Parameter(A0)], lr=0.1).load_state_dict(sd)


# ----- schedulers ---------------------------------------------------------------------------------
def lrs(scheduler, opt, epochs):
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return out


def test_step_lr():
    opt = optim.SGD(two_params(), lr=1.0)
    np.testing.assert_allclose(lrs(StepLR(opt, step_size=2, gamma=0.5), opt, 6), [1, 1, 0.5, 0.5, 0.25, 0.25])


def test_cosine_annealing_lr():
    opt = optim.SGD(two_params(), lr=1.0)
    got = lrs(CosineAnnealingLR(opt, T_max=4, eta_min=0.2), opt, 5)
    expected = [0.2 + 0.8 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(5)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[0] == 1.0 and got[4] == pytest.approx(0.2)


def test_schedulers_match_torch_and_resume():
    torch = pytest.importorskip("torch")
    for ours, theirs in [(lambda o: StepLR(o, 3, 0.3), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.3)),
                         (lambda o: CosineAnnealingLR(o, 7, 0.01),
                          lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 7, 0.01))]:
        opt = optim.SGD(two_params(), lr=0.5)
        topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
        np.testing.assert_allclose(lrs(ours(opt), opt, 8), lrs(theirs(topt), topt, 8), rtol=1e-10)
    opt = optim.SGD(two_params(), lr=0.5)
    sched = CosineAnnealingLR(opt, 10)
    lrs(sched, opt, 3)
    opt2 = optim.SGD(two_params(), lr=0.5)
    sched2 = CosineAnnealingLR(opt2, 10)
    sched2.load_state_dict(pickle.loads(pickle.dumps(sched.state_dict())))
    assert lrs(sched2, opt2, 4) == lrs(sched, opt, 4)


# ----- clip_grad_norm_ ------------------------------------------------------------------------------
def test_clip_grad_norm():
    params = two_params(np.float32)
    params[0].grad = mg.tensor([3.0, 4.0])
    params[1].grad = mg.tensor([[12.0]])
    total = nn.utils.clip_grad_norm_(params, max_norm=6.5)
    assert total == pytest.approx(13.0)
    np.testing.assert_allclose(params[0].grad.data, [1.5, 2.0], rtol=1e-6)
    np.testing.assert_allclose(params[1].grad.data, [[6.0]], rtol=1e-6)
    assert params[0].grad.dtype == np.float32
    assert nn.clip_grad_norm_(params, max_norm=100.0) == pytest.approx(6.5, rel=1e-6)
    np.testing.assert_allclose(params[0].grad.data, [1.5, 2.0], rtol=1e-6)  # below the limit: unchanged


# ----- the fused (Numba) Adam loop against the NumPy expressions ------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
    lambda ps: optim.AdamW(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
])
def test_fused_adam_matches_the_numpy_update(dtype, make):
    rng = np.random.default_rng(3)
    start = [rng.standard_normal(s).astype(dtype) for s in [(7, 5), (5,), (3, 2, 4)]]
    results = []
    for fused in (True, False):
        ps = [Parameter(a.copy(), dtype=dtype) for a in start]
        opt = make(ps)
        opt.fused = fused
        for step in range(4):
            for k, p in enumerate(ps):
                p.grad = mg.tensor(np.sin(p.data * (step + 1) + k).astype(dtype), dtype=dtype)
            opt.step()
        results.append([p.data.copy() for p in ps])
        assert all(p.data.dtype == dtype for p in ps)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for fused, plain in zip(*results):
        np.testing.assert_allclose(fused, plain, rtol=tol, atol=tol)
