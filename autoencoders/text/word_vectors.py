"""Word vectors looked up by word: the result of training, whoever trained them.

Our word2vec and gensim's both end as a WordVectors, so every evaluation runs the same code
on both. Similarity is the cosine, cos(a, b) = a . b / (|a| |b|): the rows are scaled to unit
length once (``unit``) and a cosine is then a dot product.

Saved as an .npz of two arrays, the words (unicode) and the vectors, read back without pickle.
"""
from pathlib import Path

import numpy as np


class WordVectors:
    """words: list of str; vectors: (V, D) float array, row i the vector of words[i]."""

    def __init__(self, words, vectors):
        self.words = list(words)
        self.vectors = np.asarray(vectors)
        if self.vectors.ndim != 2 or len(self.words) != len(self.vectors):
            raise ValueError(f"{len(self.words)} words need a ({len(self.words)}, D) matrix, "
                             f"got {self.vectors.shape}")
        self.index = {w: i for i, w in enumerate(self.words)}
        self._unit = None

    def __contains__(self, word):
        return word in self.index

    def __getitem__(self, word):
        return self.vectors[self.index[word]]

    @property
    def unit(self):
        """The rows scaled to length 1 (float64; a zero row stays zero)."""
        if self._unit is None:
            v = self.vectors.astype(np.float64)
            norms = np.linalg.norm(v, axis=1, keepdims=True)
            self._unit = v / np.where(norms == 0, 1.0, norms)
        return self._unit

    def similarity(self, a, b):
        return float(self.unit[self.index[a]] @ self.unit[self.index[b]])

    def nearest(self, vector, k=10, exclude=()):
        """[(word, cosine)] of the k words whose vectors are closest in angle to ``vector``."""
        v = np.asarray(vector, dtype=np.float64)
        scores = self.unit @ (v / (np.linalg.norm(v) or 1.0))
        for word in exclude:
            if word in self.index:
                scores[self.index[word]] = -np.inf
        best = np.argsort(-scores, kind="stable")[:k]
        return [(self.words[i], float(scores[i])) for i in best]

    def neighbours(self, word, k=10):
        """The k nearest other words of ``word``."""
        return self.nearest(self[word], k, exclude=(word,))

    def save(self, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, words=np.array(self.words, dtype=str), vectors=self.vectors)
        return path

    @classmethod
    def load(cls, path):
        with np.load(path, allow_pickle=False) as f:
            return cls(f["words"].tolist(), f["vectors"])
