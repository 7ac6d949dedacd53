"""Figures: each function writes a PNG and returns its path; PCA via SVD is right; the
figures carry the labels a student needs (digits, z values, axis names, the loss's terms)."""
from pathlib import Path

import numpy as np
import pytest

from autoencoders import figures
from autoencoders.models import build_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG_SIGNATURE


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 1, 28, 28), (5, 784)])
def test_as_images_accepts_every_layout(shape):
    x = np.random.default_rng(0).random(shape)
    images = figures.as_images(x)
    assert images.shape == (5, 28, 28)
    np.testing.assert_allclose(images.reshape(5, -1), x.reshape(5, -1), rtol=1e-6)


def test_as_images_rejects_other_shapes():
    with pytest.raises(ValueError):
        figures.as_images(np.zeros((2, 100)))


def test_image_grid_places_images_with_gaps():
    images = np.stack([np.full((28, 28), i / 10) for i in range(5)])
    grid = figures.image_grid(images, ncols=3)
    assert grid.shape == (2 * 29 - 1, 3 * 29 - 1)
    assert grid[0, 0] == 0.0 and grid[0, 29] == pytest.approx(0.1) and grid[29, 29] == pytest.approx(0.4)
    assert grid[28, 0] == 1.0          # the gap between rows
    assert grid[40, 70] == 1.0         # the empty sixth cell


def test_reconstructions_samples_loss_and_codes_are_pngs(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((8, 784), dtype=np.float32)
    paths = [
        figures.plot_reconstructions(x, x[::-1], tmp_path / "r.png", title="t"),
        figures.plot_images(x, tmp_path / "sub" / "s.png", ncols=4),
        figures.plot_loss_curves([1, 2, 3], [3.0, 2.0, 1.5], [3.1, 2.2, 1.9], tmp_path / "l.png"),
        figures.plot_loss_curves([1], [3.0], None, tmp_path / "l1.png"),
        figures.plot_codes(rng.normal(size=(50, 8)), rng.integers(0, 10, 50), tmp_path / "c8.png"),
        figures.plot_codes(rng.normal(size=(50, 2)), None, tmp_path / "c2.png"),
        figures.plot_codes(rng.normal(size=(50, 1)), rng.integers(0, 3, 50), tmp_path / "c1.png"),
        figures.plot_auroc_per_class({"a": [0.9, 0.7], "b": [0.8, 0.95]}, (3, 7), tmp_path / "auroc.png"),
    ]
    for path in paths:
        assert path.exists() and is_png(path), path


def test_save_writes_any_figure_and_makes_its_folder(tmp_path):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(2, 2))
    fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    path = figures.save(fig, tmp_path / "new" / "line.png")
    assert path == tmp_path / "new" / "line.png" and is_png(path)


def test_reconstructions_must_match_originals(tmp_path):
    with pytest.raises(ValueError, match="originals"):
        figures.plot_reconstructions(np.zeros((3, 784)), np.zeros((4, 784)), tmp_path / "r.png")


def test_pca_2d_finds_the_directions_of_largest_variance():
    rng = np.random.default_rng(0)
    # 3-D points spread mostly along (1, 1, 0) and then along (0, 0, 1)
    t = rng.normal(size=(500, 3)) * np.array([10.0, 3.0, 0.1])
    axes = np.array([[1, 1, 0], [0, 0, 1], [1, -1, 0]]) / np.array([[2 ** 0.5], [1], [2 ** 0.5]])
    points = t @ axes + 5.0
    projected = figures.pca_2d(points)
    assert projected.shape == (500, 2)
    np.testing.assert_allclose(projected.mean(axis=0), 0, atol=1e-9)
    # each coordinate matches the matching hidden factor up to sign
    for k in range(2):
        corr = np.corrcoef(projected[:, k], t[:, k])[0, 1]
        assert abs(corr) > 0.999
    # the same as projecting on the top eigenvectors of the covariance
    values, vectors = np.linalg.eigh(np.cov(points, rowvar=False))
    top = vectors[:, ::-1][:, :2]
    reference = (points - points.mean(axis=0)) @ top
    np.testing.assert_allclose(np.abs(projected), np.abs(reference), rtol=1e-6, atol=1e-8)


def test_pca_2d_leaves_narrow_codes_alone():
    codes = np.arange(10.0).reshape(5, 2)
    np.testing.assert_array_equal(figures.pca_2d(codes), codes)
    one = figures.pca_2d(np.arange(5.0)[:, None])
    np.testing.assert_array_equal(one, np.column_stack([np.arange(5.0), np.zeros(5)]))


# ----- figures a student can check: labels, units, no ragged rows ---------------------------------
def texts(labels):
    return [label.get_text() for label in labels]


@pytest.mark.parametrize("n, shape", [(64, (8, 8)), (10, (2, 5)), (12, (3, 4)), (30, (5, 6)),
                                      (100, (10, 10)), (1, (1, 1)), (7, (3, 3)), (2, (1, 2))])
def test_grid_columns_leave_no_ragged_row(n, shape):
    ncols = figures.grid_columns(n)
    assert (-(-n // ncols), ncols) == shape
    if n not in (7,):                      # 7 has no divisor near its root: padded instead
        assert n % ncols == 0


def test_a_padded_grid_is_a_full_rectangle():
    fig = figures.images_figure(np.full((7, 28, 28), 0.5), ncols=None)
    grid = fig.axes[0].images[0].get_array()
    assert grid.shape == (3 * 29 - 1, 3 * 29 - 1)
    assert grid[2 * 29 + 5, 2 * 29 + 5] == 0.0           # the two empty cells are black tiles, not gaps


def test_image_grid_rows_and_columns_are_labelled():
    fig = figures.images_figure(np.zeros((6, 784)), ncols=3, row_labels=[0, 1], col_labels=["a", "b", "c"],
                                xlabel="t", ylabel="digit")
    ax = fig.axes[0]
    assert texts(ax.get_yticklabels()) == ["0", "1"] and ax.get_ylabel() == "digit"
    assert texts(ax.get_xticklabels()) == ["a", "b", "c"] and ax.get_xlabel() == "t"
    with pytest.raises(ValueError, match="3 labels for 2 rows"):
        figures.images_figure(np.zeros((6, 784)), ncols=3, row_labels=[0, 1, 2])


def test_codes_axes_name_what_they_are():
    rng = np.random.default_rng(0)
    wide = figures.codes_figure(rng.normal(size=(40, 8)), None).axes[0]
    assert (wide.get_xlabel(), wide.get_ylabel()) == ("PC 1", "PC 2")
    flat = figures.codes_figure(rng.normal(size=(40, 2)), None).axes[0]
    assert (flat.get_xlabel(), flat.get_ylabel()) == ("z1", "z2")
    given = figures.codes_figure(rng.normal(size=(40, 2)), None, axis_labels=("PC 1", "PC 2")).axes[0]
    assert given.get_xlabel() == "PC 1"


def test_loss_curves_show_the_terms_of_the_loss():
    fig = figures.loss_curves_figure([1, 2], [9.0, 8.0], [9.5, 8.5], title="vae loss",
                                     ylabel="loss per image",
                                     components={"reconstruction": ([7.0, 6.0], [7.5, 6.5]),
                                                 "KL": ([2.0, 2.0], None)})
    assert [ax.get_title() for ax in fig.axes] == ["vae loss", "reconstruction", "KL"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss per image", "nats per image", "nats per image"]
    assert texts(fig.axes[1].get_legend().get_texts()) == ["train", "validation"]
    assert texts(fig.axes[2].get_legend().get_texts()) == ["train"]
    assert len(figures.loss_curves_figure([1], [3.0], None).axes) == 1


def test_auroc_bars_below_chance_are_visible():
    ax = figures.auroc_figure({"a": [0.2, 0.9]}, (0, 1)).axes[0]
    assert ax.get_ylim()[0] == 0.0 and "AUROC" in ax.get_ylabel()
    assert figures.auroc_figure({"a": [0.7, 0.9]}, (0, 1)).axes[0].get_ylim()[0] == 0.5


# ----- the figures the commands write ----------------------------------------------------------------
@pytest.fixture
def drawn(monkeypatch):
    """The Figures that figures.save is asked to write, by file name (nothing is written)."""
    found = {}

    def keep(fig, path):
        found[Path(path).name] = fig
        return Path(path)

    monkeypatch.setattr(figures, "save", keep)
    return found


def tiny(name, **config):
    import minigrad as mg
    from autoencoders.models import build_model
    mg.random.seed(0)
    model = build_model(name, **config)
    model.eval()
    return model


def test_class_histograms_draw_each_set_with_the_reference_outlined(tmp_path):
    collapsed = [0.0, 0.0, 0.0, 0.9, 0.1, 0, 0, 0, 0, 0]
    uniform = [0.1] * 10
    fig = figures.class_histograms_figure({"gan": collapsed, "vae": uniform}, reference=uniform,
                                          title="digits")
    gan, vae = fig.axes
    assert gan.get_title() == "gan" and vae.get_title() == "vae"
    filled = [p for p in gan.patches if p.get_fill()]
    outlines = [p for p in gan.patches if not p.get_fill()]
    assert [round(p.get_height(), 6) for p in filled] == collapsed
    assert [round(p.get_height(), 6) for p in outlines] == uniform
    assert [t.get_text() for t in gan.get_xticklabels()] == [str(c) for c in range(10)]
    assert is_png(figures.plot_class_histograms({"gan": collapsed}, tmp_path / "h.png"))
    with pytest.raises(ValueError, match="at least one histogram"):
        figures.class_histograms_figure({})


def test_cvae_grids_label_their_digits(drawn, tmp_path):
    from autoencoders import cli
    from autoencoders.apps import generate
    rng = np.random.default_rng(0)
    images, labels = (rng.random((20, 28, 28)) * 255).astype(np.uint8), np.arange(20) % 10
    result = generate.run(tiny("cvae", hidden=8, latent=2), images, images, labels, n=20, per_class=3,
                          k=1, nll_images=4)
    result.pictures["class_grid"].save(tmp_path / "class_grid.png")
    ax = drawn["class_grid.png"].axes[0]
    assert texts(ax.get_yticklabels()) == [str(d) for d in range(10)] and ax.get_ylabel() == "digit"
    result.pictures["samples"].save(tmp_path / "samples.png")          # 20 = two rows of 0..9
    assert texts(drawn["samples.png"].axes[0].get_xticklabels()) == [str(d) for d in range(10)]
    cli.write_samples(tiny("cvae", hidden=8, latent=2), 25, tmp_path / "sampled.png")
    ax = drawn["sampled.png"].axes[0]
    assert texts(ax.get_yticklabels()) == [str(d) for d in range(10)]
    assert ax.images[0].get_array().shape == (10 * 29 - 1, 3 * 29 - 1)   # 25 -> 3 per digit


def test_sample_grids_have_no_ragged_row(drawn, tmp_path):
    from autoencoders import cli
    cli.write_samples(tiny("vae", hidden=8, latent=2), 10, tmp_path / "samples.png")
    assert drawn["samples.png"].axes[0].images[0].get_array().shape == (2 * 29 - 1, 5 * 29 - 1)


def test_latent_scatter_and_manifold_name_their_axes(drawn, tmp_path):
    from autoencoders.apps import latent
    rng = np.random.default_rng(0)
    images, labels = (rng.random((30, 28, 28)) * 255).astype(np.uint8), np.arange(30) % 3
    wide = latent.run(tiny("dense", hidden=8, code=5), images, labels, steps=3)
    wide.pictures["latent_scatter"].save(tmp_path / "wide.png")
    ax = drawn["wide.png"].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("PC 1", "PC 2") and "PCA to 2-D" in ax.get_title()
    flat = latent.run(tiny("vae", hidden=8, latent=2), images, labels, steps=3, grid=3)
    flat.pictures["latent_scatter"].save(tmp_path / "flat.png")
    assert drawn["flat.png"].axes[0].get_xlabel() == "z1"
    flat.pictures["manifold"].save(tmp_path / "manifold.png")
    ax = drawn["manifold.png"].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("z1", "z2")
    assert texts(ax.get_xticklabels()) == ["-1.64", "0.00", "1.64"]
    assert texts(ax.get_yticklabels()) == ["1.64", "0.00", "-1.64"]      # z2 decreases down the rows


def test_the_loss_figure_of_a_vae_run_shows_reconstruction_and_kl(drawn, tmp_path):
    from autoencoders import cli
    history = [{"epoch": e, "train_loss": 10.0 - e, "val_loss": 11.0 - e, "train_recon": 8.0 - e,
                "val_recon": 9.0 - e, "train_kl": 2.0, "val_kl": 2.0} for e in (1, 2)]
    cli.loss_figure(history, tmp_path / "loss_curves.png", build_model("vae", latent=2, hidden=8))
    titles = [ax.get_title() for ax in drawn["loss_curves.png"].axes]
    assert titles[0] == "vae loss" and "reconstruction" in titles[1] and "KL" in titles[2]
    assert all(len(ax.lines) == 2 for ax in drawn["loss_curves.png"].axes)   # train, validation
    cli.loss_figure([{"epoch": 1, "train_loss": 3.0, "val_loss": None}], tmp_path / "dense.png")
    assert len(drawn["dense.png"].axes) == 1


@pytest.mark.parametrize("loss, loss_g", [("non-saturating", np.log(2)), ("minimax", -np.log(2))])
def test_the_loss_figure_of_a_gan_marks_the_equilibrium(drawn, tmp_path, loss, loss_g):
    from autoencoders import cli
    history = [{"epoch": e, "train_loss": -1.0, "val_loss": None, "train_loss_d": 1.0,
                "train_loss_g": 1.2} for e in (1, 2)]
    cli.loss_figure(history, tmp_path / "loss_curves.png", build_model("gan", loss=loss))
    value, d, g = drawn["loss_curves.png"].axes
    assert value.get_title() == "gan loss" and "loss_d" in d.get_title() and "loss_g" in g.get_title()
    equilibrium = [ax.lines[-1].get_ydata()[0] for ax in (value, d, g)]
    np.testing.assert_allclose(equilibrium, [-2 * np.log(2), 2 * np.log(2), loss_g])
    assert "equilibrium" in value.get_legend().get_texts()[-1].get_text()
