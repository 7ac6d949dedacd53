"""Search: the nearest neighbours of a query image, looked up in code space.

Every training image is stored as its code; a query is encoded and compared
with all of them, by brute force (one matrix product per chunk of queries):

    Euclidean  d(q, x)^2 = ||q||^2 - 2 q.x + ||x||^2
    cosine     1 - q.x / (||q|| ||x||): the Euclidean search on unit-length rows,
               since ||q/|q| - x/|x|||^2 = 2 - 2 cos(q, x) ranks the same

A neighbour counts as a hit when it has the query's label; precision@k is the
share of hits among the k nearest, averaged over the queries
(autoencoders.metrics.precision_at_k). The same search runs on the codes of
the autoencoder, on PCA codes of the same width (fit on the training images)
and on the raw pixels, so the table says whether the learned code is a better
place to search than a linear projection or no projection at all.

``run`` does all of it for one model.
"""
import numpy as np

from ..metrics import precision_at_k
from .common import code_pca_pixel_spaces, embed, pixels
from .result import AppResult, Grid, Table, pct

METRICS = ("euclidean", "cosine")
KS = (1, 10, 100)


def unit_rows(x):
    """Rows scaled to length 1 (all-zero rows stay zero)."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def nearest_neighbours(queries, database, k, metric="euclidean", chunk=256):
    """(Q, k) indices into ``database`` (N, D) of each query's k nearest rows, nearest first
    (equal distances: the lower index first, except where a tie straddles the k-th place)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    queries = np.asarray(queries, dtype=np.float64).reshape(len(queries), -1)
    database = np.asarray(database, dtype=np.float64).reshape(len(database), -1)
    if queries.shape[1] != database.shape[1]:
        raise ValueError(f"queries have {queries.shape[1]} features, the database {database.shape[1]}")
    if not 1 <= k <= len(database):
        raise ValueError(f"k must be in [1, {len(database)}] (the database size), got {k}")
    if metric == "cosine":
        queries, database = unit_rows(queries), unit_rows(database)
    db_sq = (database ** 2).sum(axis=1)
    out = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), chunk):
        q = queries[start:start + chunk]
        d2 = (q ** 2).sum(axis=1)[:, None] - 2.0 * q @ database.T + db_sq[None, :]
        if k < d2.shape[1]:   # the k smallest in any order (linear time), then sort those
            nearest = np.argpartition(d2, k - 1, axis=1)[:, :k]
        else:
            nearest = np.broadcast_to(np.arange(k), d2.shape).copy()
        dist = np.take_along_axis(d2, nearest, axis=1)
        order = np.lexsort((nearest, dist), axis=1)        # by distance, then by index
        out[start:start + chunk] = np.take_along_axis(nearest, order, axis=1)
    return out


def search_precision(query_features, query_labels, db_features, db_labels, ks=KS,
                     metric="euclidean"):
    """{k: precision@k} of the nearest-neighbour search in the given feature space."""
    index = nearest_neighbours(query_features, db_features, max(ks), metric)
    return precision_at_k(np.asarray(db_labels)[index], query_labels, ks)


def search_table(model, train_images, train_labels, test_images, test_labels, ks=KS,
                 metrics=METRICS):
    """Precision@k of the test images searched among the training images, for the
    autoencoder's codes, PCA codes of the same width and raw pixels:
    {space: {metric: {k: precision}}}, plus 'width': the code width."""
    # a CVAE's code leaves the digit out (the decoder is given it), so it is refused
    width, spaces = code_pca_pixel_spaces(
        model, train_images, test_images,
        "its codes cannot be searched for the label; use an unconditional model")
    names = {"code": f"{model.name} code", "pca": f"PCA-{width}", "pixels": "pixels"}
    table = {names[kind]: {metric: search_precision(test, test_labels, train, train_labels, ks, metric)
                           for metric in metrics}
             for kind, (train, test) in spaces.items()}
    return {"width": width, "precision": table}


def query_rows(model, train_images, test_images, n_queries=8, k=9, metric="euclidean"):
    """(n_queries * (1 + k), 784): each row a test query followed by its k nearest
    training images in the model's code space."""
    codes_train = embed(model, train_images)
    codes_query = embed(model, test_images[:n_queries])
    index = nearest_neighbours(codes_query, codes_train, k, metric)
    train_px, query_px = pixels(train_images), pixels(test_images[:n_queries])
    rows = [np.concatenate([query_px[i:i + 1], train_px[index[i]]]) for i in range(n_queries)]
    return np.concatenate(rows)


def run(model, train_images, train_labels, test_images, test_labels, log=None):
    """search_table for the test images searched among the training images, and a picture of a
    few queries with their nearest training images. log: a function that is given one
    progress line per step.

    numbers: model, width, precision {space: {metric: {k: precision}}}; pictures: search."""
    log = log or (lambda message: None)
    log(f"search: {len(test_images)} test images among {len(train_images)} training images, in "
        f"{model.name} codes, PCA codes and pixels, {' and '.join(METRICS)}...")
    found = search_table(model, train_images, train_labels, test_images, test_labels)
    k = 9
    picture = Grid(query_rows(model, train_images, test_images, k=k), 1 + k,
                   f"{model.name}: query, then its {k} nearest training images",
                   col_labels=("query", *range(1, k + 1)))
    return AppResult({"model": model.name, **found}, {"search": picture})


def table(numbers):
    """The numbers of ``run`` as a Table: precision@k of the code beside PCA's and the pixels'."""
    spaces = list(numbers["precision"])          # the code, PCA-<width>, pixels
    code, baselines = spaces[0], spaces[1:]
    rows = []
    for metric in numbers["precision"][code]:
        for k in numbers["precision"][code][metric]:
            rows.append([metric, k] + [pct(numbers["precision"][space][metric][k]) for space in spaces])
    return Table(
        "search: precision@k of the test images searched among the training images",
        "% of the k nearest training images that share the query's label, higher is better",
        ["distance", "k", code] + [f"baseline: {space}" for space in baselines], rows)
