"""Pearson, Spearman, precision at recall, tf-idf and LSA on cases worked by hand, and against
independent references (SciPy, brute force)."""
import math

import numpy as np
import pytest

from autoencoders.text.bag_of_words import BagOfWords, unit_rows
from autoencoders.text.correlation import pearson, spearman
from autoencoders.text.lsa import LSA
from autoencoders.text.retrieval import RECALL_LEVELS, level_name, precision_at_recall, rank
from autoencoders.text.word_tasks import similarity_score
from autoencoders.text.word_vectors import WordVectors


# ----- correlation ---------------------------------------------------------------------------
def test_pearson_by_hand():
    # x = 1, 2, 3 and y = 2, 4, 7: dx = -1, 0, 1; dy = -7/3, -1/3, 8/3
    # sum dx dy = 5, sum dx^2 = 2, sum dy^2 = 114/9: r = 5 / sqrt(2 * 114 / 9)
    assert pearson([1, 2, 3], [2, 4, 7]) == pytest.approx(5 / math.sqrt(2 * 114 / 9), rel=1e-14)
    assert pearson([1, 2, 3], [-2, -4, -6]) == pytest.approx(-1.0)


def test_spearman_by_hand():
    # ranks 1 2 3 4 against 1 3 2 4: sum d^2 = 2, rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert spearman([10, 20, 30, 40], [1, 3, 2, 4]) == pytest.approx(0.8, rel=1e-14)
    assert spearman([1, 2, 3, 4], [1, 8, 27, 64]) == pytest.approx(1.0)    # monotone, not straight
    assert pearson([1, 2, 3, 4], [1, 8, 27, 64]) < 0.99


def test_against_scipy_with_ties(rng):
    from scipy import stats

    x = rng.integers(0, 5, 40).astype(float)
    y = x + rng.integers(0, 3, 40)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, rel=1e-12)
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, rel=1e-12)


def test_a_constant_list_has_no_correlation():
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ValueError):
        pearson([1, 2], [1, 2, 3])


def test_similarity_score_counts_the_pairs_it_can_rate():
    vectors = WordVectors(["a", "b", "c", "d"], np.array([[1, 0], [1, 0.1], [0, 1], [1, 1.0]]))
    pairs = [("a", "b", 9.0), ("a", "c", 1.0), ("a", "d", 5.0), ("a", "zzz", 3.0)]
    found = similarity_score(vectors, pairs)
    assert found["pairs"] == 3 and found["coverage"] == 0.75
    assert found["spearman"] == pytest.approx(1.0)


# ----- precision at recall ---------------------------------------------------------------------
def angles(degrees):
    radians = np.radians(degrees)
    return np.column_stack([np.cos(radians), np.sin(radians)])


def test_precision_at_recall_by_hand():
    """Codes at 0, 10, 25 and 90 degrees, labels 0 1 0 1; each has R = 1 relevant other.
    d0: d1, d2, d3 -> its match d2 at rank 2: 1/2.   d1: d0, d2, d3 -> d3 at rank 3: 1/3.
    d2: d1, d0, d3 -> d0 at rank 2: 1/2.              d3: d2, d1, d0 -> d1 at rank 2: 1/2."""
    found = precision_at_recall(angles([0, 10, 25, 90]), [0, 1, 0, 1], levels=(0.1, 1.0))
    expected = (0.5 + 1 / 3 + 0.5 + 0.5) / 4
    assert found == {0.1: pytest.approx(expected), 1.0: pytest.approx(expected)}


def test_precision_at_recall_levels_by_hand():
    """Six codes at 0, 10, ..., 50 degrees, labels A B A B B A. The first query's ranking is
    B A B B A: R = 2, recall 50 % is reached at rank 2 (precision 1/2), 100 % at rank 5 (2/5).
    Every document is a query; the vectorised walk must equal a plain walk over each ranking."""
    codes = angles([0, 10, 20, 30, 40, 50])
    labels = np.array([0, 1, 0, 1, 1, 0])
    found = precision_at_recall(codes, labels, levels=(0.5, 1.0), chunk=4)
    brute, first = {0.5: 0.0, 1.0: 0.0}, {}
    for q in range(6):
        cos = unit_rows(codes) @ unit_rows(codes)[q]
        others = [i for i in np.argsort(-cos, kind="stable") if i != q]
        hits = np.cumsum(labels[others] == labels[q])
        R = hits[-1]
        for level in brute:
            r = max(1, math.ceil(level * R))
            precision = r / (np.searchsorted(hits, r) + 1)
            brute[level] += precision / 6
            if q == 0:
                first[level] = precision
        if q == 0:
            assert labels[others].tolist() == [1, 0, 1, 1, 0]
    assert first == {0.5: 1 / 2, 1.0: 2 / 5}
    assert found == pytest.approx(brute)


def test_perfect_codes_have_precision_one_and_random_codes_about_the_class_share(rng):
    labels = np.repeat(np.arange(4), 30)
    perfect = np.eye(4)[labels] + 0.01 * rng.random((120, 4))
    assert min(precision_at_recall(perfect, labels).values()) == pytest.approx(1.0)
    noise = precision_at_recall(rng.standard_normal((120, 8)), labels)
    assert noise[1.0] == pytest.approx(29 / 119, abs=0.03)
    assert list(noise) == list(RECALL_LEVELS) and len(RECALL_LEVELS) == 11
    assert level_name(0.001) == "0.1 %" and level_name(0.128) == "12.8 %" and level_name(1.0) == "100 %"


def test_rank_orders_by_cosine_with_ties_by_index():
    order, scores = rank(angles([0]), angles([50, 10, -10, 90]), k=3)
    assert order.tolist() == [[1, 2, 0]]
    np.testing.assert_allclose(scores[0], np.cos(np.radians([10, 10, 50])))


# ----- bag of words, tf-idf, LSA -------------------------------------------------------------------
def test_tfidf_by_hand():
    texts = ["apple apple banana", "banana cherry", "cherry cherry apple durian"]
    bag = BagOfWords.fit(texts, size=10, min_count=1)
    assert set(bag.vocabulary.words) == {"apple", "banana", "cherry", "durian"}
    counts = bag.counts(["apple apple the banana zebra"])
    col = bag.vocabulary.index
    assert counts[0, col["apple"]] == 2 and counts[0, col["banana"]] == 1 and counts.sum() == 3
    # apple in 2 of 3 documents: idf ln(3/2); banana 2 of 3; durian 1 of 3: ln 3
    assert bag.idf[col["apple"]] == pytest.approx(math.log(1.5))
    assert bag.idf[col["durian"]] == pytest.approx(math.log(3))
    w = bag.tfidf(counts)[0]
    expected = np.array([2 * math.log(1.5), math.log(1.5)])
    np.testing.assert_allclose(w[[col["apple"], col["banana"]]], expected / np.linalg.norm(expected))


def test_stop_words_are_left_out_of_the_vocabulary():
    bag = BagOfWords.fit(["the cat and the dog", "the cat sat"], size=10, min_count=1)
    assert "the" not in bag.vocabulary and "and" not in bag.vocabulary and "cat" in bag.vocabulary


def test_lsa_codes_of_training_rows_are_u_times_s(rng):
    x = rng.random((12, 20))
    lsa = LSA(4).fit(x)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    z = lsa.transform(x)
    np.testing.assert_allclose(np.abs(z), np.abs(u[:, :4] * s[:4]), atol=1e-10)
    # the rank-4 reconstruction is the best one: no worse than a random 4-D projection's
    best = np.linalg.norm(x - z @ lsa.components_)
    q, _ = np.linalg.qr(rng.standard_normal((20, 4)))
    assert best <= np.linalg.norm(x - x @ q @ q.T)
    with pytest.raises(ValueError, match="at least 13"):
        LSA(13).fit(x)
