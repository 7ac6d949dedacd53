"""The sample-quality metric: the Frechet distance against closed forms, entropy and
conditional accuracy on known inputs, the digit classifier on a slice, the commands end to end."""
import json

import numpy as np
import pytest

import minigrad as mg
from autoencoders.data import load_dataset
from autoencoders.evaluation import digit_classifier, frechet, sample_quality
from autoencoders.evaluation.features import classifier_view
from autoencoders.models import build_model
from cli_helpers import run


def random_spd(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T + 0.1 * np.eye(d)


# ----- the Frechet distance ---------------------------------------------------------------------
def test_a_set_is_at_distance_zero_from_itself(rng):
    features = rng.standard_normal((500, 12)) @ rng.standard_normal((12, 12)) + 3.0
    d2 = frechet.frechet_distance_of_features(features, features)
    assert d2 == pytest.approx(0.0, abs=1e-9 * np.trace(np.cov(features, rowvar=False)))


def test_one_dimension_is_the_difference_of_means_and_of_standard_deviations():
    # N(m1, s1^2) vs N(m2, s2^2): (m1 - m2)^2 + (s1 - s2)^2
    assert frechet.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4.0 + 1.0)


def test_commuting_covariances_match_the_closed_form(rng):
    m1, m2 = rng.standard_normal(5), rng.standard_normal(5)
    a, b = rng.uniform(0.1, 3.0, 5), rng.uniform(0.1, 3.0, 5)
    expected = np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet.frechet_distance(m1, np.diag(a), m2, np.diag(b)) == pytest.approx(expected, rel=1e-10)


def test_two_gaussians_match_the_closed_form_without_a_matrix_square_root(rng):
    """2 x 2 covariances that do not commute: the eigenvalues l1, l2 of C1 C2 give
    tr((C1 C2)^(1/2)) = sqrt(l1) + sqrt(l2) = sqrt(tr(C1 C2) + 2 sqrt(det(C1 C2))),
    so ||m1 - m2||^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)) is known in closed form."""
    for _ in range(5):
        c1, c2 = random_spd(rng, 2), random_spd(rng, 2)
        assert not np.allclose(c1 @ c2, c2 @ c1)
        m1, m2 = rng.standard_normal(2), rng.standard_normal(2)
        product = c1 @ c2
        tr_sqrt = np.sqrt(np.trace(product) + 2 * np.sqrt(np.linalg.det(product)))
        expected = np.sum((m1 - m2) ** 2) + np.trace(c1 + c2) - 2 * tr_sqrt
        assert frechet.frechet_distance(m1, c1, m2, c2) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_trace_sqrt_is_symmetric_and_handles_a_singular_covariance(rng):
    c1, c2 = random_spd(rng, 6), random_spd(rng, 6)
    assert frechet.trace_sqrt_product(c1, c2) == pytest.approx(frechet.trace_sqrt_product(c2, c1), rel=1e-10)
    v = rng.standard_normal(4)         # rank one: (v v^T I)^(1/2) has trace |v|
    assert frechet.trace_sqrt_product(np.outer(v, v), np.eye(4)) == pytest.approx(np.linalg.norm(v))
    assert frechet.trace_sqrt_product(np.eye(4), np.outer(v, v)) == pytest.approx(np.linalg.norm(v))


def test_psd_sqrt_squares_back(rng):
    c = random_spd(rng, 7)
    s = frechet.psd_sqrt(c)
    np.testing.assert_allclose(s @ s, c, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s, s.T)


def test_sample_statistics_converge_to_the_population_distance(rng):
    c1, c2 = random_spd(rng, 3), random_spd(rng, 3)
    m1, m2 = np.zeros(3), np.array([1.0, -1.0, 0.5])
    x1 = rng.multivariate_normal(m1, c1, size=40_000)
    x2 = rng.multivariate_normal(m2, c2, size=40_000)
    expected = frechet.frechet_distance(m1, c1, m2, c2)
    assert frechet.frechet_distance_of_features(x1, x2) == pytest.approx(expected, rel=0.05)


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="do not match"):
        frechet.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="at least 2"):
        frechet.gaussian_statistics(np.zeros((1, 4)))


# ----- entropy and conditional accuracy -----------------------------------------------------------
def test_class_entropy_on_known_histograms():
    assert sample_quality.class_entropy(np.arange(1000) % 10) == pytest.approx(np.log(10))
    assert sample_quality.class_entropy(np.full(50, 7)) == 0.0
    assert sample_quality.class_entropy([0, 0, 1, 1]) == pytest.approx(np.log(2))
    # p = (1/2, 1/4, 1/4): H = 1/2 log 2 + 2 (1/4 log 4) = 1.5 log 2
    assert sample_quality.class_entropy([3, 3, 5, 9]) == pytest.approx(1.5 * np.log(2))


def test_conditional_accuracy_on_known_inputs():
    assert sample_quality.conditional_accuracy([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75
    assert sample_quality.conditional_accuracy(np.arange(10), np.arange(10)) == 1.0
    with pytest.raises(ValueError, match="requested"):
        sample_quality.conditional_accuracy([1, 2], [1])


# ----- drawing the images ----------------------------------------------------------------------------
def test_a_conditional_model_is_asked_for_every_digit_in_turn():
    mg.random.seed(0)
    model = build_model("cvae", hidden=8, latent=2)
    images, requested = sample_quality.draw(model, 23, seed=1, chunk=5)
    assert images.shape == (23, 784) and 0 <= images.min() and images.max() <= 1
    np.testing.assert_array_equal(requested, np.arange(23) % 10)


def test_drawing_in_chunks_draws_the_same_images():
    mg.random.seed(0)
    model = build_model("vae", hidden=8, latent=2)
    whole, none = sample_quality.draw(model, 7, seed=3, chunk=100)
    chunked, _ = sample_quality.draw(model, 7, seed=3, chunk=3)
    assert none is None
    np.testing.assert_allclose(chunked, whole, atol=1e-6)


def test_a_model_that_cannot_sample_is_refused():
    with pytest.raises(ValueError, match="not generative"):
        sample_quality.draw(build_model("dense", hidden=8, code=2), 4)


def test_independent_pixels_follow_the_training_means(rng):
    train = (rng.random((200, 784)) < np.linspace(0, 1, 784)).astype(np.uint8) * 255
    images, requested = sample_quality.independent_pixels(train, 4000, seed=0)
    assert requested is None and set(np.unique(images)) <= {0.0, 1.0}
    np.testing.assert_allclose(images.mean(axis=0), (train / 255).mean(axis=0), atol=0.05)
    labels = np.repeat([0, 1], 100)
    train[labels == 1] = 255             # digit 1: every pixel lit; digit 0 as before
    images, requested = sample_quality.independent_pixels(train, 40, seed=0, train_labels=labels,
                                                          classes=2)
    np.testing.assert_array_equal(requested, np.arange(40) % 2)
    assert images[requested == 1].min() == 1.0


# ----- the classifier on a slice --------------------------------------------------------------------
@pytest.fixture(scope="module")
def mnist5k():
    train_x, train_y = load_dataset("mnist-5k", split="train")
    test_x, test_y = load_dataset("mnist-5k", split="test")
    return train_x, train_y, test_x, test_y


@pytest.fixture(scope="module")
def tiny_classifier(mnist5k):
    train_x, train_y, _, _ = mnist5k
    return digit_classifier.train_classifier(train_x[:600], train_y[:600], epochs=3, batch_size=32,
                                             lr=3e-3, seed=0)


def test_a_tiny_classifier_trained_on_a_slice_beats_chance(tiny_classifier, mnist5k):
    _, _, test_x, test_y = mnist5k
    assert digit_classifier.accuracy(tiny_classifier, test_x[:500], test_y[:500]) > 0.6   # chance: 0.1


def test_the_classifier_reads_every_layout_alike(tiny_classifier, mnist5k):
    images = mnist5k[2][:10]
    logits, features = digit_classifier.predict(tiny_classifier, images)
    assert logits.shape == (10, 10) and features.shape == (10, 128) and features.min() >= 0   # after ReLU
    for layout in (images / 255.0, (images / 255.0).reshape(10, 784), images[:, None]):
        np.testing.assert_allclose(digit_classifier.predict(tiny_classifier, layout)[0], logits, atol=1e-5)


def test_the_classifier_file_round_trips(tiny_classifier, mnist5k, tmp_path):
    path = digit_classifier.save_classifier(tmp_path / "c.npz", tiny_classifier, {"test_accuracy": 0.5})
    loaded, info = digit_classifier.load_classifier(path)
    assert info == {"test_accuracy": 0.5}
    images = mnist5k[2][:20]
    np.testing.assert_array_equal(digit_classifier.predict(loaded, images)[0],
                                  digit_classifier.predict(tiny_classifier, images)[0])
    mg.save({"something": np.zeros(3)}, tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file at all")
    for bad in ("other.npz", "junk.npz", "missing.npz"):
        with pytest.raises(digit_classifier.ClassifierFileError):
            digit_classifier.load_classifier(tmp_path / bad)


class Copier:
    """A 'generative model' that hands back real images: it should score like the floor."""
    name, can_sample, needs_labels, config = "copier", True, False, {}

    def __init__(self, images):
        self.images = images

    def sample(self, n, rng, labels=None):
        return self.images[rng.permutation(len(self.images))[:n]] / 255.0


def test_real_images_score_near_the_floor_and_far_from_the_ceiling(tiny_classifier, mnist5k):
    train_x, train_y, test_x, _ = mnist5k
    entries = [sample_quality.Entry("copier", Copier(train_x), 12.0, "test")]
    numbers = sample_quality.run(tiny_classifier, entries, train_x, train_y, test_x, n=800)
    rows = {row["name"]: row for row in numbers["rows"]}
    assert [row["kind"] for row in numbers["rows"]] == ["floor", "model", "ceiling", "ceiling"]
    floor, copier = rows["training images"], rows["copier"]
    ceiling = rows["independent pixels"]
    assert copier["frechet"] < 3 * floor["frechet"] + 1 < ceiling["frechet"]
    assert copier["entropy"] > 2.0 and floor["entropy"] > 2.0       # log 10 = 2.303
    assert floor["correct_digit"] > 0.6 and copier["correct_digit"] is None
    assert copier["seconds"] == 12.0 and sum(copier["histogram"]) == pytest.approx(1.0, abs=1e-3)
    assert "copier" in sample_quality.table(numbers).render()
    assert sample_quality.markdown(numbers).startswith("| samples from |")


def test_the_view_of_images_holds_their_statistics(tiny_classifier, mnist5k):
    view = classifier_view(tiny_classifier, mnist5k[2][:50])
    assert view.count == 50 and view.mean.shape == (128,) and view.cov.shape == (128, 128)


# ----- the commands --------------------------------------------------------------------------------
@pytest.fixture
def commands():
    """The command line (cli.main as a process sees it)."""
    return run


def test_the_commands_end_to_end(commands, tmp_path, capsys):
    out = tmp_path / "classifier"
    assert commands(["classifier", "--dataset", "mnist-5k", "--limit", "300", "--epochs", "1",
                     "--out", str(out), "--json", "--quiet"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["epochs"] == 1 and 0 <= trained["test_accuracy"] <= 1
    assert (out / "classifier.npz").is_file()
    assert commands(["train", "--model", "cvae", "--epochs", "1", "--limit", "100", "--out",
                     str(tmp_path / "cvae"), "--no-figures", "--quiet"]) == 0
    capsys.readouterr()
    assert commands(["sample-quality", str(tmp_path / "cvae" / "last.npz"), "--classifier",
                     str(out / "classifier.npz"), "--n", "50", "--out", str(tmp_path / "sq"),
                     "--json", "--quiet"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    cvae = next(row for row in numbers["rows"] if row["name"] == "cvae")
    assert cvae["correct_digit"] is not None and cvae["seconds"] > 0
    assert numbers["samples"] == 50 and numbers["classifier"]["epochs"] == 1
    assert (tmp_path / "sq" / "sample_quality.md").read_text().startswith("| samples from")
    assert (tmp_path / "sq" / "class_histograms.png").stat().st_size > 1000


def test_the_commands_refuse_in_one_line(commands, tmp_path, capsys):
    assert commands(["sample-quality", "--classifier", str(tmp_path / "none.npz")]) == 2
    assert "train one first" in capsys.readouterr().err
    assert commands(["train", "--model", "dense", "--epochs", "1", "--limit", "50", "--out",
                     str(tmp_path / "dense"), "--no-figures", "--quiet"]) == 0
    digit_classifier.save_classifier(tmp_path / "c.npz", digit_classifier.DigitClassifier())
    capsys.readouterr()
    assert commands(["sample-quality", str(tmp_path / "dense" / "last.npz"), "--classifier",
                     str(tmp_path / "c.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert "not generative" in err and len(err.splitlines()) == 1
    assert commands(["sample-quality", "--n", "1"]) == 2
