"""word2vec: the loss and its step against finite differences and autograd, the kernel against
its reference bit for bit, the negative sampler and subsampling against their formulas, the
lecture's toy analogy, and a tiny training run that learns."""
import math

import numpy as np
import pytest

import minigrad as mg
from autoencoders.text import word2vec_kernels as K
from autoencoders.text.vocabulary import (Vocabulary, alias_probabilities, alias_table,
                                          keep_probabilities, negative_distribution)
from autoencoders.text.word2vec import (Word2VecSettings, chunk_bounds, chunk_seeds, initial_vectors,
                                        train_word2vec)
from autoencoders.text.word_tasks import analogy_answers
from autoencoders.text.word_vectors import WordVectors


# ----- the loss and one step ------------------------------------------------------------------
def closed_form_loss(h, U):
    """-log sigma(u_0 . h) - sum_{j >= 1} log sigma(-u_j . h), written with NumPy alone."""
    x = U @ h
    return float(np.log1p(np.exp(-x[0])) + np.log1p(np.exp(x[1:])).sum())


def example(rng, dtype=np.float64, V=7, D=5):
    return rng.standard_normal((V, D)).astype(dtype), (0.5 * rng.standard_normal((V, D))).astype(dtype)


def loss_at(w_in, w_out, inputs, targets):
    """The kernel's loss with a zero learning rate: nothing moves."""
    return K.negative_sampling_update(w_in.copy(), w_out.copy(), np.array(inputs), np.array(targets), 0.0)


def finite_difference(w_in, w_out, inputs, targets, which, row, eps=1e-6):
    """dL/d(row of W_in or W_out) by central differences, in float64."""
    grad = np.zeros(w_in.shape[1])
    for d in range(len(grad)):
        plus, minus = [w_in.copy(), w_out.copy()], [w_in.copy(), w_out.copy()]
        plus[which][row, d] += eps
        minus[which][row, d] -= eps
        grad[d] = (loss_at(*plus, inputs, targets) - loss_at(*minus, inputs, targets)) / (2 * eps)
    return grad


def test_the_loss_is_the_closed_form(rng):
    w_in, w_out = example(rng)
    targets = [2, 4, 5, 6]
    assert loss_at(w_in, w_out, [1], targets) == pytest.approx(closed_form_loss(w_in[1], w_out[targets]), rel=1e-12)
    h = w_in[[0, 3]].mean(axis=0)
    assert loss_at(w_in, w_out, [0, 3], targets) == pytest.approx(closed_form_loss(h, w_out[targets]), rel=1e-12)


def test_the_loss_is_finite_for_huge_scores(rng):
    w_in, w_out = example(rng)
    w_in *= 1e3
    assert np.isfinite(loss_at(w_in, w_out, [1], [2, 4, 5]))
    a_in, a_out = w_in.copy(), w_out.copy()
    K.negative_sampling_update(a_in, a_out, np.array([1]), np.array([2, 4, 5]), 0.1)
    assert np.isfinite(a_in).all() and np.isfinite(a_out).all()


def test_skipgram_step_is_minus_lr_times_the_gradient(rng):
    w_in, w_out = example(rng)
    inputs, targets, lr = [1], [2, 4, 5, 6], 0.05
    a_in, a_out = w_in.copy(), w_out.copy()
    K.negative_sampling_update(a_in, a_out, np.array(inputs), np.array(targets), lr)
    np.testing.assert_allclose((a_in[1] - w_in[1]) / -lr,
                               finite_difference(w_in, w_out, inputs, targets, 0, 1), atol=1e-7)
    for t in targets:
        np.testing.assert_allclose((a_out[t] - w_out[t]) / -lr,
                                   finite_difference(w_in, w_out, inputs, targets, 1, t), atol=1e-7)
    untouched = [r for r in range(len(w_in)) if r not in targets]
    np.testing.assert_array_equal(a_out[untouched], w_out[untouched])
    np.testing.assert_array_equal(np.delete(a_in, 1, axis=0), np.delete(w_in, 1, axis=0))


def test_cbow_moves_each_context_row_by_the_whole_input_gradient(rng):
    """word2vec's CBOW: every context row gets -lr dL/dh = -lr m dL/dv_c (m context words)."""
    w_in, w_out = example(rng)
    inputs, targets, lr = [0, 3, 6], [2, 4, 5], 0.05
    a_in, a_out = w_in.copy(), w_out.copy()
    K.negative_sampling_update(a_in, a_out, np.array(inputs), np.array(targets), lr)
    for c in inputs:
        np.testing.assert_allclose((a_in[c] - w_in[c]) / -lr,
                                   len(inputs) * finite_difference(w_in, w_out, inputs, targets, 0, c), atol=1e-7)
    for t in targets:
        np.testing.assert_allclose((a_out[t] - w_out[t]) / -lr,
                                   finite_difference(w_in, w_out, inputs, targets, 1, t), atol=1e-7)


@pytest.mark.parametrize("inputs", [[1], [0, 3, 6]])
def test_the_step_agrees_with_minigrad_autograd(rng, inputs):
    """The same loss written with minigrad (two Embedding tables, autograd): its gradient is the
    kernel's step / -lr (times m for CBOW's m context rows)."""
    if not hasattr(mg.nn, "Embedding"):
        pytest.skip("minigrad.nn.Embedding is not there")
    w_in, w_out = example(rng)
    targets, lr = [2, 4, 5], 0.05
    table_in = mg.nn.Embedding.from_pretrained(w_in, freeze=False)
    table_out = mg.nn.Embedding.from_pretrained(w_out, freeze=False)
    h = table_in(np.array(inputs)).mean(axis=0)
    scores = (table_out(np.array(targets)) * h).sum(axis=1)
    loss = -mg.log_sigmoid(scores * np.array([1.0, -1.0, -1.0])).sum()
    loss.backward()
    a_in, a_out = w_in.copy(), w_out.copy()
    kernel_loss = K.negative_sampling_update(a_in, a_out, np.array(inputs), np.array(targets), lr)
    assert kernel_loss == pytest.approx(float(loss.item()), rel=1e-12)
    np.testing.assert_allclose((a_in - w_in) / -lr, len(inputs) * table_in.weight.grad.data,
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose((a_out - w_out) / -lr, table_out.weight.grad.data, rtol=1e-10, atol=1e-12)


def test_the_check_catches_a_wrong_gradient(rng):
    """The checker itself: a step with the labels swapped is not -lr times the gradient."""
    w_in, w_out = example(rng)
    a_in, a_out = w_in.copy(), w_out.copy()
    K.negative_sampling_update(a_in, a_out, np.array([1]), np.array([4, 2, 5]), 0.05)  # 4 as positive
    wrong = (a_in[1] - w_in[1]) / -0.05
    assert not np.allclose(wrong, finite_difference(w_in, w_out, [1], [2, 4, 5], 0, 1), atol=1e-4)


# ----- the kernel against its reference ----------------------------------------------------
def tiny_corpus(seed=0, V=30, sentences=40):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(V)]
    text = [[words[min(V - 1, int(rng.zipf(1.3)) - 1)] for _ in range(rng.integers(1, 25))]
            for _ in range(sentences)]
    vocabulary = Vocabulary.build(text)
    return vocabulary, *vocabulary.encode(text)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cbow", [False, True])
def test_serial_kernel_equals_the_reference_bit_for_bit(dtype, cbow):
    vocabulary, ids, offsets = tiny_corpus()
    rng = np.random.default_rng(1)
    w_in = ((rng.random((len(vocabulary), 13)) - 0.5) / 13).astype(dtype)
    w_out = (0.1 * rng.random((len(vocabulary), 13))).astype(dtype)
    share, alias = vocabulary.negative_table()
    args = (ids, offsets, np.array([0, 15, 40], np.int64), np.array([3, 99], np.uint64),
            vocabulary.keep_probabilities(1e-2), share, alias, 3, 4, cbow, 0.05, 0.001, 7, 2 * len(ids))
    a = [w_in.copy(), w_out.copy()]
    b = [w_in.copy(), w_out.copy()]
    loss_a, examples_a = K.train_epoch(*a, *args, parallel=False)
    loss_b, examples_b = K.train_epoch_reference(*b, *args)
    assert examples_a == examples_b > 0
    assert loss_a == pytest.approx(loss_b, rel=1e-12)    # summed in another order
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], w_in) and not np.array_equal(a[1], w_out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_step_equals_the_reference_bit_for_bit(rng, dtype):
    w_in, w_out = example(rng, dtype, V=9, D=21)
    for inputs, targets in (([1], [2, 4, 5]), ([0, 3, 3, 8], [2, 2, 6])):   # repeats allowed
        a, b = [w_in.copy(), w_out.copy()], [w_in.copy(), w_out.copy()]
        la = K.negative_sampling_update(*a, np.array(inputs), np.array(targets), 0.2)
        lb = K.negative_sampling_update_reference(*b, inputs, targets, 0.2)
        assert la == lb
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_lane_dot_is_the_dot_product(rng):
    for n in (1, 7, 8, 13, 100):
        a, b = rng.standard_normal(n), rng.standard_normal(n)
        assert K.lane_dot(a, b) == pytest.approx(a @ b, rel=1e-12, abs=1e-12)


def test_hogwild_threads_make_the_same_draws(rng):
    """Two threads racing on the rows (Hogwild): the draws, hence the example count, are those
    of the serial pass. The vectors differ (a chunk starts before the chunks ahead of it have
    moved the rows, and updates may be lost) but stay finite, and the loss is alike."""
    vocabulary, ids, offsets = tiny_corpus(sentences=200)
    w_in = ((rng.random((len(vocabulary), 16)) - 0.5) / 16).astype(np.float32)
    chunks = chunk_bounds(offsets, chunk_words=200)
    share, alias = vocabulary.negative_table()
    args = (ids, offsets, chunks, chunk_seeds(0, 0, len(chunks) - 1), vocabulary.keep_probabilities(1e-2),
            share, alias, 3, 4, False, 0.05, 0.001, 0, len(ids))
    serial = [w_in.copy(), np.zeros_like(w_in)]
    threaded = [w_in.copy(), np.zeros_like(w_in)]
    loss_serial, examples_serial = K.train_epoch(*serial, *args, parallel=False)
    loss_threaded, examples_threaded = K.train_epoch(*threaded, *args, parallel=True)
    assert examples_serial == examples_threaded
    assert np.isfinite(threaded[0]).all() and np.isfinite(threaded[1]).all()
    assert loss_threaded == pytest.approx(loss_serial, rel=0.25)


def test_the_kernel_refuses_mismatched_arrays():
    w = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="float32 or float64"):
        K.train_epoch(w, w.astype(np.float64), np.zeros(1, np.int32), np.array([0, 1]), np.array([0, 1]),
                      np.zeros(1, np.uint64), np.ones(3), np.ones(3), np.arange(3), 1, 1, False, 0.1, 0.0, 0, 1)


# ----- the distributions --------------------------------------------------------------------
def test_the_alias_table_holds_the_unigram_distribution_to_the_power_three_quarters():
    counts = np.array([5000, 1200, 700, 300, 90, 40, 7, 5, 5, 1])
    share, alias = alias_table(negative_distribution(counts))
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(alias_probabilities(share, alias), expected, rtol=1e-12)
    assert (share >= 0).all() and (share <= 1).all()


def test_negative_draws_follow_the_distribution():
    """10^6 draws, fixed seed: chi-square against f^0.75 / sum f^0.75 and the largest deviation."""
    from scipy.stats import chi2

    counts = np.array([5000, 1200, 700, 300, 90, 40, 7, 5, 5, 1])
    vocabulary = Vocabulary([f"w{i}" for i in range(len(counts))], counts)
    share, alias = vocabulary.negative_table()
    n = 1_000_000
    seen = np.bincount(K.draw_negatives(share, alias, n, 12345), minlength=len(counts))
    expected = n * counts ** 0.75 / (counts ** 0.75).sum()
    statistic = ((seen - expected) ** 2 / expected).sum()
    assert chi2.sf(statistic, len(counts) - 1) > 1e-3
    assert np.abs(seen / n - expected / n).max() < 2e-3
    # and the raw counts are NOT what is drawn: f^1 would be far off
    by_count = n * counts / counts.sum()
    assert ((seen - by_count) ** 2 / by_count).sum() > 1e4
    np.testing.assert_array_equal(K.draw_negatives(share, alias, 1000, 7),
                                  K.draw_negatives_reference(share, alias, 1000, 7))


def test_subsampling_keeps_words_with_the_formula():
    counts = np.array([1000, 100, 10, 1])
    s = 1e-2
    T = counts.sum()
    by_hand = [min(1.0, (math.sqrt(f / (s * T)) + 1) * (s * T) / f) for f in counts]
    np.testing.assert_allclose(keep_probabilities(counts, s), by_hand, rtol=1e-14)
    # 1000 of 1111 words: sqrt(1000 / 11.11) = 9.487; (9.487 + 1) * 11.11 / 1000 = 0.1165
    assert keep_probabilities(counts, s)[0] == pytest.approx(0.11652, abs=1e-5)
    assert keep_probabilities(counts, s)[2:].tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(keep_probabilities(counts, 0), np.ones(4))


def test_the_kernel_keeps_frequent_words_at_that_rate():
    """CBOW without negatives makes one example per kept word (every sentence keeps its ten
    rare words, so every kept word has a context): the examples count the kept words."""
    rng = np.random.default_rng(0)
    text = [["the"] * 40 + [f"r{i}" for i in rng.integers(0, 400, 10)] for _ in range(2000)]
    vocabulary = Vocabulary.build(text)
    ids, offsets = vocabulary.encode(text)
    keep = vocabulary.keep_probabilities(1e-3)
    assert keep[vocabulary.index["the"]] < 0.05 and keep[1:].min() == 1.0
    w = np.zeros((len(vocabulary), 4), np.float32)
    share, alias = vocabulary.negative_table()
    _, examples = K.train_epoch(w, w.copy(), ids, offsets, np.array([0, len(text)]), np.array([9], np.uint64),
                                keep, share, alias, 2, 0, True, 0.0, 0.0, 0, len(ids))
    kept_the = (examples - 10 * len(text)) / (40 * len(text))
    assert kept_the == pytest.approx(keep[vocabulary.index["the"]], abs=0.004)


# ----- the lecture's toy, and learning ---------------------------------------------------------
# Three hand-made dimensions: royalty, masculinity (+1 male, -1 female), age (0 child .. 1 old)
TOY = {
    "man":      (0.05, 0.95, 0.60),
    "woman":    (0.05, -0.95, 0.60),
    "boy":      (0.02, 0.90, 0.10),
    "girl":     (0.02, -0.90, 0.10),
    "prince":   (0.90, 0.90, 0.20),
    "princess": (0.90, -0.90, 0.20),
    "queen":    (0.95, -0.95, 0.70),
    "king":     (0.95, 0.95, 0.70),
    "monarch":  (0.99, 0.00, 0.65),
}


def test_king_minus_man_plus_woman_is_queen():
    vectors = WordVectors(list(TOY), np.array(list(TOY.values())))
    query = vectors["king"] - vectors["man"] + vectors["woman"]
    assert vectors.nearest(query, 1)[0][0] == "queen"                       # among all 9 words
    assert vectors.nearest(query, 1, exclude=("king", "man", "woman"))[0][0] == "queen"
    assert analogy_answers(vectors, [("man", "king", "woman")]) == ["queen"]   # 3CosAdd, unit vectors
    assert analogy_answers(vectors, [("man", "boy", "woman")]) == ["girl"]


def topic_corpus(seed=0, sentences=400):
    """Sentences drawn from one of two disjoint ten-word topics."""
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(10)], [f"b{i}" for i in range(10)]]
    return [list(rng.choice(topics[rng.integers(2)], 12)) for _ in range(sentences)]


@pytest.mark.parametrize("method", ["skipgram", "cbow"])
def test_training_puts_words_of_a_topic_together(method):
    settings = Word2VecSettings(method=method, dim=10, epochs=3, min_count=1, sample=0, seed=3)
    model = train_word2vec(topic_corpus(), settings)
    unit = model.vectors.unit
    topic = np.array([w[0] == "a" for w in model.vectors.words])
    cos = unit @ unit.T
    within = cos[np.ix_(topic, topic)][~np.eye(topic.sum(), dtype=bool)].mean()
    across = cos[np.ix_(topic, ~topic)].mean()
    assert within > across + 0.5
    assert model.history[-1]["loss"] < model.history[0]["loss"]
    assert [h["examples"] for h in model.history][0] > 0


def test_training_is_reproducible_with_one_thread():
    settings = Word2VecSettings(dim=8, epochs=1, min_count=1, seed=5)
    a = train_word2vec(topic_corpus(sentences=50), settings)
    b = train_word2vec(topic_corpus(sentences=50), settings)
    np.testing.assert_array_equal(a.vectors.vectors, b.vectors.vectors)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_initial_vectors_fill_gensims_range(dtype):
    dim = 50
    w = initial_vectors(np.random.default_rng(0), 2000, dim, dtype)
    assert w.dtype == dtype and w.shape == (2000, dim)
    assert w.min() >= -1 / dim and w.max() < 1 / dim
    assert w.min() < -0.99 / dim and w.max() > 0.99 / dim          # the whole range, both signs
    assert abs(w.mean()) < 0.01 / dim
    gensim = pytest.importorskip("gensim.models.keyedvectors")
    theirs = gensim.prep_vectors((2000, dim), seed=0)
    np.testing.assert_allclose(np.abs(theirs).max(), np.abs(w).max(), rtol=0.01)
    np.testing.assert_allclose(theirs.std(), w.std(), rtol=0.05)


def test_chunks_hold_whole_sentences():
    offsets = np.array([0, 4, 9, 9, 20, 23, 30])
    bounds = chunk_bounds(offsets, chunk_words=8)
    assert bounds[0] == 0 and bounds[-1] == 6 and (np.diff(bounds) > 0).all()
    assert bounds.tolist() == [0, 2, 4, 6]
    assert len(set(chunk_seeds(0, 0, 5).tolist())) == 5
    assert chunk_seeds(0, 1, 3).tolist() != chunk_seeds(0, 0, 3).tolist()


def test_the_vocabulary_counts_sorts_and_drops():
    vocabulary = Vocabulary.build([["b", "a", "b", "c"], ["c", "b", "d"]], min_count=2)
    assert vocabulary.words == ["b", "c"] and vocabulary.counts.tolist() == [3, 2]
    ids, offsets = vocabulary.encode([["a", "b", "c"], [], ["x"], ["c"]])
    assert ids.tolist() == [0, 1, 1] and offsets.tolist() == [0, 2, 2, 2, 3]
