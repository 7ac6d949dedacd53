"""``python -m autoencoders.semisupervised [options]``: the ``semisupervised`` command on its own,
with the command line's one-line errors (exit code 2)."""
import sys

from ..arguments import Parser, UsageError
from ..data import DataError
from .commands import add_subparsers

PROG = "python -m autoencoders.semisupervised"


def main(argv=None):
    parser = Parser(prog=PROG)
    commands = parser.add_subparsers(dest="command", parser_class=Parser)
    add_subparsers(commands)
    args = parser.parse_args(["semisupervised"] + list(sys.argv[1:] if argv is None else argv))

    def log(message):
        print(message, file=sys.stderr)

    try:
        return args.run(args, log)
    except (UsageError, DataError, ValueError) as err:
        print(f"{PROG}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
