"""Denoise: give the autoencoder a corrupted digit and keep what it rebuilds.

An autoencoder can only put out images near the ones it was trained on, so
noise that makes an image unlike any digit is largely left out of the
reconstruction. Two corruptions (models/denoising.py ``corrupt``), each at
several strengths:

    gaussian   x + sigma eps, eps ~ N(0, 1), clipped to [0, 1] (an image again)
    masking    a fraction p of the pixels, chosen at random, set to 0

For each, three PSNRs against the clean test images (autoencoders.metrics.psnr,
dB, higher is better): of the noisy input itself, of the autoencoder's
reconstruction of the noisy input, and of the PCA baseline: the noisy input
projected onto the k principal components of the *clean* training images and
back (k = the autoencoder's code width), clipped to [0, 1]. PCA is the best
linear autoencoder, so the gap between the two is what the nonlinearity (and,
for a denoising autoencoder, training on noise) buys.

``run`` does all of it for one model.
"""
import numpy as np

from ..metrics import psnr
from ..models.denoising import corrupt
from ..pca import PCA
from .common import code_width, pixels, reconstruct
from .result import AppResult, Grid, Table

NOISES = {"gaussian": (0.1, 0.3, 0.5), "masking": (0.25, 0.5, 0.75)}
TEST_IMAGES = 2000   # test images the PSNRs are measured on
SHOWN = 10           # images in each picture


def add_noise(images, kind, level, seed=0):
    """Noisy copies (N, 784) in [0, 1] of the images; the draw is fixed by ``seed``."""
    return np.clip(corrupt(pixels(images), kind, level, np.random.default_rng(seed)), 0.0, 1.0)


def pca_denoise(pca, noisy):
    """The noisy rows projected onto the PCA subspace and back, clipped to [0, 1]."""
    return np.clip(pca.reconstruct(noisy), 0.0, 1.0).astype(np.float32)


def denoise_table(model, train_images, test_images, noises=None, seed=0, pca=None):
    """One row per (noise, level): dict(noise, level, noisy, model, pca) of PSNRs in dB.

    PCA (if not given) is fit on the clean training images with the model's code width."""
    noises = NOISES if noises is None else noises
    clean = pixels(test_images)
    if pca is None:
        pca = PCA(code_width(model, test_images)).fit(pixels(train_images))
    rows = []
    for kind, levels in noises.items():
        for level in levels:
            noisy = add_noise(clean, kind, level, seed)
            rows.append({"noise": kind, "level": level, "noisy": psnr(clean, noisy),
                         "model": psnr(clean, reconstruct(model, noisy)),
                         "pca": psnr(clean, pca_denoise(pca, noisy))})
    return rows


def denoise_rows(model, test_images, kind, level, n=10, seed=0, pca=None):
    """(rows * n, 784) for a figure: noisy, the model's output, [PCA's output,] clean."""
    clean = pixels(test_images[:n])
    noisy = add_noise(clean, kind, level, seed)
    rows = [noisy, reconstruct(model, noisy)]
    if pca is not None:
        rows.append(pca_denoise(pca, noisy))
    rows.append(clean)
    return np.concatenate(rows)


def run(model, train_images, test_images, seed=0, test_limit=TEST_IMAGES, log=None):
    """denoise_table on the first ``test_limit`` test images, with the PCA baseline fit on the
    clean training images at the model's code width, and one picture per noise at its middle
    level (rows: noisy, the model's output, PCA's output, clean; SHOWN images each).
    log: a function that is given one progress line per step.

    numbers: model, pca_components, psnr (denoise_table's rows); pictures: denoise_<noise>."""
    log = log or (lambda message: None)
    test_images = test_images[:test_limit]
    width = code_width(model, test_images)
    log(f"denoise: PCA-{width} fit on {len(train_images)} clean training images...")
    pca = PCA(width).fit(pixels(train_images))
    log(f"denoise: PSNR of {len(test_images)} test images under "
        + ", ".join(f"{kind} noise {'/'.join(map(str, levels))}" for kind, levels in NOISES.items())
        + "...")
    rows = denoise_table(model, train_images, test_images, seed=seed, pca=pca)
    pictures = {}
    for kind, levels in NOISES.items():
        level = levels[len(levels) // 2]
        pictures[f"denoise_{kind}"] = Grid(denoise_rows(model, test_images, kind, level, SHOWN, seed, pca),
                                           SHOWN, f"{kind} {level}: noisy / {model.name} / PCA / clean",
                                           row_labels=("noisy", model.name, f"PCA-{width}", "clean"))
    return AppResult({"model": model.name, "pca_components": pca.n_components, "psnr": rows},
                     pictures)


def table(numbers):
    """The numbers of ``run`` as a Table: the model's PSNR beside the noisy input's and PCA's."""
    k = numbers["pca_components"]
    return Table(
        f"denoise: PSNR of {numbers['model']}'s output against the clean test images",
        "dB, higher is better",
        ["noise", "level", numbers["model"], f"baseline: PCA-{k}", "noisy input"],
        [[row["noise"], row["level"], f"{row['model']:.2f} dB", f"{row['pca']:.2f} dB",
          f"{row['noisy']:.2f} dB"] for row in numbers["psnr"]],
        [f"baseline: the noisy input projected onto the {k} principal components of the clean "
         "training images and back"])
