"""The trainer with two training phases (a GAN's discriminator, then its generator): one optimizer
per phase, each network frozen while the other trains, both losses in the records and on the
progress bar, both optimizers' states in the checkpoint and bit-identical resuming, the NaN guard
naming the phase, and `autoencoders train/evaluate/sample` on a GAN."""
import io
import json

import numpy as np
import pytest

import minigrad as mg
from autoencoders.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from autoencoders.models import ConfigError, build_model
from autoencoders.models.base import Phase
from autoencoders.train import (BEST, LAST, METRICS, ProgressBar, Trainer, TrainingDiverged,
                                TrainSettings, check_phases, check_state_finite,
                                load_training_data, read_metrics)
from cli_helpers import run

SMALL = {"gan": {"widths": [16, 32], "latent": 4},
         "cgan": {"widths": [16, 32], "latent": 4},
         "dcgan": {"channels": 2, "latent": 4}}


@pytest.fixture(scope="module")
def data():
    """128 training and 32 validation images of the embedded digits."""
    return load_training_data(TrainSettings(limit=128, val_fraction=0.2))


def settings(model="gan", **changes):
    base = dict(model=model, epochs=2, batch_size=32, limit=128, val_fraction=0.2, lr=1e-3,
                model_config=dict(SMALL[model]))
    base.update(changes)
    return TrainSettings(**base)


def state(trainer):
    """Every parameter and buffer (batch norm's running statistics) of the model."""
    return {name: np.array(value, copy=True) for name, value in trainer.model.state_dict().items()}


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


class Stop(Exception):
    pass


# ----- the records ----------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["gan", "cgan", "dcgan"])
def test_a_gan_trains_and_records_both_losses(tmp_path, data, model):
    trainer = Trainer(settings(model), tmp_path, quiet=True, data=data)
    history = trainer.fit()
    assert [phase.name for phase in trainer.phases] == ["loss_d", "loss_g"]
    assert len(trainer.optimizers) == 2
    record = history[-1]
    assert list(record) == ["epoch", "train_loss", "val_loss", "seconds", "images_per_s", "lr",
                            "train_loss_d", "train_d_real", "train_d_fake", "train_loss_g",
                            "val_loss_d", "val_d_real", "val_d_fake", "val_loss_g"]
    assert record["train_loss"] == pytest.approx(-record["train_loss_d"])   # V(D, G) = -loss_d
    assert record["val_loss"] == pytest.approx(-record["val_loss_d"])
    assert all(np.isfinite(v) for v in record.values())
    assert read_metrics(tmp_path / METRICS) == history
    assert all(p.requires_grad for p in trainer.model.parameters())          # nothing left frozen


def test_the_discriminator_learns_in_a_short_run(tmp_path, data):
    """Two epochs of 4 batches: D tells the digits from G's first blobs (loss_d falls from
    2 log 2 = 1.386, the loss of a D that cannot tell)."""
    history = Trainer(settings(epochs=2), tmp_path, quiet=True, data=data).fit()
    assert history[0]["train_loss_d"] < 1.386
    assert history[-1]["train_loss_d"] < history[0]["train_loss_d"]
    assert history[-1]["train_d_real"] > history[-1]["train_d_fake"]


def test_each_phase_freezes_the_other_network(tmp_path, data):
    trainer = Trainer(settings(epochs=1), tmp_path, quiet=True, data=data)
    seen = []
    for phase, other in ((0, 1), (1, 0)):
        loss = trainer.phases[phase].loss
        other_params = [p for _, p in trainer.phases[other].named_parameters]
        own_params = [p for _, p in trainer.phases[phase].named_parameters]

        def spy(x, labels, loss=loss, other_params=other_params, own_params=own_params, phase=phase):
            seen.append((phase, all(not p.requires_grad for p in other_params),
                         all(p.requires_grad for p in own_params)))
            return loss(x, labels)

        trainer.phases[phase] = trainer.phases[phase]._replace(loss=spy)
    trainer.fit()
    assert seen[:2] == [(0, True, True), (1, True, True)]
    assert all(frozen and own for _, frozen, own in seen)
    assert all(p.requires_grad for p in trainer.model.parameters())


def test_the_generator_step_computes_no_discriminator_gradient(tmp_path, data):
    trainer = Trainer(settings(epochs=1), tmp_path, quiet=True, data=data)
    x, labels = next(iter(trainer.batches))
    x = mg.Tensor(x)
    d_phase, g_phase = trainer.phases
    trainer.step(d_phase, trainer.optimizers[0], x, labels, 1, 1)
    d_grads = [p.grad.data.copy() for _, p in d_phase.named_parameters]
    trainer.step(g_phase, trainer.optimizers[1], x, labels, 1, 1)
    assert all(np.array_equal(g, p.grad.data) for g, (_, p) in zip(d_grads, d_phase.named_parameters))
    assert all(p.grad is not None for _, p in g_phase.named_parameters)


def test_the_epoch_line_and_the_progress_bar_show_both_losses(tmp_path, data):
    lines = []
    Trainer(settings(epochs=1), tmp_path, log=lines.append, data=data).fit()
    [line] = lines
    assert line.startswith("epoch 1/1: train loss -")
    assert ", loss_d " in line and "(val " in line and ", loss_g " in line

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    bar = ProgressBar(1, 3, 10, stream=terminal, interval=0)
    bar.update(4, {"loss_d": 1.2, "loss_g": 0.7}, 1234.0)
    assert terminal.getvalue().startswith("\repoch 1/3  batch 4/10  loss_d 1.2000  loss_g 0.7000  1,234 img/s")


# ----- checkpoints and resuming ---------------------------------------------------------------------
def test_the_checkpoint_holds_both_optimizers(tmp_path, data):
    trainer = Trainer(settings(epochs=1), tmp_path, quiet=True, data=data)
    trainer.fit()
    saved = load_checkpoint(tmp_path / LAST)
    phases = saved.optimizer_state["phases"]
    assert list(phases) == ["loss_d", "loss_g"]
    for (name, optimizer_state), phase in zip(phases.items(), trainer.phases):
        params = [p for _, p in phase.named_parameters]
        assert len(optimizer_state["state"]) == len(params)
        for index, entry in optimizer_state["state"].items():
            assert entry["exp_avg"].shape == params[index].shape
            assert entry["step"] == 4   # 4 batches, one step of each optimizer per batch
    assert (tmp_path / BEST).is_file()


@pytest.mark.parametrize("model, changes", [
    ("gan", {}),
    ("dcgan", {}),
    ("cgan", {"optimizer": "sgd", "lr": 0.01, "schedule": "step", "lr_step": 1, "lr_gamma": 0.5}),
    ("gan", {"optimizer": "adamw", "weight_decay": 0.01, "schedule": "cosine", "clip_grad_norm": 1.0,
             "model_config": {**SMALL["gan"], "loss": "minimax"}}),
])
def test_resume_is_bit_identical(tmp_path, data, model, changes):
    straight = Trainer(settings(model, epochs=3, **changes), tmp_path / "straight", quiet=True, data=data)
    straight.fit()

    Trainer(settings(model, epochs=1, **changes), tmp_path / "resumed", quiet=True, data=data).fit()
    resumed = Trainer.resume(tmp_path / "resumed", epochs=3, quiet=True, data=data)
    assert resumed.epoch == 1
    resumed.fit()

    assert_same_state(state(straight), state(resumed))
    for a, b in zip(straight.optimizers, resumed.optimizers):
        assert a.param_groups[0]["lr"] == b.param_groups[0]["lr"]
    assert [r["lr"] for r in resumed.history] == [r["lr"] for r in straight.history]
    for key in ("train_loss_d", "train_loss_g", "val_loss"):
        assert resumed.history[-1][key] == straight.history[-1][key]


def test_a_gan_killed_mid_epoch_resumes_exactly(tmp_path, data):
    straight = Trainer(settings("dcgan"), tmp_path / "straight", quiet=True, data=data)
    straight.fit()

    def stop(trainer, epoch, batch):
        if (epoch, batch) == (2, 2):
            raise Stop

    killed = Trainer(settings("dcgan"), tmp_path / "killed", quiet=True, data=data, callback=stop)
    with pytest.raises(Stop):
        killed.fit()
    assert load_checkpoint(tmp_path / "killed" / LAST).epoch == 1
    resumed = Trainer.resume(tmp_path / "killed", quiet=True, data=data)
    resumed.fit()
    assert_same_state(state(straight), state(resumed))


def test_a_checkpoint_without_one_phase_is_refused(tmp_path, data):
    Trainer(settings(epochs=1), tmp_path, quiet=True, data=data).fit()
    saved = load_checkpoint(tmp_path / LAST)
    del saved.optimizer_state["phases"]["loss_g"]
    save_checkpoint(tmp_path / LAST, saved)
    with pytest.raises(CheckpointError, match="must hold the optimizer states of the training "
                                              "phases loss_d, loss_g"):
        Trainer.resume(tmp_path, epochs=2, quiet=True, data=data)


def test_a_damaged_phase_state_is_refused_naming_the_phase(tmp_path, data):
    Trainer(settings(epochs=1), tmp_path, quiet=True, data=data).fit()
    saved = load_checkpoint(tmp_path / LAST)
    saved.optimizer_state["phases"]["loss_g"]["state"][0]["exp_avg"] = np.zeros(3, np.float32)
    save_checkpoint(tmp_path / LAST, saved)
    with pytest.raises(CheckpointError, match=r"'optimizer' \(training phase 'loss_g'\): 'exp_avg' "
                                              "of parameter 0"):
        Trainer.resume(tmp_path, epochs=2, quiet=True, data=data)


# ----- the NaN guard ------------------------------------------------------------------------------
def test_nan_guard_names_the_phase_and_keeps_the_last_good_checkpoint(tmp_path, data):
    saved_bytes = {}

    def poison(trainer, epoch, batch):
        if (epoch, batch) == (2, 1):
            saved_bytes["last"] = (tmp_path / LAST).read_bytes()
            trainer.model.discriminator[-1].bias.data[0] = np.nan

    trainer = Trainer(settings(epochs=3), tmp_path, quiet=True, data=data, callback=poison)
    with pytest.raises(TrainingDiverged, match=r"epoch 2, batch 2: the loss_d is nan"):
        trainer.fit()
    assert (tmp_path / LAST).read_bytes() == saved_bytes["last"]
    assert len(read_metrics(tmp_path / METRICS)) == 1


def test_the_gradient_guard_checks_the_generator_phase(tmp_path, data):
    trainer = Trainer(settings(epochs=1), tmp_path, quiet=True, data=data)
    g_phase = trainer.phases[1]
    weight = trainer.model.generator[0].weight
    weight.data[0, 0] = 0.0

    def loss_with_a_nan_gradient(x, labels):
        loss, metrics = g_phase.loss(x, labels)
        w = trainer.model.generator[0].weight
        return loss + mg.ops.sum(mg.ops.sqrt(w * w)) * 0.0, metrics   # d sqrt(w^2)/dw at 0: nan

    trainer.phases[1] = g_phase._replace(loss=loss_with_a_nan_gradient)
    with pytest.raises(TrainingDiverged, match=r"epoch 1, batch 1: the gradient of generator.0.weight"):
        trainer.fit()


def test_the_state_guard_names_the_phase_of_the_optimizer(tmp_path, data):
    trainer = Trainer(settings(epochs=1), tmp_path, quiet=True, data=data)
    trainer.fit()
    checkpoint = trainer.checkpoint()
    check_state_finite(checkpoint)
    checkpoint.optimizer_state["phases"]["loss_g"]["state"][0]["exp_avg_sq"][...] = np.inf
    with pytest.raises(TrainingDiverged, match=r"epoch 1: the loss_g optimizer's exp_avg_sq of "
                                               "parameter 0 is not finite"):
        check_state_finite(checkpoint)


def test_beta1_sets_adams_first_moment_decay_for_both_optimizers(tmp_path, data):
    trainer = Trainer(settings(beta1=0.5), tmp_path, quiet=True, data=data)
    assert [o.param_groups[0]["betas"] for o in trainer.optimizers] == [(0.5, 0.999)] * 2
    assert Trainer(settings(), tmp_path, quiet=True, data=data).optimizers[0].param_groups[0]["betas"] \
        == (0.9, 0.999)
    with pytest.raises(ConfigError, match=r"beta1 must be in \[0, 1\), got 1.0"):
        Trainer(settings(beta1=1.0), tmp_path, quiet=True, data=data)


def test_phases_must_have_distinct_names_and_parameters():
    model = build_model("gan", **SMALL["gan"])
    d, g = model.training_phases()
    check_phases([d, g])
    with pytest.raises(ValueError, match="distinct names"):
        check_phases([d, g._replace(name="loss_d")])
    with pytest.raises(ValueError, match="parameter discriminator.0.weight is trained by two phases"):
        check_phases([d, Phase("other", d.named_parameters[:1], g.loss)])


# ----- the command line ---------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["gan", "dcgan", "cgan"])
def test_train_evaluate_and_sample_from_the_command_line(tmp_path, capsys, model):
    options = [f"--set={key}={','.join(map(str, v)) if isinstance(v, list) else v}"
               for key, v in SMALL[model].items()]
    out = tmp_path / model
    assert run(["train", "--model", model, *options, "--limit", "64", "--epochs", "1", "--lr", "2e-4",
                "--no-figures", "--quiet", "--out", str(out)]) == 0
    [record] = read_metrics(out / METRICS)
    assert {"train_loss_d", "train_loss_g", "val_loss_d", "val_loss_g"} <= set(record)

    capsys.readouterr()
    assert run(["evaluate", str(out / LAST), "--limit", "32", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["loss"] == pytest.approx(-result["loss_d"])
    assert {"loss_g", "d_real", "d_fake"} <= set(result)

    assert run(["sample", str(out / LAST), "--n", "10", "--quiet", "--out", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "samples.png").is_file()
