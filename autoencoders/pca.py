"""Principal component analysis in closed form: the baseline every autoencoder is measured against.

For data X (n, d) with mean m, PCA keeps the k directions of largest variance.
With the centred data Xc = X - m and its thin SVD Xc = U S V^T:

    covariance       C = Xc^T Xc / n = V diag(S^2 / n) V^T
    components       the first k rows of V^T          (k, d), orthonormal rows
    eigenvalues      lambda_i = S_i^2 / n             (variance along component i)
    code             z = (x - m) V_k                   (k,)
    reconstruction   x^ = m + z V_k^T

The covariance is divided by n, not n - 1: then the mean squared error of the
reconstructions of the training data is exactly the variance left out,

    (1/n) sum_rows ||x - x^||^2 = sum_{i > k} lambda_i          (per image)
    the same divided by d                                       (per pixel)

which is the number a linear autoencoder's training loss converges to
(Baldi & Hornik, 1989; see docs/models/linear.md). scikit-learn divides by
n - 1 in ``explained_variance_``; multiply ours by n / (n - 1) to compare.

    pca = PCA(32).fit(train)                 # train (n, 784) floats, or (n, 28, 28)
    z = pca.transform(test)                  # (m, 32)
    mse = pca.reconstruction_error(test)     # mean squared error per pixel
"""
import numpy as np


def _as_rows(X):
    """X as a float64 matrix (n, d): images (n, 28, 28) or (n, 1, 28, 28) are flattened;
    uint8 pixels are scaled to [0, 1]."""
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(f"PCA needs a batch of samples (n, d), got shape {X.shape}")
    rows = X.reshape(len(X), -1).astype(np.float64)
    return rows / 255.0 if X.dtype == np.uint8 else rows


class PCA:
    """PCA with ``n_components`` = k components, fitted by the SVD of the centred data.

    After ``fit``:
        mean_                      (d,)   the data mean m
        components_                (k, d) orthonormal rows, by decreasing variance; each row's
                                          largest-magnitude entry is positive (a fixed sign)
        explained_variance_        (k,)   eigenvalues lambda_1 >= ... >= lambda_k of C
        eigenvalues_               (min(n, d),) the whole spectrum of C (zeros past the rank)
        explained_variance_ratio_  (k,)   lambda_i / trace(C)
        discarded_variance_        sum_{i > k} lambda_i: the training MSE per image
    """

    def __init__(self, n_components):
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
                or n_components < 1:
            raise ValueError(f"PCA: n_components must be a positive int, got {n_components!r}")
        self.n_components = int(n_components)

    def fit(self, X):
        """Fit to the rows of X; return self."""
        X = _as_rows(X)
        n, d = X.shape
        k = self.n_components
        if k > min(n, d):
            raise ValueError(f"PCA: n_components={k} is more than min(n samples, n features) "
                             f"= min({n}, {d})")
        self.mean_ = X.mean(axis=0)
        _, S, Vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        # fix the sign of each direction, so that fits of the same data agree exactly
        signs = np.sign(Vt[np.arange(len(Vt)), np.argmax(np.abs(Vt), axis=1)])
        Vt *= np.where(signs == 0, 1.0, signs)[:, None]
        self.eigenvalues_ = S**2 / n
        self.components_ = Vt[:k]
        self.explained_variance_ = self.eigenvalues_[:k]
        total = self.eigenvalues_.sum()
        self.explained_variance_ratio_ = self.explained_variance_ / total if total > 0 \
            else np.zeros(k)
        self.discarded_variance_ = float(self.eigenvalues_[k:].sum())
        self.n_features_ = d
        return self

    def _check_fitted(self, width, what):
        if not hasattr(self, "components_"):
            raise RuntimeError("PCA: call fit() first")
        if width != self.components_.shape[what]:
            expected = self.components_.shape[what]
            raise ValueError(f"PCA: expected {expected} {'features' if what else 'components'} "
                             f"per row, got {width}")

    def transform(self, X):
        """Codes z = (x - m) V_k, shape (n, k)."""
        X = _as_rows(X)
        self._check_fitted(X.shape[1], 1)
        return (X - self.mean_) @ self.components_.T

    def inverse_transform(self, Z):
        """Reconstructions m + z V_k^T from codes (n, k), shape (n, d)."""
        Z = np.asarray(Z, dtype=np.float64)
        self._check_fitted(Z.shape[1], 0)
        return self.mean_ + Z @ self.components_

    def reconstruct(self, X):
        """Project X onto the k components and back: (n, d) (flattened)."""
        return self.inverse_transform(self.transform(X))

    def reconstruction_error(self, X, per="pixel"):
        """Mean squared reconstruction error of X: per='pixel' averages over all n d numbers,
        per='image' sums over the d pixels of each image and averages over the n images."""
        X = _as_rows(X)
        squared = (self.reconstruct(X) - X) ** 2
        if per == "pixel":
            return float(squared.mean())
        if per == "image":
            return float(squared.sum(axis=1).mean())
        raise ValueError(f"per must be 'pixel' or 'image', got {per!r}")


def principal_angles(A, B):
    """The principal angles (radians, ascending) between the column spaces of A (d, p) and B (d, q).

    With orthonormal bases Qa, Qb (QR of A and B), the cosines of the angles are the
    singular values of Qa^T Qb (Bjorck & Golub, 1973); there are min(p, q) of them.
    All zero: one space contains the other. Cosines are clipped to [0, 1] before arccos,
    so round-off cannot produce NaN. (Small angles lose accuracy through arccos:
    about sqrt(machine eps) ~ 1e-8 in float64, far below any tolerance we use.)
    """
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    if A.ndim != 2 or B.ndim != 2 or A.shape[0] != B.shape[0]:
        raise ValueError(f"principal_angles: need matrices with the same number of rows, "
                         f"got {A.shape} and {B.shape}")
    Qa, _ = np.linalg.qr(A)
    Qb, _ = np.linalg.qr(B)
    cosines = np.linalg.svd(Qa.T @ Qb, compute_uv=False)
    return np.sort(np.arccos(np.clip(cosines, 0.0, 1.0)))
