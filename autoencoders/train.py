"""Training: the loop, the settings that define a run, and resuming one.

One training step, the heart of it all (``Trainer.train_epoch`` and ``Trainer.step``):

    x, labels = next batch                  # float32 (B, 784) or (B, 1, 28, 28)
    for each phase of the model:            # an autoencoder has one, a GAN two (D, then G)
        loss, metrics = phase.loss(x, labels)   # forward pass, loss averaged over the batch
        optimizer.zero_grad()               # the phase's own optimizer
        loss.backward()                     # .grad of the phase's parameters is filled in
        clip_grad_norm_(parameters, max_norm)   # optional
        optimizer.step()                    # the phase's parameters move against their gradients

A model's phases (``Autoencoder.training_phases``) each name their parameters
and their loss; the trainer makes one optimizer and one schedule per phase, and
while a phase runs the other phases' parameters are frozen (no gradient is
computed for them). An autoencoder's single phase is all of its parameters and
``model.loss``; a GAN's are the discriminator's loss, then the generator's.

Around it, once per epoch: the learning-rate schedule steps, the model is
scored on the validation images, and a checkpoint (``last.npz``, and
``best.npz`` when the validation loss is the lowest so far) and one line of
``metrics.jsonl`` are written to the run's folder.

A run is defined by ``TrainSettings`` and the seed: the same settings give the
same parameters, bit for bit. A run stopped after any epoch continues with
``Trainer.resume(folder)`` exactly as if it had never stopped: the checkpoint
holds the model, each optimizer's moments, the schedule, the random state of
minigrad, and the epoch (which fixes the data order, see ``data.Batches``).
"""
import contextlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import optim
from minigrad.nn.utils import clip_grad_norm_

from .checkpoint import (Checkpoint, check_resumable, load_checkpoint, load_settings,
                         pack_optimizer_states, save_checkpoint, unpack_optimizer_states)
from .data import Batches, iterate_batches, load_dataset, stratified_split
from .models import ConfigError, build_model, evaluating
from .run_folder import claim_run_folder

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("none", "step", "cosine")
LAST, BEST, METRICS = "last.npz", "best.npz", "metrics.jsonl"
VAL_SPLIT_SEED = 0  # the validation images are the same for every run seed


class TrainingDiverged(RuntimeError):
    """The loss or a gradient stopped being a finite number."""


@dataclass
class TrainSettings:
    """Everything that defines a training run. Saved in every checkpoint."""
    model: str = "dense"
    model_config: dict = field(default_factory=dict)  # model options; defaults fill the rest
    dataset: str = "mnist-5k"
    data_dir: str = None        # folder with the IDX files (mnist, fashion-mnist)
    epochs: int = 10            # total number of epochs of the run
    batch_size: int = 32         # small batches: one epoch of mnist-5k is already 113 steps
    optimizer: str = "adam"     # one of OPTIMIZERS
    lr: float = 2e-3
    momentum: float = 0.9       # sgd only
    beta1: float = 0.9          # adam and adamw: decay of the first moment (GANs: 0.5, as in DCGAN)
    weight_decay: float = 0.0
    clip_grad_norm: float = 0.0  # largest gradient norm allowed; 0 turns clipping off
    schedule: str = "none"      # one of SCHEDULES, stepped once per epoch
    lr_step: int = 10           # 'step': multiply lr by lr_gamma every lr_step epochs
    lr_gamma: float = 0.5
    seed: int = 0
    val_fraction: float = 0.1   # share of the training images held out for validation
    limit: int = 0              # use at most this many images per split (0: all), for quick checks

    def check(self):
        """Raise ConfigError naming the first setting that cannot work."""
        def need(ok, message):
            if not ok:
                raise ConfigError(message)
        need(self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}")
        need(self.batch_size >= 1, f"batch size must be >= 1, got {self.batch_size}")
        need(self.optimizer in OPTIMIZERS,
             f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
        need(math.isfinite(self.lr) and self.lr > 0, f"learning rate must be > 0, got {self.lr}")
        need(0 <= self.momentum < 1, f"momentum must be in [0, 1), got {self.momentum}")
        need(0 <= self.beta1 < 1, f"beta1 must be in [0, 1), got {self.beta1}")
        need(self.weight_decay >= 0, f"weight decay must be >= 0, got {self.weight_decay}")
        need(self.clip_grad_norm >= 0, f"gradient clipping norm must be >= 0 (0 = off), "
             f"got {self.clip_grad_norm}")
        need(self.schedule in SCHEDULES,
             f"unknown lr schedule {self.schedule!r}; choose from {', '.join(SCHEDULES)}")
        need(self.lr_step >= 1, f"lr step must be >= 1 epoch, got {self.lr_step}")
        need(0 < self.lr_gamma <= 1, f"lr gamma must be in (0, 1], got {self.lr_gamma}")
        need(0 <= self.val_fraction < 1, f"validation fraction must be in [0, 1), got {self.val_fraction}")
        need(self.limit >= 0, f"limit must be >= 0 (0 = all images), got {self.limit}")
        need(self.seed >= 0, f"seed must be >= 0, got {self.seed}")

    @classmethod
    def from_dict(cls, d):
        """Settings from a checkpoint's dict (unknown keys from other versions are dropped)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# ----- data ---------------------------------------------------------------------------
def load_training_data(settings, download=True, base_url=None):
    """(train_images, train_labels, val_images, val_labels): the training split of
    the dataset, with ``val_fraction`` of it (stratified, fixed) held out. With
    val_fraction 0 every training image is trained on and the validation set is empty.
    download, base_url: as in ``data.load_dataset`` (where a missing file may come from)."""
    images, labels = load_dataset(settings.dataset, data_dir=settings.data_dir, split="train",
                                  download=download, base_url=base_url)
    if settings.val_fraction == 0:
        train_index, val_index = np.arange(len(labels)), np.arange(0)
    else:
        train_index, val_index = stratified_split(labels, settings.val_fraction, seed=VAL_SPLIT_SEED)
    if settings.limit:
        train_index, val_index = train_index[:settings.limit], val_index[:settings.limit]
    return images[train_index], labels[train_index], images[val_index], labels[val_index]


# ----- optimizer and schedule -----------------------------------------------------------
def make_optimizer(settings, parameters):
    """The optimizer named in the settings, over ``parameters``."""
    betas = (settings.beta1, 0.999)
    if settings.optimizer == "adam":
        return optim.Adam(parameters, lr=settings.lr, betas=betas, weight_decay=settings.weight_decay)
    if settings.optimizer == "adamw":
        return optim.AdamW(parameters, lr=settings.lr, betas=betas, weight_decay=settings.weight_decay)
    return optim.SGD(parameters, lr=settings.lr, momentum=settings.momentum,
                     weight_decay=settings.weight_decay)


def make_scheduler(settings, optimizer):
    """The per-epoch learning-rate schedule, or None for a constant rate."""
    if settings.schedule == "step":
        return optim.lr_scheduler.StepLR(optimizer, step_size=settings.lr_step, gamma=settings.lr_gamma)
    if settings.schedule == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=settings.epochs)
    return None


def current_lr(optimizer):
    return float(optimizer.param_groups[0]["lr"])


# ----- the non-finite guard ---------------------------------------------------------------
def check_loss_finite(loss, epoch, batch, name="loss"):
    """Raise TrainingDiverged if the loss (of the training phase ``name``) is a NaN or an inf."""
    if not np.all(np.isfinite(loss.data)):
        raise TrainingDiverged(f"epoch {epoch}, batch {batch}: the {name} is {loss.item()}; training "
                               "stopped (try a lower --lr or gradient clipping)")


def check_gradients_finite(named_parameters, epoch, batch):
    """Raise TrainingDiverged naming the first parameter whose gradient holds a NaN or an inf."""
    for name, p in named_parameters:
        if p.grad is not None and not np.all(np.isfinite(p.grad.data)):
            raise TrainingDiverged(f"epoch {epoch}, batch {batch}: the gradient of {name} is not finite; "
                                   "training stopped (try a lower --lr or gradient clipping)")


def check_state_finite(checkpoint):
    """Raise TrainingDiverged if a parameter, buffer or optimizer state array about to be saved holds
    a NaN or an inf: the loss can stay finite while they are not (a NaN weight behind a clipped
    activation, Adam's second moment overflowing to inf), and a checkpoint must never keep them."""
    where = f"epoch {checkpoint.epoch}"
    for name, value in checkpoint.model_state.items():
        if not np.all(np.isfinite(value)):
            raise TrainingDiverged(f"{where}: {name} is not finite; training stopped and the last good "
                                   "checkpoint kept (try a lower --lr or gradient clipping)")
    for phase, optimizer_state in unpack_optimizer_states(checkpoint.optimizer_state).items():
        owner = "the optimizer's" if phase is None else f"the {phase} optimizer's"
        for index, state in optimizer_state["state"].items():
            for key, value in state.items():
                if isinstance(value, (np.ndarray, float)) and not np.all(np.isfinite(value)):
                    raise TrainingDiverged(f"{where}: {owner} {key} of parameter {index} is not "
                                           "finite; training stopped and the last good checkpoint "
                                           "kept (try a lower --lr or gradient clipping)")


# ----- the progress bar --------------------------------------------------------------------
class ProgressBar:
    """One line on stderr, rewritten in place with '\\r'; silent unless stderr is a terminal."""

    def __init__(self, epoch, epochs, batches, enabled=True, stream=None, interval=0.1):
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.epoch, self.epochs, self.batches = epoch, epochs, batches
        self.interval, self.last = interval, 0.0

    def update(self, batch, loss, images_per_s):
        """loss: the running mean loss, or a dict name -> running mean, one per training phase."""
        now = time.perf_counter()
        if not self.enabled or (now - self.last < self.interval and batch < self.batches):
            return
        self.last = now
        losses = loss if isinstance(loss, dict) else {"loss": loss}
        shown = "  ".join(f"{name} {value:.4f}" for name, value in losses.items())
        self.stream.write(f"\repoch {self.epoch}/{self.epochs}  batch {batch}/{self.batches}  "
                          f"{shown}  {images_per_s:,.0f} img/s ")
        self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\r\033[K")  # back to the line start, clear it
            self.stream.flush()


class WarmRate:
    """Images per second from the end of the first batch on, so the first batch's one-off costs
    (Numba compiling or loading kernels, buffers allocated) do not count; with one batch
    only, the rate of that batch."""

    def __init__(self):
        self.start, self.first = time.perf_counter(), None  # first: (time, images) after batch 1

    def batch_done(self, seen):
        if self.first is None:
            self.first = (time.perf_counter(), seen)

    def rate(self, seen):
        """Images per second after ``seen`` images: since the first batch ended, if a batch
        has ended since; else since the start."""
        if self.first is not None and seen > self.first[1]:
            start, before = self.first
        else:
            start, before = self.start, 0
        return (seen - before) / max(time.perf_counter() - start, 1e-9)


# ----- the trainer ----------------------------------------------------------------------------
class Trainer:
    """Trains one model and keeps its run folder (checkpoints, metrics) up to date.

        trainer = Trainer(TrainSettings(model="dense", epochs=5), "runs/dense")
        history = trainer.fit()

    callback: called as ``callback(trainer, epoch, batch)`` after every
        optimizer step (tests use it to interrupt a run).
    data: (train_images, train_labels, val_images, val_labels) to use instead
        of loading ``settings.dataset``.
    overwrite: a new run may replace the run already in ``out_dir``; without it
        ``fit`` refuses that folder (see run_folder.claim_run_folder).
    """

    def __init__(self, settings, out_dir, quiet=False, callback=None, data=None, log=None,
                 overwrite=False):
        settings.check()
        self.out_dir = Path(out_dir)
        self.quiet, self.callback, self.overwrite = quiet, callback, overwrite
        self.log = log or (lambda message: print(message, file=sys.stderr))

        mg.random.seed(settings.seed)  # weight initialization draws from it
        self.model = build_model(settings.model, **settings.model_config)
        # keep the model's full, converted config ('4' from the command line becomes 4)
        self.settings = settings = replace(settings, model_config=dict(self.model.config))
        # one optimizer and one schedule per training phase (an autoencoder has one phase)
        self.phases = self.model.training_phases()
        check_phases(self.phases)
        self.optimizers = [make_optimizer(settings, [p for _, p in phase.named_parameters])
                           for phase in self.phases]
        schedulers = (make_scheduler(settings, optimizer) for optimizer in self.optimizers)
        self.schedulers = [s for s in schedulers if s is not None]  # none for a constant rate
        # phase name -> the trainable parameters of the other phases, frozen while it runs
        self.frozen = {phase.name: [p for other in self.phases if other is not phase
                                    for _, p in other.named_parameters if p.requires_grad]
                       for phase in self.phases}

        train_images, train_labels, self.val_images, self.val_labels = (
            data if data is not None else load_training_data(settings))
        if len(train_images) == 0:
            raise ConfigError(f"no images to train on: {settings.dataset} leaves none after holding out "
                              f"val_fraction {settings.val_fraction} ({len(self.val_images)} validation "
                              "images); lower the validation fraction or use more data")
        self.flatten = self.model.input_kind == "flat"
        self.batches = Batches(train_images, train_labels, batch_size=settings.batch_size,
                               seed=settings.seed, flatten=self.flatten)
        self.epoch = 0      # epochs completed
        self.history = []   # one dict per completed epoch (the lines of metrics.jsonl)

    # ----- resuming ------------------------------------------------------------------------
    @classmethod
    def resume(cls, out_dir, epochs=None, quiet=False, callback=None, data=None, log=None):
        """A trainer that continues the run saved in ``out_dir/last.npz``.

        epochs: a new total number of epochs (to train longer than planned).
        A damaged checkpoint (settings, weights, optimizer or random state that
        do not fit) is a CheckpointError naming the file and what is wrong.
        """
        path = Path(out_dir) / LAST
        if not path.is_file():
            raise FileNotFoundError(f"nothing to resume: no checkpoint {path}")
        checkpoint = load_checkpoint(path)
        settings = load_settings(checkpoint, TrainSettings)
        if epochs is not None:
            settings.epochs = epochs
        trainer = cls(settings, out_dir, quiet=quiet, callback=callback, data=data, log=log)
        trainer.restore(checkpoint)
        return trainer

    def restore(self, checkpoint):
        """Put the model, optimizers, schedules, random state and history of a checkpoint back.

        Everything is checked first (``checkpoint.check_resumable``): a checkpoint
        that does not fit is a CheckpointError and changes nothing.
        """
        optimizers = self.optimizers_by_phase()
        check_resumable(checkpoint, self.model, optimizers)
        self.model.load_state_dict(checkpoint.model_state)
        saved = unpack_optimizer_states(checkpoint.optimizer_state)
        for name, optimizer in optimizers.items():
            optimizer.load_state_dict(saved[name if len(optimizers) > 1 else None])
        for scheduler in self.schedulers:
            # Both schedules are formulas of the epoch number, so replaying them
            # to the saved epoch gives the saved rate; when --epochs has changed
            # the cosine is re-planned over the new total instead of the old one.
            for _ in range(checkpoint.epoch):
                scheduler.step()
        mg.random.set_state(checkpoint.rng_state["minigrad"])
        self.epoch = checkpoint.epoch
        self.history = list(checkpoint.history)

    # ----- the loop ----------------------------------------------------------------------------
    def fit(self):
        """Train up to ``settings.epochs``; return the history (one dict per epoch).

        The run folder is locked while this runs (see run_folder.claim_run_folder).
        """
        with claim_run_folder(self.out_dir, fresh=self.epoch == 0, overwrite=self.overwrite):
            return self._fit()

    def _fit(self):
        self.rewrite_metrics()  # the checkpoint's history is the truth; drop lines after it
        if self.epoch == 0:  # a new run: e.g. greedy layer-wise pretraining (Autoencoder.prepare)
            self.model.prepare(self.batches.images, log=None if self.quiet else self.log)
        for epoch in range(self.epoch + 1, self.settings.epochs + 1):
            start = time.perf_counter()
            lr = current_lr(self.optimizers[0])  # every phase's schedule is the same
            # An overflow or a NaN is reported by the checks in train_epoch, validate and
            # save_checkpoints, in one line; NumPy's RuntimeWarnings would only come before it.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                train_metrics, images_per_s = self.train_epoch(epoch)
                val_metrics = self.validate(epoch) if len(self.val_images) else {"loss": None}
            record = {"epoch": epoch, "train_loss": train_metrics["loss"], "val_loss": val_metrics["loss"],
                      "seconds": round(time.perf_counter() - start, 4), "images_per_s": round(images_per_s, 1),
                      "lr": lr}
            names = distinct_metrics(train_metrics)
            record.update({f"train_{k}": train_metrics[k] for k in names})
            record.update({f"val_{k}": val_metrics[k] for k in names if k in val_metrics})
            for scheduler in self.schedulers:
                scheduler.step()
            self.epoch = epoch
            self.history.append(record)
            self.save_checkpoints()
            self.append_metrics(record)
            if not self.quiet:
                self.log(f"epoch {epoch}/{self.settings.epochs}: train loss {record['train_loss']:.4f}, "
                         f"val loss {format_loss(record['val_loss'])}"
                         f"{self.phase_losses(train_metrics, val_metrics)}, {record['seconds']:.1f} s, "
                         f"{record['images_per_s']:,.0f} img/s")
        return self.history

    def phase_losses(self, train_metrics, val_metrics):
        """', loss_d 1.2000 (val 1.3000), loss_g ...' for a model of several training phases
        (their losses are not the run's loss); '' for one."""
        if len(self.phases) == 1:
            return ""
        return "".join(f", {phase.name} {train_metrics[phase.name]:.4f} "
                       f"(val {format_loss(val_metrics.get(phase.name))})" for phase in self.phases)

    def train_epoch(self, epoch):
        """One pass over the training images: (mean metrics, images per second)."""
        self.model.train()
        self.batches.set_epoch(epoch - 1)  # epoch k always sees the same order
        bar = ProgressBar(epoch, self.settings.epochs, len(self.batches), enabled=not self.quiet)
        sums, seen = {}, 0
        clock = WarmRate()
        for batch, (x, labels) in enumerate(self.batches, start=1):
            x = mg.Tensor(x)
            for phase, optimizer in zip(self.phases, self.optimizers):
                metrics = self.step(phase, optimizer, x, labels, epoch, batch)
                for name, value in metrics.items():
                    sums[name] = sums.get(name, 0.0) + value * len(x)
            seen += len(x)
            bar.update(batch, {phase.name: sums[phase.name] / seen for phase in self.phases},
                       clock.rate(seen))
            if self.callback is not None:
                self.callback(self, epoch, batch)
            clock.batch_done(seen)
        bar.close()
        return {name: total / seen for name, total in sums.items()}, clock.rate(seen)

    def step(self, phase, optimizer, x, labels, epoch, batch):
        """One phase of a training step on the batch x: its loss, backward and optimizer step,
        with the other phases' parameters frozen meanwhile. Returns the phase's metrics."""
        with frozen(self.frozen[phase.name]):
            loss, metrics = phase.loss(x, labels)
            check_loss_finite(loss, epoch, batch, phase.name)
            optimizer.zero_grad()
            loss.backward()
        check_gradients_finite(phase.named_parameters, epoch, batch)
        if self.settings.clip_grad_norm > 0:
            clip_grad_norm_([p for _, p in phase.named_parameters], self.settings.clip_grad_norm)
        optimizer.step()
        return metrics

    def optimizers_by_phase(self):
        """The optimizers as a dict training phase name -> optimizer."""
        return {phase.name: optimizer for phase, optimizer in zip(self.phases, self.optimizers)}

    def validate(self, epoch):
        """Mean metrics over the validation images."""
        metrics = self.evaluate(self.val_images, self.val_labels)
        for name in dict.fromkeys(["loss"] + [phase.name for phase in self.phases]):
            if name in metrics and not math.isfinite(metrics[name]):
                raise TrainingDiverged(f"epoch {epoch}, validation: the {name} is {metrics[name]}; "
                                       "training stopped")
        return metrics

    def evaluate(self, images, labels):
        return evaluate_model(self.model, images, labels)

    @property
    def train_images(self):
        """The images trained on (uint8, shuffled anew each epoch by ``batches``)."""
        return self.batches.images

    def figure_images(self, count=1000):
        """(images, labels) to draw the run's figures with: the validation images, or the first
        ``count`` training images when there is no validation set."""
        if len(self.val_images):
            return self.val_images, self.val_labels
        return self.batches.images[:count], self.batches.labels[:count]

    # ----- the run folder -------------------------------------------------------------------------
    def checkpoint(self):
        """The current state as a Checkpoint."""
        return Checkpoint(
            model_name=self.model.name,
            model_config=self.model.config,
            model_state=self.model.state_dict(),
            epoch=self.epoch,
            optimizer_state=pack_optimizer_states({name: optimizer.state_dict() for name, optimizer
                                                   in self.optimizers_by_phase().items()}),
            # the schedule and the data order are functions of the settings and the epoch,
            # so restore() rebuilds them from those; only minigrad's random state is extra
            rng_state={"minigrad": mg.random.get_state()},
            history=self.history,
            settings=asdict(self.settings),
        )

    def save_checkpoints(self):
        """Write last.npz, and best.npz if this epoch has the lowest validation loss."""
        checkpoint = self.checkpoint()
        check_state_finite(checkpoint)
        save_checkpoint(self.out_dir / LAST, checkpoint)
        val_losses = [record["val_loss"] for record in self.history]
        if val_losses[-1] is None or val_losses[-1] <= min(val_losses):  # no validation: best = last
            save_checkpoint(self.out_dir / BEST, checkpoint)

    def append_metrics(self, record):
        with open(self.out_dir / METRICS, "a") as f:
            f.write(json.dumps(record) + "\n")

    def rewrite_metrics(self):
        with open(self.out_dir / METRICS, "w") as f:
            f.writelines(json.dumps(record) + "\n" for record in self.history)


def check_phases(phases):
    """Raise ValueError unless the training phases have distinct names and share no parameter."""
    names = [phase.name for phase in phases]
    if not phases or len(set(names)) != len(names):
        raise ValueError(f"a model's training phases need distinct names, got {names}")
    seen = {}
    for phase in phases:
        for name, p in phase.named_parameters:
            if id(p) in seen:
                raise ValueError(f"parameter {name} is trained by two phases, {seen[id(p)]} and "
                                 f"{phase.name}")
            seen[id(p)] = phase.name


@contextlib.contextmanager
def frozen(parameters):
    """Inside the block ``parameters`` need no gradient, so backward skips them (a GAN's generator
    step computes no gradient for the discriminator's weights, only through them)."""
    for p in parameters:
        p.requires_grad = False
    try:
        yield
    finally:
        for p in parameters:
            p.requires_grad = True


def distinct_metrics(metrics):
    """The names of the metrics that get fields of their own in a record: all but 'loss' and
    those repeating the loss or an earlier metric (a dense model's 'bce' is its loss, a
    Bernoulli VAE's 'bce' is its 'recon'), so each value is written once."""
    values, names = [metrics["loss"]], []
    for name, value in metrics.items():
        if name != "loss" and value not in values:
            values.append(value)
            names.append(name)
    return names


def format_loss(value):
    """A loss for the log ('-' when there is none, e.g. no validation set)."""
    return "-" if value is None else f"{value:.4f}"


def evaluate_model(model, images, labels=None, batch_size=256):
    """Mean of the model's loss metrics over ``images`` (eval mode, no gradients)."""
    sums, seen = {}, 0
    with evaluating(model):
        for x, y in iterate_batches(images, labels, batch_size=batch_size, shuffle=False,
                                    flatten=model.input_kind == "flat"):
            _, metrics = model.loss(mg.Tensor(x), y)
            seen += len(x)
            for name, value in metrics.items():
                sums[name] = sums.get(name, 0.0) + value * len(x)
    return {name: total / seen for name, total in sums.items()}


def read_metrics(path):
    """The records of a metrics.jsonl file, as a list of dicts."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
