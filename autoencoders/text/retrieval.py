"""Retrieval by cosine: rank stored documents by how closely their codes point the way the
query's code points, and measure the ranking with precision at fixed recall levels.

Ranking. With unit-length codes z^ = z / |z| the cosine is cos(q, d) = q^ . d^, so one matrix
product scores every stored document for a block of queries; the ranking is by decreasing
cosine, ties broken by the lower index.

Precision at recall (Hinton & Salakhutdinov, 2006, Figure 4; Salakhutdinov & Hinton, 2009).
A query of class c has R relevant documents among those searched: the others of class c. Walk
down its ranking; after n documents of which r are relevant, recall = r / R and precision =
r / n. At a recall level rho the precision is read where the walk first reaches recall rho,
i.e. at the r = ceil(rho R)-th relevant document (rank n_r):

    precision(rho) = r / n_r,      r = max(1, ceil(rho R))

averaged over the queries (a query with R = 0 is skipped). The paper's levels double from
0.1 % to 51.2 % and end at 100 %, 11 levels on a log axis:

    0.1 0.2 0.4 0.8 1.6 3.2 6.4 12.8 25.6 51.2 100   (%)

Each test document is a query against the other test documents, as in the paper's figure.
"""
import numpy as np

from .bag_of_words import unit_rows

RECALL_LEVELS = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.0)


def cosine_matrix(a, b):
    """(len(a), len(b)) cosines between the rows of a and b."""
    return unit_rows(np.asarray(a, dtype=np.float64)) @ unit_rows(np.asarray(b, dtype=np.float64)).T


def rank(query_codes, stored_codes, k):
    """(indices (Q, k), cosines (Q, k)) of each query's k best stored documents, best first."""
    scores = cosine_matrix(query_codes, stored_codes)
    k = min(k, scores.shape[1])
    order = np.lexsort((np.broadcast_to(np.arange(scores.shape[1]), scores.shape), -scores), axis=1)[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


def precision_at_recall(codes, labels, levels=RECALL_LEVELS, chunk=256):
    """{level: mean precision} with every document a query against all the others (see the
    module docstring)."""
    labels = np.asarray(labels)
    if len(codes) != len(labels) or len(codes) < 2:
        raise ValueError(f"need at least 2 codes with one label each, got {len(codes)} and {len(labels)}")
    if not all(0 < level <= 1 for level in levels):
        raise ValueError(f"recall levels must lie in (0, 1], got {levels}")
    totals, counted = np.zeros(len(levels)), 0
    others = np.arange(len(codes))
    for start in range(0, len(codes), chunk):
        queries = others[start:start + chunk]
        scores = cosine_matrix(codes[queries], codes)
        scores[np.arange(len(queries)), queries] = -np.inf       # the query itself sorts last
        order = np.lexsort((np.broadcast_to(others, scores.shape), -scores), axis=1)[:, :-1]
        found = np.cumsum(labels[order] == labels[queries][:, None], axis=1)   # r after n documents
        R = found[:, -1]
        found, R = found[R > 0], R[R > 0]
        for i, level in enumerate(levels):
            r = np.maximum(1, np.ceil(level * R - 1e-9))
            n = (found < r[:, None]).sum(axis=1) + 1                # rank of the r-th relevant one
            totals[i] += (r / n).sum()
        counted += len(R)
    if counted == 0:
        raise ValueError("no query has a relevant document (every class has one document)")
    return {level: float(t / counted) for level, t in zip(levels, totals)}


def level_name(level):
    """0.001 -> '0.1 %', 0.128 -> '12.8 %', 1.0 -> '100 %'."""
    return f"{100 * level:.4g} %"
