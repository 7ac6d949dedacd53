"""The applications on the command line: ``python -m autoencoders <app> ...``.

    generate  --checkpoint VAE_OR_CVAE   samples.png (+ class_grid.png); -log p(x) vs independent pixels
    latent    --checkpoint CKPT          latent_scatter.png, interpolation.png (+ manifold.png)
    denoise   --checkpoint CKPT          denoise_<noise>.png; PSNR noisy / model / PCA
    anomaly   --model NAME --epochs N    trains one model per digit; AUROC vs PCA
    search    --checkpoint CKPT          search.png; precision@1/10/100 vs PCA and pixels
    features  --checkpoint CKPT          accuracy of a linear classifier with 100 / 1,000 / all labels
    augment   --epochs N                 trains a CVAE on 100 labels; accuracy with and without its images
    report    --data-dir DIR | --fast | --smoke    all of the above into docs/applications-results.md

``add_subparsers`` puts them into the parser of autoencoders/cli.py. Each command
reads its arguments and data, calls its application's ``run`` (an AppResult), saves
the pictures as ``<name>.png`` (paths on stderr) and prints the numbers as one JSON
document on stdout; errors a user can fix end in arguments.UsageError (one line,
exit code 2).
"""
import functools
import json
from pathlib import Path

from ..arguments import UsageError, checkpoint_dataset, key_value, non_negative_int, positive_int
from ..checkpoint import load_model
from ..data import DATASET_NAMES, load_split
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
    p = commands.add_parser("generate", help="sample grids from a VAE or CVAE",
                            description="Write a grid of images drawn from the prior of a VAE "
                            "(one row per digit for a CVAE) and print -log p(x) on test images "
                            "next to independent Bernoulli pixels.")
    checkpoint_args(p)
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
    checkpoint_args(p)
    p.add_argument("--steps", type=positive_int, default=10, help="images per interpolation (default: 10)")
    p.add_argument("--grid", type=positive_int, default=20, help="manifold grid side (default: 20)")
    p.set_defaults(run=app_errors(cmd_latent))

    p = commands.add_parser("denoise", help="PSNR of denoising vs PCA",
                            description="Corrupt test images with Gaussian and masking noise at "
                            "several strengths; PSNR of the noisy input, of the model's output and "
                            "of a PCA projection (fit on clean training images, same width).")
    checkpoint_args(p)
    p.set_defaults(run=app_errors(cmd_denoise))

    p = commands.add_parser("anomaly", help="one-class anomaly detection, AUROC per digit",
                            description="For each digit: train --model on that digit's training "
                            "images, score the test set by reconstruction error (and -ELBO for a "
                            "VAE), report AUROC next to PCA's reconstruction error.")
    dataset_args(p)
    p.add_argument("--model", default="dense", choices=list(MODELS), help="model (default: dense)")
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
    checkpoint_args(p)
    p.set_defaults(run=app_errors(cmd_search))

    p = commands.add_parser("features", help="linear classifier on codes with few labels",
                            description="Softmax regression on the model's codes with 100, 1,000 "
                            "and all training labels, next to the same on pixels and PCA codes.")
    checkpoint_args(p)
    p.add_argument("--counts", default="100,1000,all", type=count_list,
                   help="labelled examples, comma-separated, 'all' for every one (default: 100,1000,all)")
    classifier_args(p)
    p.set_defaults(run=app_errors(cmd_features))

    p = commands.add_parser("augment", help="100 labels with and without CVAE images",
                            description="Train a CVAE on 100 labelled training digits only, then a "
                            "linear classifier on the 100 with and without its generated images.")
    dataset_args(p)
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


def checkpoint_args(p):
    p.add_argument("--checkpoint", required=True, metavar="CKPT", help="a .npz checkpoint")
    p.add_argument("--dataset", choices=DATASET_NAMES, default=None,
                   help="dataset (default: the checkpoint's)")
    p.add_argument("--data-dir", default=None, metavar="DIR", help="folder of the dataset's IDX files")
    common_args(p)


def dataset_args(p):
    p.add_argument("--dataset", choices=DATASET_NAMES, default="mnist-5k",
                   help="dataset (default: mnist-5k, embedded)")
    p.add_argument("--data-dir", default=None, metavar="DIR", help="folder of the dataset's IDX files")
    common_args(p)


def common_args(p):
    p.add_argument("--limit", type=non_negative_int, default=0, metavar="N",
                   help="use at most N training and N test images; 0 = all (default: 0)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed (default: 0)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder for the figures (default: beside the checkpoint, or runs/<app>)")


# ----- loading ----------------------------------------------------------------------------------
def load(args):
    """(model, train images, train labels, test images, test labels) of a checkpoint command."""
    model, checkpoint = load_model(args.checkpoint)
    name, data_dir = checkpoint_dataset(checkpoint, args.dataset, args.data_dir)
    return (model, *load_split(name, "train", data_dir, args.limit),
            *load_split(name, "test", data_dir, args.limit))


def load_data(args):
    """(train images, train labels, test images, test labels) of a command that trains."""
    return (*load_split(args.dataset, "train", args.data_dir, args.limit),
            *load_split(args.dataset, "test", args.data_dir, args.limit))


def out_dir(args, app):
    if args.out:
        return Path(args.out)
    if getattr(args, "checkpoint", None):
        return Path(args.checkpoint).parent / app
    return Path("runs") / app


def unconditional(model, app):
    if model.needs_labels:
        raise UsageError(f"{app} needs codes made without the label, but model {model.name!r} reads "
                         "the label to encode; use an unconditional checkpoint (dense, deep, vae, ...)")


def emit(result, out, log):
    """Save an AppResult's pictures as out/<name>.png (paths on stderr), print its numbers as JSON."""
    for name, picture in result.pictures.items():
        log(str(picture.save(out / f"{name}.png")))
    print(json.dumps(result.numbers, default=float))
    return 0


# ----- the commands -------------------------------------------------------------------------------
def cmd_generate(args, log):
    model, train_x, _, test_x, test_y = load(args)
    if not model.can_sample:
        generative = [name for name, cls in MODELS.items() if cls.can_sample]
        raise UsageError(f"model {model.name!r} is not generative, it has no prior to sample from; "
                         f"use a checkpoint of: {', '.join(generative)}")
    result = generate.run(model, train_x, test_x, test_y, n=args.n, per_class=args.per_class, k=args.k,
                          seed=args.seed)
    return emit(result, out_dir(args, "generate"), log)


def cmd_latent(args, log):
    model, _, _, test_x, test_y = load(args)
    result = latent.run(model, test_x, test_y, steps=args.steps, grid=args.grid)
    return emit(result, out_dir(args, "latent"), log)


def cmd_denoise(args, log):
    model, train_x, _, test_x, _ = load(args)
    unconditional(model, "denoise")
    return emit(denoise.run(model, train_x, test_x, seed=args.seed), out_dir(args, "denoise"), log)


def cmd_anomaly(args, log):
    result = anomaly.run(*load_data(args), args.model, dict(args.options), args.epochs, args.runs,
                         classes=args.classes, pca_components=args.pca_components, seed=args.seed,
                         log=log)
    return emit(result, out_dir(args, "anomaly"), log)


def cmd_search(args, log):
    model, train_x, train_y, test_x, test_y = load(args)
    unconditional(model, "search")
    return emit(search.run(model, train_x, train_y, test_x, test_y), out_dir(args, "search"), log)


def cmd_features(args, log):
    model, train_x, train_y, test_x, test_y = load(args)
    unconditional(model, "features")
    result = features.run(model, train_x, train_y, test_x, test_y, args.counts, args.seed,
                          classifier=classifier_options(args))
    return emit(result, out_dir(args, "features"), log)


def cmd_augment(args, log):
    result = augment.run(*load_data(args), per_class=args.per_class, epochs=args.epochs,
                         out_dir=args.runs, seeds=args.seeds, log=log,
                         classifier=classifier_options(args))
    return emit(result, out_dir(args, "augment"), log)
