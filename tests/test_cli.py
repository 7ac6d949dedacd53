"""The command line, end to end and in-process: train, resume, evaluate, figures, errors."""
import json
import subprocess
import sys

import numpy as np
import pytest

from autoencoders.checkpoint import load_checkpoint, save_checkpoint
from cli_helpers import one_line_error, run
from autoencoders.train import read_metrics

QUICK = ["--limit", "256", "--set", "hidden=32", "--set", "code=4", "--quiet"]




@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run folder after one short epoch of the reference model."""
    out = tmp_path_factory.mktemp("run")
    assert run(["train", "--model", "dense", "--epochs", "1", "--out", str(out), *QUICK]) == 0
    return out


def test_train_writes_checkpoints_metrics_and_figures(trained):
    for name in ("last.npz", "best.npz", "metrics.jsonl", "loss_curves.png", "reconstructions.png",
                 "codes.png"):
        assert (trained / name).is_file(), name
    assert not (trained / "samples.png").exists()      # dense cannot sample
    checkpoint = load_checkpoint(trained / "last.npz", model_name="dense")
    assert checkpoint.epoch == 1 and checkpoint.model_config == {"hidden": 32, "code": 4}
    [record] = read_metrics(trained / "metrics.jsonl")
    assert record["epoch"] == 1


def test_one_epoch_lowers_the_loss(trained):
    import minigrad as mg
    from autoencoders.models import build_model
    from autoencoders.train import TrainSettings, evaluate_model, load_training_data

    *_, val_images, val_labels = load_training_data(TrainSettings(limit=256))
    mg.random.seed(0)  # the untrained model the run started from
    untrained = evaluate_model(build_model("dense", hidden=32, code=4), val_images, val_labels)
    [record] = read_metrics(trained / "metrics.jsonl")
    assert record["val_loss"] < 0.95 * untrained["loss"]


def test_resume_continues_and_lowers_the_loss(trained, tmp_path):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(trained, run_dir)
    assert run(["train", "--out", str(run_dir), "--resume", "--epochs", "3", "--quiet"]) == 0
    records = read_metrics(run_dir / "metrics.jsonl")
    assert [r["epoch"] for r in records] == [1, 2, 3]
    assert records[2]["val_loss"] < records[0]["val_loss"]
    assert load_checkpoint(run_dir / "last.npz").epoch == 3


def test_evaluate_prints_json(trained, capsys):
    assert run(["evaluate", str(trained / "last.npz"), "--limit", "100"]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["model"] == "dense" and result["split"] == "test" and result["images"] == 100
    assert result["dataset"] == "mnist-5k" and np.isfinite(result["loss"]) and "bce" in result
    assert "test (100 images)" in err


def test_reconstruct_and_plot_write_pngs(trained, tmp_path):
    assert run(["reconstruct", str(trained / "best.npz"), "--n", "5", "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "reconstructions.png").read_bytes()[:4] == b"\x89PNG"
    assert run(["plot", str(trained), "--out", str(tmp_path / "plots")]) == 0
    assert (tmp_path / "plots" / "loss_curves.png").is_file()
    assert (tmp_path / "plots" / "codes.png").is_file()


def test_sample_needs_a_generative_model(trained, capsys):
    assert run(["sample", str(trained / "last.npz")]) == 2
    one_line_error(capsys, "model 'dense' is not generative")


def test_models_lists_options(capsys):
    assert run(["models"]) == 0
    out = capsys.readouterr().out
    assert "dense:" in out and "--set hidden=256" in out and "--set code=32" in out
    assert run(["models", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dense"]["options"]["code"]["default"] == 32


@pytest.mark.parametrize("argv, fragments", [
    (["train", "--model", "nope"], ["unknown model 'nope'", "known models: dense"]),
    (["train", "--lr", "-1"], ["--lr", "must be a number > 0"]),
    (["train", "--batch-size", "0"], ["--batch-size", "must be an integer >= 1"]),
    (["train", "--set", "hiden=3"], ["no option 'hiden'", "hidden, code"]),
    (["train", "--set", "code=-2"], ["option 'code' must be >= 1"]),
    (["train", "--set", "code"], ["expected name=value"]),
    (["train", "--optimizer", "rmsprop"], ["invalid choice: 'rmsprop'"]),
    (["evaluate", "missing.npz"], ["no checkpoint at missing.npz"]),
    (["bogus"], ["invalid choice"]),
])
def test_usage_errors_are_one_line_with_exit_code_2(argv, fragments, capsys, tmp_path):
    assert run(argv + ["--out", str(tmp_path)] if argv[0] == "train" else argv) == 2
    one_line_error(capsys, *fragments)


def test_checkpoint_of_another_model(trained, tmp_path, capsys):
    vae = load_checkpoint(trained / "last.npz")
    vae.model_name = "vae"
    path = save_checkpoint(tmp_path / "vae.npz", vae)
    assert run(["evaluate", str(path), "--model", "dense"]) == 2
    one_line_error(capsys, "checkpoint holds model 'vae', you asked for 'dense'")


def test_resume_errors(trained, tmp_path, capsys):
    assert run(["train", "--out", str(tmp_path / "empty"), "--resume"]) == 2
    one_line_error(capsys, "nothing to resume")
    assert run(["train", "--out", str(trained), "--resume", "--lr", "0.5"]) == 2
    one_line_error(capsys, "--lr 0.5 differs from the run being resumed")
    assert run(["train", "--out", str(trained), "--resume", "--model", "vae"]) == 2
    one_line_error(capsys, "checkpoint holds model 'dense', you asked for 'vae'")
    assert run(["train", "--out", str(trained), "--resume", "--set", "code=5"]) == 2
    one_line_error(capsys, "--set options differ")


def test_ctrl_c_says_how_to_resume(tmp_path, capsys, monkeypatch):
    from autoencoders import train

    def interrupt(trainer, epoch, batch):
        if epoch == 2:
            raise KeyboardInterrupt

    real_init = train.Trainer.__init__

    def init_with_callback(self, *args, **kwargs):
        real_init(self, *args, **{**kwargs, "callback": interrupt})

    monkeypatch.setattr(train.Trainer, "__init__", init_with_callback)
    assert run(["train", "--out", str(tmp_path), "--epochs", "3", "--limit", "64",
                "--set", "hidden=8", "--set", "code=2"]) == 130
    err = capsys.readouterr().err
    assert f"{tmp_path / 'last.npz'} holds epoch 1; continue with: autoencoders train --out" in err
    assert load_checkpoint(tmp_path / "last.npz").epoch == 1


def test_sigterm_is_handled_like_ctrl_c(tmp_path, capsys, monkeypatch):
    import os
    import signal

    from autoencoders import train

    def terminate(trainer, epoch, batch):
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGTERM)     # what `kill` or a job scheduler sends

    real_init = train.Trainer.__init__

    def init_with_callback(self, *args, **kwargs):
        real_init(self, *args, **{**kwargs, "callback": terminate})

    monkeypatch.setattr(train.Trainer, "__init__", init_with_callback)
    before = signal.getsignal(signal.SIGTERM)
    assert run(["train", "--out", str(tmp_path), "--epochs", "3", "--limit", "64",
                "--set", "hidden=8", "--set", "code=2"]) == 143
    err = capsys.readouterr().err
    assert f"terminated; {tmp_path / 'last.npz'} holds epoch 1; continue with: autoencoders train --out" in err
    assert load_checkpoint(tmp_path / "last.npz").epoch == 1
    assert signal.getsignal(signal.SIGTERM) is before          # the handler is put back


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow we are provoking
def test_a_diverging_run_exits_1(tmp_path, capsys):
    assert run(["train", "--out", str(tmp_path), "--epochs", "1", "--lr", "1e30", "--optimizer", "sgd",
                *QUICK]) == 1
    err = capsys.readouterr().err
    assert "autoencoders train: stopped: epoch 1, batch" in err and "training stopped" in err
    assert not (tmp_path / "last.npz").exists()


def test_help_explains_every_option(capsys):
    assert run(["train", "--help"]) == 0
    text = capsys.readouterr().out
    for flag in ("--model", "--set", "--dataset", "--data-dir", "--epochs", "--batch-size", "--lr",
                 "--optimizer", "--weight-decay", "--clip-grad-norm", "--schedule", "--seed", "--out",
                 "--resume", "--quiet", "--limit"):
        assert flag in text, flag
    for command in ("evaluate", "reconstruct", "sample", "plot", "models"):
        assert run([command, "--help"]) == 0


def test_python_dash_m_entry_point():
    done = subprocess.run([sys.executable, "-m", "autoencoders", "models"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "dense" in done.stdout
