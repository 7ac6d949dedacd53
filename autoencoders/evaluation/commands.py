"""The sample-quality metric on the command line: ``python -m autoencoders <command> ...``.

    classifier                      trains the digit classifier; OUT/classifier.npz
    sample-quality [CHECKPOINT...]  scores generative models with it; the table, OUT/sample_quality.{md,json}

``add_subparsers`` puts them into the parser of autoencoders/cli.py, with the grammar of
arguments.py (checkpoints first, ``--out`` a folder, ``--quiet``, ``--json``); progress on
stderr, the table (or one JSON document) on stdout, errors a user can fix as one line with
exit code 2 (arguments.UsageError).
"""
import argparse
import json
from pathlib import Path

import minigrad as mg
from minigrad import optim

from ..apps.commands import app_errors
from ..apps.result import Table, pct
from ..arguments import (RefuseCheckpointFlag, UsageError, add_data_source_arguments, add_dataset_argument,
                         add_limit_argument, add_out_argument, add_quiet_argument, bounded_int, data_source,
                         non_negative_int, positive_float, positive_int)
from ..checkpoint import load_model
from ..data import load_split
from ..models import MODELS
from . import digit_classifier, sample_quality

CLASSIFIER_OUT = Path("runs/digit-classifier")
CLASSIFIER_FILE = "classifier.npz"
QUALITY_OUT = Path("runs/sample-quality")
TARGET_ACCURACY = 0.99       # below it, the classifier's verdicts on samples are doubtful


def add_subparsers(commands):
    """Add ``classifier`` and ``sample-quality`` to the subparsers ``commands`` of cli.build_parser."""
    p = commands.add_parser("classifier", help="train the digit classifier of the sample-quality metric",
                            description="Train the small CNN (conv 16-32, 128 hidden units) that "
                            "'sample-quality' scores samples with, on all training images; print its "
                            "test accuracy and write OUT/" + CLASSIFIER_FILE + ".")
    add_dataset_argument(p, default="mnist", default_text="mnist")
    add_data_source_arguments(p)
    p.add_argument("--epochs", type=positive_int, default=6, help="epochs (default: 6)")
    p.add_argument("--batch-size", type=positive_int, default=128, help="images per step (default: 128)")
    p.add_argument("--lr", type=positive_float, default=2e-3,
                   help="Adam's learning rate, annealed by a cosine to 0 (default: 0.002)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed (default: 0)")
    add_limit_argument(p)
    add_out_argument(p, str(CLASSIFIER_OUT), "the classifier")
    p.add_argument("--json", action="store_true", help="print the numbers as one JSON document")
    add_quiet_argument(p)
    p.set_defaults(run=app_errors(cmd_classifier))

    p = commands.add_parser("sample-quality", help="Frechet distance, class entropy and correct digit "
                            "of generative models",
                            description="Draw --n images from each generative checkpoint and score them "
                            "with the digit classifier: the Frechet distance of its penultimate features "
                            "to --n test images, the entropy of the predicted digits and, for a "
                            "conditional model, the share drawn as the digit asked for; beside training "
                            "images (the floor) and independent pixels (the ceiling). Writes "
                            "OUT/sample_quality.md and OUT/sample_quality.json.")
    p.add_argument("checkpoints", nargs="*", metavar="CHECKPOINT",
                   help="checkpoints of generative models (e.g. runs/vae/last.npz); none: only the "
                   "references")
    p.add_argument("--checkpoint", dest="checkpoint_flag", action=RefuseCheckpointFlag,
                   metavar="CKPT", help=argparse.SUPPRESS)
    p.add_argument("--classifier", default=str(CLASSIFIER_OUT / CLASSIFIER_FILE), metavar="FILE",
                   help=f"the classifier written by 'classifier' (default: {CLASSIFIER_OUT / CLASSIFIER_FILE})")
    add_dataset_argument(p, default_text="the one the classifier was trained on")
    add_data_source_arguments(p)
    p.add_argument("--n", type=bounded_int(2, sample_quality.SAMPLES), default=sample_quality.SAMPLES,
                   help="samples per model, training images and test images compared "
                   f"(default and most: {sample_quality.SAMPLES})")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the draws (default: 0)")
    add_out_argument(p, str(QUALITY_OUT), "the table")
    p.add_argument("--json", action="store_true", help="print the numbers as one JSON document")
    add_quiet_argument(p)
    p.set_defaults(run=app_errors(cmd_sample_quality))


def progress(args, log):
    return (lambda message: None) if args.quiet else log


# ----- classifier ---------------------------------------------------------------------------
def cmd_classifier(args, log):
    say = progress(args, log)
    source = {"data_dir": args.data_dir, **data_source(args)}
    train_x, train_y = load_split(args.dataset, "train", limit=args.limit, **source)
    test_x, test_y = load_split(args.dataset, "test", limit=args.limit, **source)
    say(f"classifier: training on {len(train_x)} {args.dataset} images, {args.epochs} epochs, "
        f"Adam lr {args.lr} (cosine), seed {args.seed}")
    mg.random.seed(args.seed)
    model = digit_classifier.DigitClassifier()
    history = []

    def epoch_done(record):
        record["test_accuracy"] = digit_classifier.accuracy(model, test_x, test_y)
        history.append(record)
        say(f"epoch {record['epoch']}/{args.epochs}: loss {record['loss']:.4f}, test accuracy "
            f"{pct(record['test_accuracy'])}, {record['seconds']:.1f} s")

    digit_classifier.fit(model, train_x, train_y, optim.Adam(model.parameters(), lr=args.lr),
                         epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, cosine=True,
                         log=epoch_done)
    seconds = sum(r["seconds"] for r in history)
    info = {"dataset": args.dataset, "data_dir": args.data_dir, "train_images": len(train_x),
            "test_images": len(test_x), "epochs": args.epochs, "test_accuracy": history[-1]["test_accuracy"],
            "train_seconds": round(seconds, 1), "seed": args.seed, "lr": args.lr,
            "batch_size": args.batch_size}
    out = Path(args.out) if args.out else CLASSIFIER_OUT
    out.mkdir(parents=True, exist_ok=True)
    path = digit_classifier.save_classifier(out / CLASSIFIER_FILE, model, info)
    say(str(path))
    if args.json:
        print(json.dumps({**info, "path": str(path), "history": history}))
    else:
        print(Table(f"digit classifier on {args.dataset}: {len(train_x)} training images, "
                    f"{args.epochs} epochs", "test accuracy, higher is better",
                    ["epoch", "training loss", "test accuracy", "seconds"],
                    [[r["epoch"], f"{r['loss']:.4f}", pct(r["test_accuracy"]), f"{r['seconds']:.1f}"]
                     for r in history],
                    [f"training time {seconds:.0f} s (the test images are scored after each epoch, "
                     "outside the timing)"]).render())
    return 0


# ----- sample-quality -------------------------------------------------------------------------
def load_classifier(args, say):
    path = Path(args.classifier)
    if not path.is_file():
        raise UsageError(f"no classifier file {path}; train one first: autoencoders classifier "
                         f"--dataset mnist --data-dir DIR --out {path.parent}")
    classifier, info = digit_classifier.load_classifier(path)
    accuracy = info.get("test_accuracy")
    if accuracy is not None and accuracy < TARGET_ACCURACY:
        say(f"sample-quality: warning: the classifier's test accuracy is {pct(accuracy)}, below "
            f"{pct(TARGET_ACCURACY)}; its verdicts on samples are doubtful")
    return classifier, info


def load_entries(paths):
    """A sample_quality.Entry per generative checkpoint (its training time from its history)."""
    models = [(path, *load_model(path)) for path in paths]
    for path, model, _ in models:
        if not model.can_sample:
            generative = [name for name, cls in MODELS.items() if cls.can_sample]
            raise UsageError(f"{path}: model {model.name!r} is not generative, it cannot sample; "
                             f"models that can: {', '.join(generative)}")
    names = [model.name for _, model, _ in models]
    entries = []
    for path, model, checkpoint in models:
        seconds = [r.get("seconds") for r in checkpoint.history]
        name = model.name if names.count(model.name) == 1 else f"{model.name} ({Path(path).parent.name})"
        entries.append(sample_quality.Entry(name, model, sum(seconds) if seconds and None not in seconds
                                            else None, str(path), checkpoint.epoch))
    return entries


def cmd_sample_quality(args, log):
    say = progress(args, log)
    classifier, info = load_classifier(args, say)
    entries = load_entries(args.checkpoints)
    dataset = args.dataset or info.get("dataset", "mnist")
    data_dir = args.data_dir if args.data_dir is not None or args.dataset else info.get("data_dir")
    source = {"data_dir": data_dir, **data_source(args)}
    train_x, train_y = load_split(dataset, "train", **source)
    test_x, _ = load_split(dataset, "test", **source)
    numbers = sample_quality.run(classifier, entries, train_x, train_y, test_x, n=args.n,
                                 seed=args.seed, log=say)
    numbers["classifier"] = {"path": str(args.classifier), **info}
    out = Path(args.out) if args.out else QUALITY_OUT
    out.mkdir(parents=True, exist_ok=True)
    (out / "sample_quality.md").write_text(sample_quality.markdown(numbers))
    (out / "sample_quality.json").write_text(json.dumps(numbers, indent=2, default=float) + "\n")
    sample_quality.plot_histograms(numbers, out / "class_histograms.png")
    say(str(out / "sample_quality.md"))
    print(json.dumps(numbers, default=float) if args.json else sample_quality.table(numbers).render())
    return 0
