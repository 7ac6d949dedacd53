"""Balanced labelled sets drawn by a seed."""
import numpy as np
import pytest

from autoencoders.semisupervised.splits import balanced_split


def labels(n=1000, seed=0):
    return np.random.default_rng(seed).integers(0, 10, n)


def test_every_class_gets_the_same_number():
    y = labels()
    labelled, unlabelled = balanced_split(y, 100, seed=3)
    assert len(labelled) == 100
    np.testing.assert_array_equal(np.bincount(y[labelled], minlength=10), [10] * 10)


def test_labelled_and_unlabelled_partition_the_indices():
    y = labels()
    labelled, unlabelled = balanced_split(y, 50, seed=1)
    assert not set(labelled) & set(unlabelled)
    np.testing.assert_array_equal(np.sort(np.concatenate([labelled, unlabelled])), np.arange(len(y)))


def test_a_seed_gives_the_same_draw_and_other_seeds_other_draws():
    y = labels()
    first = balanced_split(y, 100, seed=0)[0]
    np.testing.assert_array_equal(first, balanced_split(y, 100, seed=0)[0])
    assert not np.array_equal(first, balanced_split(y, 100, seed=1)[0])


def test_uneven_or_impossible_requests_are_refused():
    y = labels()
    with pytest.raises(ValueError, match="evenly"):
        balanced_split(y, 105)
    with pytest.raises(ValueError, match="need 4 images"):
        balanced_split(np.repeat(np.arange(10), 3), 40)
