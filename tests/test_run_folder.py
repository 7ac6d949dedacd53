"""One run per folder: a new run never wipes an old one, two runs never share a folder,
and a killed checkpoint write leaves nothing behind."""
import os
import subprocess
import sys
import textwrap

import pytest

from autoencoders.run_folder import RunFolderError, claim_run_folder
from autoencoders.train import METRICS, Trainer, TrainSettings, load_training_data
from cli_helpers import one_line_error, run

QUICK = ["--limit", "64", "--set", "hidden=8", "--set", "code=2", "--quiet", "--no-figures"]


@pytest.fixture(scope="module")
def data():
    return load_training_data(TrainSettings(limit=64, val_fraction=0.25))


def settings(**changes):
    return TrainSettings(**{"epochs": 1, "limit": 64, "val_fraction": 0.25,
                            "model_config": {"hidden": 8, "code": 2}, **changes})


def test_a_new_run_refuses_a_folder_holding_a_run(tmp_path, capsys):
    assert run(["train", "--epochs", "1", "--out", str(tmp_path), *QUICK]) == 0
    metrics = (tmp_path / METRICS).read_bytes()
    last = (tmp_path / "last.npz").read_bytes()
    assert run(["train", "--epochs", "1", "--seed", "1", "--out", str(tmp_path), *QUICK]) == 2
    one_line_error(capsys, "already holds a run", "--resume", "--overwrite")
    assert (tmp_path / METRICS).read_bytes() == metrics          # nothing was touched
    assert (tmp_path / "last.npz").read_bytes() == last


def test_overwrite_replaces_the_old_run(tmp_path, capsys):
    assert run(["train", "--epochs", "2", "--out", str(tmp_path), *QUICK]) == 0
    (tmp_path / "loss_curves.png").write_bytes(b"old figure")
    assert run(["train", "--epochs", "1", "--seed", "1", "--out", str(tmp_path), "--overwrite", *QUICK]) == 0
    lines = (tmp_path / METRICS).read_text().splitlines()
    assert len(lines) == 1                                       # the new run's epoch only
    assert not (tmp_path / "loss_curves.png").exists()           # no figure of the old run is left


def test_resume_and_overwrite_together_are_refused(tmp_path, capsys):
    assert run(["train", "--out", str(tmp_path), "--resume", "--overwrite", *QUICK]) == 2
    one_line_error(capsys, "--resume", "--overwrite")


def test_the_trainer_refuses_an_occupied_folder(tmp_path, data):
    Trainer(settings(), tmp_path, quiet=True, data=data).fit()
    with pytest.raises(RunFolderError, match="already holds a run"):
        Trainer(settings(seed=3), tmp_path, quiet=True, data=data).fit()
    Trainer(settings(seed=3), tmp_path, quiet=True, data=data, overwrite=True).fit()


def test_resuming_is_not_refused(tmp_path, data):
    Trainer(settings(), tmp_path, quiet=True, data=data).fit()
    resumed = Trainer.resume(tmp_path, epochs=2, quiet=True, data=data)
    assert len(resumed.fit()) == 2


def test_a_second_run_into_a_locked_folder_names_the_first(tmp_path, capsys):
    """The first run is another process holding the lock (as a training run would)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from autoencoders.run_folder import claim_run_folder
            with claim_run_folder({str(tmp_path)!r}):
                print("locked", flush=True)
                time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert run(["train", "--epochs", "1", "--out", str(tmp_path), *QUICK]) == 2
        one_line_error(capsys, "in use by another training run", f"process {holder.pid}")
        assert not (tmp_path / METRICS).exists()
    finally:
        holder.kill()
        holder.wait()
    # the operating system drops the lock of a killed process: the folder is free again
    assert run(["train", "--epochs", "1", "--out", str(tmp_path), *QUICK]) == 0


def test_the_lock_is_released_after_a_run(tmp_path):
    with claim_run_folder(tmp_path):
        pass
    with claim_run_folder(tmp_path):
        pass


def test_temporary_files_of_a_killed_write_are_removed(tmp_path, data):
    """A kill during save_checkpoint leaves '.last.npz.<random>.tmp'; the next run removes it."""
    Trainer(settings(), tmp_path, quiet=True, data=data).fit()
    leftovers = [tmp_path / ".last.npz.k2j4h.tmp", tmp_path / ".best.npz.x9q1.tmp"]
    for path in leftovers:
        path.write_bytes(b"half a checkpoint")
    Trainer.resume(tmp_path, epochs=2, quiet=True, data=data).fit()
    assert not any(path.exists() for path in leftovers)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [".lock"]


def test_out_that_is_a_file(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    assert run(["train", "--epochs", "1", "--out", str(target), *QUICK]) == 2
    one_line_error(capsys, str(target), "is a file")
    assert target.read_text() == "not a folder"


def test_out_that_cannot_be_written(tmp_path, capsys, monkeypatch):
    """A read-only folder (simulated: tests may run as root, who may write anywhere)."""
    import builtins

    real_open = builtins.open

    def read_only_open(file, mode="r", *args, **kwargs):
        if str(file).startswith(str(tmp_path)) and any(c in mode for c in "wax+"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only_open)
    assert run(["train", "--epochs", "1", "--out", str(tmp_path / "run"), *QUICK]) == 2
    one_line_error(capsys, "cannot write to", "Permission denied")
