"""The document autoencoder: its loss and gradient, a tiny training run, the index, and the whole
application on a tiny synthetic 20 Newsgroups folder."""
import numpy as np
import pytest

import minigrad as mg
from autoencoders.text import documents
from autoencoders.text.corpora import document_corpus
from autoencoders.text.doc_autoencoder import (DocumentAutoencoder, document_input,
                                               train_document_autoencoder, word_distribution)

TOPICS = {
    "rec.sport": "goal match team player score coach league season win referee",
    "sci.space": "orbit rocket launch moon planet nasa shuttle satellite star mission",
    "comp.graphics": "pixel image render polygon shader texture screen color bitmap vector",
}


def synthetic_counts(rng, documents_per_topic=10, vocab=30):
    """Counts of three topics over 30 words, ten words each."""
    rows, labels = [], []
    for topic in range(3):
        for _ in range(documents_per_topic):
            row = rng.poisson(0.2, vocab).astype(float)
            row[topic * 10:(topic + 1) * 10] += rng.poisson(2.0, 10)
            rows.append(row)
            labels.append(topic)
    return np.array(rows), np.array(labels)


def test_the_input_and_the_target():
    counts = np.array([[0, 1, 3], [0, 0, 0]])
    np.testing.assert_allclose(word_distribution(counts), [[0, 0.25, 0.75], [0, 0, 0]])
    x = document_input(counts)
    np.testing.assert_allclose(x[0], np.log1p([0, 1, 3]) / np.linalg.norm(np.log1p([0, 1, 3])))
    np.testing.assert_array_equal(x[1], 0)
    np.testing.assert_allclose(document_input(counts, "probabilities"), word_distribution(counts))
    with pytest.raises(ValueError, match="input"):
        document_input(counts, "tfidf")


def test_the_gradient_of_the_reconstruction_loss_is_softmax_minus_p(rng):
    """L = -(1/B) sum_d sum_w p_dw log softmax(s_d)_w has dL/ds = (softmax(s) - p) / B, and
    finite differences agree (float64)."""
    s = rng.standard_normal((3, 6))
    p = word_distribution(rng.integers(0, 4, (3, 6)) + np.eye(3, 6))
    logits = mg.tensor(s, requires_grad=True)
    loss = mg.nn.functional.cross_entropy(logits, p)
    loss.backward()
    softmax = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad.data, (softmax - p) / 3, rtol=1e-10, atol=1e-12)
    assert float(loss.item()) == pytest.approx(-(p * np.log(softmax)).sum() / 3, rel=1e-12)
    assert mg.gradcheck(lambda t: mg.nn.functional.cross_entropy(t, p), [mg.tensor(s, requires_grad=True)])


def test_the_model_gradient_passes_the_finite_difference_check(rng):
    """In float64: the gradient with respect to the input (through every layer) element by
    element, and with respect to the first weight along a random direction."""
    mg.random.seed(0)
    model = DocumentAutoencoder(8, code=3, hidden=(5,)).double()
    x = rng.random((4, 8))
    p = word_distribution(rng.integers(0, 3, (4, 8)) + 1)
    assert mg.gradcheck(lambda t: model.loss(t, p), [mg.tensor(x, requires_grad=True)])
    weight = model.encoder[0].weight
    model.zero_grad()
    model.loss(mg.tensor(x), p).backward()
    direction, eps, start = rng.standard_normal(weight.shape), 1e-6, weight.data.copy()
    losses = []
    for sign in (1, -1):
        weight.data = start + sign * eps * direction
        losses.append(float(model.loss(mg.tensor(x), p).item()))
    weight.data = start
    assert (losses[0] - losses[1]) / (2 * eps) == pytest.approx(float((weight.grad.data * direction).sum()),
                                                               rel=1e-6)


def test_training_lowers_the_loss_and_separates_the_topics(rng):
    counts, labels = synthetic_counts(rng)
    model, history = train_document_autoencoder(counts, code=4, hidden=(16,), epochs=30, batch_size=10,
                                                lr=1e-2, dropout=0.0, seed=0)
    assert history[-1] < history[0] - 0.3
    codes = model.encode(document_input(counts))
    assert codes.shape == (30, 4)
    unit = codes / np.linalg.norm(codes, axis=1, keepdims=True)
    cos = unit @ unit.T
    same = labels[:, None] == labels[None, :]
    assert cos[same & ~np.eye(30, dtype=bool)].mean() > cos[~same].mean() + 0.3


def synthetic_newsgroups(root, rng, per_group=8):
    for split in ("20news-bydate-train", "20news-bydate-test"):
        for group, words in TOPICS.items():
            folder = root / split / group
            folder.mkdir(parents=True)
            vocabulary = words.split()
            for i in range(per_group):
                body = " ".join(rng.choice(vocabulary, 25)) + " the of and " + " ".join(
                    rng.choice(["common", "words", "everywhere"], 5))
                (folder / str(1000 + i)).write_text(f"From: someone@example.org\nSubject: post {i}\n\n{body}\n",
                                                    encoding="latin-1")
    return root


def test_the_newsgroups_folder_is_read_with_labels_and_without_headers(tmp_path, rng):
    corpus = document_corpus("20news", synthetic_newsgroups(tmp_path, rng))
    assert corpus.label_names == sorted(TOPICS)
    assert len(corpus.train_texts) == len(corpus.test_texts) == 24
    assert corpus.train_labels.tolist() == [0] * 8 + [1] * 8 + [2] * 8
    assert not any("Subject" in t or "From:" in t for t in corpus.train_texts)


def test_the_application_on_newsgroups_gives_precision_at_eleven_levels(tmp_path, rng):
    corpus = document_corpus("20news", synthetic_newsgroups(tmp_path, rng))
    settings = documents.DocumentSettings(vocab=60, code=4, hidden=(16,), epochs=40, batch_size=8,
                                          lr=1e-2, dropout=0.0)
    result, index = documents.run(corpus, settings)
    precision = result.numbers["precision"]
    assert list(precision) == ["autoencoder", "LSA-4", "tf-idf"]
    assert all(len(p["levels"]) == 11 for p in precision.values())
    assert precision["autoencoder"]["levels"][1.0] > 0.6         # chance: 7 / 23
    assert precision["tf-idf"]["levels"][0.001] == pytest.approx(1.0)
    assert "precision_recall" in result.pictures
    assert "recall" in documents.table(result.numbers).render()
    # the index holds every document, and a query about rockets finds space posts
    assert len(index.codes) == 48
    (found,) = index.query(["rocket launch to the moon orbit nasa"], k=3)
    assert all(corpus.train_labels[d] == 1 for d, _, _ in found if d < 24)
    path = documents.save_index(index, tmp_path / "index.npz")
    again = documents.load_index(path)
    assert again.query(["rocket launch to the moon orbit nasa"], k=3) == [found]


def test_an_unrelated_file_is_not_an_index(tmp_path):
    mg.save({"something": np.zeros(2)}, tmp_path / "other.npz")
    with pytest.raises(ValueError, match="not a document index"):
        documents.load_index(tmp_path / "other.npz")
