"""Pearson and Spearman correlation: how well one list of numbers follows another.

Pearson's r measures a straight-line relation between x and y:

    r = sum_i (x_i - mean x)(y_i - mean y) / sqrt(sum_i (x_i - mean x)^2 sum_i (y_i - mean y)^2)

in [-1, 1]; 1 when y = a x + b with a > 0. Spearman's rho is Pearson's r of the ranks (tied
values share the mean of their ranks, autoencoders.metrics.average_ranks), so it asks only
whether y rises when x rises: 1 for any increasing relation, straight or not. Word-similarity
benchmarks report rho (people's scores are only meaningful as an order); the Lee corpus is
usually reported with r, and both are given here.

A constant list has no direction, and both are undefined (NaN) then.
"""
import numpy as np

from ..metrics import average_ranks


def pearson(x, y):
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"correlation needs two lists of the same length >= 2, got {len(x)} and {len(y)}")
    dx, dy = x - x.mean(), y - y.mean()
    denominator = np.sqrt((dx @ dx) * (dy @ dy))
    return float(dx @ dy / denominator) if denominator > 0 else float("nan")


def spearman(x, y):
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if len(x) != len(y):
        raise ValueError(f"correlation needs two lists of the same length, got {len(x)} and {len(y)}")
    return pearson(average_ranks(x), average_ranks(y))
