"""Documents as vectors of word counts over a fixed vocabulary, and tf-idf weights.

The vocabulary is the ``size`` most frequent words of the training documents, stop words left
out (Hinton & Salakhutdinov, 2006, used the 2,000 most frequent word stems of each corpus). A
document d becomes its counts n_dw of those words; everything else in it is ignored.

tf-idf weights a count by how rare the word is across the N training documents,

    w_dw = n_dw log(N / df_w)          (df_w: training documents containing w)

and scales each row to unit length, so the cosine of two documents is a dot product. A word in
every document weighs 0; idf comes from the training documents only, also for new documents.
"""
import numpy as np

from .tokens import STOP_WORDS, tokenize
from .vocabulary import Vocabulary


def unit_rows(x):
    """Rows scaled to length 1 (zero rows stay zero)."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


class BagOfWords:
    """The counts and tf-idf of documents over the vocabulary of the training documents."""

    def __init__(self, vocabulary, idf):
        self.vocabulary = vocabulary
        self.idf = np.asarray(idf, dtype=np.float64)

    @classmethod
    def fit(cls, texts, size=2000, min_count=2):
        """The vocabulary (``size`` most frequent non-stop words seen >= min_count times) and
        the idf of the training ``texts``."""
        tokens = [tokenize(t) for t in texts]
        vocabulary = Vocabulary.build(tokens, min_count=min_count, max_size=size, exclude=STOP_WORDS)
        if len(vocabulary) == 0:
            raise ValueError("the training documents share no word seen twice: no vocabulary")
        bag = cls(vocabulary, np.zeros(len(vocabulary)))
        df = (bag.counts(texts) > 0).sum(axis=0)
        bag.idf = np.log(len(texts) / np.maximum(df, 1))
        return bag

    def __len__(self):
        return len(self.vocabulary)

    def counts(self, texts):
        """(N, V) float64: n_dw, the count of word w in document d."""
        index = self.vocabulary.index
        out = np.zeros((len(texts), len(index)))
        for d, text in enumerate(texts):
            ids = [index[t] for t in tokenize(text) if t in index]
            np.add.at(out[d], ids, 1.0)
        return out

    def tfidf(self, counts):
        """Unit rows of n_dw idf_w."""
        return unit_rows(np.asarray(counts) * self.idf)
