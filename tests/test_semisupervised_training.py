"""Short runs on slices of the embedded digits: M2's loop teaches its classifier well beyond
chance, the Gaussian M2 learns on codes, and the command's pipeline and its one-line errors."""
import json

import numpy as np
import pytest

import minigrad as mg
from autoencoders.data import load_dataset, to_float
from autoencoders.pca import PCA
from autoencoders.semisupervised import experiment
from autoencoders.semisupervised.__main__ import main
from autoencoders.semisupervised.m2 import M2
from autoencoders.semisupervised.splits import balanced_split
from autoencoders.semisupervised.training import LabelledCycle, train_m2


@pytest.fixture(scope="module")
def digits():
    x, y = load_dataset("mnist-5k", split="train")
    tx, ty = load_dataset("mnist-5k", split="test")
    return to_float(x[:1500], flatten=True), y[:1500], to_float(tx[:500], flatten=True), ty[:500]


def test_labelled_cycle_shows_every_labelled_image_before_repeating():
    cycle = LabelledCycle(10, 4, np.random.default_rng(0))
    first = np.concatenate([cycle.next(), cycle.next()])
    assert len(set(first)) == 8
    assert len(cycle.next()) == 4


def test_a_short_m2_run_beats_chance_by_far(digits):
    x, y, tx, ty = digits
    labelled, unlabelled = balanced_split(y, 100, seed=0)
    mg.random.seed(0)
    model = M2(hidden=64, latent=8, classifier_hidden=(64,))
    chance_like = np.mean(model.predict(tx) != ty)
    history = train_m2(model, x[labelled], y[labelled], x[unlabelled], epochs=3, lr=1e-3,
                       evaluate=lambda m: {"test_error": float(np.mean(m.predict(tx) != ty))})
    assert chance_like > 0.7
    assert history[-1]["test_error"] < 0.6       # chance: 0.9
    assert history[-1]["unlabelled"] < history[0]["unlabelled"]     # the bound improves too


def test_the_cosine_schedule_anneals_adams_rate_to_zero_at_the_last_step(digits, monkeypatch):
    x, y, _, _ = digits
    labelled, unlabelled = balanced_split(y, 20, seed=0)
    seen = []
    step = mg.optim.Adam.step

    def recording_step(self):
        seen.append(self.param_groups[0]["lr"])
        return step(self)

    monkeypatch.setattr(mg.optim.Adam, "step", recording_step)
    model = M2(hidden=8, latent=2, classifier_hidden=(8,))
    train_m2(model, x[labelled], y[labelled], x[unlabelled[:300]], epochs=2, batch_size=100, lr=1e-3,
             lr_schedule="cosine")
    t = np.arange(6)                                   # 3 steps an epoch, 2 epochs
    np.testing.assert_allclose(seen, 1e-3 * (1 + np.cos(np.pi * t / 6)) / 2, rtol=1e-12)
    seen.clear()
    train_m2(model, x[labelled], y[labelled], x[unlabelled[:300]], epochs=1, batch_size=100, lr=1e-3)
    assert seen == [1e-3] * 3
    with pytest.raises(ValueError, match="lr_schedule must be one of constant, cosine"):
        train_m2(model, x[labelled], y[labelled], x[unlabelled[:300]], epochs=1, lr_schedule="step")
    # records made before the option existed keep matching: the default is not in the settings
    assert "lr_schedule" not in experiment.Settings().of("m1m2")
    assert experiment.Settings(lr_schedule="cosine").of("m1m2")["lr_schedule"] == "cosine"


def test_the_augmentation_cvae_and_m1_depend_only_on_their_seed(digits):
    """Their initial weights come from their seed, not from the generator's state left by
    whatever ran before (an M2 of 3 or of 20 epochs)."""
    from autoencoders.semisupervised.augmentation import train_cvae
    from autoencoders.semisupervised.m1 import train_m1

    x, y, _, _ = digits
    first = train_cvae(x[:40], y[:40], epochs=1, seed=3).state_dict()
    mg.random.normal(0.0, 1.0, (1000,))                       # the generator moves on
    again = train_cvae(x[:40], y[:40], epochs=1, seed=3).state_dict()
    assert all(np.array_equal(first[k], again[k]) for k in first)
    config = {"hidden": 8, "latent": 2}
    a = train_m1(x[:50], 1, seed=1, config=config)[0].state_dict()
    mg.random.normal(0.0, 1.0, (10,))
    b = train_m1(x[:50], 1, seed=1, config=config)[0].state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_records_merged_by_appending_count_each_run_once(tmp_path):
    settings = experiment.Settings(labels=(100,), draws=3, methods=("m1m2",), data="d")
    done = {"method": "m1m2", "labels": 100, "settings": settings.of("m1m2")}
    main_file, other = tmp_path / "main.jsonl", tmp_path / "other.jsonl"
    main_file.write_text(json.dumps({**done, "draw": 0, "error": 0.06}) + "\n")
    # another folder started from a copy of main's records and ran draws 1 and 2
    other.write_text(main_file.read_text() + "".join(
        json.dumps({**done, "draw": d, "error": e}) + "\n" for d, e in ((1, 0.05), (2, 0.07))))
    with main_file.open("a") as f:
        f.write(other.read_text())
    records = experiment.Records(main_file).current(settings)
    assert sorted((r["draw"], r["error"]) for r in records) == [(0, 0.06), (1, 0.05), (2, 0.07)]
    rerun = {**done, "draw": 1, "error": 0.04}        # a later line for the same run replaces it
    with main_file.open("a") as f:
        f.write(json.dumps(rerun) + "\n")
    assert sorted(r["error"] for r in experiment.Records(main_file).current(settings)) == [0.04, 0.06, 0.07]


def test_a_saved_m2_is_used_only_for_the_settings_it_was_trained_with(tmp_path):
    model = M2(hidden=8, latent=2, classifier_hidden=(8,))
    three, fifty = experiment.Settings(m2_epochs=3).of("m2"), experiment.Settings(m2_epochs=50).of("m2")
    experiment.save_model(model, tmp_path / "m2-100-0.npz", three)
    loaded = experiment.load_m2(tmp_path / "m2-100-0.npz", three)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
    assert experiment.load_m2(tmp_path / "m2-100-0.npz", fifty) is None      # another run's M2
    assert experiment.load_m2(tmp_path / "none.npz", three) is None


def test_gaussian_m2_on_codes_with_fresh_noise_learns(digits):
    """M1 + M2's setting with PCA codes standing in for M1's: a Gaussian M2 on 10-D codes, each
    batch a fresh sample mean + std * eps."""
    x, y, tx, ty = digits
    pca = PCA(10).fit(x)
    scale = pca.transform(x).std(axis=0)
    codes = (pca.transform(x) / scale).astype(np.float32)
    test_codes = (pca.transform(tx) / scale).astype(np.float32)
    std = np.full(codes.shape, 0.1, dtype=np.float32)
    labelled, unlabelled = balanced_split(y, 100, seed=1)
    mg.random.seed(0)
    model = M2(features=10, hidden=32, latent=4, classifier_hidden=(32,), likelihood="gaussian")
    history = train_m2(model, codes[labelled], y[labelled], codes[unlabelled], epochs=4, lr=3e-3,
                       std_l=std[labelled], std_u=std[unlabelled],
                       evaluate=lambda m: {"test_error": float(np.mean(m.predict(test_codes) != ty))})
    assert history[-1]["test_error"] < 0.6       # chance: 0.9
    assert all(np.isfinite(h["loss"]) for h in history)


def test_the_whole_experiment_on_a_slice_and_its_resume(tmp_path, digits, monkeypatch):
    x, y, tx, ty = digits
    monkeypatch.setattr("autoencoders.semisupervised.experiment.M1_CONFIG", {"hidden": 600, "latent": 8})
    settings = experiment.Settings(labels=(100,), draws=2, m1_epochs=1, m2_epochs=1, m1m2_epochs=1,
                                   hidden=16, latent=4, per_class=5, cvae_epochs=1, m1_hidden=32)
    logs = []
    records = experiment.run(settings, x, y, tx, ty, tmp_path, log=logs.append)
    methods = sorted((r["method"], r["draw"]) for r in records)
    assert methods == sorted((m, d) for m in experiment.METHODS for d in range(2))
    assert all(0 <= r["error"] <= 1 for r in records if "error" in r)
    assert set(next(r for r in records if r["method"] == "augment")["accuracy"]) == {"none", "cvae", "m2"}
    page = (tmp_path / "results.md").read_text()
    assert "M1 + M2" in page and "3.33 ± 0.14" in page and "± " in page
    # a second run finds everything done and trains nothing
    again = []
    experiment.run(settings, x, y, tx, ty, tmp_path, log=again.append)
    assert not [line for line in again if "draw" in line]
    assert len((tmp_path / "records.jsonl").read_text().splitlines()) == 8


@pytest.mark.parametrize("argv,message", [
    (["--labels", "105"], "multiple of 10"),
    (["--labels", "1000", "--limit", "900"], "needs 100 images of every digit"),
    (["--method", "m3"], "unknown method 'm3'"),
    (["--draws", "0"], "must be an integer >= 1"),
    (["--first-draw", "2", "--draws", "2"], "--first-draw 2 leaves no draw to run"),
])
def test_command_errors_are_one_line(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) if argv[0] in ("--method", "--draws") else _nothing():
        code = main(["--dataset", "mnist-5k", "--out", str(tmp_path)] + argv)
        assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_command_runs_a_tiny_table(tmp_path, capsys):
    code = main(["--dataset", "mnist-5k", "--limit", "600", "--labels", "100", "--draws", "1",
                 "--method", "m2", "--m2-epochs", "1", "--hidden", "16", "--out", str(tmp_path),
                 "--json", "--quiet"])
    assert code == 0
    captured = capsys.readouterr()
    records = json.loads(captured.out)
    assert [(r["method"], r["labels"]) for r in records] == [("m2", 100)]
    assert captured.err == ""


def test_first_draw_runs_only_the_later_draws(tmp_path, capsys):
    code = main(["--dataset", "mnist-5k", "--limit", "600", "--labels", "100", "--draws", "3",
                 "--first-draw", "2", "--method", "m1", "--m1-epochs", "1", "--out", str(tmp_path),
                 "--json", "--quiet"])
    assert code == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["method"], r["draw"]) for r in records] == [("m1", 2)]


def test_m1_architecture_options_name_their_file_and_records(tmp_path, capsys):
    default = experiment.Settings()
    assert default.of("m1") == {"m1_epochs": 30, "data": ""}          # as the older records
    assert default.m1_file() == "m1.npz" and default.m1_config() == {"hidden": 600, "latent": 50}
    deep = experiment.Settings(m1_hidden=500, m1_layers=2, m1_activation="softplus")
    config = {"hidden": 500, "latent": 50, "layers": 2, "activation": "softplus"}
    assert deep.m1_config() == config
    assert deep.of("m1m2")["m1_config"] == config and deep.m1_file() == "m1-2x500-softplus.npz"
    argv = ["--dataset", "mnist-5k", "--limit", "600", "--labels", "100", "--draws", "1",
            "--method", "m1", "--m1-hidden", "64", "--m1-layers", "2", "--m1-activation",
            "softplus", "--out", str(tmp_path), "--json", "--quiet"]
    assert main(argv + ["--m1-epochs", "1"]) == 2       # 1 epoch on 600 images: all units idle
    err = capsys.readouterr().err
    assert "has no active latent unit after 1 epochs" in err and len(err.strip().splitlines()) == 1
    code = main(argv + ["--m1-epochs", "10"])
    assert code == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["settings"]["m1_config"]["layers"] == 2
    saved = mg.load(tmp_path / "m1-2x64-softplus.npz")
    assert saved["state"]["encoder.2.weight"].shape == (64, 64)
