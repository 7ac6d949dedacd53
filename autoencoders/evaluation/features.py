"""What the digit classifier sees in a set of images: the statistics every sample-quality
number is computed from.

For N images, the classifier gives

    features   the penultimate layer, (N, 128): summarised by their mean and covariance,
               the Gaussian the Frechet distance compares (frechet.py)
    predicted  the most likely class of each image, (N,): its histogram's entropy says how
               many digits a model draws, and for a conditional model the share equal to
               the requested digit says whether it draws the digit it was asked for

Only these summaries are kept (a few hundred kB), not the images.
"""
from dataclasses import dataclass

import numpy as np

from .digit_classifier import predict
from .frechet import gaussian_statistics


@dataclass(frozen=True)
class ClassifierView:
    """A set of images as the classifier sees it."""
    count: int
    mean: np.ndarray          # (D,) mean penultimate feature vector
    cov: np.ndarray           # (D, D) their covariance
    predicted: np.ndarray     # (N,) the most likely class of each image


def classifier_view(classifier, images):
    """The ClassifierView of images (any layout ``digit_classifier.as_input`` takes)."""
    logits, features = predict(classifier, images)
    mean, cov = gaussian_statistics(features)
    return ClassifierView(len(logits), mean, cov, np.argmax(logits, axis=1))
