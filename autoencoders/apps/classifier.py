"""A linear classifier written with minigrad: softmax regression on standardized features.

    f = (x - mean) / std                 (mean and std of the training features, per column)
    logits = f W^T + b                   nn.Linear(features, classes)
    p(y | x) = softmax(logits)
    loss = mean over the batch of -log p(y_n | x_n)  +  (weight_decay / 2) ||W||^2 (via Adam's L2)

trained with Adam on mini-batches. It is the probe of the ``features`` and
``augment`` applications: the better the features, the better a *linear*
classifier does on them, so the test accuracy measures how much of the digit
identity a code lays out in straight lines.

Deterministic: the weights come from minigrad's generator seeded with
``seed`` and the batch order from ``numpy.random.default_rng(seed)``, so the
same features, labels and seed give the same classifier bit for bit.
"""
import math

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim

from ..metrics import accuracy


class Standardizer:
    """Per-column (x - mean) / std with the training features' statistics (constant
    columns, like the always-black corner pixels, get std 1 so they stay 0)."""

    def fit(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.std_ = np.where(std > 1e-8, std, 1.0)
        return self

    def transform(self, x):
        return ((np.asarray(x, dtype=np.float64) - self.mean_) / self.std_).astype(np.float32)


class SoftmaxRegression:
    """A linear softmax classifier: ``fit(features, labels)``, then ``predict`` / ``score``.

    epochs: passes over the training features; at least ``min_steps`` optimizer steps
        are taken however few the examples (100 labels are one batch).
    """

    def __init__(self, classes=10, epochs=30, batch_size=128, lr=1e-2, weight_decay=1e-3,
                 min_steps=300, seed=0):
        self.classes, self.epochs, self.batch_size = classes, epochs, batch_size
        self.lr, self.weight_decay, self.min_steps, self.seed = lr, weight_decay, min_steps, seed

    def fit(self, features, labels):
        labels = np.asarray(labels, dtype=np.int64)
        self.scaler = Standardizer().fit(features)
        x = self.scaler.transform(features)
        n = len(x)
        mg.random.seed(self.seed)
        self.linear = nn.Linear(x.shape[1], self.classes)
        optimizer = optim.Adam(self.linear.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        rng = np.random.default_rng(self.seed)
        batch = min(self.batch_size, n)
        per_epoch = math.ceil(n / batch)
        epochs = max(self.epochs, math.ceil(self.min_steps / per_epoch))
        self.losses = []
        for _ in range(epochs):
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch):
                idx = order[start:start + batch]
                loss = F.cross_entropy(self.linear(mg.tensor(x[idx])), labels[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)
            self.losses.append(total / n)
        return self

    def logits(self, features):
        with mg.no_grad():
            return self.linear(mg.tensor(self.scaler.transform(features))).data

    def predict(self, features):
        return np.argmax(self.logits(features), axis=1)

    def score(self, features, labels):
        """Accuracy on (features, labels)."""
        return accuracy(self.predict(features), labels)


def train_and_score(train_features, train_labels, test_features, test_labels, seed=0, **options):
    """Test accuracy of a SoftmaxRegression fit on the training features."""
    model = SoftmaxRegression(seed=seed, **options).fit(train_features, train_labels)
    return model.score(test_features, test_labels)
