"""Which training images keep their labels: the same number of each class, drawn by a seed.

    labelled, unlabelled = balanced_split(train_labels, 100, seed=3)

``labelled`` holds n / K indices of every class (K classes, n divisible by K), chosen by a
seeded permutation; ``unlabelled`` is every other index, whose labels the semi-supervised
models never read. Draw d of an experiment uses seed d, so the five draws of a table are
seeds 0..4 and each is reproducible on its own.
"""
import numpy as np


def balanced_split(labels, n_labelled, seed=0):
    """(labelled, unlabelled): sorted index arrays partitioning range(len(labels))."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if n_labelled % len(classes):
        raise ValueError(f"{n_labelled} labels cannot be split evenly over {len(classes)} classes")
    per_class = n_labelled // len(classes)
    counts = np.bincount(np.searchsorted(classes, labels))
    if counts.min() < per_class:
        raise ValueError(f"{n_labelled} labels need {per_class} images of every class; "
                         f"class {classes[np.argmin(counts)]} has {counts.min()}")
    order = np.random.default_rng(seed).permutation(len(labels))
    labelled = np.sort(np.concatenate([order[labels[order] == c][:per_class] for c in classes]))
    unlabelled = np.setdiff1d(np.arange(len(labels)), labelled)
    return labelled, unlabelled
