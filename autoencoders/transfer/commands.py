"""The transfer experiments on the command line: ``python -m autoencoders transfer ...``.

    transfer [--autoencoder CONV_CHECKPOINT]   (i) digits 0-4 -> 5-9 and, given a trained
                                               conv autoencoder, (ii) its encoder as the start;
                                               the tables, OUT/transfer.{md,json}

``add_subparsers`` puts it into the parser of autoencoders/cli.py, with the grammar of
arguments.py (``--out`` a folder, ``--quiet``, ``--json``); progress on stderr, the tables
(or one JSON document) on stdout, errors a user can fix as one line with exit code 2.
"""
import argparse
import json
from pathlib import Path

from ..apps.commands import app_errors
from ..apps.result import Table
from ..arguments import (UsageError, add_data_source_arguments, add_dataset_argument,
                         add_limit_argument, add_out_argument, add_quiet_argument, data_source, non_negative_int,
                         positive_float, positive_int)
from ..checkpoint import load_model
from ..data import load_split
from . import experiment

OUT = Path("runs/transfer")
PARTS = ("both", "supervised", "unsupervised")
DEFAULTS = experiment.Settings()
TITLES = {"supervised": "transfer (i): a network trained on digits 0-4, reused for digits 5-9",
          "unsupervised": "transfer (ii): the conv autoencoder's encoder (no labels) as the start"}


def int_list(text):
    """An argument type: comma-separated integers >= 1 ('10,100,1000')."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers >= 1, got {text!r}")
    return tuple(values)


def seed_list(text):
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated seeds, got {text!r}") from None
    if not values or min(values) < 0 or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"expected distinct comma-separated integers >= 0, got {text!r}")
    return values


def listed(values):
    return ",".join(map(str, values))


def add_subparsers(commands):
    """Add ``transfer`` to the subparsers ``commands`` of cli.build_parser."""
    p = commands.add_parser("transfer", help="transfer learning with few labels, mean ± std over seeds",
                            description="(i) Train a CNN on digits 0-4, reuse its convolutional layers "
                            "for digits 5-9 with --labels labels per class, frozen and fine-tuned, "
                            "against the same network from scratch. (ii) With --autoencoder, the same "
                            "with a trained conv autoencoder's encoder and --pretrain-labels labels per "
                            "class of all ten digits. Test accuracy, mean ± std over --seeds; writes "
                            "OUT/transfer.md and OUT/transfer.json.")
    add_dataset_argument(p, default="mnist", default_text="mnist")
    add_data_source_arguments(p)
    p.add_argument("--autoencoder", default=None, metavar="CHECKPOINT",
                   help="a conv autoencoder checkpoint (e.g. runs/conv-mnist/last.npz) for (ii); "
                   "without it only (i) runs")
    p.add_argument("--part", choices=PARTS, default="both",
                   help="the experiments to run: supervised = (i), unsupervised = (ii) (needs "
                   "--autoencoder) (default: both)")
    p.add_argument("--seeds", type=seed_list, default=DEFAULTS.seeds,
                   help=f"seeds, one repetition each (default: {listed(DEFAULTS.seeds)})")
    p.add_argument("--labels", type=int_list, default=DEFAULTS.labels,
                   help=f"(i): labelled images per class of 5-9 (default: {listed(DEFAULTS.labels)})")
    p.add_argument("--pretrain-labels", type=int_list, default=DEFAULTS.pretrain_labels,
                   help=f"(ii): labelled images per class (default: {listed(DEFAULTS.pretrain_labels)})")
    p.add_argument("--source-epochs", type=positive_int, default=DEFAULTS.source_epochs,
                   help=f"(i): epochs of the network on digits 0-4 (default: {DEFAULTS.source_epochs})")
    p.add_argument("--epochs", type=positive_int, default=DEFAULTS.epochs,
                   help=f"passes over the labelled images, at least (default: {DEFAULTS.epochs})")
    p.add_argument("--min-steps", type=non_negative_int, default=DEFAULTS.min_steps,
                   help=f"optimizer steps, at least (default: {DEFAULTS.min_steps})")
    p.add_argument("--batch-size", type=positive_int, default=DEFAULTS.batch_size,
                   help=f"images per step (default: {DEFAULTS.batch_size})")
    p.add_argument("--lr", type=positive_float, default=DEFAULTS.lr,
                   help=f"Adam's learning rate (default: {DEFAULTS.lr})")
    p.add_argument("--body-lr-factor", type=positive_float, default=DEFAULTS.body_lr_factor,
                   help="fine-tuned: the reused layers learn at lr times this, a parameter group of "
                   f"their own (default: {DEFAULTS.body_lr_factor})")
    add_limit_argument(p)
    add_out_argument(p, str(OUT), "the tables")
    p.add_argument("--json", action="store_true", help="print the numbers as one JSON document")
    add_quiet_argument(p)
    p.set_defaults(run=app_errors(cmd_transfer))


def settings_from(args):
    return experiment.Settings(seeds=args.seeds, labels=args.labels, pretrain_labels=args.pretrain_labels,
                               source_epochs=args.source_epochs, epochs=args.epochs,
                               min_steps=args.min_steps, batch_size=args.batch_size, lr=args.lr,
                               body_lr_factor=args.body_lr_factor)


def load_autoencoder(path):
    if path is None:
        return None
    model, _ = load_model(path)
    if model.name != "conv":
        raise UsageError(f"--autoencoder {path} holds a {model.name!r} model; (ii) reuses the "
                         "encoder of a 'conv' autoencoder (train one with: autoencoders train "
                         "--model conv ...)")
    return model


def cmd_transfer(args, log):
    say = (lambda message: None) if args.quiet else log
    if args.part == "unsupervised" and args.autoencoder is None:
        raise UsageError("--part unsupervised reuses a trained conv autoencoder: give --autoencoder "
                         "CHECKPOINT (train one with: autoencoders train --model conv ...)")
    autoencoder = load_autoencoder(args.autoencoder) if args.part != "supervised" else None
    source = {"data_dir": args.data_dir, **data_source(args)}
    train_x, train_y = load_split(args.dataset, "train", limit=args.limit, **source)
    test_x, test_y = load_split(args.dataset, "test", limit=args.limit, **source)
    numbers = experiment.run(train_x, train_y, test_x, test_y, settings_from(args), autoencoder, say,
                             supervised_part=args.part != "unsupervised")
    numbers.update(dataset=args.dataset, autoencoder=args.autoencoder, train_images=len(train_x),
                   test_images=len(test_x))
    out = Path(args.out) if args.out else OUT
    out.mkdir(parents=True, exist_ok=True)
    (out / "transfer.md").write_text(markdown(numbers))
    (out / "transfer.json").write_text(json.dumps(numbers, indent=2) + "\n")
    say(str(out / "transfer.md"))
    if args.json:
        print(json.dumps(numbers))
    else:
        print("\n\n".join(table.render() for table in tables(numbers)))
    if args.part == "supervised":
        say("transfer: (ii) skipped (--part supervised)")
    elif autoencoder is None:
        say("transfer: (ii) skipped; give --autoencoder CHECKPOINT of a conv autoencoder to run it")
    return 0


# ----- showing the numbers ------------------------------------------------------------------------
def mean_std_text(row):
    return f"{100 * row['mean']:.1f} ± {100 * row['std']:.1f} %"


def grid(part):
    """[[labels per class, scratch, frozen, fine-tuned]] of one part's summary rows."""
    by = {(r["labels"], r["start"]): r for r in part["rows"]}
    return [[k] + [mean_std_text(by[k, s]) if (k, s) in by else "-" for s in experiment.STARTS]
            for k in sorted({r["labels"] for r in part["rows"]})]


def notes(numbers, name):
    s, part = numbers["settings"], numbers[name]
    seeds = f"{len(s['seeds'])} seed{'s' if len(s['seeds']) != 1 else ''}"
    lines = [f"test accuracy, mean ± sample std over {seeds}; fine-tuned: reused layers at lr x "
             f"{s['body_lr_factor']}; {part['seconds'] / 60:.1f} min"]
    if name == "supervised":
        accs = ", ".join(f"{100 * a:.2f} %" for a in part["source_accuracy"])
        lines.append(f"source network on digits 0-4 ({s['source_epochs']} epochs): test accuracy {accs}")
    else:
        lines.append(f"encoder of {numbers['autoencoder']}")
    return lines


def tables(numbers):
    """A Table per part that ran."""
    found = []
    for name in ("supervised", "unsupervised"):
        if name in numbers:
            digits = "5-9" if name == "supervised" else "0-9"
            found.append(Table(TITLES[name], f"test accuracy on digits {digits}, higher is better",
                               ["labels per class", *experiment.STARTS], grid(numbers[name]),
                               notes(numbers, name)))
    return found


def markdown(numbers):
    """The tables as Markdown (the ones docs/transfer.md shows)."""
    parts = []
    for table, name in zip(tables(numbers), [n for n in ("supervised", "unsupervised") if n in numbers]):
        lines = [f"**{table.title}** ({table.units})", "",
                 "| " + " | ".join(table.header) + " |", "|" + "---|" * len(table.header)]
        lines += ["| " + " | ".join(map(str, row)) + " |" for row in table.rows]
        parts.append("\n".join(lines + [""] + [f"- {note}" for note in table.notes]))
    return "\n\n".join(parts) + "\n"
