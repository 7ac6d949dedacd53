"""The applications report: ``python -m autoencoders report [--fast | --smoke | --data-dir DIR]``.

Trains the models it needs with the Trainer (a dense autoencoder, a denoising
autoencoder, a VAE, a VAE with a 2-D latent, a CVAE, one model per digit for
the anomaly detector, CVAEs on 100 labels), runs every application with its
baseline, and writes ``<out>/applications-results.md`` with the tables, the
figures (``<out>/figures/applications/``), the equivalent commands and the wall
time of each part. ``docs/applications.md`` explains what each number means.

``<out>`` is ``runs/report-<preset>`` unless given: the published page is
regenerated only when asked for, with ``--out docs``. Progress lines (one as
each model is trained and each section starts and ends) go to stderr unless
``--quiet``.

Each section calls the applications' own ``run`` (the one the commands call), once
per model it compares, and turns the AppResults into Markdown and figures.

Presets:
    full    (default) MNIST from --data-dir; what the published numbers come from
    --fast  the embedded 5,000 digits (4,000 train / 1,000 test); a few minutes
    --smoke a few hundred embedded digits and one epoch; under a minute, run by the tests
"""
import json
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..arguments import add_out_argument, add_quiet_argument
from ..data import load_split
from ..train import TrainSettings, Trainer
from . import anomaly, augment, denoise, features, generate, latent, search
from .result import Bars, Grid

RESULTS = "applications-results.md"
FIGURES = Path("figures") / "applications"


@dataclass
class Preset:
    name: str
    dataset: str = "mnist-5k"
    limit: int = 0                  # training images used (0: all)
    test_limit: int = 0             # test images used (0: all)
    epochs: int = 15                # epochs of the shared models
    batch_size: int = 64
    anomaly_epochs: int = 30        # one digit of mnist-5k is 360 images: 12 steps an epoch
    anomaly_classes: tuple = tuple(range(10))
    augment_epochs: int = 10
    augment_seeds: tuple = (0, 1, 2)
    augment_per_class: int = 100
    nll_k: int = 50
    nll_images: int = 1000
    counts: tuple = (100, 1000, None)
    classifier: dict = field(default_factory=dict)


PRESETS = {
    "full": Preset("full", dataset="mnist", epochs=20, batch_size=128, anomaly_epochs=20,
                   augment_epochs=10, classifier={"epochs": 10}),
    "fast": Preset("fast"),
    "smoke": Preset("smoke", limit=500, test_limit=200, epochs=1, anomaly_epochs=1,
                    anomaly_classes=(0, 1), augment_epochs=1, augment_seeds=(0,),
                    augment_per_class=10, nll_k=4, nll_images=100, counts=(100, None),
                    classifier={"epochs": 3, "min_steps": 20}),
}

# name -> (model, config): the shared models every application draws from
MODELS = {
    "dense": ("dense", {"hidden": 256, "code": 32}),
    "denoising": ("denoising", {"widths": (256, 32), "corruption": "masking", "noise_level": 0.3}),
    "vae": ("vae", {"latent": 20}),
    "vae2d": ("vae", {"latent": 2}),
    "cvae": ("cvae", {"latent": 20}),
}


def add_subparser(commands):
    p = commands.add_parser("report", help="run every application, write the results page",
                            description="Train the models the applications need, run every "
                            "application with its baseline and write OUT/" + RESULTS + " and its "
                            "figures. Default: full MNIST from --data-dir.")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder of the MNIST IDX files (the full preset; default: "
                   "$MINIGRAD_DATA/mnist or ~/.cache/minigrad/mnist)")
    speed = p.add_mutually_exclusive_group()
    speed.add_argument("--fast", action="store_true",
                       help="the embedded 5,000 digits: a few minutes")
    speed.add_argument("--smoke", action="store_true",
                       help="a few hundred digits, one epoch: under a minute (for CI)")
    add_out_argument(p, "runs/report-<preset>; --out docs regenerates the published page",
                     "the page and its figures")
    p.add_argument("--runs", default=None, metavar="DIR",
                   help="where the training runs go (default: runs/report-<preset>)")
    add_quiet_argument(p)
    p.set_defaults(run=cmd_report)


def cmd_report(args, log):
    preset = PRESETS["smoke" if args.smoke else "fast" if args.fast else "full"]
    quiet = (lambda message: None) if args.quiet else log
    path = write_report(preset, args.out, args.data_dir, args.runs, log=quiet)
    quiet(str(path))
    return 0


class Report:
    """Collects markdown sections, figures and timings."""

    def __init__(self, out, preset, data_dir, runs):
        self.out, self.preset, self.data_dir, self.runs = Path(out), preset, data_dir, Path(runs)
        self.sections, self.numbers = [], {}
        (self.out / FIGURES).mkdir(parents=True, exist_ok=True)

    def figure(self, name):
        return self.out / FIGURES / name

    def save(self, picture, name, title=None):
        """Save an application's picture (a Grid or Scatter) as figure ``name``, retitled if given."""
        return (replace(picture, title=title) if title else picture).save(self.figure(name))

    def link(self, path, alt):
        return f"![{alt}]({Path(path).relative_to(self.out).as_posix()})"

    def data_flags(self):
        flags = f"--dataset {self.preset.dataset}"
        if self.data_dir:
            flags += f" --data-dir {self.data_dir}"
        if self.preset.limit:
            flags += f" --limit {self.preset.limit}"
        return flags


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def pct(x):
    return f"{100 * x:.1f}%"


def write_report(preset, out=None, data_dir=None, runs=None, log=None):
    """Run everything for ``preset`` (a Preset or its name); return the path of the page.
    out (the page's folder) and runs (the training runs') default to runs/report-<preset>."""
    log = log or (lambda message: print(message, file=sys.stderr))
    preset = PRESETS[preset] if isinstance(preset, str) else preset
    if preset.dataset == "mnist" and data_dir is None:
        log("report: no --data-dir given; MNIST is read from $MINIGRAD_DATA/mnist or the cache "
            "(use --fast for the embedded digits)")
    runs = runs or f"runs/report-{preset.name}"
    out = out or f"runs/report-{preset.name}"
    r = Report(out, preset, data_dir, runs)
    log(f"report: preset {preset.name}, {preset.dataset}; page -> {Path(out) / RESULTS}, "
        f"training runs -> {runs}")
    start_all = time.perf_counter()

    train_x, train_y = load_split(preset.dataset, "train", data_dir, preset.limit)
    test_x, test_y = load_split(preset.dataset, "test", data_dir, preset.test_limit)

    # ----- the shared models ------------------------------------------------------------------
    t0 = time.perf_counter()
    models, train_rows = {}, []
    for i, (key, (name, config)) in enumerate(MODELS.items(), start=1):
        log(f"report: training {key} ({i}/{len(MODELS)}), {name} for {preset.epochs} epochs...")
        started = time.perf_counter()
        settings = TrainSettings(model=name, model_config=dict(config), dataset=preset.dataset,
                                 data_dir=data_dir, epochs=preset.epochs, batch_size=preset.batch_size,
                                 limit=preset.limit, seed=0)
        trainer = Trainer(settings, r.runs / key, quiet=True, overwrite=True)  # the report retrains
        trainer.fit()
        trainer.model.eval()
        models[key] = trainer.model
        sets = " ".join(f"--set {k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                        for k, v in config.items())
        command = (f"python -m autoencoders train --model {name} {sets} {r.data_flags()} "
                   f"--epochs {preset.epochs} --batch-size {preset.batch_size} --out {r.runs / key}")
        seconds = time.perf_counter() - started
        train_rows.append([key, name, f"{trainer.history[-1]['val_loss']:.2f}", f"{seconds:.1f}",
                           f"`{command}`"])
        log(f"report: trained {key} ({seconds:.1f} s)")
    ckpt = {key: r.runs / key / "last.npz" for key in MODELS}
    r.sections.append(("Models", f"{time.perf_counter() - t0:.1f}",
                       "Trained with the Trainer (seed 0); `last.npz` of each run is what the "
                       "applications use, so the commands below reproduce them.\n\n"
                       + markdown_table(["run", "model", "val loss (nats/image)", "seconds", "command"],
                                        train_rows)))

    sections = [("Generate", generate_section), ("Latent space", latent_section),
                ("Denoise", denoise_section), ("Anomaly detection", anomaly_section),
                ("Search", search_section), ("Features for a classifier", features_section),
                ("Augmentation with a CVAE", augment_section)]
    data = (train_x, train_y, test_x, test_y)
    for i, (title, section) in enumerate(sections, start=1):
        log(f"report: {title} ({i}/{len(sections)})...")
        started = time.perf_counter()
        body = section(r, models, ckpt, data, log)
        seconds = time.perf_counter() - started
        r.sections.append((title, f"{seconds:.1f}", body))
        log(f"report: {title} ({seconds:.1f} s)")

    total = time.perf_counter() - start_all
    flag = {"smoke": " --smoke", "fast": " --fast"}.get(preset.name, "")
    head = [
        "# Applications: results",
        "",
        f"Generated by `python -m autoencoders report{flag}"
        + (f" --data-dir {data_dir}" if data_dir else "") + f" --out {out}` "
        f"on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; do not edit by hand "
        "(what each number means: [applications.md](applications.md)).",
        "",
        f"Preset **{preset.name}**: dataset `{preset.dataset}`, {len(train_x):,} training and "
        f"{len(test_x):,} test images, {preset.epochs} epochs per shared model. "
        f"Total wall time **{total:.0f} s**.",
        "",
    ]
    if preset.name == "smoke":
        head += ["**Smoke run**: models trained for one epoch on a few hundred digits; the numbers "
                 "only show that the pipeline runs.", ""]
    parts = head
    for title, seconds, body in r.sections:
        parts += [f"## {title}", "", f"_Wall time: {seconds} s._", "", body, ""]
    path = r.out / RESULTS
    path.write_text("\n".join(parts))
    (r.out / FIGURES / "numbers.json").write_text(json.dumps(r.numbers, indent=1, default=float))
    return path


# ----- the sections -------------------------------------------------------------------------------
def generate_section(r, models, ckpt, data, log):
    train_x, _, test_x, test_y = data
    p = r.preset
    vae, cvae = (generate.run(models[key], train_x, test_x, test_y, k=p.nll_k, nll_images=p.nll_images,
                              log=log)
                 for key in ("vae", "cvae"))
    a = r.save(vae.pictures["samples"], "generate_vae.png", "VAE: samples from the prior N(0, I)")
    b = r.save(cvae.pictures["class_grid"], "generate_cvae.png", "CVAE: one row per digit 0-9")
    nll = {"VAE (latent 20)": vae.numbers["model_nll"],
           "CVAE, -log p(x given its label y)": cvae.numbers["model_nll"],
           "independent Bernoulli pixels (baseline)": vae.numbers["independent_pixels_nll"]}
    r.numbers["generate_nll"] = nll
    table = markdown_table(["model", "test -log p(x), nats/image (lower is better)"],
                           [[k, f"{v:.1f}"] for k, v in nll.items()])
    return "\n\n".join([
        f"`python -m autoencoders generate {ckpt['vae']} {r.data_flags()} --k {p.nll_k}` "
        f"(and the same with `{ckpt['cvae']}`)",
        f"-log p(x) estimated by importance sampling with k = {p.nll_k} on "
        f"{vae.numbers['test_images']} test images.",
        table, r.link(a, "VAE samples"), r.link(b, "CVAE samples, one row per digit")])


def latent_section(r, models, ckpt, data, log):
    _, _, test_x, test_y = data
    dense, vae, vae2d = (latent.run(models[key], test_x, test_y, log=log) for key in ("dense", "vae", "vae2d"))

    def agreement(result):
        return pct(result.numbers["agreement_at_10"][f"{result.numbers['model']} code in 2-D"])

    rows = [["dense code, PCA to 2-D", agreement(dense)], ["vae code, PCA to 2-D", agreement(vae)],
            ["VAE with a 2-D latent", agreement(vae2d)],
            ["PCA-2 of the pixels (baseline)", pct(dense.numbers["agreement_at_10"]["PCA-2 of pixels"])]]
    r.numbers["latent_agreement"] = rows
    paths = [
        r.save(dense.pictures["latent_scatter"], "latent_dense.png", "dense: test codes, PCA to 2-D"),
        r.save(vae.pictures["latent_scatter"], "latent_vae.png", "vae: test codes, PCA to 2-D"),
        r.save(vae2d.pictures["latent_scatter"], "latent_vae2d.png", "VAE, 2-D latent: test codes"),
        r.save(vae2d.pictures["manifold"], "latent_manifold.png", "VAE 2-D latent: decoded grid of z"),
        r.save(vae.pictures["interpolation"], "latent_interpolation_vae.png",
               "VAE: straight lines between the codes of two test digits"),
        r.save(dense.pictures["interpolation"], "latent_interpolation_dense.png",
               "dense AE: the same lines")]
    return "\n\n".join([
        f"`python -m autoencoders latent {ckpt['vae2d']} {r.data_flags()}` "
        "(and with the other checkpoints)",
        "How well each 2-D picture keeps the digits apart: share of each point's 10 nearest "
        "neighbours in the picture that have its label.",
        markdown_table(["2-D picture", "label agreement of 10 nearest"], rows),
        *[r.link(p, p.stem) for p in paths]])


def denoise_section(r, models, ckpt, data, log):
    train_x, _, test_x, _ = data
    dense, dae = (denoise.run(models[key], train_x, test_x, log=log) for key in ("dense", "denoising"))
    k = dense.numbers["pca_components"]
    rows = [[a["noise"], a["level"], f"{a['noisy']:.2f}", f"{a['model']:.2f}", f"{b['model']:.2f}",
             f"{a['pca']:.2f}"] for a, b in zip(dense.numbers["psnr"], dae.numbers["psnr"])]
    r.numbers["denoise"] = {"dense": dense.numbers["psnr"], "denoising": dae.numbers["psnr"]}
    paths, n = [], denoise.SHOWN
    for kind, levels in denoise.NOISES.items():
        name, level = f"denoise_{kind}", levels[len(levels) // 2]
        # each picture's rows: noisy, the model's output, PCA's output, clean
        rows_shown = np.concatenate([dae.pictures[name].images[:2 * n], dense.pictures[name].images[n:]])
        paths.append(r.save(Grid(rows_shown, n, f"{kind} {level}: noisy / denoising AE / dense AE / "
                                 f"PCA-{k} / clean", row_labels=("noisy", "denoising AE", "dense AE",
                                                                 f"PCA-{k}", "clean")),
                            f"{name}.png"))
    return "\n\n".join([
        f"`python -m autoencoders denoise {ckpt['denoising']} {r.data_flags()}` "
        f"(and with `{ckpt['dense']}`)",
        f"PSNR in dB against the clean test images ({len(test_x[:denoise.TEST_IMAGES])} of them), "
        f"higher is better. The denoising AE was trained with masking noise 0.3; PCA-{k} is fit on "
        "clean training images.",
        markdown_table(["noise", "level", "noisy input", "dense AE", "denoising AE", f"PCA-{k}"], rows),
        *[r.link(p, p.stem) for p in paths]])


def anomaly_section(r, models, ckpt, data, log):
    p = r.preset
    results = {}
    for key in ("dense", "vae"):
        name, config = MODELS[key]
        results[key] = anomaly.run(*data, name, config, p.anomaly_epochs, r.runs / f"anomaly-{key}",
                                   classes=p.anomaly_classes, log=log).numbers
    methods = {}
    for result in results.values():   # each model's run brings its own PCA baseline (its width)
        methods.update(result["auroc"])
    header = ["method"] + [str(c) for c in p.anomaly_classes] + ["mean"]
    rows = [[m] + [f"{v:.3f}" for v in vals] + [f"**{np.mean(vals):.3f}**"] for m, vals in methods.items()]
    r.numbers["anomaly"] = results
    fig = Bars(methods, p.anomaly_classes, "AUROC per normal digit").save(r.figure("anomaly_auroc.png"))
    sets = " ".join(f"--set {k}={v}" for k, v in MODELS["dense"][1].items())
    return "\n\n".join([
        f"`python -m autoencoders anomaly --model dense {sets} --epochs {p.anomaly_epochs} {r.data_flags()}` "
        f"(and `--model vae --set latent=20`)",
        "AUROC per normal digit (columns): each model is trained on that digit's training images "
        "only; every other test digit is an anomaly. Scores: squared reconstruction error, and the "
        "negative ELBO (10 draws of z) for the VAE. PCA baselines: same width as the model's code, "
        "fit on the same images.",
        markdown_table(header, rows), r.link(fig, "AUROC per class")])


def search_section(r, models, ckpt, data, log):
    train_x, train_y, test_x, test_y = data
    result = search.run(models["dense"], train_x, train_y, test_x, test_y, log=log)
    r.numbers["search"] = result.numbers
    rows = [[space, metric] + [pct(prec[k]) for k in search.KS]
            for space, by_metric in result.numbers["precision"].items()
            for metric, prec in by_metric.items()]
    fig = r.save(result.pictures["search"], "search.png",
                 "dense AE codes: query, then its 9 nearest training images")
    return "\n\n".join([
        f"`python -m autoencoders search {ckpt['dense']} {r.data_flags()}`",
        f"Each of the {len(test_x):,} test images searches the {len(train_x):,} training images; "
        "a neighbour is a hit if it has the query's label.",
        markdown_table(["space", "distance"] + [f"precision@{k}" for k in search.KS], rows),
        r.link(fig, "search")])


def features_section(r, models, ckpt, data, log):
    p = r.preset
    rows, results = [], {}
    for key in ("dense", "vae"):
        result = features.run(models[key], *data, p.counts, classifier=p.classifier, log=log).numbers
        results[key] = result
        for space, accs in result["accuracy"].items():
            if key == "dense" or not space.startswith("pixels"):   # pixels once
                rows.append([space] + [pct(a) for a in accs])
    r.numbers["features"] = results
    counts = results["dense"]["counts"]
    return "\n\n".join([
        f"`python -m autoencoders features {ckpt['dense']} {r.data_flags()}`",
        "Test accuracy of softmax regression (standardized features, Adam, seed 0) trained on the "
        "first n labelled training images (n/10 per digit). The autoencoders and PCA saw all "
        "training images without labels. PCA-20 is the baseline for the VAE's 20-D code.",
        markdown_table(["features"] + [f"{n:,} labels" for n in counts], rows)])


def augment_section(r, models, ckpt, data, log):
    p = r.preset
    result = augment.run(*data, per_class=p.augment_per_class, epochs=p.augment_epochs,
                         out_dir=r.runs / "augment", seeds=p.augment_seeds, log=log,
                         classifier=p.classifier)
    fig = r.save(result.pictures["augment_samples"], "augment_samples.png",
                 "CVAE trained on 100 digits: generated images")
    numbers = r.numbers["augment"] = result.numbers
    rows = [[s, pct(b), pct(a)] for s, b, a in zip(numbers["seeds"], numbers["baseline"], numbers["augmented"])]
    rows.append(["mean", f"**{pct(np.mean(numbers['baseline']))}**",
                 f"**{pct(np.mean(numbers['augmented']))}**"])
    seeds = ",".join(map(str, p.augment_seeds))
    return "\n\n".join([
        f"`python -m autoencoders augment --epochs {p.augment_epochs} --per-class {p.augment_per_class} "
        f"--seeds {seeds} {r.data_flags()}`",
        f"The CVAE is trained on the {numbers['labelled']} labelled digits **alone** (the simple, honest "
        "choice: it needs labels, and using the unlabelled rest would take a semi-supervised model). "
        f"It then draws {numbers['generated']} images ({p.augment_per_class} per digit). Test accuracy "
        "of the pixel softmax regression:",
        markdown_table(["seed (which 100)", "100 real", f"100 real + {numbers['generated']} generated"], rows),
        r.link(fig, "generated training images")])
