"""One grammar for every command (arguments.py): the checkpoint is the first argument,
--out is a folder whose default never overwrites what you did not name, --quiet silences
the progress lines, --dataset says that mnist-5k and embedded are one dataset; and the run
header and the model listing show what applies."""
import hashlib
import json

import pytest

from autoencoders.cli import build_parser
from cli_helpers import one_line_error, run

CHECKPOINT_COMMANDS = ["evaluate", "reconstruct", "sample", "generate", "latent", "denoise", "search",
                       "features"]
OUT_COMMANDS = ["train", "reconstruct", "sample", "plot", "generate", "latent", "denoise", "anomaly",
                "search", "augment", "report"]


def help_text(command, capsys):
    assert run([command, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    """A run folder of a small VAE after one epoch, with its training figures."""
    out = tmp_path_factory.mktemp("vae")
    assert run(["train", "--model", "vae", "--epochs", "1", "--limit", "200", "--set", "hidden=16",
                "--set", "latent=2", "--out", str(out), "--quiet"]) == 0
    return out


# ----- the checkpoint is the first argument -----------------------------------------------------
@pytest.mark.parametrize("command", CHECKPOINT_COMMANDS)
def test_the_checkpoint_is_positional_everywhere(command, capsys):
    usage = help_text(command, capsys)
    assert usage.split("options:")[0].rstrip().endswith("CHECKPOINT") or " CHECKPOINT " in usage
    assert run([command, "--checkpoint", "runs/vae/last.npz"]) == 2
    one_line_error(capsys, "the checkpoint is the first argument, not --checkpoint",
                   f"autoencoders {command} runs/vae/last.npz")


# ----- --out is a folder -------------------------------------------------------------------------
@pytest.mark.parametrize("command", OUT_COMMANDS)
def test_out_is_always_a_folder(command, capsys):
    text = help_text(command, capsys)
    assert "--out DIR" in text and "PNG" not in text.split("--out DIR")[1][:30]
    argv = [command, "ckpt.npz"] if command in CHECKPOINT_COMMANDS else [command]
    if command == "plot":
        argv = [command, "some-run"]
    assert run(argv + ["--out", "figure.png"]) == 2
    one_line_error(capsys, "--out", "names a folder, not a file", "figure.png")


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    assert run(["sample", "missing.npz", "--out", str(tmp_path / "taken")]) == 2
    one_line_error(capsys, "--out", "is a file", "taken")


def test_features_writes_no_figure_so_has_no_out(capsys):
    assert "--out" not in help_text("features", capsys)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reconstruct_and_sample_keep_the_training_figures(vae_run, capsys):
    before = {name: digest(vae_run / name) for name in ("reconstructions.png", "samples.png")}
    assert run(["reconstruct", str(vae_run / "last.npz"), "--n", "4"]) == 0
    assert run(["sample", str(vae_run / "last.npz"), "--n", "6"]) == 0
    err = capsys.readouterr().err
    assert str(vae_run / "reconstruct" / "reconstructions.png") in err
    assert str(vae_run / "sample" / "samples.png") in err
    assert (vae_run / "reconstruct" / "reconstructions.png").is_file()
    assert (vae_run / "sample" / "samples.png").is_file()
    assert {name: digest(vae_run / name) for name in before} == before


def test_out_names_the_folder_and_the_file_name_is_fixed(vae_run, tmp_path, capsys):
    assert run(["sample", str(vae_run / "last.npz"), "--n", "4", "--out", str(tmp_path / "mine")]) == 0
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["samples.png"]


# ----- --quiet, --dataset, help texts ---------------------------------------------------------------
@pytest.mark.parametrize("command", ["train", "evaluate", "reconstruct", "sample", "plot", "generate",
                                     "latent", "denoise", "anomaly", "search", "features", "augment",
                                     "report"])
def test_every_command_that_talks_has_quiet(command, capsys):
    assert "--quiet" in help_text(command, capsys)


def test_quiet_silences_reconstruct_sample_and_plot(vae_run, tmp_path, capsys):
    for argv in (["reconstruct", str(vae_run / "last.npz"), "--n", "3"],
                 ["sample", str(vae_run / "last.npz"), "--n", "4"],
                 ["plot", str(vae_run), "--out", str(tmp_path)]):
        assert run(argv + ["--quiet"]) == 0
        assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", ["train", "evaluate", "reconstruct", "plot", "generate", "latent",
                                     "anomaly", "augment"])
def test_dataset_help_says_embedded_is_mnist_5k(command, capsys):
    text = help_text(command, capsys)
    assert "--dataset" in text and "embedded: alias of mnist-5k" in text
    assert "mnist and fashion-mnist are read from --data-dir" in text


def test_plot_takes_a_dataset(vae_run, tmp_path, capsys):
    assert run(["plot", str(vae_run), "--dataset", "embedded", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "codes.png").is_file()
    capsys.readouterr()
    assert run(["plot", str(vae_run), "--dataset", "nope"]) == 2
    one_line_error(capsys, "invalid choice: 'nope'")


def test_sample_and_generate_say_which_is_which(capsys):
    sample, generate = help_text("sample", capsys), help_text("generate", capsys)
    assert "quick look" in sample and "autoencoders generate" in sample
    assert "analysis" in generate and "autoencoders sample" in generate


# ----- what applies: the run header and the model listing ----------------------------------------
def test_the_run_header_of_an_mlp_vae_shows_only_what_applies(tmp_path, capsys):
    assert run(["train", "--model", "vae", "--epochs", "1", "--limit", "64", "--set", "hidden=8",
                "--set", "beta=2", "--out", str(tmp_path), "--no-figures"]) == 0
    header = capsys.readouterr().err.splitlines()[0]
    assert header.startswith("training vae (arch=mlp, hidden=8, latent=20, beta=2.0) on mnist-5k"), header
    for conv_or_gaussian in ("channels", "kernel_size", "variant", "sigma", "variance", "likelihood"):
        assert conv_or_gaussian not in header, header


def test_a_conv_vae_header_shows_its_architecture(tmp_path, capsys):
    assert run(["train", "--model", "vae", "--epochs", "1", "--limit", "32", "--set", "arch=conv",
                "--set", "channels=2,2,2", "--set", "hidden=8", "--out", str(tmp_path), "--no-figures"]) == 0
    header = capsys.readouterr().err.splitlines()[0]
    assert "arch=conv" in header and "channels=2,2,2" in header and "sigma" not in header


def test_models_lists_allowed_values_and_bounds(capsys):
    assert run(["models"]) == 0
    out = capsys.readouterr().out
    assert "--set likelihood=bernoulli" in out and "[one of: bernoulli, gaussian]" in out
    assert "--set hidden=400" in out and "[1 to 16384]" in out
    assert "[>= 0]" in out          # beta of the vae: no upper bound
    assert run(["models", "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["vae"]["options"]["likelihood"]["choices"] == ["bernoulli", "gaussian"]
    assert described["vae"]["options"]["latent"]["min"] == 1
    assert described["vae"]["options"]["latent"]["max"] == 4096
    assert described["dense"]["options"]["code"]["choices"] is None


def test_the_parser_builds_once_per_command():
    """Every subcommand has a one-line help (shown by 'autoencoders --help')."""
    parser = build_parser()
    commands = parser._subparsers._group_actions[0]
    assert all(action.help for action in commands._choices_actions)
