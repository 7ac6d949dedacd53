"""The Frechet distance between two sets of feature vectors, each summarised by a Gaussian.

For Gaussians N(m1, C1) and N(m2, C2) the squared 2-Wasserstein (Frechet) distance is

    d^2 = ||m1 - m2||^2 + tr(C1) + tr(C2) - 2 tr((C1 C2)^(1/2))

(Dowson & Landau 1982). FID is this number computed on the features of an image
classifier; as in FID, we report d^2 itself, not its square root.

The only hard part is tr((C1 C2)^(1/2)). C1 C2 is not symmetric, so rather than a general
matrix square root (scipy.linalg.sqrtm, a Schur decomposition) we use one that only needs
the symmetric eigendecomposition ``numpy.linalg.eigh``:

    S = C1^(1/2)                    C1 = V diag(w) V^T  ->  S = V diag(sqrt(w)) V^T
    M = S C2 S                      symmetric and positive semi-definite
    C1 C2 = S (S C2 S) S^(-1)       similar to M when S is invertible, so the same eigenvalues
    tr((C1 C2)^(1/2)) = sum_i sqrt(lambda_i(M))

(When C1 is singular, C1 C2 = S (S C2) and M = (S C2) S are the products AB and BA of the
same two matrices, which share their nonzero eigenvalues, so the identity still holds.) Rounding can make the smallest eigenvalues
of w and M slightly negative; they are clipped to 0, and d^2 to >= 0. Everything is float64.
"""
import numpy as np


def psd_sqrt(matrix):
    """The symmetric square root S of a symmetric positive semi-definite matrix: S S = A.
    Eigenvalues below 0 (rounding) count as 0."""
    a = np.asarray(matrix, dtype=np.float64)
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(c1, c2):
    """tr((C1 C2)^(1/2)) for symmetric PSD C1, C2: the sum of the square roots of the
    eigenvalues of sqrt(C1) C2 sqrt(C1)."""
    s = psd_sqrt(c1)
    m = s @ np.asarray(c2, dtype=np.float64) @ s
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0.0, None)).sum())


def gaussian_statistics(features):
    """(mean (D,), covariance (D, D)) of features (N, D), the unbiased covariance (N - 1)."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"need at least 2 feature vectors as rows (N, D), got shape {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(mean1, cov1, mean2, cov2):
    """d^2 between N(mean1, cov1) and N(mean2, cov2) (see the module docstring)."""
    mean1, mean2 = np.asarray(mean1, dtype=np.float64), np.asarray(mean2, dtype=np.float64)
    cov1, cov2 = np.atleast_2d(cov1).astype(np.float64), np.atleast_2d(cov2).astype(np.float64)
    if mean1.shape != mean2.shape or cov1.shape != cov2.shape or cov1.shape != mean1.shape * 2:
        raise ValueError(f"frechet_distance: means {mean1.shape}, {mean2.shape} and covariances "
                         f"{cov1.shape}, {cov2.shape} do not match")
    diff = mean1 - mean2
    d2 = diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_sqrt_product(cov1, cov2)
    return max(float(d2), 0.0)


def frechet_distance_of_features(features1, features2):
    """d^2 between the Gaussians fitted to two sets of feature vectors (N1, D) and (N2, D)."""
    return frechet_distance(*gaussian_statistics(features1), *gaussian_statistics(features2))
