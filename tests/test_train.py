"""The trainer: learning, determinism, resuming, crashes and the NaN guard; and
benchmarks/step_time.py, which times the trainer's step."""
import importlib.util
import io
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from autoencoders.checkpoint import load_checkpoint
from autoencoders.models import ConfigError
from autoencoders.train import (LAST, METRICS, ProgressBar, Trainer, TrainingDiverged, TrainSettings,
                                check_state_finite,
                                check_gradients_finite, check_loss_finite, distinct_metrics,
                                load_training_data, read_metrics)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data():
    """256 training and 64 validation images of the embedded digits."""
    return load_training_data(TrainSettings(limit=256, val_fraction=0.2))


def settings(**changes):
    base = dict(epochs=2, batch_size=32, limit=256, val_fraction=0.2,
                model_config={"hidden": 32, "code": 4})
    base.update(changes)
    return TrainSettings(**base)


def parameters(trainer):
    return {name: p.data.copy() for name, p in trainer.model.named_parameters()}


def assert_same_parameters(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


class Stop(Exception):
    pass


def stop_at(epoch, batch):
    def callback(trainer, e, b):
        if (e, b) == (epoch, batch):
            raise Stop
    return callback


def test_training_lowers_the_loss_and_writes_the_run(tmp_path, data):
    trainer = Trainer(settings(epochs=3), tmp_path, quiet=True, data=data)
    history = trainer.fit()
    assert [r["epoch"] for r in history] == [1, 2, 3]
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    records = read_metrics(tmp_path / METRICS)
    assert records == history
    # a dense model's only metric is its loss (its 'bce'): written once
    assert list(records[0]) == ["epoch", "train_loss", "val_loss", "seconds", "images_per_s", "lr"]
    last = load_checkpoint(tmp_path / LAST)
    assert last.epoch == 3 and last.model_name == "dense" and last.history == history
    best = load_checkpoint(tmp_path / "best.npz")
    assert best.epoch == min(history, key=lambda r: r["val_loss"])["epoch"]


def test_each_value_of_a_record_has_one_name(tmp_path, data):
    vae = settings(model="vae", epochs=1, model_config={"hidden": 16, "latent": 2})
    [record] = Trainer(vae, tmp_path, quiet=True, data=data).fit()
    assert list(record) == ["epoch", "train_loss", "val_loss", "seconds", "images_per_s", "lr",
                            "train_recon", "train_kl", "val_recon", "val_kl"]  # 'bce' is 'recon'


def test_distinct_metrics_drops_repeated_values():
    assert distinct_metrics({"loss": 3.0, "bce": 3.0}) == []
    assert distinct_metrics({"loss": 5.0, "recon": 3.0, "kl": 2.0, "bce": 3.0}) == ["recon", "kl"]
    assert distinct_metrics({"loss": 5.0, "bce": 4.0, "penalty": 1.0}) == ["bce", "penalty"]


def test_images_per_s_leaves_out_the_first_batch(tmp_path, data):
    """The first batch pays for compiling kernels; the rate reported is the warm one."""
    def slow_first_batch(trainer, epoch, batch):
        if batch == 1:
            time.sleep(1.0)

    trainer = Trainer(settings(epochs=1), tmp_path, quiet=True, data=data, callback=slow_first_batch)
    [record] = trainer.fit()
    assert record["seconds"] > 1.0
    assert record["images_per_s"] > 2 * len(data[0]) / 1.0  # with the sleep counted: at most 256


def test_float32_throughout(tmp_path, data):
    trainer = Trainer(settings(epochs=1), tmp_path, quiet=True, data=data)
    trainer.fit()
    assert all(p.dtype == np.float32 for p in trainer.model.parameters())


def test_same_seed_same_run_other_seed_other_run(tmp_path, data):
    runs = []
    for i, seed in enumerate((5, 5, 6)):
        trainer = Trainer(settings(seed=seed), tmp_path / str(i), quiet=True, data=data)
        trainer.fit()
        runs.append(parameters(trainer))
    assert_same_parameters(runs[0], runs[1])
    assert not np.array_equal(runs[0]["encoder.0.weight"], runs[2]["encoder.0.weight"])


@pytest.mark.parametrize("changes", [
    {},
    {"optimizer": "sgd", "lr": 0.05, "schedule": "step", "lr_step": 1, "lr_gamma": 0.5},
    {"optimizer": "adamw", "weight_decay": 0.01, "schedule": "cosine", "clip_grad_norm": 5.0},
])
def test_resume_is_bit_identical(tmp_path, data, changes):
    straight = Trainer(settings(epochs=3, **changes), tmp_path / "straight", quiet=True, data=data)
    straight.fit()

    first = Trainer(settings(epochs=1, **changes), tmp_path / "resumed", quiet=True, data=data)
    first.fit()
    resumed = Trainer.resume(tmp_path / "resumed", epochs=3, quiet=True, data=data)
    assert resumed.epoch == 1
    resumed.fit()

    assert_same_parameters(parameters(straight), parameters(resumed))
    assert [r["lr"] for r in resumed.history] == [r["lr"] for r in straight.history]
    assert read_metrics(tmp_path / "resumed" / METRICS)[-1]["val_loss"] == straight.history[-1]["val_loss"]


def test_a_run_killed_mid_epoch_resumes_exactly(tmp_path, data):
    straight = Trainer(settings(), tmp_path / "straight", quiet=True, data=data)
    straight.fit()

    killed = Trainer(settings(), tmp_path / "killed", quiet=True, data=data, callback=stop_at(2, 3))
    with pytest.raises(Stop):
        killed.fit()
    saved = load_checkpoint(tmp_path / "killed" / LAST)
    assert saved.epoch == 1                       # the last complete epoch
    assert len(read_metrics(tmp_path / "killed" / METRICS)) == 1

    resumed = Trainer.resume(tmp_path / "killed", quiet=True, data=data)
    resumed.fit()
    assert_same_parameters(parameters(straight), parameters(resumed))


def test_a_crash_while_saving_leaves_the_last_checkpoint(tmp_path, data, monkeypatch):
    from autoencoders import checkpoint

    trainer = Trainer(settings(epochs=2), tmp_path, quiet=True, data=data)
    real_savez = checkpoint.writing.np.savez

    def crash_in_epoch_2(f, **arrays):
        if trainer.epoch == 2:
            f.write(b"half a file")
            raise KeyboardInterrupt   # the user pressed Ctrl-C at the worst moment
        real_savez(f, **arrays)

    monkeypatch.setattr(checkpoint.writing.np, "savez", crash_in_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / LAST).epoch == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "best.npz", "last.npz", "metrics.jsonl"]


def test_nan_guard_stops_and_keeps_the_last_good_checkpoint(tmp_path, data):
    saved_bytes = {}

    def poison(trainer, epoch, batch):
        if (epoch, batch) == (2, 1):
            saved_bytes["last"] = (tmp_path / LAST).read_bytes()
            trainer.model.decoder[2].bias.data[0] = np.nan   # the next loss is NaN

    trainer = Trainer(settings(epochs=3), tmp_path, quiet=True, data=data, callback=poison)
    with pytest.raises(TrainingDiverged, match=r"epoch 2, batch 2: the loss is nan"):
        trainer.fit()
    assert (tmp_path / LAST).read_bytes() == saved_bytes["last"]
    assert load_checkpoint(tmp_path / LAST).epoch == 1
    assert len(read_metrics(tmp_path / METRICS)) == 1


def _all_finite(checkpoint):
    arrays = list(checkpoint.model_state.values())
    arrays += [v for state in checkpoint.optimizer_state["state"].values() for v in state.values()
               if isinstance(v, np.ndarray)]
    return all(np.all(np.isfinite(a)) for a in arrays)


def test_nothing_non_finite_is_saved_when_the_loss_stays_finite(tmp_path, data):
    """lr 1e6: Adam's second moment overflows to inf (and the weights follow) while the loss can stay
    finite; training must stop rather than save that state as the last checkpoint."""
    trainer = Trainer(settings(lr=1e6, epochs=3), tmp_path, quiet=True, data=data)
    with pytest.raises(TrainingDiverged, match="not finite"):
        trainer.fit()
    if (tmp_path / LAST).exists():
        assert _all_finite(load_checkpoint(tmp_path / LAST))


def test_divergence_warns_nothing_before_the_message(tmp_path, data):
    vae = settings(model="vae", lr=1e6, epochs=3, model_config={"hidden": 16, "latent": 2})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TrainingDiverged):
            Trainer(vae, tmp_path, quiet=True, data=data).fit()
    assert [str(w.message) for w in caught] == []


def test_divergence_is_one_line_on_stderr(tmp_path):
    command = [sys.executable, "-m", "autoencoders", "train", "--model", "vae", "--set", "hidden=16",
               "--lr", "1e6", "--limit", "200", "--epochs", "2", "--quiet", "--out", str(tmp_path / "run")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MINIGRAD_QUIET": "1"})
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("autoencoders train: stopped: epoch 1")


def test_state_guard_names_the_optimizer_array(tmp_path, data):
    trainer = Trainer(settings(), tmp_path, quiet=True, data=data)
    trainer.fit()
    checkpoint = trainer.checkpoint()
    check_state_finite(checkpoint)
    first = next(iter(checkpoint.optimizer_state["state"].values()))
    first["exp_avg_sq"][...] = np.inf
    with pytest.raises(TrainingDiverged, match=r"epoch 2: the optimizer's exp_avg_sq of parameter 0"):
        check_state_finite(checkpoint)
    name = next(iter(checkpoint.model_state))
    checkpoint.model_state[name] = np.full(3, np.nan, np.float32)
    with pytest.raises(TrainingDiverged, match=f"epoch 2: {name} is not finite"):
        check_state_finite(checkpoint)


def test_nan_guard_names_the_gradient():
    import minigrad as mg

    good = mg.tensor([1.0], requires_grad=True)
    bad = mg.tensor([1.0], requires_grad=True)
    good.grad, bad.grad = mg.tensor([0.5]), mg.tensor([np.inf])
    check_gradients_finite([("good", good)], 1, 1)
    with pytest.raises(TrainingDiverged, match=r"epoch 3, batch 7: the gradient of decoder.bias"):
        check_gradients_finite([("good", good), ("decoder.bias", bad)], 3, 7)


def test_nan_guard_names_the_loss():
    import minigrad as mg

    check_loss_finite(mg.tensor(2.0), 1, 1)
    with pytest.raises(TrainingDiverged, match=r"epoch 2, batch 5: the loss is nan"):
        check_loss_finite(mg.tensor(np.nan), 2, 5)


@pytest.mark.parametrize("changes, message", [
    ({"lr": -1.0}, "learning rate must be > 0"),
    ({"batch_size": 0}, "batch size must be >= 1"),
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'"),
    ({"schedule": "linear"}, "unknown lr schedule"),
    ({"model": "nope"}, "unknown model 'nope'; known models: dense"),
    ({"model_config": {"code": 0}}, "option 'code' must be >= 1"),
])
def test_bad_settings_are_clear_errors(tmp_path, data, changes, message):
    with pytest.raises(ConfigError, match=message):
        Trainer(settings(**changes), tmp_path, quiet=True, data=data)


def test_resume_needs_a_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        Trainer.resume(tmp_path)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal():
    terminal = FakeTerminal()
    bar = ProgressBar(1, 3, 10, stream=terminal, interval=0)
    bar.update(4, 0.5, 1234.0)
    bar.close()
    assert terminal.getvalue().startswith("\repoch 1/3  batch 4/10  loss 0.5000  1,234 img/s")

    pipe = io.StringIO()
    bar = ProgressBar(1, 3, 10, stream=pipe, interval=0)
    bar.update(4, 0.5, 1234.0)
    bar.close()
    assert pipe.getvalue() == ""
    quiet = FakeTerminal()
    ProgressBar(1, 3, 10, stream=quiet, enabled=False, interval=0).update(1, 0.1, 1.0)
    assert quiet.getvalue() == ""


# --- benchmarks/step_time.py ------------------------------------------------------------------

def load_step_time(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # it imports torch_reference from there
    spec = importlib.util.spec_from_file_location("step_time", ROOT / "benchmarks" / "step_time.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_step_time_without_torch_is_one_line(monkeypatch, capsys):
    step_time = load_step_time(monkeypatch)
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    with pytest.raises(SystemExit) as exit:
        step_time.main(["vae", "--torch", "--warmup", "0", "--steps", "1", "--repeats", "1"])
    assert exit.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "not installed: pip install torch==2.13.0" in line


def test_every_step_time_option_has_help(monkeypatch):
    parser = load_step_time(monkeypatch).build_parser()
    assert all(action.help for action in parser._actions)
