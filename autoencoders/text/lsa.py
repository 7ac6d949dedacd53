"""Latent semantic analysis: the linear baseline of document codes (Deerwester et al., 1990).

With the training documents' tf-idf rows stacked in X (N, V) and the thin SVD X = U S W^T, the
k columns of W with the largest singular values span the k-dimensional subspace that keeps
the most of X (Eckart-Young: X W_k W_k^T is the best rank-k approximation of X in the
Frobenius norm). A document's code is its coordinates there,

    z = x W_k        (k,)     for tf-idf row x, training or new ("folding in")

For a training row x_d = (U S W^T)_d this is (U S)_{d,:k}. The cosine of two codes compares
documents by the directions they share with the main topics of the training set, so words
that occur together in training count as related even when two documents share none. No
centring: tf-idf rows are non-negative, and the first direction is then their common mean
direction (autoencoders/pca.py, which centres, is the image counterpart).

The thin SVD (np.linalg.svd, full_matrices=False) costs O(min(N, V)^2 max(N, V)): for the
300 Lee articles over 2,000 words, a few milliseconds.
"""
import numpy as np


class LSA:
    def __init__(self, k):
        if k < 1:
            raise ValueError(f"LSA needs k >= 1 dimensions, got {k}")
        self.k = int(k)

    def fit(self, x):
        """Fit to the training tf-idf rows x (N, V); k may not exceed min(N, V)."""
        x = np.asarray(x, dtype=np.float64)
        if self.k > min(x.shape):
            raise ValueError(f"LSA with k = {self.k} needs at least {self.k} documents and words, "
                             f"got {x.shape[0]} documents of {x.shape[1]} words")
        _, s, wt = np.linalg.svd(x, full_matrices=False)
        self.singular_values_ = s[:self.k]
        self.components_ = wt[:self.k]            # (k, V): rows are the directions W_k^T
        return self

    def transform(self, x):
        """Codes z = x W_k (M, k) of tf-idf rows x (M, V)."""
        return np.asarray(x, dtype=np.float64) @ self.components_.T
