"""Optimizers, schedulers and initializers as a PyTorch user calls them: Adam/AdamW(amsgrad),
add_param_group, zero_grad(set_to_none), ExponentialLR, MultiStepLR, OneCycleLR,
ReduceLROnPlateau, trunc_normal_, orthogonal_.

Each is checked against the update or formula written out in NumPy (always run), then step by
step against PyTorch when it is installed."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.optim import lr_scheduler as sched

F64 = np.float64
GRADS = [np.array([0.3, -0.1, 0.2]), np.array([-4.0, 3.0, 0.1]),  # a burst at step 2, then small
         np.array([0.1, 0.1, -0.1]), np.array([0.05, -0.2, 0.0]), np.array([0.2, 0.0, 0.3])]
START = np.array([1.0, -2.0, 0.5])


def run(make, grads=GRADS, dtype=F64):
    p = nn.Parameter(START, dtype=dtype)
    opt = make([p])
    for g in grads:
        p.grad = mg.tensor(g, dtype=dtype)
        opt.step()
    return p, opt


def amsgrad_by_hand(lr, b1, b2, eps, wd, decoupled):
    p, m, v, v_max = START.copy(), 0.0, 0.0, np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        p = p - lr / (1 - b1**t) * m / (np.sqrt(v_max / (1 - b2**t)) + eps)
    return p


# ----- Adam / AdamW with amsgrad -----------------------------------------------------------------
@pytest.mark.parametrize("cls, decoupled", [(optim.Adam, False), (optim.AdamW, True)])
def test_amsgrad_written_out(cls, decoupled):
    p, opt = run(lambda ps: cls(ps, lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True))
    np.testing.assert_allclose(p.data, amsgrad_by_hand(0.05, 0.8, 0.9, 1e-8, 0.1, decoupled), rtol=1e-12)
    state = opt.state[id(p)]
    assert np.all(state["max_exp_avg_sq"] >= state["exp_avg_sq"]) and state["step"] == len(GRADS)
    plain, _ = run(lambda ps: cls(ps, lr=0.05, betas=(0.8, 0.9), weight_decay=0.1))
    assert not np.allclose(plain.data, p.data)  # the burst keeps AMSGrad's steps small afterwards


def test_default_adam_keeps_the_fused_loop_and_amsgrad_uses_numpy(monkeypatch):
    from minigrad.optim import adam

    calls = []
    real = adam.fused_adam_update
    monkeypatch.setattr(adam, "fused_adam_update", lambda *a: calls.append(1) or real(*a))
    run(lambda ps: optim.Adam(ps, lr=0.01))
    assert len(calls) == len(GRADS)
    run(lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True))
    assert len(calls) == len(GRADS)


def test_amsgrad_in_float32_and_state_round_trip():
    p, opt = run(lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True), GRADS[:2], dtype=np.float32)
    assert p.dtype == np.float32 and opt.state[id(p)]["max_exp_avg_sq"].dtype == np.float32
    full, _ = run(lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True))
    half, opt = run(lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True), GRADS[:2])
    resumed = nn.Parameter(half.data)
    opt2 = optim.Adam([resumed], lr=0.05, amsgrad=True)
    opt2.load_state_dict(opt.state_dict())
    for g in GRADS[2:]:
        resumed.grad = mg.tensor(g, dtype=F64)
        opt2.step()
    np.testing.assert_array_equal(resumed.data, full.data)


# ----- parameter groups and zero_grad ------------------------------------------------------------
def test_add_param_group():
    a, b = nn.Parameter(START), nn.Parameter(START)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})  # a single tensor, as PyTorch accepts
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["momentum"] == 0.9  # defaults filled in
    a.grad, b.grad = mg.tensor(np.ones(3), dtype=F64), mg.tensor(np.ones(3), dtype=F64)
    opt.step()
    np.testing.assert_allclose(a.data, START - 0.1)
    np.testing.assert_allclose(b.data, START - 0.01)
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="unknown options"):
        opt.add_param_group({"params": [nn.Parameter(START)], "learning_rate": 1.0})
    with pytest.raises(TypeError, match="single tensor"):
        optim.SGD(a, lr=0.1)
    assert opt.state_dict()["param_groups"][1]["params"] == [1]


def test_zero_grad_set_to_none_or_zeros():
    p = nn.Parameter(np.ones(3, np.float32))
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad()
    assert p.grad is None  # PyTorch's default
    (p * p).sum().backward()
    array = p.grad.data
    opt.zero_grad(set_to_none=False)
    assert p.grad.data is array and p.grad.dtype == np.float32
    np.testing.assert_array_equal(array, 0)
    (p * 3).sum().backward()
    np.testing.assert_array_equal(p.grad.data, [3, 3, 3])  # accumulates onto the zeros
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, 0)


# ----- schedulers --------------------------------------------------------------------------------
def lrs_of(make, steps, lr=0.5, metrics=None, optimizer=None):
    """The lr (and momentum or beta1) before each of ``steps`` epochs."""
    opt = (optimizer or (lambda ps: optim.SGD(ps, lr=lr, momentum=0.9)))([nn.Parameter(START)])
    scheduler, out = make(opt), []
    for e in range(steps):
        group = opt.param_groups[0]
        out.append((group["lr"], group["momentum"] if "momentum" in group else group["betas"][0]))
        opt.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[e])
    return np.array(out)


def test_exponential_and_multistep_closed_forms():
    got = lrs_of(lambda o: sched.ExponentialLR(o, gamma=0.9), 10)[:, 0]
    np.testing.assert_allclose(got, 0.5 * 0.9 ** np.arange(10), rtol=1e-13)
    got = lrs_of(lambda o: sched.MultiStepLR(o, milestones=[6, 2, 6], gamma=0.5), 9)[:, 0]
    np.testing.assert_allclose(got, [0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.0625, 0.0625, 0.0625])


def one_cycle_by_hand(step, total, max_lr, pct, div, final_div, three_phase, anneal, m_low=0.85, m_high=0.95):
    """Phases as (end, lr start, lr end, momentum start, momentum end), interpolated."""
    lr0 = max_lr / div
    lr_min = lr0 / final_div
    up = pct * total - 1
    if three_phase:
        phases = [(up, lr0, max_lr, m_high, m_low), (2 * up, max_lr, lr0, m_low, m_high),
                  (total - 1, lr0, lr_min, m_high, m_high)]
    else:
        phases = [(up, lr0, max_lr, m_high, m_low), (total - 1, max_lr, lr_min, m_low, m_high)]
    start = 0.0
    for k, (end, a, b, ma, mb) in enumerate(phases):
        if step <= end or k == len(phases) - 1:
            pct_done = (step - start) / (end - start)
            if anneal == "cos":
                c = (1 + math.cos(math.pi * pct_done)) / 2
                return b + (a - b) * c, mb + (ma - mb) * c
            return a + (b - a) * pct_done, ma + (mb - ma) * pct_done
        start = end


@pytest.mark.parametrize("three_phase, anneal", [(False, "cos"), (True, "linear"), (True, "cos")])
def test_one_cycle_written_out(three_phase, anneal):
    total = 20
    got = lrs_of(lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=total, pct_start=0.25, div_factor=10,
                                            final_div_factor=100, three_phase=three_phase,
                                            anneal_strategy=anneal), total)
    expected = [one_cycle_by_hand(s, total, 1.0, 0.25, 10, 100, three_phase, anneal) for s in range(total)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[0, 0] == pytest.approx(0.1) and got[4, 0] == pytest.approx(1.0)  # start, peak at 0.25 T - 1


def test_one_cycle_sets_adam_beta1_and_stops_after_total_steps():
    opt = optim.Adam([nn.Parameter(START)], lr=0.1, betas=(0.9, 0.99))
    s = sched.OneCycleLR(opt, max_lr=[0.3], epochs=2, steps_per_epoch=3)
    assert opt.param_groups[0]["betas"] == (0.95, 0.99) and opt.param_groups[0]["initial_lr"] == 0.3 / 25
    for _ in range(5):
        s.step()
    assert s.get_last_lr() == [pytest.approx(0.3 / 25 / 1e4)]  # step T - 1: the final rate
    assert opt.param_groups[0]["betas"] == (pytest.approx(0.95), 0.99)
    s.step()  # step T is still allowed (PyTorch's rule), step T + 1 is not
    with pytest.raises(ValueError, match="total_steps"):
        s.step()


def test_one_cycle_needs_momentum_to_cycle():
    class NoMomentum(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1))

    with pytest.raises(ValueError, match="momentum or betas"):
        sched.OneCycleLR(NoMomentum([nn.Parameter(START)]), max_lr=1.0, total_steps=10)
    sched.OneCycleLR(NoMomentum([nn.Parameter(START)]), max_lr=1.0, total_steps=10, cycle_momentum=False)


def test_reduce_lr_on_plateau_written_out():
    # min mode, patience 2, cooldown 1, factor 0.1, min_lr 0.004, rel threshold 1e-4; lr before epoch e.
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8, 0.79999, 0.8, 0.8, 0.8]
    # epochs 2-4 are bad (0.95 > 0.9): 3 > patience, so epoch 5 runs at 0.05; epoch 5 is bad but
    # in the cooldown, not counted. 0.8 improves at 6; 7-9 bad: 0.005 from 10. 10 is cooled down;
    # 0.79999 is no improvement (it must beat 0.8 (1 - 1e-4)): 11-13 bad, max(0.0005, 0.004) at 14.
    got = lrs_of(lambda o: sched.ReduceLROnPlateau(o, patience=2, cooldown=1, min_lr=0.004), len(metrics),
                 metrics=metrics)[:, 0]
    expected = [0.5] * 5 + [0.05] * 5 + [0.005] * 4 + [0.004]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    opt = optim.SGD([nn.Parameter(START)], lr=1.0)
    s = sched.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=0, threshold=0.1, threshold_mode="abs")
    for value in [1.0, 1.05, 1.2, mg.tensor(1.25)]:  # 1.05 and 1.25 are not 0.1 better: halve
        s.step(value)
    assert s.get_last_lr() == [0.25] and s.best == 1.2
    saved = s.state_dict()
    s2 = sched.ReduceLROnPlateau(optim.SGD([nn.Parameter(START)], lr=1.0), mode="max")
    s2.load_state_dict(saved)
    assert s2.best == 1.2 and s2.patience == 0


def test_scheduler_state_dicts_resume():
    make = lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=12)  # noqa: E731
    opt = optim.SGD([nn.Parameter(START)], lr=0.1, momentum=0.9)
    s = make(opt)
    for _ in range(5):
        s.step()
    opt2 = optim.SGD([nn.Parameter(START)], lr=0.1, momentum=0.9)
    opt2.load_state_dict(opt.state_dict())
    s2 = make(opt2)
    s2.load_state_dict(s.state_dict())
    for _ in range(4):
        s.step()
        s2.step()
        assert s2.get_last_lr() == s.get_last_lr()
        assert opt2.param_groups[0]["momentum"] == opt.param_groups[0]["momentum"]


# ----- initializers ------------------------------------------------------------------------------
def phi(z):
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def Phi(z):
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def truncated_normal_moments(mean, std, a, b):
    """Mean and variance of N(mean, std^2) restricted to [a, b], in closed form."""
    al, be = (a - mean) / std, (b - mean) / std
    z = Phi(be) - Phi(al)
    m = mean + std * (phi(al) - phi(be)) / z
    var = std**2 * (1 + (al * phi(al) - be * phi(be)) / z - ((phi(al) - phi(be)) / z) ** 2)
    return m, var


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 4.0), (0.0, 0.02, -2.0, 2.0),
                                             (0.0, 1.0, 1.0, 3.0)])
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    mg.manual_seed(0)
    w = nn.init.trunc_normal_(nn.Parameter(np.zeros((200, 500), np.float32)), mean, std, a, b)
    assert w.dtype == np.float32 and w.data.min() >= a and w.data.max() <= b
    m, var = truncated_normal_moments(mean, std, a, b)
    n = w.size
    assert abs(w.data.mean(dtype=F64) - m) < 5 * math.sqrt(var / n)
    assert w.data.var(dtype=F64) == pytest.approx(var, rel=0.02)
    with pytest.raises(ValueError, match="holds only"):
        nn.init.trunc_normal_(w, 0.0, 1.0, 8.0, 9.0)


@pytest.mark.parametrize("shape", [(4, 9), (9, 4), (6, 6), (8, 2, 3, 3)])
def test_orthogonal(shape):
    mg.manual_seed(1)
    w = nn.init.orthogonal_(nn.Parameter(np.zeros(shape, F64)), gain=2.0).data.reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-12)
    with pytest.raises(ValueError, match="at least 2"):
        nn.init.orthogonal_(nn.Parameter(np.zeros(3)))


# ----- against PyTorch ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_amsgrad_matches_torch_step_by_step(name):
    torch = pytest.importorskip("torch")
    p = nn.Parameter(START)
    tp = torch.tensor(START, requires_grad=True)
    kwargs = dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)
    opt, topt = getattr(optim, name)([p], **kwargs), getattr(torch.optim, name)([tp], **kwargs)
    for g in GRADS:
        p.grad, tp.grad = mg.tensor(g, dtype=F64), torch.tensor(g)
        opt.step()
        topt.step()
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(opt.state[id(p)]["max_exp_avg_sq"], topt.state[tp]["max_exp_avg_sq"], rtol=1e-12)


def test_add_param_group_and_zero_grad_match_torch():
    torch = pytest.importorskip("torch")
    a, b = nn.Parameter(START), nn.Parameter(START)
    ta, tb = torch.tensor(START, requires_grad=True), torch.tensor(START, requires_grad=True)
    opt, topt = optim.Adam([a], lr=0.1), torch.optim.Adam([ta], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.01, "amsgrad": True})
    topt.add_param_group({"params": [tb], "lr": 0.01, "amsgrad": True})
    for g in GRADS:
        a.grad, b.grad = mg.tensor(g, dtype=F64), mg.tensor(-g, dtype=F64)
        ta.grad, tb.grad = torch.tensor(g), torch.tensor(-g)
        opt.step()
        topt.step()
    np.testing.assert_allclose(a.data, ta.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-12)
    opt.zero_grad(set_to_none=False)
    topt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.data, ta.grad.numpy())
    opt.zero_grad()
    topt.zero_grad()
    assert a.grad is None and ta.grad is None


def torch_lrs(torch, make, steps, lr=0.5, metrics=None, adam=False):
    tp = torch.zeros(3, requires_grad=True)
    opt = torch.optim.Adam([tp], lr=lr) if adam else torch.optim.SGD([tp], lr=lr, momentum=0.9)
    scheduler, out = make(opt), []
    for e in range(steps):
        group = opt.param_groups[0]
        out.append((group["lr"], group["momentum"] if "momentum" in group else group["betas"][0]))
        opt.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[e])
    return np.array(out)


def test_schedulers_match_torch():
    torch = pytest.importorskip("torch")
    TL = torch.optim.lr_scheduler
    adam = lambda ps: optim.Adam(ps, lr=0.5)  # noqa: E731
    cases = [("ExponentialLR", dict(gamma=0.9), False),
             ("MultiStepLR", dict(milestones=[3, 7, 7, 12], gamma=0.5), False),
             ("OneCycleLR", dict(max_lr=1.0, total_steps=20), False),
             ("OneCycleLR", dict(max_lr=2.0, total_steps=20, three_phase=True, anneal_strategy="linear"), True),
             ("OneCycleLR", dict(max_lr=1.0, epochs=3, steps_per_epoch=7, pct_start=0.25,
                                 base_momentum=0.8, max_momentum=0.9), True)]
    for name, kwargs, use_adam in cases:
        steps = 20 if "max_lr" in kwargs else 25
        ours = lrs_of(lambda o: getattr(sched, name)(o, **kwargs), steps, optimizer=adam if use_adam else None)
        theirs = torch_lrs(torch, lambda o: getattr(TL, name)(o, **kwargs), steps, adam=use_adam)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=name)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8, 0.79999, 0.8, 0.8, 0.7, 0.7, 0.7]
    for kwargs in [dict(patience=2, cooldown=1, min_lr=0.004), dict(mode="max", factor=0.5, patience=1),
                   dict(mode="min", threshold=0.05, threshold_mode="abs", patience=0, eps=0.01)]:
        ours = lrs_of(lambda o: sched.ReduceLROnPlateau(o, **kwargs), len(metrics), metrics=metrics)
        theirs = torch_lrs(torch, lambda o: TL.ReduceLROnPlateau(o, **kwargs), len(metrics), metrics=metrics)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=str(kwargs))


def test_initializers_match_torch_statistics():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    mg.manual_seed(0)
    for mean, std, a, b in [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 4.0)]:
        ours = nn.init.trunc_normal_(nn.Parameter(np.zeros(100_000, F64)), mean, std, a, b).data
        theirs = torch.nn.init.trunc_normal_(torch.zeros(100_000, dtype=torch.float64), mean, std, a, b).numpy()
        assert theirs.min() >= a and theirs.max() <= b and ours.min() >= a and ours.max() <= b
        qs = [0.1, 0.25, 0.5, 0.75, 0.9]  # same distribution: the quantiles agree to sampling error
        np.testing.assert_allclose(np.quantile(ours, qs), np.quantile(theirs, qs), atol=0.03 * std)
    tw = torch.nn.init.orthogonal_(torch.empty(8, 2, 3, 3, dtype=torch.float64)).reshape(8, -1).numpy()
    w = nn.init.orthogonal_(nn.Parameter(np.zeros((8, 2, 3, 3), F64))).data.reshape(8, -1)
    np.testing.assert_allclose(w @ w.T, tw @ tw.T, atol=1e-12)  # both: W W^T = I
