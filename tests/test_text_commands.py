"""The commands ``words`` and ``documents`` end to end on small slices, in-process: a parser
built with text.commands.add_subparsers, run the way autoencoders/cli.py runs a command."""
import contextlib
import io
import json

import pytest

from autoencoders.arguments import Parser, UsageError
from autoencoders.text.commands import add_subparsers


def run(argv):
    """(exit code, stdout, stderr) of one command, errors reported as cli.main reports them."""
    parser = Parser(prog="autoencoders")
    commands = parser.add_subparsers(dest="command", metavar="<command>", parser_class=Parser)
    commands.required = True
    add_subparsers(commands)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = parser.parse_args(argv)
            code = args.run(args, lambda message: print(message, file=err))
        except SystemExit as exit:
            code = exit.code
        except UsageError as error:
            print(f"autoencoders {argv[0]}: error: {error}", file=err)
            code = 2
    return code, out.getvalue(), err.getvalue()


SMALL_WORDS = ["--corpus", "lee", "--limit", "60", "--epochs", "1", "--dim", "16", "--min-count", "2"]


def test_words_against_gensim_as_json(tmp_path):
    code, out, err = run(["words", *SMALL_WORDS, "--compare-gensim", "--out", str(tmp_path), "--json"])
    assert code == 0, err
    numbers = json.loads(out)
    assert set(numbers["results"]) == {"minigrad", "gensim"}
    for who in ("minigrad", "gensim"):
        found = numbers["results"][who]
        assert -1 <= found["wordsim353"]["spearman"] <= 1 and 0 < found["wordsim353"]["coverage"] < 1
        assert 0 <= found["analogies"]["accuracy"] <= 1 and found["words_per_second"] > 0
    assert set(numbers["ratio"]) >= {"words_per_second", "words_per_cpu_second"}   # (a 0 of gensim has none)
    assert numbers["settings"]["lr"] == 0.025
    assert (tmp_path / "vectors.npz").is_file() and (tmp_path / "words_pca.png").is_file()
    assert "epoch 1/1" in err and str(tmp_path / "vectors.npz") in err


def test_words_prints_a_table_and_quiet_prints_no_progress(tmp_path):
    code, out, err = run(["words", *SMALL_WORDS, "--method", "cbow", "--out", str(tmp_path), "--quiet"])
    assert code == 0 and err == ""
    assert "WordSim353 rho" in out and "words / s" in out and "cbow" in out


def test_documents_trains_scores_indexes_and_answers(tmp_path):
    code, out, err = run(["documents", "--limit", "60", "--epochs", "2", "--vocab", "300", "--code", "8",
                          "--query", "bushfire in the mountains", "--out", str(tmp_path), "--json"])
    assert code == 0, err
    numbers = json.loads(out)
    assert numbers["train_documents"] == 60 and numbers["pairs"] == 1225
    assert set(numbers["correlation"]) == {"autoencoder", "LSA-8", "tf-idf"}
    assert numbers["correlation"]["LSA-8"]["width"] == 8
    assert len(numbers["answers"][0]["nearest"]) == 5
    assert (tmp_path / "index.npz").is_file() and (tmp_path / "lee_ratings.png").is_file()

    query = tmp_path / "query.txt"
    query.write_text("Test cricket at the Adelaide Oval")
    code, out, err = run(["documents", str(tmp_path / "index.npz"), "--query-file", str(query), "--top", "2"])
    assert code == 0, err
    assert "cosine" in out and "query 1: Test cricket" in out


def test_documents_table(tmp_path):
    code, out, _ = run(["documents", "--limit", "40", "--epochs", "1", "--vocab", "200", "--code", "4",
                        "--out", str(tmp_path), "--quiet"])
    assert code == 0
    assert "Pearson r" in out and "LSA-4" in out and "tf-idf" in out


@pytest.mark.parametrize("argv, message", [
    (["words", "--corpus", "no/such/corpus"], "neither a corpus name"),
    (["words", "--corpus", "text8"], "--data-dir"),
    (["words", "--threads", "999"], "threads: at most"),
    (["words", "--out", "x.png"], "names a folder"),
    (["documents", "--corpus", "20news"], "--data-dir"),
    (["documents", "runs/none/index.npz"], "only read to answer queries"),
    (["documents", "runs/none/index.npz", "--corpus", "lee", "--query", "x"], "give one of them"),
    (["documents", "--hidden", "0"], "invalid int_list value"),
    (["documents", "--dropout", "1"], "below 1"),
])
def test_errors_are_one_line_with_exit_code_2(argv, message):
    code, out, err = run(argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
