"""A picture of word vectors: chosen words in 2-D, by PCA of their vectors.

The words' vectors (unit length, so long vectors of frequent words do not dominate) are centred
and projected on their two principal axes (autoencoders.figures.pca_2d); each point carries its
word. Relations that the vectors share, such as man : woman :: king : queen, show as roughly
parallel offsets when the two axes happen to capture them.
"""
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from ..figures import pca_2d, save

DEFAULT_WORDS = ("king", "queen", "man", "woman", "boy", "girl", "prince", "princess", "father",
                 "mother", "france", "paris", "germany", "berlin", "italy", "rome", "japan",
                 "tokyo", "war", "peace", "army", "music", "art", "science", "physics",
                 "chemistry", "one", "two", "three", "four")


@dataclass(frozen=True)
class WordMap:
    """Words and their 2-D points (already projected)."""
    words: list
    points: np.ndarray
    title: str

    @classmethod
    def of(cls, vectors, words, title):
        """The words of ``words`` found in ``vectors`` (WordVectors), projected by PCA."""
        found = [w for w in words if w in vectors]
        if len(found) < 3:
            return None
        unit = np.array([vectors.unit[vectors.index[w]] for w in found])
        return cls(found, pca_2d(unit), title)

    def figure(self):
        fig = Figure(figsize=(7, 6))
        ax = fig.add_subplot(1, 1, 1)
        ax.scatter(self.points[:, 0], self.points[:, 1], s=12)
        for word, (x, y) in zip(self.words, self.points):
            ax.annotate(word, (x, y), textcoords="offset points", xytext=(3, 3), fontsize=9)
        ax.set_xlabel("PC 1")
        ax.set_ylabel("PC 2")
        ax.set_title(self.title)
        fig.tight_layout()
        return fig

    def save(self, path):
        return save(self.figure(), path)
