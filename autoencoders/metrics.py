"""The numbers the applications report: AUROC, PSNR, precision@k, accuracy.

All take numpy arrays and return Python floats (or a dict of them); nothing
here knows about models, so each can be checked by hand.

AUROC (area under the ROC curve) of a score that should be higher for the
positives (the anomalies) than for the negatives: the probability that a
random positive scores above a random negative, ties counting one half,

    AUROC = (1 / (P N)) sum_{i positive} sum_{j negative} [s_i > s_j] + 1/2 [s_i = s_j].

Counting the P N pairs is quadratic; ranks give the same number in
O(n log n). Rank all n scores together (1 = smallest; tied scores all get the
average of the ranks they span) and let R be the sum of the positives' ranks.
Then U = R - P (P + 1) / 2 is the Mann-Whitney U statistic, the number of
(positive, negative) pairs the positive wins, ties counting one half, and

    AUROC = U / (P N).

1 is a perfect detector, 0 a perfectly reversed one, 0.5 a coin (or a score
that ties everything).

PSNR (peak signal-to-noise ratio) of an image y against the clean x with
pixels in [0, peak]:

    PSNR = 10 log10(peak^2 / MSE),   MSE = mean (x - y)^2    (decibels; inf if y == x)

Over a set of images we report the PSNR of the mean squared error over all
their pixels (one MSE for the set, then the log), not the mean of per-image
PSNRs, so one perfect image does not make the average infinite.

precision@k of a nearest-neighbour search: for each query, the share of its k
nearest neighbours that have the query's label, averaged over the queries.
"""
import math

import numpy as np


def average_ranks(values):
    """Ranks 1..n of ``values`` (1 = smallest); tied values share the mean of their ranks.

    >>> average_ranks([10, 20, 20, 30])
    array([1. , 2.5, 2.5, 4. ])
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    n = len(values)
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    # boundaries of the runs of equal values in the sorted order
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]                       # one past the end of each run
    run_rank = (starts + 1 + ends) / 2.0              # mean of the ranks starts+1 .. ends
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = np.repeat(run_rank, ends - starts)
    return ranks


def auroc(scores, positive):
    """Area under the ROC curve of ``scores`` (higher = more positive) for the boolean
    labels ``positive``, by the Mann-Whitney U statistic with average ranks for ties."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    positive = np.asarray(positive).ravel()
    if positive.dtype != bool:
        if not np.isin(positive, (0, 1)).all():
            raise ValueError("auroc: positive must hold booleans (or 0/1)")
        positive = positive.astype(bool)
    if scores.shape != positive.shape:
        raise ValueError(f"auroc: {len(scores)} scores but {len(positive)} labels")
    if not np.all(np.isfinite(scores)):
        raise ValueError("auroc: the scores must be finite numbers")
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"auroc needs positives and negatives, got {n_pos} and {n_neg}")
    rank_sum = average_ranks(scores)[positive].sum()
    u = rank_sum - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def mse(clean, other):
    """Mean squared difference over all pixels of the two arrays (same size)."""
    clean = np.asarray(clean, dtype=np.float64)
    other = np.asarray(other, dtype=np.float64)
    if clean.size != other.size:
        raise ValueError(f"mse: arrays of {clean.size} and {other.size} values")
    return float(np.mean((clean.ravel() - other.ravel()) ** 2))


def psnr(clean, other, peak=1.0):
    """Peak signal-to-noise ratio in dB of ``other`` against ``clean`` (pixels in [0, peak]),
    from the mean squared error over all pixels; inf when they are equal."""
    error = mse(clean, other)
    if error == 0.0:
        return math.inf
    return 10.0 * math.log10(peak * peak / error)


def precision_at_k(neighbour_labels, query_labels, ks):
    """{k: precision@k}: neighbour_labels (Q, K) holds the labels of each query's K nearest
    neighbours, nearest first; query_labels (Q,). Every k in ``ks`` must be <= K."""
    neighbour_labels = np.asarray(neighbour_labels)
    query_labels = np.asarray(query_labels).ravel()
    if neighbour_labels.ndim != 2 or len(neighbour_labels) != len(query_labels):
        raise ValueError(f"precision_at_k: need neighbour labels (Q, K) for Q = {len(query_labels)} "
                         f"queries, got shape {neighbour_labels.shape}")
    hits = neighbour_labels == query_labels[:, None]
    out = {}
    for k in ks:
        if not 1 <= k <= hits.shape[1]:
            raise ValueError(f"precision@{k}: only {hits.shape[1]} neighbours per query")
        out[k] = float(hits[:, :k].mean())
    return out


def accuracy(predicted, labels):
    """Share of predictions equal to the labels."""
    predicted, labels = np.asarray(predicted).ravel(), np.asarray(labels).ravel()
    if predicted.shape != labels.shape:
        raise ValueError(f"accuracy: {len(predicted)} predictions but {len(labels)} labels")
    return float(np.mean(predicted == labels))
