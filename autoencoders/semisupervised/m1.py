"""M1: a VAE trained on every training image, labels unused; its codes are the features.

The paper's M1 is a VAE whose posterior q(z1 | x) = N(mu(x), diag sigma^2(x)) gives each image
a code. Two uses here:

    M1 alone   a classifier on the posterior means mu(x) of the labelled images (the paper used
               a transductive SVM; we use the softmax regression of apps/classifier.py,
               written on minigrad: standardized features, Adam, the same probe as the
               ``features`` application)
    M1 + M2    M2 with a Gaussian likelihood trained on the codes, each batch a fresh sample
               z1 = mu + sigma * eps (semisupervised/m2.py, training.py)

Latent units the VAE does not use sit at q = p(z) = N(0, 1) for every image: their means
barely move and their samples are pure noise. As in the authors' released code, only the
active units are kept, those whose mean varies over the data with a std above 0.1.

``train_vae`` is a plain Adam loop over shuffled batches of any of the project's VAEs (the
CVAE of augmentation.py uses it too).
"""
import time

import numpy as np

import minigrad as mg

from ..apps.classifier import train_and_score
from ..models import build_model

M1_CONFIG = {"hidden": 600, "latent": 50}
ACTIVE_STD = 0.1


def train_vae(model, x, labels=None, epochs=10, batch_size=100, lr=1e-3, seed=0, log=None):
    """Adam on model.loss(batch, labels) over ``epochs`` shuffled passes of x (N, D) float32.
    Returns the history: epoch, seconds and the mean loss of each epoch."""
    mg.random.seed(seed)
    rng = np.random.default_rng(seed)
    optimizer = mg.optim.Adam(model.parameters(), lr=lr)
    model.train()
    history = []
    for epoch in range(1, epochs + 1):
        start, total, seen = time.perf_counter(), 0.0, 0
        order = rng.permutation(len(x))
        for at in range(0, len(x), batch_size):
            index = order[at:at + batch_size]
            loss, _ = model.loss(x[index], None if labels is None else labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, seen = total + loss.item() * len(index), seen + len(index)
        history.append({"epoch": epoch, "seconds": time.perf_counter() - start, "loss": total / seen})
        if log:
            log(f"  M1 epoch {epoch}/{epochs}: -ELBO {total / seen:.2f} nats, "
                f"{history[-1]['seconds']:.1f} s")
    model.eval()
    return history


def train_m1(x, epochs, seed=0, config=None, log=None, **options):
    """A VAE (hidden 600, latent 50 unless ``config`` says otherwise) trained on x (N, 784);
    its initial weights too come from ``seed``."""
    mg.random.seed(seed)
    model = build_model("vae", **(M1_CONFIG if config is None else config))
    return model, train_vae(model, x, epochs=epochs, seed=seed, log=log, **options)


def codes(model, x, batch_size=1000):
    """(mu, std) of q(z1 | x) for every row of x, numpy float32 (N, latent) each."""
    mus, stds = [], []
    with mg.no_grad():
        for at in range(0, len(x), batch_size):
            mu, logvar = model.encode(mg.tensor(x[at:at + batch_size]))
            mus.append(mu.data)
            stds.append(np.exp(0.5 * logvar.data))
    return np.concatenate(mus), np.concatenate(stds)


def active_units(mu, threshold=ACTIVE_STD):
    """Boolean mask of the latent units whose mean varies over the images (std > threshold)."""
    return mu.std(axis=0) > threshold


def m1_error(train_mu, labelled, train_labels, test_mu, test_labels, seed=0, **classifier):
    """Test error of the softmax regression on the labelled images' posterior means."""
    accuracy = train_and_score(train_mu[labelled], train_labels[labelled], test_mu, test_labels,
                               seed=seed, **classifier)
    return 1.0 - accuracy
