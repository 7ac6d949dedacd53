"""Figures as PNG files: loss curves, image grids, a scatter of the codes, AUROC bars.

Every ``plot_*`` function takes numpy arrays and an output path, writes one PNG
and returns the path, so any code (the trainer, the command line, a notebook)
can reuse them. Each draws a ``matplotlib.figure.Figure`` made by a ``*_figure``
function of the same arguments (without the path), which a test or a notebook
can inspect: its titles, axis labels and tick labels. They build the Figure
directly instead of going through ``pyplot``: no window, no global figure
state, nothing to close, and the Agg renderer is used whatever backend the
caller has chosen.

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




def grid_columns(n):
    """Columns for a grid of n images without a ragged last row: the smallest divisor of n
    that is at least sqrt(n) (as square as the divisors allow, wider than tall). When n has no
    divisor up to 2 sqrt(n) (a prime, say), ceil(sqrt(n)) columns, and the last row is padded
    with blank cells (see image_grid)."""
    if n < 1:
        raise ValueError(f"a grid needs at least one image, got {n}")
    root = math.isqrt(n - 1) + 1 if n > 1 else 1          # ceil(sqrt(n))
    for ncols in range(root, 2 * root + 1):
        if n % ncols == 0:
            return ncols
    return root


def image_grid(images, ncols, blank=1.0):
    """Tile (N, H, W) images into one (rows*H, ncols*W) array, with 1-pixel gaps (white).
    Cells after the last image are filled with ``blank`` (white by default; 0 draws them as
    empty black tiles, so a padded grid stays a full rectangle)."""
    images = as_images(images)
    n, h, w = images.shape
    nrows = math.ceil(n / ncols)
    grid = np.ones((nrows * (h + 1) - 1, ncols * (w + 1) - 1), dtype=np.float32)
    for i in range(nrows * ncols):
        r, c = divmod(i, ncols)
        grid[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = images[i] if i < n else blank
    return grid


def _show_grid(ax, grid, title=None):
    ax.imshow(grid, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)


def _label_cells(ax, count, cell, labels, axis, name=None):
    """Tick labels at the centres of ``count`` grid cells of side ``cell`` pixels (+1 gap)."""
    centres = [i * (cell + 1) + (cell - 1) / 2 for i in range(count)]
    if axis == "x":
        ax.set_xticks(centres)
        ax.set_xticklabels([str(label) for label in labels], fontsize=7)
        if name:
            ax.set_xlabel(name)
    else:
        ax.set_yticks(centres)
        ax.set_yticklabels([str(label) for label in labels], fontsize=7)
        if name:
            ax.set_ylabel(name)


def images_figure(images, ncols=None, title=None, row_labels=None, col_labels=None,
                  xlabel=None, ylabel=None):
    """The Figure of a grid of images: ``ncols`` to a row (default: grid_columns, no ragged
    row), row_labels / col_labels written beside the rows / under the columns (e.g. the digit
    a CVAE was asked for, or the z values of a decoded manifold), xlabel / ylabel naming them."""
    images = as_images(images)
    ncols = ncols or grid_columns(len(images))
    grid = image_grid(images, ncols, blank=0.0)
    side = images.shape[1]
    nrows = math.ceil(len(images) / ncols)
    for labels, count, what in ((row_labels, nrows, "rows"), (col_labels, ncols, "columns")):
        if labels is not None and len(labels) != count:
            raise ValueError(f"{len(labels)} labels for {count} {what} of images")
    scale = 1.2 / 29  # inches per pixel of the grid
    labelled = row_labels is not None or col_labels is not None
    fig = Figure(figsize=(max(2.0, grid.shape[1] * scale + (0.6 if labelled else 0)),
                          max(2.0, grid.shape[0] * scale + 0.4 + (0.5 if labelled else 0))))
    ax = fig.add_subplot(1, 1, 1)
    _show_grid(ax, grid, title)
    if labelled:
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.tick_params(length=0)
        if row_labels is not None:
            _label_cells(ax, nrows, side, row_labels, "y", ylabel)
        if col_labels is not None:
            _label_cells(ax, ncols, side, col_labels, "x", xlabel)
    fig.tight_layout()
    return fig


def plot_images(images, path, ncols=8, title=None, **labels):
    """A grid of images (e.g. samples from a generative model); ``labels``: the row_labels,
    col_labels, xlabel and ylabel of images_figure. ncols=None chooses grid_columns."""
    return save(images_figure(images, ncols, title, **labels), path)


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


def loss_curves_figure(epochs, train_loss, val_loss, title="loss", ylabel="loss", components=None,
                       component_ylabel="nats per image", references=None):
    """Training and validation loss against the epoch number; with ``components``
    ({name: (train values, validation values or None)}, e.g. a VAE's reconstruction and KL
    terms), one more panel per term of the loss (y axis: component_ylabel), each on its own
    scale (a KL of 5 nats would be a flat line beside a reconstruction term of 100).
    ``references`` ({panel name: (value, label)}) draws a dashed horizontal line on a panel,
    e.g. the value a GAN's losses take at the game's equilibrium."""
    components, references = components or {}, references or {}
    panels = 1 + len(components)
    fig = Figure(figsize=(6 if panels == 1 else 4.5 * panels, 4))
    curves = {title: (train_loss, val_loss), **components}
    for i, (name, (train, val)) in enumerate(curves.items()):
        ax = fig.add_subplot(1, panels, i + 1)
        ax.plot(epochs, train, marker="o", label="train")
        if val is not None:
            ax.plot(epochs, val, marker="s", linestyle="--", label="validation")
        if name in references:
            value, label = references[name]
            ax.axhline(value, color="gray", linestyle="--", linewidth=1, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel if i == 0 else component_ylabel)
        ax.set_title(name)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        if len(epochs) <= 20:
            ax.set_xticks(list(epochs))
    fig.tight_layout()
    return fig


def plot_loss_curves(epochs, train_loss, val_loss, path, title="loss", ylabel="loss", components=None,
                     references=None):
    """Training and validation loss against the epoch number (see loss_curves_figure)."""
    return save(loss_curves_figure(epochs, train_loss, val_loss, title, ylabel, components,
                                   references=references), path)


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


def codes_figure(codes, labels, title=None, axis_labels=None):
    """A scatter of the codes in 2-D, one colour per label. Codes wider than 2 are projected
    onto their first two principal components (axes 'PC 1', 'PC 2'); 2-D codes are drawn as
    they are (axes 'z1', 'z2'). axis_labels overrides the names, for points projected elsewhere."""
    codes = np.asarray(codes)
    points = pca_2d(codes)
    width = codes.reshape(len(codes), -1).shape[1]
    if axis_labels is None:
        axis_labels = ("PC 1", "PC 2") if width > 2 else ("z1", "z2" if width == 2 else "")
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
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(title or (f"codes ({width}-D, PCA to 2-D)" if width > 2 else f"codes ({width}-D)"))
    fig.tight_layout()
    return fig


def plot_codes(codes, labels, path, title=None, axis_labels=None):
    """A scatter of the codes in 2-D (see codes_figure)."""
    return save(codes_figure(codes, labels, title, axis_labels), path)


def auroc_figure(auroc_by_method, classes, title=None):
    """Grouped bars: for each class (the normal digit of an anomaly detector), one bar per
    method with its AUROC. auroc_by_method: {method: [AUROC per class]}."""
    fig = Figure(figsize=(8, 4))
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / len(auroc_by_method)
    for i, (method, values) in enumerate(auroc_by_method.items()):
        ax.bar(np.arange(len(classes)) + i * width, values, width, label=method)
    ax.axhline(0.5, color="gray", linestyle="--", linewidth=1, label="chance (0.5)")
    ax.set_xticks(np.arange(len(classes)) + 0.4 - width / 2)
    ax.set_xticklabels([str(c) for c in classes])
    ax.set_xlabel("normal digit (the one trained on)")
    ax.set_ylabel("AUROC (1 = every anomaly flagged)")
    lowest = min(min(values) for values in auroc_by_method.values())
    ax.set_ylim(0.5 if lowest >= 0.5 else 0.0, 1.0)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_auroc_per_class(auroc_by_method, classes, path, title=None):
    """The AUROC bars of auroc_figure, as a PNG."""
    return save(auroc_figure(auroc_by_method, classes, title), path)


def class_histograms_figure(histograms, reference=None, title=None):
    """One bar chart per set of images: the share of it predicted as each class, the bars of
    ``reference`` (another set's shares, e.g. real digits) drawn as outlines over it, and a
    dashed line at 1 / classes. A set whose bars tower over some classes and vanish at others
    has collapsed onto a few modes. histograms: {name: [share per class]}."""
    names = list(histograms)
    if not names:
        raise ValueError("class_histograms_figure needs at least one histogram")
    classes = len(histograms[names[0]])
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = Figure(figsize=(3.2 * ncols, 2.4 * nrows))
    top = max(max(values) for values in histograms.values())
    for i, name in enumerate(names):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.bar(np.arange(classes), histograms[name], 0.8, color="tab:blue")
        if reference is not None:
            ax.bar(np.arange(classes), reference, 0.8, fill=False, edgecolor="black", linewidth=0.8)
        ax.axhline(1 / classes, color="gray", linestyle="--", linewidth=1)
        ax.set_xticks(np.arange(classes))
        ax.set_ylim(0, 1.05 * top)
        ax.set_title(name, fontsize=9)
        if i % ncols == 0:
            ax.set_ylabel("share of the samples")
        if i >= len(names) - ncols:
            ax.set_xlabel("predicted class")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_class_histograms(histograms, path, reference=None, title=None):
    """The bars of class_histograms_figure, as a PNG."""
    return save(class_histograms_figure(histograms, reference, title), path)
