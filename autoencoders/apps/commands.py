"""The applications on the command line: ``python -m autoencoders <app> ...``.

    generate  --checkpoint VAE_OR_CVAE   samples.png (+ class_grid.png); -log p(x) vs independent pixels
    latent    --checkpoint CKPT          latent_scatter.png, interpolation.png (+ manifold.png)
    denoise   --checkpoint CKPT          denoise_<noise>.png; PSNR noisy / model / PCA
    anomaly   --model NAME --epochs N    trains one model per digit; AUROC vs PCA
    search    --checkpoint CKPT          search.png; precision@1/10/100 vs PCA and pixels
    features  --checkpoint CKPT          accuracy of a linear classifier with 100 / 1,000 / all labels
    augment   --epochs N                 trains a CVAE on 100 labels; accuracy with and without its images
    report    --data-dir DIR | --fast | --smoke    all of the above into docs/applications-results.md

``add_subparsers`` puts them into the parser of autoencoders/cli.py. Each
command prints its numbers as one JSON document on stdout and the paths of
its figures on stderr; errors a user can fix end in cli.UsageError (one line,
exit code 2).
"""
import functools
import json
from pathlib import Path

import numpy as np

from .. import figures
from ..cli import UsageError, key_value, load_split, non_negative_int, positive_int
from ..checkpoint import load_model
from ..data import DATASET_NAMES, load_dataset
from ..models import MODELS
from . import anomaly, augment, denoise, features, generate, latent, search
from .common import pixels


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

    from . import report
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
    _, train_x, train_y = load_split(checkpoint, "train", args.dataset, args.data_dir, args.limit)
    _, test_x, test_y = load_split(checkpoint, "test", args.dataset, args.data_dir, args.limit)
    return model, train_x, train_y, test_x, test_y


def load_data(args):
    train_x, train_y = load_dataset(args.dataset, data_dir=args.data_dir, split="train")
    test_x, test_y = load_dataset(args.dataset, data_dir=args.data_dir, split="test")
    if args.limit:
        train_x, train_y, test_x, test_y = (a[:args.limit] for a in (train_x, train_y, test_x, test_y))
    return train_x, train_y, test_x, test_y


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


def emit(result, paths, log):
    for path in paths:
        log(str(path))
    print(json.dumps(result, default=float))
    return 0


# ----- the commands -------------------------------------------------------------------------------
def cmd_generate(args, log):
    model, train_x, _, test_x, test_y = load(args)
    if not model.can_sample:
        generative = [name for name, cls in MODELS.items() if cls.can_sample]
        raise UsageError(f"model {model.name!r} is not generative, it has no prior to sample from; "
                         f"use a checkpoint of: {', '.join(generative)}")
    out = out_dir(args, "generate")
    paths = [figures.plot_images(generate.prior_samples(model, args.n, args.seed), out / "samples.png",
                                 ncols=10 if model.needs_labels else 8,
                                 title=f"{model.name}: samples from the prior")]
    if model.needs_labels:
        paths.append(figures.plot_images(generate.class_grid(model, args.per_class, args.seed),
                                         out / "class_grid.png", ncols=args.per_class,
                                         title=f"{model.name}: one row per digit"))
    test_x, test_y = test_x[:1000], test_y[:1000]
    nll = generate.model_nll(model, test_x, test_y if model.needs_labels else None, k=args.k)
    result = {"model": model.name, "test_images": len(test_x), "k": args.k,
              "model_nll": float(nll.mean()),
              "independent_pixels_nll": float(generate.independent_pixels_nll(train_x, test_x).mean())}
    return emit(result, paths, log)


def interpolation_pairs(model, labels, count=6):
    """Index pairs to interpolate between: a digit and the next one (the same digit twice for
    conditional models, whose code leaves the digit out)."""
    labels = np.asarray(labels)
    firsts = {d: np.flatnonzero(labels == d) for d in np.unique(labels)}
    pairs = []
    for d in sorted(firsts)[:count]:
        if model.needs_labels and len(firsts[d]) > 1:
            pairs.append((firsts[d][0], firsts[d][1]))
        elif not model.needs_labels:
            nxt = sorted(firsts)[(sorted(firsts).index(d) + 1) % len(firsts)]
            pairs.append((firsts[d][0], firsts[nxt][0]))
    return pairs


def cmd_latent(args, log):
    model, train_x, train_y, test_x, test_y = load(args)
    out = out_dir(args, "latent")
    shown_x, shown_y = test_x[:2000], test_y[:2000]
    labels = shown_y if model.needs_labels else None
    points = latent.project_2d(latent.embed(model, shown_x, labels))
    width = latent.embed(model, shown_x[:1], None if labels is None else labels[:1]).shape[1]
    paths = [figures.plot_codes(points, shown_y, out / "latent_scatter.png",
                                title=f"{model.name}: test codes ({width}-D"
                                + (", PCA to 2-D)" if width > 2 else ")"))]
    if model.can_sample and model.config.get("latent") == 2 and not model.needs_labels:
        paths.append(figures.plot_images(latent.manifold(model, args.grid), out / "manifold.png",
                                         ncols=args.grid, title=f"{model.name}: decoded 2-D latent grid"))
    pairs = interpolation_pairs(model, test_y)
    paths.append(figures.plot_images(latent.interpolation_rows(model, test_x, test_y, pairs, args.steps),
                                     out / "interpolation.png", ncols=args.steps,
                                     title=f"{model.name}: straight lines between codes"))
    pixels_2d = latent.project_2d(pixels(shown_x))
    result = {"model": model.name, "code_width": int(width),
              "agreement_at_10": {f"{model.name} code in 2-D": latent.neighbourhood_agreement(points, shown_y),
                                  "PCA-2 of pixels": latent.neighbourhood_agreement(pixels_2d, shown_y)}}
    return emit(result, paths, log)


def cmd_denoise(args, log):
    model, train_x, _, test_x, _ = load(args)
    unconditional(model, "denoise")
    out = out_dir(args, "denoise")
    test_x = test_x[:2000]
    from ..pca import PCA
    from .common import code_width
    pca = PCA(code_width(model, test_x)).fit(pixels(train_x))
    rows = denoise.denoise_table(model, train_x, test_x, seed=args.seed, pca=pca)
    paths = []
    for kind, levels in denoise.NOISES.items():
        level = levels[len(levels) // 2]
        paths.append(figures.plot_images(denoise.denoise_rows(model, test_x, kind, level, 10, args.seed, pca),
                                         out / f"denoise_{kind}.png", ncols=10,
                                         title=f"{kind} {level}: noisy / {model.name} / PCA / clean"))
    return emit({"model": model.name, "pca_components": pca.n_components, "psnr": rows}, paths, log)


def cmd_anomaly(args, log):
    train_x, train_y, test_x, test_y = load_data(args)
    result = anomaly.one_class_auroc(train_x, train_y, test_x, test_y, args.model, dict(args.options),
                                     args.epochs, args.runs, classes=args.classes,
                                     pca_components=args.pca_components, seed=args.seed, log=log)
    return emit({"model": args.model, **result}, [], log)


def cmd_search(args, log):
    model, train_x, train_y, test_x, test_y = load(args)
    unconditional(model, "search")
    out = out_dir(args, "search")
    result = search.search_table(model, train_x, train_y, test_x, test_y)
    path = figures.plot_images(search.query_rows(model, train_x, test_x), out / "search.png", ncols=10,
                               title=f"{model.name}: query, then its 9 nearest training images")
    return emit({"model": model.name, **result}, [path], log)


def cmd_features(args, log):
    model, train_x, train_y, test_x, test_y = load(args)
    unconditional(model, "features")
    result = features.feature_table(model, train_x, train_y, test_x, test_y, args.counts, args.seed,
                                    classifier=classifier_options(args))
    return emit({"model": model.name, **result}, [], log)


def cmd_augment(args, log):
    train_x, train_y, test_x, test_y = load_data(args)
    result = augment.augment_experiment(train_x, train_y, test_x, test_y, per_class=args.per_class,
                                        epochs=args.epochs, out_dir=args.runs, seeds=args.seeds, log=log,
                                        classifier=classifier_options(args))
    samples = result.pop("samples")
    path = figures.plot_images(samples, out_dir(args, "augment") / "augment_samples.png", ncols=10,
                               title="CVAE trained on 100 digits: generated training images")
    return emit(result, [path], log)
