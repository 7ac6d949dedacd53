"""Running the command line in-process, as the CLI and application tests do."""
from autoencoders.cli import main


def run(argv):
    """main(argv) as a process would see it: the exit code, argparse's exits included."""
    try:
        return main(argv)
    except SystemExit as exit:
        return exit.code
