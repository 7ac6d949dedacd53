"""Anomaly detection: learn what one digit looks like, flag everything else.

For each class c in 0..9 (one-class protocol): train an autoencoder on the
training images of digit c only, then score every test image; the digits
other than c are the anomalies (positives) and c is normal. An image unlike
the training digit is rebuilt badly, so the score is

    reconstruction error   ||x - reconstruct(x)||^2, summed over the pixels
    negative ELBO          (VAE only) -ELBO(x) = E_q[-log p(x|z)] + KL(q(z|x) || p(z)),
                           averaged over ``samples`` draws of z: a bound on -log p(x)

and each score is summarized by its AUROC (autoencoders.metrics.auroc: 1 = every
anomaly scores above every normal image, 0.5 = chance). The baseline in the
same run: PCA with the same number of components, fit on the same images of
digit c, scored by its own reconstruction error.

``run`` does all of it for one kind of model.
"""
import time

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F

from ..data import stratified_split
from ..metrics import auroc
from ..models import evaluating
from ..pca import PCA
from ..train import TrainSettings, Trainer
from .common import model_input, pixels, reconstruct
from .result import AppResult, Bars, Table

DIGITS = tuple(range(10))


def reconstruction_error(model, images, labels=None):
    """Squared reconstruction error per image (numpy (N,)), summed over the pixels."""
    x = pixels(images).astype(np.float64)
    return ((reconstruct(model, images, labels) - x) ** 2).sum(axis=1)


def pca_reconstruction_error(pca, images):
    x = pixels(images).astype(np.float64)
    return ((pca.reconstruct(x) - x) ** 2).sum(axis=1)


def negative_elbo(model, images, labels=None, samples=10, seed=0, batch_size=500):
    """-ELBO per image (numpy (N,)) of a VAE, in nats: the reconstruction term averaged
    over ``samples`` draws z ~ q(z|x) plus the closed-form KL to N(0, I)."""
    if not hasattr(model, "recon_nll"):
        raise ValueError(f"model {model.name!r} has no ELBO; the negative-ELBO score needs a vae")
    saved = mg.random.get_state()     # draw z from our own seed, then leave the generator as it was
    mg.random.seed(seed)
    x_all = model_input(model, images)
    out = []
    with evaluating(model):
        for start in range(0, len(x_all), batch_size):
            x = mg.tensor(x_all[start:start + batch_size])
            y = None if labels is None else np.asarray(labels)[start:start + batch_size]
            mu, logvar = model.encode(x, y)
            recon = 0.0
            for _ in range(samples):
                z = model.reparameterize(mu, logvar)
                logits = model.decode(z, y)
                recon = recon + model.recon_nll(logits, x).data.astype(np.float64)
            kl = F.gaussian_kl_divergence(mu, logvar, reduction="none").data
            out.append(recon / samples + kl)
    mg.random.set_state(saved)
    return np.concatenate(out)


def train_one_class(images, model_name, model_config, epochs, out_dir, seed=0, batch_size=32,
                    lr=2e-3, quiet=True):
    """A model trained with the Trainer on ``images`` (one class), 10% held out for validation."""
    labels = np.zeros(len(images), dtype=np.int64)
    train_index, val_index = stratified_split(labels, 0.1, seed=seed)
    settings = TrainSettings(model=model_name, model_config=dict(model_config), epochs=epochs,
                             batch_size=batch_size, lr=lr, seed=seed)
    data = (images[train_index], labels[train_index], images[val_index], labels[val_index])
    trainer = Trainer(settings, out_dir, quiet=quiet, data=data, overwrite=True)
    trainer.fit()
    trainer.model.eval()
    return trainer.model


def anomaly_scores(model, test_images):
    """{score name: per-image scores} for one trained model (negative ELBO for VAEs too)."""
    scores = {"recon": reconstruction_error(model, test_images)}
    if hasattr(model, "recon_nll") and not model.needs_labels:
        scores["elbo"] = negative_elbo(model, test_images)
    return scores


def one_class_auroc(train_images, train_labels, test_images, test_labels, model_name="dense",
                    model_config=None, epochs=10, out_dir="runs/anomaly", classes=DIGITS,
                    pca_components=None, seed=0, batch_size=32, lr=2e-3, log=None):
    """Run the one-class protocol for each class; return
    {'classes': [...], 'auroc': {method: [AUROC per class]}, 'mean': {method: mean},
     'seconds': [training seconds per class], 'pca_components': k}.

    Methods: '<model> recon', '<model> -ELBO' (VAE), 'PCA-k recon'. The PCA keeps
    ``pca_components`` (default: the model's code width)."""
    model_config = dict(model_config or {})
    result = {"classes": list(classes), "auroc": {}, "seconds": []}
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    present = set(np.unique(train_labels).tolist())
    missing = [c for c in classes if c not in present]
    if missing:
        raise ValueError(f"class {missing[0]} has no training images; the classes present are "
                         f"{', '.join(map(str, sorted(present)))}")
    for c in classes:
        start = time.perf_counter()
        normal = train_images[train_labels == c]
        if log:
            log(f"anomaly: normal class {c}: training {model_name} on its {len(normal)} training "
                f"images for {epochs} epochs...")
        model = train_one_class(normal, model_name, model_config, epochs, f"{out_dir}/class-{c}",
                                seed=seed, batch_size=batch_size, lr=lr)
        seconds = time.perf_counter() - start
        result["seconds"].append(round(seconds, 2))
        anomalous = test_labels != c
        scores = anomaly_scores(model, test_images)
        width = model.embed(model_input(model, test_images[:1])).shape[1]
        k = pca_components or width
        pca = PCA(k).fit(pixels(normal))
        scores_by_method = {f"{model_name} recon": scores["recon"]}
        if "elbo" in scores:
            scores_by_method[f"{model_name} -ELBO"] = scores["elbo"]
        scores_by_method[f"PCA-{k} recon"] = pca_reconstruction_error(pca, test_images)
        for method, s in scores_by_method.items():
            result["auroc"].setdefault(method, []).append(auroc(s, anomalous))
        result["pca_components"] = k
        if log:
            shown = ", ".join(f"{m} {v[-1]:.3f}" for m, v in result["auroc"].items())
            log(f"anomaly: normal class {c}: {shown} ({seconds:.1f} s training)")
    result["mean"] = {m: float(np.mean(v)) for m, v in result["auroc"].items()}
    return result


def run(train_images, train_labels, test_images, test_labels, model_name="dense", model_config=None,
        epochs=10, out_dir="runs/anomaly", classes=DIGITS, pca_components=None, seed=0, log=None):
    """one_class_auroc for ``model_name``: a run folder out_dir/class-<c> per normal class c.

    numbers: model, classes, auroc {method: [per class]}, mean, seconds, pca_components;
    pictures: anomaly_auroc (bars of the AUROC per class and method)."""
    result = one_class_auroc(train_images, train_labels, test_images, test_labels, model_name,
                             model_config, epochs, out_dir, classes=classes,
                             pca_components=pca_components, seed=seed, log=log)
    bars = Bars(result["auroc"], tuple(result["classes"]),
                f"{model_name}: AUROC per normal digit, next to PCA-{result['pca_components']}")
    return AppResult({"model": model_name, **result}, {"anomaly_auroc": bars})


def table(numbers):
    """The numbers of ``run`` as a Table: the model's AUROC per class beside PCA's."""
    methods = list(numbers["auroc"])     # the model's scores, then 'PCA-k recon' (the baseline)
    header = ["normal digit"] + [f"baseline: {m}" if m.startswith("PCA") else m for m in methods]
    rows = [[c] + [f"{numbers['auroc'][m][i]:.3f}" for m in methods]
            for i, c in enumerate(numbers["classes"])]
    rows.append(["mean"] + [f"{numbers['mean'][m]:.3f}" for m in methods])
    return Table(
        f"anomaly: {numbers['model']} trained on one digit, every other test digit an anomaly",
        "AUROC: 1 = every anomaly scores above every normal image, 0.5 = chance; higher is better",
        header, rows,
        [f"baseline: PCA with {numbers['pca_components']} components fit on the same images, "
         "scored by its reconstruction error"])
