"""PCA in closed form, and the linear autoencoder that learns it (Baldi & Hornik, 1989).

PCA is checked against an independent reference (numpy's eigh of the covariance,
scipy's subspace_angles). The linear autoencoder, trained by full-batch Adam on
small centred data, must end where the theory says: its decoder's columns span the
top-k eigenvectors (principal angles near zero) and its training error per image
is the sum of the discarded eigenvalues, never less (Eckart-Young: no rank-k map
does better than the PCA projection).
"""
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from autoencoders.models import ConfigError, build_model
from autoencoders.pca import PCA, principal_angles
from minigrad import optim


def centred_low_rank(rng, n, d, k, top=(1.0, 2.0), rest=(0.0, 0.3)):
    """n centred samples in R^d: k directions with std in ``top``, d - k with std in ``rest``,
    rotated by a random orthogonal matrix (so no axis is special)."""
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    std = np.concatenate([rng.uniform(*top, k), rng.uniform(*rest, d - k)])
    X = (rng.standard_normal((n, d)) * std) @ Q.T
    return X - X.mean(axis=0)


def train_linear(X, k, seed=0):
    """A linear autoencoder (float64) fitted to all of X: full-batch Adam gets close fast,
    then gradient descent with momentum settles (Adam alone, near a minimum where the
    gradient vanishes, takes occasional lr-sized steps that kick the loss back up)."""
    mg.random.seed(seed)
    model = build_model("linear", code=k, input_size=X.shape[1]).to(np.float64)
    x = mg.tensor(X)
    for optimizer, steps in ((optim.Adam(model.parameters(), lr=0.05), 500),
                             (optim.SGD(model.parameters(), lr=0.03, momentum=0.9), 300)):
        for _ in range(steps):
            loss, _ = model.loss(x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with mg.no_grad():
        final, metrics = model.loss(x)
    return model, final.item(), metrics


def check_baldi_hornik(X, k, model, final):
    pca = PCA(k).fit(X)
    angles = principal_angles(model.decoder.weight.data, pca.components_.T)
    assert angles.max() < 0.02, f"decoder columns are {angles.max():.3g} rad from the PCA subspace"
    discarded, total = pca.discarded_variance_, pca.eigenvalues_.sum()
    assert final >= discarded * (1 - 1e-9), "no rank-k map beats PCA on its training data"
    assert final - discarded <= 0.01 * discarded + 1e-4 * total, (final, discarded)


# ----- PCA ------------------------------------------------------------------------------------
def test_pca_matches_the_eigendecomposition_of_the_covariance(rng):
    X = rng.standard_normal((50, 6)) @ rng.standard_normal((6, 6)) + 3.0
    pca = PCA(3).fit(X)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(X.T, bias=True))  # ascending
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    np.testing.assert_allclose(pca.eigenvalues_, eigenvalues, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(pca.explained_variance_, eigenvalues[:3], rtol=1e-10)
    np.testing.assert_allclose(np.abs(pca.components_ @ eigenvectors[:, :3]), np.eye(3), atol=1e-8)
    np.testing.assert_allclose(pca.components_ @ pca.components_.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(pca.mean_, X.mean(axis=0))
    np.testing.assert_allclose(pca.explained_variance_ratio_, eigenvalues[:3] / eigenvalues.sum())


def test_pca_training_error_is_the_discarded_variance(rng):
    X = rng.standard_normal((40, 8)) * np.arange(1, 9)
    for k in (1, 4, 7):
        pca = PCA(k).fit(X)
        assert pca.reconstruction_error(X, per="image") == pytest.approx(pca.discarded_variance_, rel=1e-10)
        assert pca.reconstruction_error(X) == pytest.approx(pca.discarded_variance_ / 8, rel=1e-10)
    assert PCA(8).fit(X).reconstruction_error(X) < 1e-20


def test_pca_transform_shapes_images_and_errors(rng):
    images = rng.integers(0, 256, size=(30, 4, 4)).astype(np.uint8)
    pca = PCA(5).fit(images)
    assert pca.components_.shape == (5, 16) and pca.mean_.max() <= 1.0  # uint8 scaled to [0, 1]
    z = pca.transform(images)
    assert z.shape == (30, 5)
    assert pca.inverse_transform(z).shape == (30, 16)
    np.testing.assert_allclose(pca.reconstruct(images), pca.inverse_transform(z))
    np.testing.assert_allclose(PCA(5).fit(images).components_, pca.components_)  # fixed signs
    with pytest.raises(ValueError, match="n_components"):
        PCA(0)
    with pytest.raises(ValueError, match="more than"):
        PCA(17).fit(images)
    with pytest.raises(RuntimeError, match="fit"):
        PCA(2).transform(images)
    with pytest.raises(ValueError, match="features"):
        pca.transform(rng.standard_normal((3, 15)))
    with pytest.raises(ValueError, match="per"):
        pca.reconstruction_error(images, per="row")


def test_principal_angles_against_scipy(rng):
    A, B = rng.standard_normal((7, 3)), rng.standard_normal((7, 2))
    np.testing.assert_allclose(principal_angles(A, B), np.sort(scipy.linalg.subspace_angles(A, B)),
                               atol=1e-10)
    assert principal_angles(A, A @ rng.standard_normal((3, 3))).max() < 1e-6  # same span
    e = np.eye(4)
    np.testing.assert_allclose(principal_angles(e[:, :2], e[:, 2:]), [np.pi / 2] * 2)
    with pytest.raises(ValueError, match="rows"):
        principal_angles(A, rng.standard_normal((6, 2)))


# ----- the linear autoencoder ---------------------------------------------------------------
def test_linear_autoencoder_learns_pca_in_3d_to_2d():
    """Points spread along two directions of R^3 (std 2 and 1) with a little thickness (0.1):
    the trained decoder spans that plane and the error is the variance across it."""
    rng = np.random.default_rng(0)
    X = centred_low_rank(rng, 60, 3, 2, top=(1.0, 2.0), rest=(0.1, 0.1))
    model, final, metrics = train_linear(X, 2)
    check_baldi_hornik(X, 2, model, final)
    assert metrics["mse"] == pytest.approx(final / 3)


@settings(max_examples=5, deadline=None)
@given(d=st.integers(3, 8), data=st.data(), seed=st.integers(0, 2**16))
def test_linear_autoencoder_learns_pca_on_low_rank_data(d, data, seed):
    k = data.draw(st.integers(1, d - 1), label="k")
    X = centred_low_rank(np.random.default_rng(seed), 48, d, k)
    model, final, _ = train_linear(X, k, seed=seed)
    check_baldi_hornik(X, k, model, final)


def test_linear_autoencoder_shapes_and_config():
    model = build_model("linear", code=3, input_size=10)
    x = mg.tensor(np.random.default_rng(0).random((5, 10)).astype(np.float32))
    assert model.encode(x).shape == (5, 3) and model(x).shape == (5, 10)
    recon = model.reconstruct(x.data)
    assert recon.shape == (5, 10) and recon.min() >= 0 and recon.max() <= 1  # values, clipped
    with pytest.raises(ConfigError, match="smaller than the input"):
        build_model("linear", code=10, input_size=10)
    with pytest.raises(ConfigError, match="code"):
        build_model("linear", code=0)
