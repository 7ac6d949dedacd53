"""``python -m autoencoders ...``: the command line (see ``autoencoders/cli.py``)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
