"""Checkpoints: round trips, atomic writes, safe loading and clear errors."""
import os

import numpy as np
import pytest

import minigrad as mg
from autoencoders import checkpoint as ckpt
from autoencoders.checkpoint import (Checkpoint, CheckpointError, load_checkpoint, load_model,
                                     save_checkpoint)
from autoencoders.models import build_model


def small_checkpoint(epoch=1, model_name="dense"):
    mg.random.seed(0)
    model = build_model("dense", hidden=8, code=2)
    optimizer_state = {  # the shapes of things an optimizer keeps
        "state": {0: {"step": 3, "exp_avg": np.arange(4, dtype=np.float32)},
                  1: {"step": np.int64(3), "momentum_buffer": None}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1]}],
    }
    return model, Checkpoint(
        model_name=model_name, model_config=model.config, model_state=model.state_dict(),
        epoch=epoch, optimizer_state=optimizer_state, scheduler_state={"last_epoch": 2, "base_lrs": [0.1]},
        rng_state={"minigrad": mg.random.get_state()}, history=[{"epoch": 1, "val_loss": 1.5}],
        settings={"lr": 1e-3, "data_dir": None})


def test_round_trip_keeps_values_and_types(tmp_path):
    model, saved = small_checkpoint()
    path = save_checkpoint(tmp_path / "c.npz", saved)
    loaded = load_checkpoint(path)
    assert loaded.model_name == "dense" and loaded.epoch == 1
    assert loaded.model_config == {"hidden": 8, "code": 2}
    for name, array in model.state_dict().items():
        assert loaded.model_state[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded.model_state[name], array)
    state = loaded.optimizer_state
    assert set(state["state"]) == {0, 1}                  # integer keys survive JSON
    assert state["param_groups"][0]["betas"] == (0.9, 0.999)  # tuples too
    assert state["state"][1]["step"] == 3 and isinstance(state["state"][1]["step"], np.int64)
    assert state["state"][0]["exp_avg"].dtype == np.float32
    assert state["state"][1]["momentum_buffer"] is None
    assert loaded.scheduler_state == {"last_epoch": 2, "base_lrs": [0.1]}
    assert loaded.rng_state == saved.rng_state
    assert loaded.history == saved.history and loaded.settings == saved.settings


def test_loads_without_pickle(tmp_path):
    _, saved = small_checkpoint()
    path = save_checkpoint(tmp_path / "c.npz", saved)
    with np.load(path, allow_pickle=False) as archive:   # would raise on any object array
        assert "meta" in archive.files
        assert any(name.startswith("model/") for name in archive.files)


def test_object_arrays_are_refused():
    _, saved = small_checkpoint()
    saved.optimizer_state = {"bad": np.array([object()], dtype=object)}
    with pytest.raises(TypeError):
        save_checkpoint("unused.npz", saved)


def test_load_model_rebuilds_the_same_function(tmp_path):
    model, saved = small_checkpoint()
    path = save_checkpoint(tmp_path / "c.npz", saved)
    loaded, _ = load_model(path)
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    np.testing.assert_array_equal(loaded.reconstruct(x), model.reconstruct(x))
    assert not loaded.training


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "nope.npz")


def test_not_a_checkpoint(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="is not a checkpoint"):
        load_checkpoint(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.zeros(3))
    with pytest.raises(CheckpointError, match="without checkpoint metadata"):
        load_checkpoint(plain)
    other = tmp_path / "other.npz"
    np.savez(other, meta=np.array('{"format": "something-else"}'))
    with pytest.raises(CheckpointError, match="is not a checkpoint"):
        load_checkpoint(other)


def test_checkpoint_of_another_model(tmp_path):
    _, saved = small_checkpoint(model_name="vae")
    path = save_checkpoint(tmp_path / "c.npz", saved)
    with pytest.raises(CheckpointError, match="checkpoint holds model 'vae', you asked for 'dense'"):
        load_checkpoint(path, model_name="dense")


def test_weights_that_do_not_fit_the_config(tmp_path):
    _, saved = small_checkpoint()
    saved.model_config = {"hidden": 9, "code": 2}
    path = save_checkpoint(tmp_path / "c.npz", saved)
    with pytest.raises(CheckpointError, match=r"model array 'encoder.0.weight' does not fit model 'dense': "
                       r"the checkpoint has float32 \(8, 784\), the model float32 \(9, 784\)"):
        load_model(path)


def test_crash_while_writing_keeps_the_old_file(tmp_path, monkeypatch):
    _, first = small_checkpoint(epoch=1)
    path = save_checkpoint(tmp_path / "last.npz", first)
    before = path.read_bytes()

    def crash(f, **arrays):
        f.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")

    _, second = small_checkpoint(epoch=2)
    monkeypatch.setattr(ckpt.writing.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, second)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_checkpoint(path).epoch == 1
    assert os.listdir(tmp_path) == ["last.npz"]          # no temporary file left behind


def test_file_mode_follows_umask(tmp_path):
    _, saved = small_checkpoint()
    path = save_checkpoint(tmp_path / "c.npz", saved)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
