"""The applications: known answers on tiny inputs, the commands end to end, the report's smoke run."""
import json
import re

import numpy as np
import pytest

from autoencoders.apps import anomaly, augment, classifier, denoise, features, generate, latent, search
from autoencoders.apps.common import decode, embed
from cli_helpers import run
from autoencoders.metrics import psnr
from autoencoders.models import build_model


def tiny(name, **config):
    import minigrad as mg
    mg.random.seed(0)
    model = build_model(name, **config)
    model.eval()
    return model


@pytest.fixture
def images(rng):
    return rng.random((12, 784)).astype(np.float32)


# ----- latent ---------------------------------------------------------------------------------------
def test_interpolation_endpoints_decode_from_the_endpoint_codes(images):
    model = tiny("dense", hidden=16, code=3)
    rows = latent.interpolate(model, images[0], images[1], steps=5)
    za, zb = embed(model, images[:2])
    np.testing.assert_allclose(rows[0], decode(model, za[None])[0], atol=1e-6)
    np.testing.assert_allclose(rows[-1], decode(model, zb[None])[0], atol=1e-6)
    np.testing.assert_allclose(rows[2], decode(model, ((za + zb) / 2)[None])[0], atol=1e-5)


def test_conditional_interpolation_needs_a_label(images):
    model = tiny("cvae", hidden=8, latent=2)
    with pytest.raises(ValueError, match="conditional"):
        latent.interpolate(model, images[0], images[1])
    assert latent.interpolate(model, images[0], images[1], steps=3, label=4).shape == (3, 784)


def test_manifold_needs_a_2d_vae():
    grid = latent.manifold(tiny("vae", hidden=8, latent=2), n=4)
    assert grid.shape == (16, 784) and grid.min() >= 0 and grid.max() <= 1
    with pytest.raises(ValueError, match="2-D latent"):
        latent.manifold(tiny("vae", hidden=8, latent=3))
    with pytest.raises(ValueError, match="2-D latent"):
        latent.manifold(tiny("dense", hidden=8, code=2))


def test_interpolation_pairs_join_a_digit_to_the_next_or_to_itself():
    labels = np.array([1, 0, 2, 1, 0, 2])
    assert latent.interpolation_pairs(tiny("dense", hidden=8, code=2), labels) == [(1, 0), (0, 2), (2, 1)]
    assert latent.interpolation_pairs(tiny("cvae", hidden=8, latent=2), labels) == [(1, 4), (0, 3), (2, 5)]


def test_run_returns_numbers_and_pictures_and_writes_nothing(rng, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    images = (rng.random((30, 28, 28)) * 255).astype(np.uint8)
    labels = np.arange(30) % 3
    result = latent.run(tiny("vae", hidden=8, latent=2), images, labels, steps=3, grid=2)
    assert list(tmp_path.iterdir()) == []
    assert set(result.numbers) == {"model", "code_width", "agreement_at_10"}
    assert list(result.pictures) == ["latent_scatter", "manifold", "interpolation"]
    assert result.pictures["interpolation"].images.shape == (3 * 3, 784)
    path = result.pictures["manifold"].save(tmp_path / "m.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_latent_grid_is_even_in_probability():
    values = latent.latent_grid_values(3, 0.05, 0.95)
    np.testing.assert_allclose(values, [-1.6448536, 0.0, 1.6448536], atol=1e-6)


def test_project_2d_keeps_2d_codes_and_projects_wider(rng):
    codes = rng.normal(size=(50, 2))
    np.testing.assert_array_equal(latent.project_2d(codes), codes)
    wide = np.column_stack([codes * [10, 3], 1e-3 * rng.normal(size=(50, 3))])
    assert latent.project_2d(wide).shape == (50, 2)


def test_neighbourhood_agreement_of_separated_clusters(rng):
    points = np.concatenate([rng.normal(size=(20, 2)), 100 + rng.normal(size=(20, 2))])
    labels = np.repeat([0, 1], 20)
    assert latent.neighbourhood_agreement(points, labels, k=5) == 1.0


# ----- search -------------------------------------------------------------------------------------
def test_nearest_neighbours_by_hand():
    database = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [0.0, 10.0]])
    np.testing.assert_array_equal(search.nearest_neighbours([[0.9, 0.0]], database, 3), [[1, 0, 2]])
    # cosine looks at directions only: (0, 5) points the same way as (0, 10)
    np.testing.assert_array_equal(search.nearest_neighbours([[0.0, 5.0]], database[1:], 1, "cosine"), [[2]])


def test_nearest_neighbours_match_brute_force(rng):
    q, db = rng.normal(size=(30, 4)), rng.normal(size=(200, 4))
    dist = ((q[:, None] - db[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(search.nearest_neighbours(q, db, 7, chunk=8),
                                  np.argsort(dist, axis=1)[:, :7])


def test_search_precision_on_a_hand_built_set():
    # database: label 0 near x = 0, label 1 near x = 10; one label-1 point sits at x = 1
    db = np.array([[0.0], [0.5], [1.0], [10.0], [10.5]])
    db_labels = np.array([0, 0, 1, 1, 1])
    queries, query_labels = np.array([[0.2], [10.2]]), np.array([0, 1])
    # query 0: neighbours 0, 1, 2 -> labels 0, 0, 1; query 1: 3 or 4 first, then 4 or 3, then 2 -> 1,1,1
    result = search.search_precision(queries, query_labels, db, db_labels, ks=(1, 2, 3))
    assert result == {1: 1.0, 2: 1.0, 3: pytest.approx((2 / 3 + 1) / 2)}


# ----- generate -----------------------------------------------------------------------------------
def test_generate_refuses_models_that_cannot():
    with pytest.raises(generate.NotGenerative, match="not generative"):
        generate.prior_samples(tiny("dense", hidden=8, code=2), 4)
    with pytest.raises(generate.NotGenerative, match="not conditional"):
        generate.class_grid(tiny("vae", hidden=8, latent=2))


def test_class_grid_has_one_row_per_digit():
    grid = generate.class_grid(tiny("cvae", hidden=8, latent=2), per_class=3)
    assert grid.shape == (30, 784) and 0 <= grid.min() and grid.max() <= 1
    samples = generate.prior_samples(tiny("vae", hidden=8, latent=2), 5, seed=1)
    np.testing.assert_array_equal(samples, generate.prior_samples(tiny("vae", hidden=8, latent=2), 5, seed=1))


def test_independent_pixels_nll_by_hand():
    train = np.array([[1.0, 0.0, 0.5, 0.5]] * 2)     # means 1, 0, 0.5, 0.5 (clipped at 1e-3)
    test = np.array([[1.0, 0.0, 1.0, 0.0]])
    # -log p = -log(0.999) - log(0.999) - log(0.5) - log(0.5)
    expected = -2 * np.log(0.999) - 2 * np.log(0.5)
    np.testing.assert_allclose(generate.independent_pixels_nll(train, test), [expected])


# ----- denoise ------------------------------------------------------------------------------------
def test_noise_levels_and_table(images):
    np.testing.assert_array_equal(denoise.add_noise(images, "masking", 0.0), images)
    masked = denoise.add_noise(images, "masking", 0.5, seed=3)
    assert 0.4 < np.mean(masked == 0) < 0.6
    noisy = denoise.add_noise(images, "gaussian", 0.5)
    assert noisy.min() >= 0 and noisy.max() <= 1
    model = tiny("dense", hidden=8, code=3)
    rows = denoise.denoise_table(model, images, images, {"gaussian": (0.2,)}, seed=1)
    assert rows[0]["noisy"] == pytest.approx(psnr(images, denoise.add_noise(images, "gaussian", 0.2, 1)))
    assert set(rows[0]) == {"noise", "level", "noisy", "model", "pca"}


# ----- anomaly ------------------------------------------------------------------------------------
def test_pca_error_separates_a_different_kind_of_image(rng):
    # normal: images living on a 2-D subspace; anomalies: anything else -> AUROC 1
    from autoencoders.metrics import auroc
    from autoencoders.pca import PCA
    basis = rng.normal(size=(2, 784))
    normal = 0.5 + 0.01 * rng.normal(size=(40, 2)) @ basis
    odd = 0.5 + 0.01 * rng.normal(size=(10, 784))
    pca = PCA(2).fit(normal[:30])
    scores = anomaly.pca_reconstruction_error(pca, np.concatenate([normal[30:], odd]))
    assert auroc(scores, np.r_[np.zeros(10), np.ones(10)]) == 1.0


def test_negative_elbo_is_finite_and_repeatable(images):
    model = tiny("vae", hidden=8, latent=2)
    a, b = anomaly.negative_elbo(model, images, samples=3), anomaly.negative_elbo(model, images, samples=3)
    assert a.shape == (12,) and np.all(np.isfinite(a)) and np.all(a > 0)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="needs a vae"):
        anomaly.negative_elbo(tiny("dense", hidden=8, code=2), images)


def test_one_class_auroc_runs_the_protocol(rng, tmp_path):
    train = (rng.random((60, 28, 28)) * 255).astype(np.uint8)
    labels = np.repeat([0, 1, 2], 20)
    result = anomaly.one_class_auroc(train, labels, train[:30], labels[::2], "vae",
                                     {"hidden": 8, "latent": 2}, epochs=1, out_dir=tmp_path,
                                     classes=(0, 1))
    assert set(result["auroc"]) == {"vae recon", "vae -ELBO", "PCA-2 recon"}
    assert all(len(v) == 2 and all(0 <= a <= 1 for a in v) for v in result["auroc"].values())


# ----- classifier, features, augment ---------------------------------------------------------------
def test_classifier_learns_separable_data_deterministically(rng):
    x = np.concatenate([rng.normal(size=(30, 5)) - 3, rng.normal(size=(30, 5)) + 3])
    y = np.repeat([0, 1], 30)
    first = classifier.SoftmaxRegression(classes=2, epochs=5, min_steps=50).fit(x, y)
    second = classifier.SoftmaxRegression(classes=2, epochs=5, min_steps=50).fit(x, y)
    assert first.score(x, y) == 1.0
    np.testing.assert_array_equal(first.logits(x), second.logits(x))


def test_standardizer_leaves_constant_columns_at_zero():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    np.testing.assert_allclose(classifier.Standardizer().fit(x).transform(x), [[-1, 0], [1, 0]])


def test_labelled_subset_is_balanced():
    labels = np.repeat(np.arange(10), 50)
    index = features.labelled_subset(labels, 100, seed=0)
    assert len(index) == 100 and np.all(np.bincount(labels[index]) == 10)
    assert len(features.labelled_subset(labels, None)) == 500


def test_feature_table_refuses_conditional_codes(images):
    with pytest.raises(ValueError, match="reads the label"):
        features.feature_spaces(tiny("cvae", hidden=8, latent=2), images, images)


def test_augment_generated_set_labels():
    x, y = augment.generated_set(tiny("cvae", hidden=8, latent=2), per_class=2)
    assert x.shape == (20, 784)
    np.testing.assert_array_equal(y, np.repeat(np.arange(10), 2))


# ----- the commands, end to end on a slice of the embedded digits -----------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Checkpoints of a dense AE, a 2-D VAE and a CVAE after one short epoch."""
    out = tmp_path_factory.mktemp("apps")
    for name, sets in (("dense", ["hidden=32", "code=4"]), ("vae", ["hidden=32", "latent=2"]),
                       ("cvae", ["hidden=32", "latent=2"])):
        argv = ["train", "--model", name, "--epochs", "1", "--limit", "300", "--out", str(out / name),
                "--quiet", "--no-figures"]
        for s in sets:
            argv += ["--set", s]
        assert run(argv) == 0
    return out


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


SLICE = ["--limit", "300"]


def test_generate_command(runs, tmp_path, capsys):
    assert run(["generate", str(runs / "cvae/last.npz"), "--out", str(tmp_path), "--k", "2", "--json",
                *SLICE]) == 0
    result = last_json(capsys)
    assert result["model_nll"] > 0 and result["independent_pixels_nll"] > 0
    assert (tmp_path / "samples.png").is_file() and (tmp_path / "class_grid.png").is_file()


def test_generate_on_a_dense_checkpoint_is_a_clear_error(runs, capsys):
    assert run(["generate", str(runs / "dense/last.npz"), *SLICE]) == 2
    err = capsys.readouterr().err
    assert "not generative" in err and "Traceback" not in err and err.count("\n") == 1


def test_latent_command_writes_the_manifold_for_a_2d_vae(runs, tmp_path, capsys):
    assert run(["latent", str(runs / "vae/last.npz"), "--out", str(tmp_path), "--grid", "5", "--json",
                *SLICE]) == 0
    assert set(last_json(capsys)["agreement_at_10"]) == {"vae code in 2-D", "PCA-2 of pixels"}
    for name in ("latent_scatter.png", "manifold.png", "interpolation.png"):
        assert (tmp_path / name).is_file(), name


@pytest.mark.parametrize("app", ["denoise", "search", "features"])
def test_checkpoint_commands(app, runs, tmp_path, capsys):
    extra = ["--counts", "100,all", "--classifier-epochs", "2", "--classifier-steps", "10"] \
        if app == "features" else ["--out", str(tmp_path)]
    assert run([app, str(runs / "dense/last.npz"), "--json", *SLICE, *extra]) == 0
    result = last_json(capsys)
    assert result["model"] == "dense"


def test_search_on_a_cvae_is_a_clear_error(runs, capsys):
    assert run(["search", str(runs / "cvae/last.npz"), *SLICE]) == 2
    assert "reads the label" in capsys.readouterr().err


def test_anomaly_and_augment_commands(tmp_path, capsys):
    assert run(["anomaly", "--model", "dense", "--set", "hidden=16", "--set", "code=4", "--epochs", "1",
                "--classes", "3", "--runs", str(tmp_path / "an"), "--out", str(tmp_path / "an"),
                "--limit", "400", "--json"]) == 0
    result = last_json(capsys)
    assert set(result["auroc"]) == {"dense recon", "PCA-4 recon"}
    assert (tmp_path / "an" / "anomaly_auroc.png").is_file()      # the figure its help promises
    assert run(["augment", "--epochs", "1", "--per-class", "5", "--runs", str(tmp_path / "aug"),
                "--out", str(tmp_path), "--classifier-epochs", "2", "--classifier-steps", "10",
                "--json"]) == 0
    result = last_json(capsys)
    assert result["labelled"] == 100 and result["generated"] == 50
    assert 0 <= result["baseline"][0] <= 1 and 0 <= result["augmented"][0] <= 1


# ----- what a person reads: tables with units and baselines, progress lines -------------------------
def table_of(argv, capsys):
    """stdout and stderr of a command run without --json."""
    assert run(argv) == 0
    return capsys.readouterr()


def test_generate_prints_a_table_with_units_and_the_baseline(runs, tmp_path, capsys):
    out, err = table_of(["generate", str(runs / "vae/last.npz"), "--out", str(tmp_path), "--k", "2",
                         "--limit", "100"], capsys)
    assert "nats per image" in out and "lower is better" in out
    header, rule, row = out.splitlines()[3:6]
    assert "-log p(x)" in header and "baseline: independent pixels" in header
    assert set(rule) <= {"-", " "}
    numbers = re.findall(r"(\d+\.\d\d) nats", row)
    assert len(numbers) == 2                           # the model's number beside the baseline's
    assert "{" not in out                              # not JSON
    assert "generate: -log p(x) on 100 test images (k=2)..." in err


@pytest.mark.parametrize("argv, unit, baseline", [
    (["latent", "vae/last.npz", "--grid", "3"], "% of each point's 10 nearest", "baseline: PCA-2 of pixels"),
    (["denoise", "dense/last.npz"], "dB, higher is better", "baseline: PCA-4"),
    (["search", "dense/last.npz"], "% of the k nearest", "baseline: pixels"),
    (["features", "dense/last.npz", "--counts", "100", "--classifier-epochs", "1",
      "--classifier-steps", "5"], "% of the test images", "baseline: PCA-4"),
])
def test_application_tables_have_units_and_baselines(argv, unit, baseline, runs, tmp_path, capsys):
    extra = [] if argv[0] == "features" else ["--out", str(tmp_path)]
    out, err = table_of([argv[0], str(runs / argv[1]), *argv[2:], "--limit", "200", *extra], capsys)
    assert unit in out and baseline in out
    assert err.startswith(f"{argv[0]}: ") and err.splitlines()[0].endswith("...")   # what it computes
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line and set(line) <= {"-", " "})
    header, body = lines[rule - 1], [line for line in lines[rule + 1:] if line][:1]
    assert body and len(body[0].split()) >= len(header.split("  ")) - 1   # a value under each column


def test_anomaly_prints_a_line_per_class_and_a_table(tmp_path, capsys):
    out, err = table_of(["anomaly", "--set", "hidden=16", "--set", "code=4", "--epochs", "1",
                         "--classes", "3,5", "--runs", str(tmp_path), "--out", str(tmp_path),
                         "--limit", "400"], capsys)
    assert "anomaly: normal class 3: training dense" in err and "anomaly: normal class 5:" in err
    assert "AUROC" in out and "0.5 = chance" in out and "baseline: PCA-4 recon" in out
    assert re.search(r"^mean\s+\d\.\d{3}\s+\d\.\d{3}$", out, re.MULTILINE), out


def test_quiet_leaves_only_the_results(runs, tmp_path, capsys):
    assert run(["latent", str(runs / "vae/last.npz"), "--out", str(tmp_path), "--grid", "3", "--quiet",
                "--limit", "200"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "agreement" in out
    assert run(["generate", str(runs / "vae/last.npz"), "--out", str(tmp_path), "--k", "2", "--quiet",
                "--json", "--limit", "100"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out)["k"] == 2


def test_json_is_the_numbers_as_before(runs, tmp_path, capsys):
    """--json: one line, the numbers of the application's run, with full precision."""
    assert run(["denoise", str(runs / "dense/last.npz"), "--out", str(tmp_path), "--json",
                "--limit", "200"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    numbers = json.loads(out)
    assert set(numbers) == {"model", "pca_components", "psnr"} and numbers["pca_components"] == 4
    assert set(numbers["psnr"][0]) == {"noise", "level", "noisy", "model", "pca"}


def test_report_smoke_writes_under_runs_by_default(tmp_path, monkeypatch, capsys):
    """Without --out the report goes to runs/report-<preset>/ (it used to overwrite
    docs/applications-results.md); regenerating the published page takes --out docs."""
    monkeypatch.chdir(tmp_path)
    assert run(["report", "--smoke"]) == 0
    out = tmp_path / "runs" / "report-smoke"
    assert not (tmp_path / "docs").exists()
    page = (out / "applications-results.md").read_text()
    for title in ("Generate", "Latent space", "Denoise", "Anomaly detection", "Search",
                  "Features for a classifier", "Augmentation with a CVAE"):
        assert f"## {title}" in page
    for link in page.split("](")[1:]:
        target = link.split(")")[0]
        if target.endswith(".png"):
            assert (out / target).is_file(), target
    assert "--checkpoint" not in page                  # its commands use the one grammar
    err = capsys.readouterr().err
    for line in ("Generate (1/7)...", "Anomaly detection (4/7)...", "training dense (1/5)"):
        assert f"report: {line}" in err, err
