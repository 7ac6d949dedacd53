"""Figures: each function writes a PNG and returns its path; PCA via SVD is right."""
import numpy as np
import pytest

from autoencoders import figures

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
