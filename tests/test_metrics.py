"""AUROC, PSNR, precision@k and accuracy against hand-worked answers and brute force."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoencoders.metrics import accuracy, auroc, average_ranks, mse, precision_at_k, psnr


def auroc_by_pairs(scores, positive):
    """The definition: over every (positive, negative) pair, 1 if the positive scores
    higher, 1/2 on a tie; averaged."""
    pos = [s for s, p in zip(scores, positive) if p]
    neg = [s for s, p in zip(scores, positive) if not p]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def test_average_ranks_share_ties():
    np.testing.assert_array_equal(average_ranks([10, 20, 20, 30]), [1, 2.5, 2.5, 4])
    np.testing.assert_array_equal(average_ranks([5, 5, 5]), [2, 2, 2])
    np.testing.assert_array_equal(average_ranks([3, 1, 2]), [3, 1, 2])


def test_perfect_detector_is_one():
    assert auroc([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == 1.0


def test_reversed_detector_is_zero():
    assert auroc([0.9, 0.8, 0.2, 0.1], [False, False, True, True]) == 0.0


def test_all_ties_is_one_half():
    assert auroc([3.0] * 6, [0, 1, 0, 1, 1, 0]) == 0.5


def test_small_hand_computed_case():
    # positives score 0.4 and 0.8; negatives 0.1, 0.4, 0.6.
    # pairs won: 0.4 > 0.1 (1), 0.4 = 0.4 (1/2), 0.4 < 0.6 (0); 0.8 beats all three (3)
    # AUROC = 4.5 / 6 = 0.75
    assert auroc([0.1, 0.4, 0.4, 0.6, 0.8], [0, 0, 1, 0, 1]) == pytest.approx(0.75)


@given(st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=2, max_size=40)
       .filter(lambda xs: 0 < sum(p for _, p in xs) < len(xs)))
def test_auroc_matches_pair_counting(pairs):
    scores = [float(s) for s, _ in pairs]      # few distinct values: many ties
    positive = [p for _, p in pairs]
    assert auroc(scores, positive) == pytest.approx(auroc_by_pairs(scores, positive), abs=1e-12)


def test_auroc_is_unchanged_by_monotone_maps(rng):
    scores, positive = rng.normal(size=200), rng.random(200) < 0.3
    assert auroc(np.exp(scores), positive) == pytest.approx(auroc(scores, positive))


def test_auroc_rejects_one_class_and_nonfinite():
    with pytest.raises(ValueError, match="positives and negatives"):
        auroc([1, 2, 3], [True, True, True])
    with pytest.raises(ValueError, match="finite"):
        auroc([1, np.nan], [True, False])


def test_psnr_of_identical_images_is_inf():
    x = np.random.default_rng(0).random((3, 784))
    assert psnr(x, x) == math.inf


def test_psnr_of_a_known_mse_matches_the_formula():
    x = np.zeros((2, 100))
    y = x + 0.1                     # MSE = 0.01 -> PSNR = 10 log10(1 / 0.01) = 20 dB
    assert mse(x, y) == pytest.approx(0.01)
    assert psnr(x, y) == pytest.approx(20.0)
    assert psnr(x * 255, y * 255, peak=255.0) == pytest.approx(20.0)


def test_precision_at_k_on_a_hand_built_set():
    neighbour_labels = np.array([[1, 1, 0, 1],      # query label 1: hits 1,1,0,1
                                 [2, 0, 0, 2]])     # query label 2: hits 1,0,0,1
    result = precision_at_k(neighbour_labels, [1, 2], [1, 2, 4])
    assert result == {1: 1.0, 2: pytest.approx(0.75), 4: pytest.approx(5 / 8)}
    with pytest.raises(ValueError, match="only 4 neighbours"):
        precision_at_k(neighbour_labels, [1, 2], [5])


def test_accuracy():
    assert accuracy([1, 2, 3, 4], [1, 2, 0, 0]) == 0.5
