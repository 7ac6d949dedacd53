"""What the commands share about their arguments: the error a user can fix, argument types
that reject bad values in one line, the flags that say where a dataset comes from, which
dataset a checkpoint command reads, and the one grammar every command follows:

    CHECKPOINT   the checkpoint a command reads is its first (positional) argument; the
                 spelling --checkpoint is refused with a one-line error saying so
    --out DIR    always a folder; the files inside get fixed names (a .png is refused)
    --quiet      no progress lines on stderr (errors still are)
    --dataset    mnist-5k (also called embedded), mnist or fashion-mnist

The command line (cli.py) and the applications' commands (apps/commands.py) both build on
these; nothing here knows any command.
"""
import argparse
from pathlib import Path

from .data import describe_datasets


class UsageError(Exception):
    """An error the user can fix; reported in one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but errors are one line: 'autoencoders train: error: ...'."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ----- argument types: each rejects bad values with a one-line reason ---------------------
def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def positive_float(text):
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def non_negative_float(text):
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def bounded_int(low, high):
    """An argument type: an integer in [low, high]."""
    def parse(text):
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer from {low} to {high}, got {text}")
        return value
    parse.__name__ = "integer"  # argparse names the type in its 'invalid ... value' message
    return parse


def key_value(text):
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    return key.strip(), value


# ----- the grammar every command shares -------------------------------------------------------
class RefuseCheckpointFlag(argparse.Action):
    """--checkpoint given: the checkpoint is the first argument. One line saying so."""

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f"the checkpoint is the first argument, not {option_string}: "
                     f"{parser.prog} {values} ...")


def add_checkpoint_argument(p):
    """The positional CHECKPOINT, and a hidden --checkpoint that explains the grammar."""
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a .npz checkpoint (e.g. runs/vae/last.npz)")
    p.add_argument("--checkpoint", dest="checkpoint_flag", action=RefuseCheckpointFlag,
                   metavar="CKPT", help=argparse.SUPPRESS)


def out_folder(text):
    """An argument type: --out names a folder, never a file."""
    if text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(
            f"names a folder, not a file: the figures are written inside it with fixed names; "
            f"got {text!r} (give a folder, e.g. {text[:-4] or 'out'})")
    if Path(text).is_file():
        raise argparse.ArgumentTypeError(f"names a folder, but {text} is a file")
    return text


def add_out_argument(p, default_text, what="the figures"):
    p.add_argument("--out", type=out_folder, default=None, metavar="DIR",
                   help=f"folder for {what}, made if missing; the files inside have fixed names "
                   f"(default: {default_text})")


def add_limit_argument(p, what="at most N training and N test images"):
    """--limit N (0 = all): a slice of the data, for quick checks."""
    p.add_argument("--limit", type=non_negative_int, default=0, metavar="N",
                   help=f"use {what}, for quick checks; 0 = all (default: 0)")


def add_quiet_argument(p, what="no progress lines on stderr, only errors"):
    p.add_argument("--quiet", action="store_true", help=what)


def dataset_help(default_text):
    """--dataset's help: every name with what it is (mnist-5k and embedded are one dataset)."""
    described = describe_datasets()
    names = "; ".join(f"{name}: {text}" for name, text in described.items())
    return (f"images to use. {names}. mnist and fashion-mnist are read from --data-dir "
            f"(default: {default_text})")


def add_dataset_argument(p, default=None, default_text="the one the checkpoint was trained on"):
    p.add_argument("--dataset", choices=tuple(describe_datasets()), default=default,
                   help=dataset_help(default_text))


# ----- where the data comes from ------------------------------------------------------------
def add_data_source_arguments(p):
    """--data-dir, --no-download and --mirror: where a dataset's files are, and where they may come from."""
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder holding the IDX files of the dataset; it must exist (default: "
                   "$MINIGRAD_DATA/<name> or ~/.cache/minigrad/<name>)")
    p.add_argument("--no-download", action="store_true",
                   help="never download: a missing data file is an error")
    p.add_argument("--mirror", action="append", default=None, metavar="URL",
                   help="download missing files from this base URL instead of the built-in mirrors "
                   "(repeatable, tried in order; files are still checked against the known checksums)")


def data_source(args):
    """load_dataset's keyword arguments for where missing files may come from."""
    return {"download": not args.no_download, "base_url": args.mirror}


def checkpoint_dataset(checkpoint, dataset=None, data_dir=None):
    """(name, data_dir) of the dataset a checkpoint command reads: ``dataset`` if given, else
    the one the checkpoint was trained on, read from the folder it was trained from unless
    ``data_dir`` names another."""
    if dataset is not None:
        return dataset, data_dir
    if data_dir is None:
        data_dir = checkpoint.settings.get("data_dir")
    return checkpoint.settings.get("dataset", "mnist-5k"), data_dir
