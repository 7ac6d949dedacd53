"""Features: is the code a good input for a classifier when labels are few?

The autoencoder is trained without labels on all the training images. Then a
linear classifier (apps/classifier.py: softmax regression on standardized
features, trained with minigrad) is fit on the codes of only 100, 1,000 or all
of the labelled training images (the same number of each digit) and scored on
the test images. The same classifier, same labelled subset, is also fit on
the raw pixels and on PCA codes of the same width (PCA fit on all training
images, also without labels): the baselines of the same run.

``run`` does all of it for one model.
"""
import numpy as np

from .classifier import train_and_score
from .common import balanced_subset, code_pca_pixel_spaces
from .result import AppResult, Table, pct

LABEL_COUNTS = (100, 1000, None)   # None: all training labels


def feature_spaces(model, train_images, test_images):
    """{name: (train features, test features)}: the model's codes, PCA codes of the same
    width, and pixels."""
    width, spaces = code_pca_pixel_spaces(
        model, train_images, test_images,
        "a classifier on its codes would be given the answer. Use an unconditional model")
    return {f"{model.name} code ({width})": spaces["code"], f"PCA-{width}": spaces["pca"],
            "pixels (784)": spaces["pixels"]}


def labelled_subset(labels, count, seed=0):
    """Indices of ``count`` training examples, count // 10 of each digit (all if None)."""
    if count is None or count >= len(labels):
        return np.arange(len(labels))
    classes = len(np.unique(labels))
    return balanced_subset(labels, count // classes, seed)


def feature_table(model, train_images, train_labels, test_images, test_labels,
                  counts=LABEL_COUNTS, seed=0, classifier=None, log=None):
    """{'counts': [n used], 'accuracy': {space: [test accuracy per count]}};
    classifier: options of the SoftmaxRegression (epochs, lr, ...); log: a function that is
    given one progress line per step."""
    log = log or (lambda message: None)
    classifier_options = dict(classifier or {})
    log(f"features: {model.name} codes and PCA codes of {len(train_images)} training and "
        f"{len(test_images)} test images...")
    spaces = feature_spaces(model, train_images, test_images)
    train_labels = np.asarray(train_labels)
    used, accuracy = [], {name: [] for name in spaces}
    for count in counts:
        index = labelled_subset(train_labels, count, seed)
        used.append(len(index))
        log(f"features: softmax regression on {len(index)} labels, on {', '.join(spaces)}...")
        for name, (train_f, test_f) in spaces.items():
            accuracy[name].append(train_and_score(train_f[index], train_labels[index], test_f,
                                                  test_labels, seed=seed, **classifier_options))
    return {"counts": used, "accuracy": accuracy}


def run(model, train_images, train_labels, test_images, test_labels, counts=LABEL_COUNTS, seed=0,
        classifier=None, log=None):
    """feature_table for the model's codes, PCA codes of the same width and pixels.

    numbers: model, counts [labels used], accuracy {space: [per count]}; no pictures."""
    found = feature_table(model, train_images, train_labels, test_images, test_labels, counts, seed,
                          classifier, log)
    return AppResult({"model": model.name, **found})


def table(numbers):
    """The numbers of ``run`` as a Table: accuracy on the codes beside PCA's and the pixels'."""
    spaces = list(numbers["accuracy"])         # the code, PCA-<width>, pixels
    rows = [[f"{count:,}"] + [pct(numbers["accuracy"][space][i]) for space in spaces]
            for i, count in enumerate(numbers["counts"])]
    return Table(
        f"features: test accuracy of softmax regression on {numbers['model']}'s codes",
        "% of the test images classified right, higher is better",
        ["labelled images", spaces[0]] + [f"baseline: {space}" for space in spaces[1:]], rows)
