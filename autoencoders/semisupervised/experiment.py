"""The experiment of Table 1: for each number of labels and each draw of the labelled set,
train each method, record its test error and training time; then augmentation.

    run(settings, train_images, train_labels, test_images, test_labels, out_dir, log)

writes into out_dir:
    records.jsonl    one JSON line per finished (method, labels, draw): error, seconds, the
                     method's settings, and for M2 its per-epoch history
    m1.npz           M1 (the VAE), trained once on every training image and shared by every
                     draw (M1 and M1 + M2); m1-<layers>x<hidden>-<activation>.npz for an M1
                     of another architecture
    m2-<labels>-<draw>.npz   each M2 trained on pixels (augmentation draws its images from it)
    <method>-<labels>-<draw>.run-state.npz   an M2 in training: its whole state after the
                     last finished epoch, removed when the draw is recorded
    results.md       the tables of report.py
A rerun with the same out_dir skips every record already there with the same settings, and
an M2 that stopped mid-draw goes on from its last finished epoch, so a long run that stopped
goes on where it was, with the numbers it would have had. Errors are measured once, after the last epoch:
nothing is selected on the test set.
"""
import hashlib
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

import minigrad as mg

from ..models import ConfigError, build_model
from . import augmentation, report
from .m1 import ACTIVE_STD, M1_CONFIG, active_units, codes, m1_error, train_m1
from .m2 import M2
from .splits import balanced_split
from .training import train_m2

METHODS = ("m1", "m2", "m1m2", "augment")
RECORDS, RESULTS, M1_FILE = "records.jsonl", "results.md", "m1.npz"
RUN_STATE_SUFFIX = ".run-state.npz"


@dataclass
class Settings:
    labels: tuple = (100, 1000)
    draws: int = 5
    first_draw: int = 0          # run draws first_draw..draws-1 (another process runs the rest)
    methods: tuple = METHODS
    m1_epochs: int = 30          # the VAE of M1, once
    m1_hidden: int = 600         # M1's hidden layers: width, number per side, activation
    m1_layers: int = 1
    m1_activation: str = "relu"
    m2_epochs: int = 30          # M2 on pixels, per draw
    m1m2_epochs: int = 100       # M2 on M1's codes, per draw
    batch_size: int = 100        # unlabelled images per step
    labelled_batch: int = 100    # labelled images per step
    lr: float = 3e-4             # Adam, M2 on pixels (the paper's)
    m1m2_lr: float = 1e-3        # Adam, M2 on codes
    alpha: float = 0.1           # the paper's alpha, in units of N
    weighting: str = "balanced"  # bounds.WEIGHTS
    lr_schedule: str = "constant"  # training.SCHEDULES: Adam's lr constant, or cosine-annealed to 0
    hidden: int = 500            # M2's hidden layers (encoder, decoder, classifier)
    latent: int = 50             # M2's z
    per_class: int = 100         # generated images per digit (augmentation)
    cvae_epochs: int = 10
    data: str = ""               # which images (filled in by run): a record is for one data set

    def m1_config(self):
        """The options of M1's VAE. Depth and activation appear only when not the default, so
        that the records and the M1 made before they were options still match."""
        extra = {**({"layers": self.m1_layers} if self.m1_layers != 1 else {}),
                 **({"activation": self.m1_activation} if self.m1_activation != "relu" else {})}
        return {**M1_CONFIG, "hidden": self.m1_hidden, **extra}

    def m1_settings(self):
        """What a record using M1 depends on: its epochs, and its architecture if not the default."""
        config = self.m1_config()
        return {"m1_epochs": self.m1_epochs,
                **({"m1_config": config} if config != Settings().m1_config() else {})}

    def m1_file(self):
        """m1.npz for the default M1, m1-<layers>x<hidden>-<activation>.npz for another."""
        if self.m1_config() == Settings().m1_config():
            return M1_FILE
        return f"m1-{self.m1_layers}x{self.m1_hidden}-{self.m1_activation}.npz"

    def m2_options(self):
        return {"hidden": self.hidden, "latent": self.latent, "classifier_hidden": (self.hidden,)}

    def train_options(self, method="m2"):
        """The arguments of train_m2. The schedule is left out at its default, so that the
        records made before it was an option still match their settings."""
        schedule = {} if self.lr_schedule == "constant" else {"lr_schedule": self.lr_schedule}
        return {"batch_size": self.batch_size, "labelled_batch": self.labelled_batch,
                "lr": self.lr if method == "m2" else self.m1m2_lr, "alpha": self.alpha,
                "weighting": self.weighting, **schedule}

    def of(self, method):
        """The settings a record of ``method`` depends on (a changed one means: run again)."""
        m2 = {**self.m2_options(), **self.train_options(), "data": self.data}
        m1m2 = {**self.m2_options(), **self.train_options("m1m2"), "data": self.data}
        return {"m1": {**self.m1_settings(), "data": self.data},
                "m2": {"m2_epochs": self.m2_epochs, **m2},
                "m1m2": {**self.m1_settings(), "m1m2_epochs": self.m1m2_epochs, **m1m2},
                "augment": {"m2_epochs": self.m2_epochs, **m2, "per_class": self.per_class,
                            "cvae_epochs": self.cvae_epochs}}[method]


def json_ready(d):
    return json.loads(json.dumps(d, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))


class Records:
    """records.jsonl: what is done, appended one line at a time. A later line for the same
    (method, labels, draw) and settings replaces an earlier one, so the records of runs made
    in other folders (one per core, say) can be merged by appending their files."""

    def __init__(self, path):
        self.path = Path(path)
        lines = [json.loads(line) for line in self.path.read_text().splitlines()
                 if line.strip()] if self.path.is_file() else []
        latest = {}
        for record in lines:
            key = (record["method"], record["labels"], record["draw"], json.dumps(record["settings"],
                                                                                 sort_keys=True))
            latest.pop(key, None)
            latest[key] = record
        self.items = list(latest.values())

    def find(self, method, labels, draw, settings):
        return next((r for r in self.items if (r["method"], r["labels"], r["draw"]) ==
                     (method, labels, draw) and r["settings"] == json_ready(settings)), None)

    def add(self, record):
        record = json_ready(record)
        self.items = [r for r in self.items if (r["method"], r["labels"], r["draw"]) !=
                      (record["method"], record["labels"], record["draw"])] + [record]
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")
        return record

    def current(self, settings):
        """The records of the settings in use (older ones of other settings are left out)."""
        return [r for r in self.items if r["method"] in settings.methods and r["labels"] in
                settings.labels and r["draw"] < settings.draws and
                r["settings"] == json_ready(settings.of(r["method"]))]


def save_model(model, path, settings):
    """An M2 with the settings of the run that trained it (Settings.of('m2'))."""
    mg.save({"config": {k: list(v) if isinstance(v, tuple) else v for k, v in model.config.items()},
             "state": model.state_dict(), "settings": json.dumps(json_ready(settings), sort_keys=True)},
            path)


def load_m2(path, settings):
    """The M2 saved at ``path`` if it was trained with ``settings``, else None."""
    if not Path(path).is_file():
        return None
    saved = mg.load(path)
    if saved.get("settings") != json.dumps(json_ready(settings), sort_keys=True):
        return None
    model = M2(**saved["config"])
    model.load_state_dict(saved["state"])
    return model


def get_m1(x, tx, settings, out_dir, log):
    """(mu, std of train codes restricted to the active units, test means, seconds), M1
    trained now or read from out_dir/m1.npz when it was trained with the same epochs."""
    path = out_dir / settings.m1_file()
    config = settings.m1_config()
    model = build_model("vae", **config)
    saved = mg.load(path) if path.is_file() else None
    made_for = {"epochs": settings.m1_epochs, "config": config, "data": settings.data}
    if saved is not None and all(saved.get(key) == value for key, value in made_for.items()):
        model.load_state_dict(saved["state"])
        seconds = saved["seconds"]
        log(f"M1: read {path} ({settings.m1_epochs} epochs)")
    else:
        log(f"M1: training a VAE ({', '.join(f'{k} {v}' for k, v in config.items())}) "
            f"on {len(x)} images for {settings.m1_epochs} epochs")
        start = time.perf_counter()
        model, _ = train_m1(x, settings.m1_epochs, config=config, log=log)
        seconds = time.perf_counter() - start
        mg.save({**made_for, "seconds": seconds, "state": model.state_dict()}, path)
    model.eval()
    mu, std = codes(model, x)
    test_mu, _ = codes(model, tx)
    active = active_units(mu)
    if not active.any():
        raise ConfigError(f"M1 ({', '.join(f'{k} {v}' for k, v in config.items())}) has no active "
                          f"latent unit after {settings.m1_epochs} epochs (no posterior mean varies "
                          f"over the images with a std above {ACTIVE_STD}): train it longer "
                          "(--m1-epochs) or change its architecture")
    log(f"M1: {active.sum()} of {len(active)} latent units active (std of the mean > 0.1)")
    return mu[:, active], std[:, active], test_mu[:, active], seconds


def data_id(x, tx):
    """Which images: their numbers and a checksum of the pixels (a record is for one data set)."""
    digest = hashlib.sha256(np.ascontiguousarray(x[:, ::7]).tobytes()).hexdigest()[:12]
    return f"{len(x)} train / {len(tx)} test images, {digest}"


def error_of(model, x, y):
    return float(np.mean(model.predict(x) != y))


def run_m2(x, y, tx, ty, lab, unl, settings, epochs, seed, log, std=None, likelihood="bernoulli",
           method="m2", checkpoint=None):
    """(model, history, seconds) of one M2 run; the history holds the test error per epoch
    (for the curves; the reported error is the last one). With a ``checkpoint`` path the run
    saves its state there after every epoch and resumes from it (training.train_m2); run()
    removes the file once the draw is recorded."""
    mg.random.seed(seed)
    model = M2(features=x.shape[1], likelihood=likelihood, **settings.m2_options())
    history = train_m2(model, x[lab], y[lab], x[unl], epochs, seed=seed,
                       std_l=None if std is None else std[lab],
                       std_u=None if std is None else std[unl],
                       evaluate=lambda m: {"test_error": error_of(m, tx, ty)}, log=log,
                       checkpoint=checkpoint, **settings.train_options(method))
    return model, history, history[-1]["elapsed"] if history else 0.0


def run_state_path(out_dir, method, n, draw):
    """Where a draw's M2 keeps its state between epochs (removed when the draw is recorded)."""
    return out_dir / f"{method}-{n}-{draw}{RUN_STATE_SUFFIX}"


def run(settings, train_images, train_labels, test_images, test_labels, out_dir, log=print):
    """Everything the settings ask for; returns the records of these settings."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = Records(out_dir / RECORDS)
    x = np.asarray(train_images, dtype=np.float32).reshape(len(train_images), -1)
    tx = np.asarray(test_images, dtype=np.float32).reshape(len(test_images), -1)
    y, ty = np.asarray(train_labels, dtype=np.int64), np.asarray(test_labels, dtype=np.int64)
    settings = replace(settings, data=data_id(x, tx))
    m1 = None
    if {"m1", "m1m2"} & set(settings.methods):
        m1 = get_m1(x, tx, settings, out_dir, log)
    for n in settings.labels:
        for draw in range(settings.first_draw, settings.draws):
            lab, unl = balanced_split(y, n, seed=draw)
            for method in [m for m in METHODS if m in settings.methods]:   # m2 before augment
                if records.find(method, n, draw, settings.of(method)):
                    continue
                log(f"{method}: {n} labels, draw {draw}")
                record = {"method": method, "labels": n, "draw": draw,
                          "settings": settings.of(method)}
                if method == "m1":
                    start = time.perf_counter()
                    record["error"] = m1_error(m1[0], lab, y, m1[2], ty, seed=draw)
                    record["seconds"] = time.perf_counter() - start
                elif method in ("m2", "m1m2"):
                    data = (x, tx, None, "bernoulli") if method == "m2" else \
                        (m1[0], m1[2], m1[1], "gaussian")
                    epochs = settings.m2_epochs if method == "m2" else settings.m1m2_epochs
                    model, history, seconds = run_m2(data[0], y, data[1], ty, lab, unl, settings,
                                                     epochs, draw, log, data[2], data[3], method,
                                                     run_state_path(out_dir, method, n, draw))
                    record.update(error=history[-1]["test_error"], seconds=seconds, history=history)
                    if method == "m2":
                        save_model(model, out_dir / f"m2-{n}-{draw}.npz", settings.of("m2"))
                else:
                    m2_done = records.find("m2", n, draw, settings.of("m2")) is not None
                    record.update(augment(x, y, tx, ty, lab, unl, n, draw, settings, out_dir, log,
                                          m2_done))
                record = records.add(record)
                run_state_path(out_dir, "m2" if method == "augment" else method, n, draw).unlink(
                    missing_ok=True)
                if "error" in record:
                    log(f"{method}: {n} labels, draw {draw}: test error {100 * record['error']:.2f} %"
                        f" ({report.minutes(record['seconds'])})")
                write_results(out_dir, records.current(settings), m1)
    write_results(out_dir, records.current(settings), m1)
    return records.current(settings)


def write_results(out_dir, records, m1):
    """out_dir/results.md: the tables of the records (with M1's training time if it was used)."""
    (out_dir / RESULTS).write_text(report.render(records, m1[3] if m1 else None))


def augment(x, y, tx, ty, lab, unl, n, draw, settings, out_dir, log, m2_done):
    """The augmentation record of one draw: accuracies of the pixel classifier with no,
    CVAE and M2 images. The M2 is the table's M2 of this draw when ``m2_done`` (read from
    out_dir), else it is trained here."""
    path = out_dir / f"m2-{n}-{draw}.npz"
    model = load_m2(path, settings.of("m2")) if m2_done else None
    if model is None:          # not trained yet, or the file holds an M2 of other settings
        model, _, _ = run_m2(x, y, tx, ty, lab, unl, settings, settings.m2_epochs, draw, log,
                             checkpoint=run_state_path(out_dir, "m2", n, draw))
        save_model(model, path, settings.of("m2"))
    start = time.perf_counter()
    cvae = augmentation.train_cvae(x[lab], y[lab], settings.cvae_epochs, seed=draw)
    generated = {"cvae": augmentation.cvae_images(cvae, settings.per_class, seed=draw),
                 "m2": augmentation.m2_images(model, settings.per_class, seed=draw)}
    accuracy = augmentation.accuracies(x[lab], y[lab], tx, ty, generated, seed=draw)
    log("augment: " + ", ".join(f"{k} {100 * (1 - v):.2f} % error" for k, v in accuracy.items()))
    return {"accuracy": accuracy, "seconds": time.perf_counter() - start,
            "m2_error": error_of(model, tx, ty)}
