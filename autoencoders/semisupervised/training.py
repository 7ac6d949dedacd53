"""M2's training loop: every step one batch of unlabelled images and one of labelled ones.

An epoch is one pass over the unlabelled set in shuffled batches of ``batch_size``; each
step also takes ``labelled_batch`` labelled pairs, cycling through the (few) labelled ones
in a fresh shuffled order every time they run out. The loss of a step is

    J = w_l mean_l L(x, y) + w_u mean_u U(x) + w_y mean_l [-log q(y|x)]

(bounds.objective with bounds.paper_weights: an unbiased estimate of the paper's J^alpha per
image), minimized with Adam. When the data are themselves distributions (M1's codes: a mean
and a std per feature), every batch draws fresh values x = mean + std * eps, as M1+M2 does.

Deterministic: minigrad's generator (weights, the eps of the bounds) and numpy's (batch
order, code noise) are both seeded with ``seed``. With a ``checkpoint`` path the whole state
of the run is saved there after every epoch (run_state.py), and a run started again with the
same arguments and data goes on from it and ends with the same weights and history.
"""
import time

import numpy as np

import minigrad as mg

from . import bounds
from .run_state import RunParts, data_digest, load_run, save_run


class LabelledCycle:
    """Batches of the labelled set, reshuffled each time it is used up."""

    def __init__(self, n, batch, rng):
        self.n, self.batch, self.rng = n, min(batch, n), rng
        self.order, self.at = rng.permutation(n), 0

    def next(self):
        if self.at + self.batch > self.n:
            self.order, self.at = self.rng.permutation(self.n), 0
        index = self.order[self.at:self.at + self.batch]
        self.at += self.batch
        return index


def draw(mean, std, index, rng):
    """Rows ``index`` of the data: the means, or a sample mean + std * eps if std is given."""
    if std is None:
        return mean[index]
    return (mean[index] + std[index] * rng.standard_normal(std[index].shape)).astype(mean.dtype)


SCHEDULES = ("constant", "cosine")


def train_m2(model, x_l, y_l, x_u, epochs, batch_size=100, labelled_batch=100, lr=3e-4,
             alpha=0.1, weighting="balanced", seed=0, std_l=None, std_u=None, evaluate=None, log=None,
             lr_schedule="constant", checkpoint=None):
    """Train ``model`` (an M2) in place; returns its history, one dict per epoch:
    epoch, seconds (the epoch's training steps), elapsed (wall time of the run so far,
    evaluation included, summed over resumes), the mean metrics of M2.loss and, if
    ``evaluate`` (a function of the model returning a dict) is given, what it returns.

    checkpoint: None, or a path where the run's state is saved after every epoch and from
    which a run of the same arguments and data resumes (run_state.py).

    lr_schedule: 'constant' keeps Adam's ``lr``; 'cosine' anneals it step by step to 0 at the
    last step, lr_t = lr (1 + cos(pi t / T)) / 2 (CosineAnnealingLR).

    x_l (N_l, D), y_l (N_l,): the labelled set; x_u (N_u, D): the unlabelled one; std_l,
    std_u: per-feature stds when the data are Gaussian codes (None: fixed data)."""
    mg.random.seed(seed)
    rng = np.random.default_rng(seed)
    y_l = np.asarray(y_l, dtype=np.int64)
    weights = bounds.WEIGHTS[weighting](len(x_l), len(x_u), alpha)
    if lr_schedule not in SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {', '.join(SCHEDULES)}, got {lr_schedule!r}")
    optimizer = mg.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = len(x_u) // batch_size
    scheduler = (mg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs * steps_per_epoch))
                 if lr_schedule == "cosine" else None)
    labelled = LabelledCycle(len(x_l), labelled_batch, rng)
    parts = RunParts(model, optimizer, scheduler, rng, labelled)
    run_key = {"epochs": epochs, "batch_size": batch_size, "labelled_batch": labelled_batch,
               "lr": lr, "alpha": alpha, "weighting": weighting, "seed": seed,
               "lr_schedule": lr_schedule, "model": model.config,
               "data": data_digest(x_l, y_l, x_u, std_l, std_u)}
    history = (load_run(checkpoint, run_key, parts) if checkpoint is not None else None) or []
    if history and log:
        log(f"  M2: resumed from {checkpoint} after epoch {len(history)}/{epochs}")
    elapsed = history[-1]["elapsed"] if history else 0.0
    for epoch in range(len(history) + 1, epochs + 1):
        start, sums, steps = time.perf_counter(), {}, 0
        order = rng.permutation(len(x_u))
        for at in range(0, len(order) - batch_size + 1, batch_size):
            index_l = labelled.next()
            xb_l = draw(x_l, std_l, index_l, rng)
            xb_u = draw(x_u, std_u, order[at:at + batch_size], rng)
            loss, metrics = model.loss(xb_l, y_l[index_l], xb_u, weights)
            if not np.isfinite(loss.item()):
                raise FloatingPointError(f"M2 loss became {loss.item()} at epoch {epoch}, step {steps + 1}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            for key, value in metrics.items():
                sums[key] = sums.get(key, 0.0) + value
            steps += 1
        record = {"epoch": epoch, "seconds": time.perf_counter() - start,
                  **{key: value / max(steps, 1) for key, value in sums.items()}}
        if evaluate is not None:
            record.update(evaluate(model))
        elapsed += time.perf_counter() - start
        record["elapsed"] = elapsed
        history.append(record)
        if checkpoint is not None:
            save_run(checkpoint, run_key, parts, history)
        if log:
            shown = ", ".join(f"{name} {value:.4g}" for name, value in record.items()
                              if name not in ("epoch", "seconds", "elapsed"))
            log(f"  M2 epoch {epoch}/{epochs} ({record['seconds']:.0f} s): {shown}")
    return history
