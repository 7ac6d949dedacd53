"""Figures as PNG files: loss curves, image grids, a scatter of the codes, AUROC bars.

Every function takes numpy arrays and an output path, writes one PNG and
returns the path, so any code (the trainer, the command line, a notebook) can
reuse them. They build a ``matplotlib.figure.Figure`` directly instead of going
through ``pyplot``: no window, no global figure state, nothing to close, and
the Agg renderer is used whatever backend the caller has chosen.

Images may be given as (N, 28, 28), (N, 1, 28, 28) or flat (N, 784), with
pixel values in [0, 1].
"""
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

DPI = 100


def as_images(x, side=28):
    """Any image batch layout -> (N, H, W); a flat (N, side*side) batch is reshaped."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 4 and x.shape[1] == 1:
        return x[:, 0]
    if x.ndim == 2:
        if x.shape[1] != side * side:
            raise ValueError(f"flat images of width {x.shape[1]} are not {side}x{side}")
        return x.reshape(len(x), side, side)
    if x.ndim == 3:
        return x
    raise ValueError(f"cannot show images of shape {x.shape}")


def save(fig, path):
    """Write a matplotlib Figure to ``path`` as a PNG (making its folder); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format="png")
    return path




def image_grid(images, ncols):
    """Tile (N, H, W) images into one (rows*H, ncols*W) array, with 1-pixel gaps."""
    images = as_images(images)
    n, h, w = images.shape
    nrows = math.ceil(n / ncols)
    grid = np.ones((nrows * (h + 1) - 1, ncols * (w + 1) - 1), dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        grid[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = image
    return grid


def _show_grid(ax, grid, title=None):
    ax.imshow(grid, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)


def plot_images(images, path, ncols=8, title=None):
    """A grid of images (e.g. samples from a generative model)."""
    grid = image_grid(images, ncols)
    scale = 1.2 / 29  # inches per pixel of the grid
    fig = Figure(figsize=(max(2.0, grid.shape[1] * scale), max(2.0, grid.shape[0] * scale + 0.4)))
    _show_grid(fig.add_subplot(1, 1, 1), grid, title)
    fig.tight_layout()
    return save(fig, path)


def plot_reconstructions(originals, reconstructions, path, title=None):
    """Originals in the top row, their reconstructions in the row below."""
    originals, reconstructions = as_images(originals), as_images(reconstructions)
    if originals.shape != reconstructions.shape:
        raise ValueError(f"{originals.shape[0]} originals of shape {originals.shape[1:]} but "
                         f"{reconstructions.shape[0]} reconstructions of shape {reconstructions.shape[1:]}")
    n = len(originals)
    fig = Figure(figsize=(max(3.0, 1.2 * n * 0.6), 2.0 + (0.3 if title else 0)))
    top, bottom = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2)
    _show_grid(top, image_grid(originals, n), "originals")
    _show_grid(bottom, image_grid(reconstructions, n), "reconstructions")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return save(fig, path)


def plot_loss_curves(epochs, train_loss, val_loss, path, title="loss", ylabel="loss"):
    """Training and validation loss against the epoch number."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(epochs, train_loss, marker="o", label="train")
    if val_loss is not None:
        ax.plot(epochs, val_loss, marker="s", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    if len(epochs) <= 20:
        ax.set_xticks(list(epochs))
    fig.tight_layout()
    return save(fig, path)


def pca_2d(codes):
    """Project codes (N, D) onto their first two principal axes, via the SVD.

    Centre the codes, X = U S V^T; the coordinates along the top two axes are
    the first two columns of U S. Codes of width 2 are returned as they are,
    width 1 gets a zero second coordinate.
    """
    codes = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
    if codes.shape[1] == 2:
        return codes
    if codes.shape[1] == 1:
        return np.column_stack([codes[:, 0], np.zeros(len(codes))])
    centred = codes - codes.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    return u[:, :2] * s[:2]


def plot_codes(codes, labels, path, title=None):
    """A scatter of the codes in 2-D (PCA if wider), one colour per label."""
    codes = np.asarray(codes)
    points = pca_2d(codes)
    width = codes.reshape(len(codes), -1).shape[1]
    fig = Figure(figsize=(6, 5))
    ax = fig.add_subplot(1, 1, 1)
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=4, alpha=0.6)
    else:
        labels = np.asarray(labels)
        classes = np.unique(labels)
        scatter = ax.scatter(points[:, 0], points[:, 1], c=labels, s=4, alpha=0.7,
                             cmap="tab10" if len(classes) <= 10 else "viridis",
                             vmin=classes.min() - 0.5, vmax=classes.max() + 0.5)
        fig.colorbar(scatter, ax=ax, ticks=classes, label="label")
    if width > 2:
        ax.set_xlabel("principal component 1")
        ax.set_ylabel("principal component 2")
    else:
        ax.set_xlabel("code 1")
        ax.set_ylabel("code 2")
    ax.set_title(title or (f"codes ({width}-D, PCA to 2-D)" if width > 2 else "codes"))
    fig.tight_layout()
    return save(fig, path)


def plot_auroc_per_class(auroc_by_method, classes, path):
    """Grouped bars: for each class (the normal digit of an anomaly detector), one bar per
    method with its AUROC. auroc_by_method: {method: [AUROC per class]}."""
    fig = Figure(figsize=(8, 4))
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / len(auroc_by_method)
    for i, (method, values) in enumerate(auroc_by_method.items()):
        ax.bar(np.arange(len(classes)) + i * width, values, width, label=method)
    ax.set_xticks(np.arange(len(classes)) + 0.4 - width / 2)
    ax.set_xticklabels([str(c) for c in classes])
    ax.set_xlabel("normal digit")
    ax.set_ylabel("AUROC")
    ax.set_ylim(0.5, 1.0)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return save(fig, path)
