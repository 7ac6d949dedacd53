"""Running the command line in-process, as the CLI and application tests do."""
from autoencoders.cli import main


def run(argv):
    """main(argv) as a process would see it: the exit code, argparse's exits included."""
    try:
        return main(argv)
    except SystemExit as exit:
        return exit.code


def one_line_error(capsys, *fragments):
    """The captured stderr, asserted to be one line without a traceback holding every fragment."""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err
