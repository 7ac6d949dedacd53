"""The vocabulary of a corpus, and the two word2vec distributions built from its counts.

Words are numbered by decreasing count (ties: the order of first appearance), so id 0 is the
most frequent word; words seen fewer than ``min_count`` times are left out and vanish from
the sentences before any window is laid over them, as in word2vec.

Frequent-word subsampling. A word w with count f(w) among T words in all is kept, each time
it occurs, with probability

    keep(w) = min(1, (sqrt(f(w) / (s T)) + 1) (s T) / f(w))          (s = ``sample``, e.g. 1e-3)

which is what word2vec.c computes (and gensim); Mikolov et al. (2013) print the simpler
discard probability 1 - sqrt(s T / f(w)). Both leave words rarer than about s T alone and
thin a word of frequency r = f/T to roughly sqrt(s / r) of its occurrences: "the" at
r = 0.07 keeps about one in eight.

Negative sampling draws "noise" words from the unigram distribution raised to 3/4,

    P_n(w) = f(w)^0.75 / sum_v f(v)^0.75,

flatter than the counts: rare words are drawn more often than their share, frequent words
less. The sampler draws in O(1) from Walker's alias table (Vose's construction): V columns of
height 1/V, column i holding word i up to a share s_i of its height and word alias[i] above,

    P(i) = (s_i + sum_{j: alias[j] = i} (1 - s_j)) / V,

built so that this is exactly P_n(i). A draw takes a uniform u in [0, 1), the column
i = floor(u V), and f = u V - i (the rest of u, itself uniform in [0, 1)): i if f < s_i, else
alias[i]. word2vec.c fills a table of 10^8 word ids instead (P rounded to multiples of
10^-8); gensim binary-searches the cumulative sums (O(log V) per draw).
"""
from collections import Counter

import numpy as np

NEGATIVE_POWER = 0.75


class Vocabulary:
    """words: list of str, most frequent first; counts: int64 (V,); index: word -> id."""

    def __init__(self, words, counts):
        self.words = list(words)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words) or len(self.words) != len(self.counts):
            raise ValueError("a vocabulary needs distinct words, one count each")

    @classmethod
    def build(cls, sentences, min_count=1, max_size=None, exclude=()):
        """The words of ``sentences`` (lists of tokens) seen at least min_count times, the
        max_size most frequent of them if given, none of ``exclude``."""
        counts = Counter()
        for sentence in sentences:
            counts.update(sentence)
        kept = [(w, c) for w, c in counts.items() if c >= min_count and w not in exclude]
        kept.sort(key=lambda wc: -wc[1])        # stable: ties keep their first appearance
        if max_size is not None:
            kept = kept[:max_size]
        return cls([w for w, _ in kept], [c for _, c in kept])

    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self.index

    @property
    def total(self):
        """T: the number of corpus words the vocabulary covers."""
        return int(self.counts.sum())

    def encode(self, sentences):
        """(ids int32 (N,), offsets int64 (S + 1,)): the sentences' in-vocabulary words as ids,
        end to end; sentence s is ids[offsets[s]:offsets[s + 1]]. Empty sentences are kept."""
        index = self.index
        parts = [[index[w] for w in sentence if w in index] for sentence in sentences]
        lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        ids = np.fromiter((i for p in parts for i in p), dtype=np.int32, count=int(offsets[-1]))
        return ids, offsets

    def keep_probabilities(self, sample):
        """keep(w) of subsampling for every word (all ones when sample is 0)."""
        return keep_probabilities(self.counts, sample)

    def negative_table(self, power=NEGATIVE_POWER):
        """(share, alias): the alias table of P_n (see alias_table)."""
        return alias_table(negative_distribution(self.counts, power))


def keep_probabilities(counts, sample):
    """min(1, (sqrt(f / (s T)) + 1) (s T) / f) for counts f, T = sum f, s = sample."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts)


def negative_distribution(counts, power=NEGATIVE_POWER):
    """P_n(w) = f(w)^power / sum_v f(v)^power: what the negative sampler should draw."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def alias_table(probabilities):
    """(share float64 (V,), alias int64 (V,)) of Walker's alias table for ``probabilities``
    (Vose's construction): scale P by V so the mean is 1; while a column is short (< 1) and
    another tall (>= 1), fill the short one from the tall one, which becomes shorter by what it
    gave. Columns left over are full (share 1, their own alias)."""
    p = np.asarray(probabilities, dtype=np.float64)
    n = len(p)
    height = p * (n / p.sum())
    share, alias = np.ones(n), np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if height[i] < 1.0]
    large = [i for i in range(n) if height[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        share[s], alias[s] = height[s], g
        height[g] -= 1.0 - height[s]
        (small if height[g] < 1.0 else large).append(g)
    return share, alias


def alias_probabilities(share, alias):
    """The distribution an alias table draws from: P(i) = (s_i + sum_{alias[j]=i} (1 - s_j)) / V."""
    share = np.asarray(share, dtype=np.float64)
    return (share + np.bincount(alias, weights=1.0 - share, minlength=len(share))) / len(share)
