"""An M2 run stopped between epochs goes on from its saved state and ends exactly as a run that
never stopped; a state file of another run is ignored, a damaged one named, a non-finite one
never written; the experiment removes a draw's state once the draw is recorded."""
import numpy as np
import pytest

import minigrad as mg
from autoencoders.checkpoint import CheckpointError
from autoencoders.data import load_dataset, to_float
from autoencoders.semisupervised import experiment
from autoencoders.semisupervised.m2 import M2
from autoencoders.semisupervised.run_state import RunParts, save_run
from autoencoders.semisupervised.splits import balanced_split
from autoencoders.semisupervised.training import LabelledCycle, train_m2


@pytest.fixture(scope="module")
def codes():
    """Gaussian 'codes' (a mean and a std per feature) of 400 digits: the M1 + M2 case, whose
    batches also draw noise from numpy's generator."""
    x, y = load_dataset("mnist-5k", split="train")
    x = to_float(x[:400], flatten=True)
    mean = (x @ np.random.default_rng(1).standard_normal((784, 6)).astype(np.float32)) / 10
    std = np.full_like(mean, 0.3)
    return mean, std, y[:400]


class Stop(Exception):
    pass


def train(codes, epochs, checkpoint, init_seed=0, stop_at=None, lr=3e-3):
    mean, std, y = codes
    labelled, unlabelled = balanced_split(y, 20, seed=0)
    mg.random.seed(init_seed)
    model = M2(features=mean.shape[1], likelihood="gaussian", hidden=8, latent=2,
               classifier_hidden=(8,))

    def evaluate(m):
        if stop_at is not None and len(seen) + 1 == stop_at:
            raise Stop()              # as if the process died before this epoch was saved
        seen.append(1)
        return {"error": float(np.mean(m.predict(mean) != y))}
    seen = []
    history = train_m2(model, mean[labelled], y[labelled], mean[unlabelled], epochs,
                       batch_size=100, labelled_batch=10, lr=lr, lr_schedule="cosine",
                       std_l=std[labelled], std_u=std[unlabelled], evaluate=evaluate,
                       checkpoint=checkpoint)
    return model, history


def same_run(history_a, history_b):
    drop = ("seconds", "elapsed")
    return [{k: v for k, v in h.items() if k not in drop} for h in history_a] == \
        [{k: v for k, v in h.items() if k not in drop} for h in history_b]


def test_a_stopped_run_resumes_to_exactly_the_uninterrupted_result(codes, tmp_path):
    whole, whole_history = train(codes, 3, tmp_path / "whole.npz")
    with pytest.raises(Stop):
        train(codes, 3, tmp_path / "stopped.npz", stop_at=3)       # epochs 1 and 2 saved
    saved = mg.load(tmp_path / "stopped.npz")
    assert [h["epoch"] for h in saved["history"]] == [1, 2]
    # a fresh process: other initial weights, which the saved state replaces
    resumed, resumed_history = train(codes, 3, tmp_path / "stopped.npz", init_seed=7)
    assert [h["epoch"] for h in resumed_history] == [1, 2, 3]
    assert same_run(resumed_history, whole_history)
    for name, value in whole.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value, err_msg=name)
    assert resumed_history[-1]["elapsed"] >= resumed_history[1]["elapsed"] > 0


def test_the_state_of_another_run_is_not_used(codes, tmp_path):
    path = tmp_path / "state.npz"
    train(codes, 2, path, lr=1e-2)
    fresh, fresh_history = train(codes, 2, None)
    other, other_history = train(codes, 2, path)                     # lr differs: starts again
    assert same_run(other_history, fresh_history)
    assert mg.load(path)["history"][-1]["epoch"] == 2


def test_a_damaged_state_file_is_named(codes, tmp_path):
    path = tmp_path / "m2-100-0.run-state.npz"
    path.write_bytes(b"not an npz file")
    with pytest.raises(CheckpointError, match="m2-100-0.run-state.npz: unreadable M2 run state"):
        train(codes, 1, path)


def test_non_finite_weights_are_never_saved(tmp_path):
    model = M2(features=4, likelihood="gaussian", hidden=3, latent=2, classifier_hidden=(3,))
    model.dec_out.weight.data[0, 0] = np.nan
    rng = np.random.default_rng(0)
    parts = RunParts(model, mg.optim.Adam(model.parameters()), None, rng, LabelledCycle(4, 2, rng))
    with pytest.raises(FloatingPointError, match="dec_out.weight is not finite"):
        save_run(tmp_path / "state.npz", {"run": 1}, parts, [{"epoch": 1}])
    assert not (tmp_path / "state.npz").exists()


def test_the_experiment_resumes_a_draw_and_then_removes_its_state(tmp_path, monkeypatch):
    x, y = load_dataset("mnist-5k", split="train")
    tx, ty = load_dataset("mnist-5k", split="test")
    x, y, tx, ty = to_float(x[:600], flatten=True), y[:600], to_float(tx[:200], flatten=True), ty[:200]
    settings = experiment.Settings(labels=(100,), draws=1, methods=("m2",), m2_epochs=2, hidden=8,
                                   latent=2)
    whole = experiment.run(settings, x, y, tx, ty, tmp_path / "whole", log=lambda line: None)
    evaluations = []
    error_of = experiment.error_of

    def dying_error_of(model, images, labels):
        evaluations.append(1)
        if len(evaluations) == 2:
            raise Stop()
        return error_of(model, images, labels)
    monkeypatch.setattr(experiment, "error_of", dying_error_of)
    with pytest.raises(Stop):
        experiment.run(settings, x, y, tx, ty, tmp_path / "stopped", log=lambda line: None)
    state = tmp_path / "stopped" / "m2-100-0.run-state.npz"
    assert state.is_file()
    monkeypatch.setattr(experiment, "error_of", error_of)
    lines = []
    resumed = experiment.run(settings, x, y, tx, ty, tmp_path / "stopped", log=lines.append)
    assert any("resumed from" in line and "after epoch 1/2" in line for line in lines)
    assert not state.exists()
    assert resumed[0]["error"] == whole[0]["error"]
    assert same_run(resumed[0]["history"], whole[0]["history"])
