"""The applications on the command line: ``python -m autoencoders <app> ...``.

    generate  VAE_OR_CVAE             -log p(x) vs independent pixels; samples.png (+ class_grid.png)
    latent    CHECKPOINT              latent_scatter.png, interpolation.png (+ manifold.png)
    denoise   CHECKPOINT              denoise_<noise>.png; PSNR noisy / model / PCA
    anomaly   --model NAME --epochs N trains one model per digit; AUROC vs PCA; anomaly_auroc.png
    search    CHECKPOINT              search.png; precision@1/10/100 vs PCA and pixels
    features  CHECKPOINT              accuracy of a linear classifier with 100 / 1,000 / all labels
    augment   --epochs N              trains a CVAE on 100 labels; accuracy with and without its images
    report    --data-dir DIR | --fast | --smoke    all of the above into runs/report-<preset>/

``add_subparsers`` puts them into the parser of autoencoders/cli.py, with the grammar of
arguments.py (the checkpoint first, ``--out`` a folder, ``--quiet``). Each command reads
its arguments and data, calls its application's ``run`` (an AppResult) with progress
lines on stderr, saves the pictures as ``OUT/<name>.png`` (paths on stderr) and prints
the numbers on stdout as the application's table (units, and the baseline beside each
number), or with ``--json`` as one JSON document; errors a user can fix end in
arguments.UsageError (one line, exit code 2).
"""
import functools
import json
from pathlib import Path

from ..arguments import (UsageError, add_checkpoint_argument, add_data_source_arguments,
                         add_dataset_argument, add_limit_argument, add_out_argument, add_quiet_argument,
                         checkpoint_dataset, data_source, key_value, non_negative_int, positive_int)
from ..checkpoint import load_model
from ..data import load_split
from ..models import MODELS
from . import anomaly, augment, denoise, features, generate, latent, report, search


def app_errors(run):
    """Turn the ValueErrors an application raises on unsuitable input into UsageErrors."""
    @functools.wraps(run)
    def wrapped(args, log):
        try:
            return run(args, log)
        except ValueError as err:
            if isinstance(err, UsageError):
                raise
            raise UsageError(str(err)) from None
    return wrapped


def add_subparsers(commands):
    """Add the application commands to the subparsers ``commands`` of cli.build_parser."""
    p = commands.add_parser("generate", help="-log p(x) of a VAE or CVAE vs a baseline, sample grids",
                            description="The analysis of a generative model: print test -log p(x) "
                            "(nats per image, importance sampling) next to independent Bernoulli "
                            "pixels, and write OUT/samples.png (and for a CVAE OUT/class_grid.png, "
                            "one labelled row per digit). For just a picture of samples, use "
                            "'autoencoders sample'.")
    checkpoint_args(p, "generate")
    p.add_argument("--n", type=positive_int, default=64, help="prior samples (default: 64)")
    p.add_argument("--per-class", type=positive_int, default=10,
                   help="CVAE: samples per digit row (default: 10)")
    p.add_argument("--k", type=positive_int, default=50,
                   help="importance samples for -log p(x) (default: 50)")
    p.set_defaults(run=app_errors(cmd_generate))

    p = commands.add_parser("latent", help="codes scatter, 2-D manifold, interpolations",
                            description="Scatter of the test codes by label (PCA to 2-D if wider), "
                            "the decoded manifold for a VAE with a 2-D latent, and rows of "
                            "straight-line interpolations between test images.")
    checkpoint_args(p, "latent")
    p.add_argument("--steps", type=positive_int, default=10, help="images per interpolation (default: 10)")
    p.add_argument("--grid", type=positive_int, default=20, help="manifold grid side (default: 20)")
    p.set_defaults(run=app_errors(cmd_latent))

    p = commands.add_parser("denoise", help="PSNR of denoising vs PCA",
                            description="Corrupt test images with Gaussian and masking noise at "
                            "several strengths; PSNR of the noisy input, of the model's output and "
                            "of a PCA projection (fit on clean training images, same width).")
    checkpoint_args(p, "denoise")
    p.set_defaults(run=app_errors(cmd_denoise))

    p = commands.add_parser("anomaly", help="one-class anomaly detection, AUROC per digit",
                            description="For each digit: train --model on that digit's training "
                            "images, score the test set by reconstruction error (and -ELBO for a "
                            "VAE), report AUROC next to PCA's reconstruction error; write "
                            "OUT/anomaly_auroc.png.")
    dataset_args(p, "anomaly")
    p.add_argument("--model", default="dense", choices=[name for name, cls in MODELS.items() if cls.has_encoder],
                   help="model (default: dense)")
    p.add_argument("--set", dest="options", action="append", type=key_value, default=[],
                   metavar="NAME=VALUE", help="a model option, repeatable")
    p.add_argument("--epochs", type=positive_int, default=10, help="epochs per class (default: 10)")
    p.add_argument("--classes", default="0,1,2,3,4,5,6,7,8,9", type=int_list,
                   help="normal classes to run (default: all ten)")
    p.add_argument("--pca-components", type=positive_int, default=None,
                   help="PCA baseline width (default: the model's code width)")
    p.add_argument("--runs", default="runs/anomaly", metavar="DIR",
                   help="where the per-class runs go (default: runs/anomaly)")
    p.set_defaults(run=app_errors(cmd_anomaly))

    p = commands.add_parser("search", help="nearest neighbours in code space, precision@k",
                            description="Search the training images for each test image's "
                            "neighbours (Euclidean and cosine) in the model's code space, in PCA "
                            "codes of the same width and in pixels; precision@1, @10, @100.")
    checkpoint_args(p, "search")
    p.set_defaults(run=app_errors(cmd_search))

    p = commands.add_parser("features", help="linear classifier on codes with few labels",
                            description="Softmax regression on the model's codes with 100, 1,000 "
                            "and all training labels, next to the same on pixels and PCA codes "
                            "(numbers only, no figure).")
    checkpoint_args(p, None)
    p.add_argument("--counts", default="100,1000,all", type=count_list,
                   help="labelled examples, comma-separated, 'all' for every one (default: 100,1000,all)")
    classifier_args(p)
    p.set_defaults(run=app_errors(cmd_features))

    p = commands.add_parser("augment", help="100 labels with and without CVAE images",
                            description="Train a CVAE on 100 labelled training digits only, then a "
                            "linear classifier on the 100 with and without its generated images.")
    dataset_args(p, "augment")
    p.add_argument("--epochs", type=positive_int, default=10,
                   help="CVAE epochs (each shows every labelled image 20 times; default: 10)")
    p.add_argument("--per-class", type=positive_int, default=100,
                   help="generated images per digit (default: 100)")
    p.add_argument("--seeds", default="0", type=int_list, help="seeds, one 100-subset each (default: 0)")
    p.add_argument("--runs", default="runs/augment", metavar="DIR",
                   help="where the CVAE runs go (default: runs/augment)")
    classifier_args(p)
    p.set_defaults(run=app_errors(cmd_augment))

    report.add_subparser(commands)


# ----- arguments --------------------------------------------------------------------------------
def int_list(text):
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"expected comma-separated integers, got {text!r}") from None


def count_list(text):
    return [None if part.strip() == "all" else positive_int(part) for part in text.split(",")]


def classifier_args(p):
    p.add_argument("--classifier-epochs", type=positive_int, default=30,
                   help="epochs of the softmax regression (default: 30)")
    p.add_argument("--classifier-steps", type=positive_int, default=300,
                   help="at least this many optimizer steps however few the labels (default: 300)")


def classifier_options(args):
    return {"epochs": args.classifier_epochs, "min_steps": args.classifier_steps}


def checkpoint_args(p, app):
    """The arguments of an application that reads a checkpoint; app: the name of the folder
    its figures go to by default (None: it writes no figure, and has no --out)."""
    add_checkpoint_argument(p)
    add_dataset_argument(p)
    add_data_source_arguments(p)
    common_args(p, app and f"{app}/ beside the checkpoint")


def dataset_args(p, app):
    add_dataset_argument(p, default="mnist-5k", default_text="mnist-5k")
    add_data_source_arguments(p)
    common_args(p, f"runs/{app}")


def common_args(p, out_default):
    add_limit_argument(p)
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed (default: 0)")
    if out_default:
        add_out_argument(p, out_default)
    p.add_argument("--json", action="store_true",
                   help="print the numbers as one JSON document instead of a table")
    add_quiet_argument(p)


# ----- loading ----------------------------------------------------------------------------------
def load(args):
    """(model, train images, train labels, test images, test labels) of a checkpoint command."""
    model, checkpoint = load_model(args.checkpoint)
    name, data_dir = checkpoint_dataset(checkpoint, args.dataset, args.data_dir)
    return (model, *load_split(name, "train", data_dir, args.limit, **data_source(args)),
            *load_split(name, "test", data_dir, args.limit, **data_source(args)))


def load_data(args):
    """(train images, train labels, test images, test labels) of a command that trains."""
    return (*load_split(args.dataset, "train", args.data_dir, args.limit, **data_source(args)),
            *load_split(args.dataset, "test", args.data_dir, args.limit, **data_source(args)))


def out_dir(args, app):
    """--out, or a folder named after the application: beside the checkpoint, or under runs/."""
    if args.out:
        return Path(args.out)
    if getattr(args, "checkpoint", None):
        return Path(args.checkpoint).parent / app
    return Path("runs") / app


def progress(args, log):
    """The log the applications give their progress lines to: none with --quiet."""
    return (lambda message: None) if args.quiet else log


def unconditional(model, app):
    encoder(model, app)
    if model.needs_labels:
        raise UsageError(f"{app} needs codes made without the label, but model {model.name!r} reads "
                         "the label to encode; use an unconditional checkpoint (dense, deep, vae, ...)")


def encoder(model, app):
    """Refuse a model without an encoder (a GAN): the application encodes images."""
    if not model.has_encoder:
        raise UsageError(f"{app} encodes images, and model {model.name!r} has no encoder (a GAN only "
                         "generates); use an autoencoder's checkpoint, or generate for a GAN")


def emit(args, result, table, out, log):
    """Save an AppResult's pictures as out/<name>.png (paths on stderr unless --quiet), print its
    numbers: as the application's table, or with --json as one JSON document."""
    for name, picture in result.pictures.items():
        path = picture.save(out / f"{name}.png")
        if not args.quiet:
            log(str(path))
    print(json.dumps(result.numbers, default=float) if args.json else table(result.numbers).render())
    return 0


# ----- the commands -------------------------------------------------------------------------------
def cmd_generate(args, log):
    model, train_x, _, test_x, test_y = load(args)
    if not model.can_sample:
        generative = [name for name, cls in MODELS.items() if cls.can_sample]
        raise UsageError(f"model {model.name!r} is not generative, it has no prior to sample from; "
                         f"use a checkpoint of: {', '.join(generative)}")
    result = generate.run(model, train_x, test_x, test_y, n=args.n, per_class=args.per_class, k=args.k,
                          seed=args.seed, log=progress(args, log))
    return emit(args, result, generate.table, out_dir(args, "generate"), log)


def cmd_latent(args, log):
    model, _, _, test_x, test_y = load(args)
    encoder(model, "latent")
    result = latent.run(model, test_x, test_y, steps=args.steps, grid=args.grid, log=progress(args, log))
    return emit(args, result, latent.table, out_dir(args, "latent"), log)


def cmd_denoise(args, log):
    model, train_x, _, test_x, _ = load(args)
    unconditional(model, "denoise")
    result = denoise.run(model, train_x, test_x, seed=args.seed, log=progress(args, log))
    return emit(args, result, denoise.table, out_dir(args, "denoise"), log)


def cmd_anomaly(args, log):
    result = anomaly.run(*load_data(args), args.model, dict(args.options), args.epochs, args.runs,
                         classes=args.classes, pca_components=args.pca_components, seed=args.seed,
                         log=progress(args, log))
    return emit(args, result, anomaly.table, out_dir(args, "anomaly"), log)


def cmd_search(args, log):
    model, train_x, train_y, test_x, test_y = load(args)
    unconditional(model, "search")
    result = search.run(model, train_x, train_y, test_x, test_y, log=progress(args, log))
    return emit(args, result, search.table, out_dir(args, "search"), log)


def cmd_features(args, log):
    model, train_x, train_y, test_x, test_y = load(args)
    unconditional(model, "features")
    result = features.run(model, train_x, train_y, test_x, test_y, args.counts, args.seed,
                          classifier=classifier_options(args), log=progress(args, log))
    return emit(args, result, features.table, None, log)    # numbers only: no pictures


def cmd_augment(args, log):
    result = augment.run(*load_data(args), per_class=args.per_class, epochs=args.epochs,
                         out_dir=args.runs, seeds=args.seeds, log=progress(args, log),
                         classifier=classifier_options(args))
    return emit(args, result, augment.table, out_dir(args, "augment"), log)
