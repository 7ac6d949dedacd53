"""Damaged and hostile checkpoints, and model widths that cannot be allocated.

Every fault must be one clean error naming the file and what is wrong, found
before anything large is unpacked or allocated:

* bounded reads: unknown members, a zip bomb, a header claiming a 4 TiB array,
  members whose size disagrees with their header, size limits;
* metadata of the wrong type, dangling array references, a version string;
* weights that do not fit the model (names, shapes, dtypes), checked against
  the .npy headers before the data is read;
* ``train --resume`` of a damaged run: a CheckpointError, never a traceback;
* model options too wide to allocate (``--set hidden=1000000000``).
"""
import contextlib
import io
import json
import shutil
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from autoencoders import checkpoint as ckpt
from autoencoders.checkpoint import CheckpointError, load_checkpoint, load_model
from autoencoders.models import MODELS, ConfigError, Option, build_model
from autoencoders.train import LAST, Trainer, TrainSettings
from cli_helpers import run

SMALL_PEAK = 16 * 2**20   # bytes: what a refusal may allocate, far below the arrays involved
WEIGHT = "model/encoder.0.weight"


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A run folder holding the last.npz of a tiny dense model trained for one epoch."""
    folder = tmp_path_factory.mktemp("trained")
    settings = TrainSettings(model="dense", epochs=1, limit=64, model_config={"hidden": 8, "code": 2})
    Trainer(settings, folder, quiet=True).fit()
    return folder


@pytest.fixture
def run_dir(trained_run, tmp_path):
    """A fresh copy of the trained run's last.npz, free to damage."""
    shutil.copy(trained_run / LAST, tmp_path / LAST)
    return tmp_path


def damage(path, change):
    """Rewrite the checkpoint at ``path`` after ``change(arrays, meta)`` edits its members in place."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(str(arrays["meta"]))
    change(arrays, meta)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)


def replace_members(path, members):
    """Rewrite the zip at ``path`` with ``members`` (name -> bytes, or None to drop it)."""
    with zipfile.ZipFile(path) as old:
        kept = {name: old.read(name) for name in old.namelist()}
    kept.update(members)
    with zipfile.ZipFile(path, "w") as new:
        for name, data in kept.items():
            if data is not None:
                new.writestr(name, data)


def npy_header(shape, dtype):
    """The bytes of a .npy header saying ``shape`` and ``dtype`` (no data)."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                               "fortran_order": False, "shape": shape})
    return out.getvalue()


def add_zeros_member(path, name, megabytes):
    """Append a deflated member ``name``: a valid .npy of ``megabytes`` MiB of zeros (a few KiB packed)."""
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(name, "w", force_zip64=True) as f:
            f.write(npy_header((megabytes * 2**18,), np.float32))
            for _ in range(megabytes):
                f.write(bytes(2**20))


@contextlib.contextmanager
def traced_peak():
    """Trace allocations in the block; the dict it yields gets the peak in bytes on exit."""
    peak = {}
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak["bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def one_line_error(info, path):
    """Assert the raised error is one line that names the file; return its text."""
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


# ----- 1. bounded reads -------------------------------------------------------------------
def test_unknown_member_is_refused_before_anything_is_unpacked(run_dir):
    path = run_dir / LAST
    add_zeros_member(path, "junk.npy", megabytes=64)
    with traced_peak() as peak, pytest.raises(CheckpointError, match="member 'junk.npy' is not part of a "
                                              "checkpoint") as info:
        load_checkpoint(path)
    assert peak["bytes"] < SMALL_PEAK
    one_line_error(info, path)


def test_header_claiming_a_huge_array_is_refused_without_allocating_it(run_dir):
    path = run_dir / LAST
    replace_members(path, {f"{WEIGHT}.npy": npy_header((2**40,), np.float32) + bytes(16)})
    with traced_peak() as peak, pytest.raises(CheckpointError, match=r"encoder.0.weight.npy: its header "
                                              r"describes float32 \(1099511627776,\)") as info:
        load_checkpoint(path)
    assert peak["bytes"] < SMALL_PEAK
    one_line_error(info, path)


def test_member_with_more_data_than_its_header_says_is_refused(run_dir):
    path = run_dir / LAST
    replace_members(path, {f"{WEIGHT}.npy": npy_header((3,), np.float32) + bytes(16)})
    with pytest.raises(CheckpointError, match=r"header describes float32 \(3,\) .* but the member holds"):
        load_checkpoint(path)


def test_members_larger_than_max_bytes_are_refused(run_dir):
    assert ckpt.MAX_CHECKPOINT_BYTES >= 2**30
    with pytest.raises(CheckpointError, match="more than the limit of 1000") as info:
        load_checkpoint(run_dir / LAST, max_bytes=1000)
    one_line_error(info, run_dir / LAST)


def test_metadata_larger_than_its_limit_is_refused(run_dir, monkeypatch):
    monkeypatch.setattr(ckpt.reading, "MAX_META_BYTES", 100)  # read there, at each load
    with pytest.raises(CheckpointError, match="member meta.npy unpacks to .* more than the limit of 100"):
        load_checkpoint(run_dir / LAST)


def test_object_arrays_are_refused_naming_the_member(run_dir):
    path = run_dir / LAST
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays["state/0"] = np.array([{"code": "anything"}], dtype=object)   # saved with pickle
    np.savez(path, **arrays)
    with pytest.raises(CheckpointError, match="member state/0.npy holds dtype object"):
        load_checkpoint(path)


def test_corrupted_data_fails_the_crc_check_naming_the_member(run_dir):
    path = run_dir / LAST
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(f"{WEIGHT}.npy")
    name_length, extra_length = np.frombuffer(data, "<u2", 2, info.header_offset + 26)
    start = info.header_offset + 30 + int(name_length) + int(extra_length)  # past the local zip header
    data[start + info.file_size - 1] ^= 0xFF   # the last byte of the stored member's array data
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"member model/encoder.0.weight.npy cannot be read: Bad CRC"):
        load_checkpoint(path)


def test_fortran_order_and_big_endian_arrays_load_as_saved(run_dir):
    """The chunked reader keeps what np.load kept: memory order and byte order."""
    fortran = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    big = np.arange(4, dtype=">f8")

    def add_arrays(arrays, meta):
        arrays["state/90"], arrays["state/91"] = fortran, big
        meta["scheduler"] = {"a": {"__array__": "state/90"}, "b": {"__array__": "state/91"}}

    damage(run_dir / LAST, add_arrays)
    loaded = load_checkpoint(run_dir / LAST).scheduler_state
    np.testing.assert_array_equal(loaded["a"], fortran)
    np.testing.assert_array_equal(loaded["b"], big)
    assert loaded["b"].dtype == np.float64 and loaded["b"].dtype.isnative


# ----- 2. metadata of the wrong type ---------------------------------------------------------
def _set(field, value):
    def change(arrays, meta):
        meta[field] = value
    return change


def _delete(field):
    def change(arrays, meta):
        del meta[field]
    return change


META_DAMAGE = {
    "version string": (_set("version", "2"), "field 'version' must be an int"),
    "model not a str": (_set("model", 5), "field 'model' must be str"),
    "config a list": (_set("config", [8, 2]), "field 'config' must be dict"),
    "negative epoch": (_set("epoch", -1), "field 'epoch' must be an int >= 0"),
    "epoch string": (_set("epoch", "1"), "field 'epoch' must be an int >= 0"),
    "history of numbers": (_set("history", [1, 2]), "field 'history' must be a list of dicts"),
    "settings a list": (_set("settings", []), "field 'settings' must be dict"),
    "rng a string": (_set("rng", "seed 0"), "field 'rng' must be dict"),
    "optimizer a number": (_set("optimizer", 5), "field 'optimizer' must be dict or NoneType"),
    "rng missing": (_delete("rng"), "field 'rng' is missing"),
    "dangling reference": (_set("scheduler", {"m": {"__array__": "state/99"}}),
                           "field 'scheduler' refers to array 'state/99', which the file does not hold"),
    "scalar that is an array": (_set("scheduler", {"n": {"__scalar__": "state/0"}}),
                                "field 'scheduler' refers to 'state/0' as a scalar"),
    "malformed items": (_set("scheduler", {"__items__": 5}), "__items__ tag whose value is not a list"),
    "unhashable key": (_set("scheduler", {"__items__": [[[1], 2]]}), "dict key .* not a number or a string"),
    "array in config": (_set("config", {"hidden": {"__array__": "state/0"}}), "field 'config' holds arrays"),
}


@pytest.mark.parametrize("name", META_DAMAGE)
def test_metadata_of_the_wrong_type_is_one_clean_error(run_dir, name):
    change, message = META_DAMAGE[name]
    damage(run_dir / LAST, change)
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(run_dir / LAST)
    one_line_error(info, run_dir / LAST)


# ----- 3. weights checked against the model ---------------------------------------------------
def _retype(dtype):
    def change(arrays, meta):
        arrays[WEIGHT] = arrays[WEIGHT].astype(dtype)
    return change


def _drop(arrays, meta):
    del arrays[WEIGHT]


def _extra(arrays, meta):
    arrays["model/encoder.9.weight"] = np.zeros(3, np.float32)


def _reshape(arrays, meta):
    arrays["model/decoder.2.bias"] = np.zeros(5, np.float32)


WEIGHT_DAMAGE = {
    "complex": (_retype(np.complex64), r"'encoder.0.weight' does not fit model 'dense': the checkpoint "
                r"has complex64 \(8, 784\), the model float32 \(8, 784\)"),
    "integer": (_retype(np.int32), r"'encoder.0.weight' does not fit .* has int32 \(8, 784\)"),
    "float64": (_retype(np.float64), r"'encoder.0.weight' does not fit .* has float64 \(8, 784\)"),
    "missing": (_drop, "model array 'encoder.0.weight' is missing"),
    "unexpected": (_extra, "model array 'encoder.9.weight' is not an array of model 'dense'"),
    "wrong shape": (_reshape, r"'decoder.2.bias' does not fit .* float32 \(5,\), the model float32 \(784,\)"),
}


@pytest.mark.parametrize("name", WEIGHT_DAMAGE)
def test_weights_that_do_not_fit_the_model_are_refused(run_dir, name):
    change, message = WEIGHT_DAMAGE[name]
    damage(run_dir / LAST, change)
    with pytest.raises(CheckpointError, match=message) as info:
        load_model(run_dir / LAST)
    one_line_error(info, run_dir / LAST)


def test_weights_are_checked_before_their_data_is_read(run_dir):
    path = run_dir / LAST
    replace_members(path, {f"{WEIGHT}.npy": None})
    add_zeros_member(path, f"{WEIGHT}.npy", megabytes=32)   # back, 32 MiB wide
    with traced_peak() as peak, pytest.raises(CheckpointError, match=r"'encoder.0.weight' does not fit .* "
                                              r"float32 \(8388608,\), the model float32 \(8, 784\)"):
        load_model(path)
    assert peak["bytes"] < SMALL_PEAK


def test_a_config_that_builds_no_model_is_a_checkpoint_error(run_dir):
    damage(run_dir / LAST, _set("config", {"hidden": "wide", "code": 2}))
    with pytest.raises(CheckpointError, match="fields 'model' and 'config' do not make a model: "
                       "option 'hidden'") as info:
        load_model(run_dir / LAST)
    one_line_error(info, run_dir / LAST)


# ----- 4. resuming a damaged run ----------------------------------------------------------------
def _settings(key, value):
    def change(arrays, meta):
        meta["settings"][key] = value
    return change


def _optimizer_array(array):
    """Replace the exp_avg of parameter 0 (the member its reference names) with ``array``."""
    def change(arrays, meta):
        index, state = meta["optimizer"]["state"]["__items__"][0]
        assert index == 0
        arrays[state["exp_avg"]["__array__"]] = array
    return change


def _optimizer_lr(arrays, meta):
    meta["optimizer"]["param_groups"][0]["lr"] = "fast"


def _rng(value):
    def change(arrays, meta):
        meta["rng"]["minigrad"] = value
    return change


def _wide_config(arrays, meta):
    meta["settings"]["model_config"]["hidden"] = 10**9


def _history_without_val_loss(arrays, meta):
    del meta["history"][0]["val_loss"]


RESUME_DAMAGE = {
    "missing key": (_drop, "model array 'encoder.0.weight' is missing"),
    "wrong shape": (_reshape, "'decoder.2.bias' does not fit"),
    "wrong dtype": (_retype(np.float64), "'encoder.0.weight' does not fit .* float64"),
    "complex weights": (_retype(np.complex128), "'encoder.0.weight' does not fit .* complex128"),
    "settings a list": (_set("settings", [1]), "field 'settings'"),
    "setting of the wrong type": (_settings("lr", "fast"), "setting 'lr' must be like 0.002"),
    "setting out of range": (_settings("batch_size", 0), "field 'settings': batch size must be >= 1"),
    "model too wide": (_wide_config, "field 'settings': option 'hidden' must be <= 16384"),
    "dangling reference": (_set("scheduler", {"m": {"__array__": "state/99"}}), "refers to array 'state/99'"),
    "version string": (_set("version", "1"), "field 'version'"),
    "optimizer array shape": (_optimizer_array(np.zeros(3, np.float32)),
                              r"field 'optimizer': 'exp_avg' of parameter 0 is float32 \(3,\), "
                              r"the parameter float32 \(8, 784\)"),
    "optimizer array dtype": (_optimizer_array(np.zeros((8, 784))), "'exp_avg' of parameter 0 is float64"),
    "optimizer option type": (_optimizer_lr, "parameter group 0: option 'lr' must be like"),
    "optimizer groups": (_set("optimizer", {"state": {}, "param_groups": []}), "0 parameter groups"),
    "rng of the wrong type": (_rng("seed 0"), "field 'rng' holds no usable 'minigrad' random state"),
    "rng of another generator": (_rng({"bit_generator": "MT19937"}), "field 'rng'"),
    "history record": (_history_without_val_loss, "field 'history' has a record without a val_loss"),
}


def test_an_undamaged_run_resumes(run_dir):
    trainer = Trainer.resume(run_dir, quiet=True)
    assert trainer.epoch == 1


@pytest.mark.parametrize("name", RESUME_DAMAGE)
def test_resuming_a_damaged_run_is_a_checkpoint_error(run_dir, name):
    change, message = RESUME_DAMAGE[name]
    damage(run_dir / LAST, change)
    with pytest.raises(CheckpointError, match=message) as info:
        Trainer.resume(run_dir, quiet=True)
    one_line_error(info, run_dir / LAST)


@pytest.mark.parametrize("name", RESUME_DAMAGE)
def test_train_resume_of_a_damaged_run_exits_2_with_one_line(run_dir, name, capsys):
    change, message = RESUME_DAMAGE[name]
    damage(run_dir / LAST, change)
    capsys.readouterr()
    assert run(["train", "--out", str(run_dir), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("autoencoders train: error: ") and str(run_dir / LAST) in err


# ----- 5. model widths are bounded ----------------------------------------------------------------
def test_option_max_is_checked_like_min():
    option = Option(4, "a width", min=1, max=8)
    assert option.check("n", 8) == 8
    with pytest.raises(ConfigError, match=r"^option 'n' must be <= 8, got 9$"):
        option.check("n", 9)
    widths = Option((4, 2), "widths", min=1, max=8)
    assert widths.check("w", [8, 1]) == (8, 1)
    with pytest.raises(ConfigError, match=r"option 'w' must be <= 8, got \(2, 9\)"):
        widths.check("w", "2,9")
    with pytest.raises(ConfigError, match="option 'w' must be a tuple of ints"):
        widths.check("w", ["a", 2])


def test_a_huge_width_is_a_config_error_without_allocating():
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="option 'hidden' must be <= 16384, got 1000000000"):
        build_model("dense", hidden=10**9)
    with pytest.raises(ConfigError, match="option 'widths' must be <= 16384"):
        build_model("deep", widths=(64, 10**9))
    assert time.perf_counter() - start < 1.0


def test_every_int_option_of_every_model_has_a_max():
    for name, cls in MODELS.items():
        for key, option in cls.options.items():
            if isinstance(option.default, (int, tuple)) and not isinstance(option.default, bool):
                assert option.max is not None, f"{name}: option {key!r} has no max"
                build_model(name, **{key: option.default})   # the default is within it


def test_train_with_a_huge_width_exits_2_with_one_line(tmp_path, capsys):
    assert run(["train", "--set", "hidden=1000000000", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "autoencoders train: error: option 'hidden' must be <= 16384, got 1000000000"]
