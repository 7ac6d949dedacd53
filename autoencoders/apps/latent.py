"""Latent space: where the codes of the test images lie, and what lies between them.

Three pictures:

* a scatter of the test codes, coloured by digit; codes wider than 2 are
  projected onto their first two principal components (autoencoders.pca);
* for a VAE with a 2-D latent, the decoded manifold: an n x n grid of z
  values decoded to images. The grid is even in probability, not in z: each
  coordinate runs through the normal quantiles Phi^-1(q), q = 0.05 .. 0.95,
  so each cell covers the same prior mass (Kingma & Welling, 2014, fig. 4);
* straight-line interpolation between the codes of two images,
  z_t = (1 - t) z_a + t z_b, t = 0, 1/(steps-1), ..., 1, each z_t decoded.

The number beside the scatter: how well the 2-D picture keeps the digits
apart, as the share of each point's 10 nearest neighbours (in the 2-D
picture) with its label, against the same for the first two principal
components of the raw pixels.

``run`` does all of it for one model.
"""
from statistics import NormalDist

import numpy as np

from ..metrics import precision_at_k
from ..pca import PCA
from .common import decode, embed, pixels
from .result import AppResult, Grid, Scatter, Table, pct
from .search import nearest_neighbours

SHOWN = 2000   # test images in the scatter and its agreement


def project_2d(codes):
    """Codes (N, D) as 2-D points: as they are for D <= 2 (D = 1 gets a zero y), else
    the coordinates on the first two principal components of these codes."""
    codes = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
    if codes.shape[1] == 2:
        return codes
    if codes.shape[1] == 1:
        return np.column_stack([codes[:, 0], np.zeros(len(codes))])
    return PCA(2).fit(codes).transform(codes)


def neighbourhood_agreement(points, labels, k=10):
    """Share of each point's k nearest other points (Euclidean) that share its label."""
    labels = np.asarray(labels)
    index = nearest_neighbours(points, points, k + 1)[:, 1:]   # drop each point itself
    return precision_at_k(labels[index], labels, [k])[k]


def latent_grid_values(n=20, low=0.05, high=0.95):
    """The n values Phi^-1(q) of the standard normal at n even steps q from low to high."""
    return np.array([NormalDist().inv_cdf(q) for q in np.linspace(low, high, n)])


def manifold(model, n=20, low=0.05, high=0.95):
    """(n * n, 784) images decoded from a grid of 2-D latent values, row-major with z_1
    along the columns (increasing) and z_2 down the rows (decreasing, as on a plot)."""
    width = model.config.get("latent")
    if not model.can_sample or width != 2:
        raise ValueError(f"the manifold needs a VAE with a 2-D latent (train with --set latent=2); "
                         f"this is a {model.name!r} with a {width or 'non-VAE'}-D code")
    values = latent_grid_values(n, low, high)
    z1, z2 = np.meshgrid(values, values[::-1])
    return decode(model, np.column_stack([z1.ravel(), z2.ravel()]))


def interpolate(model, image_a, image_b, steps=10, label=None):
    """(steps, 784): decoded points on the straight line from the code of image_a to the
    code of image_b (the first is decode(code_a), the last decode(code_b)).

    Conditional models keep one label along the line (pass it: both images should show
    that digit)."""
    if steps < 2:
        raise ValueError(f"interpolate: steps must be >= 2, got {steps}")
    labels = None if label is None else np.array([label, label])
    if model.needs_labels and label is None:
        raise ValueError(f"model {model.name!r} is conditional: pass the label to interpolate with")
    za, zb = embed(model, np.stack([np.asarray(image_a), np.asarray(image_b)]), labels)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    codes = (1 - t) * za + t * zb
    return decode(model, codes, None if label is None else np.full(steps, label))


def interpolation_rows(model, images, labels, pairs, steps=10):
    """Rows of interpolations, one per (i, j) index pair: (len(pairs) * steps, 784)."""
    rows = []
    for i, j in pairs:
        rows.append(interpolate(model, images[i], images[j], steps, labels[i]))
    return np.concatenate(rows)


def interpolation_pairs(model, labels, count=6):
    """Index pairs to interpolate between: a digit and the next one (the same digit twice for
    conditional models, whose code leaves the digit out)."""
    labels = np.asarray(labels)
    firsts = {d: np.flatnonzero(labels == d) for d in np.unique(labels)}
    pairs = []
    for d in sorted(firsts)[:count]:
        if model.needs_labels and len(firsts[d]) > 1:
            pairs.append((firsts[d][0], firsts[d][1]))
        elif not model.needs_labels:
            nxt = sorted(firsts)[(sorted(firsts).index(d) + 1) % len(firsts)]
            pairs.append((firsts[d][0], firsts[nxt][0]))
    return pairs


def axis_names(width):
    """The names of the scatter's axes: the principal components when the codes were
    projected, the latent coordinates themselves when they were not."""
    return ("PC 1", "PC 2") if width > 2 else ("z1", "z2" if width == 2 else "")


def run(model, images, labels, steps=10, grid=20, shown=SHOWN, log=None):
    """The codes of the first ``shown`` images in 2-D and how well they keep the digits apart
    (next to PCA-2 of the pixels), interpolations of ``steps`` images between the pairs of
    interpolation_pairs, and for a VAE with a 2-D latent its decoded grid x grid manifold.
    log: a function that is given one progress line per step.

    numbers: model, code_width, agreement_at_10 {picture: share};
    pictures: latent_scatter [, manifold], interpolation."""
    log = log or (lambda message: None)
    shown_x, shown_y = images[:shown], labels[:shown]
    log(f"latent: encoding {len(shown_x)} test images...")
    codes = embed(model, shown_x, shown_y)
    width = codes.shape[1]
    points = project_2d(codes)
    pictures = {"latent_scatter": Scatter(points, shown_y, f"{model.name}: test codes ({width}-D"
                                          + (", PCA to 2-D)" if width > 2 else ")"),
                                          axis_names(width))}
    if model.can_sample and model.config.get("latent") == 2 and not model.needs_labels:
        log(f"latent: decoding the {grid} x {grid} manifold of z...")
        values = [f"{round(v, 2) + 0.0:.2f}" for v in latent_grid_values(grid)]   # + 0.0: no "-0.00"
        pictures["manifold"] = Grid(manifold(model, grid), grid,
                                    f"{model.name}: decoded 2-D latent grid (z at normal quantiles)",
                                    row_labels=tuple(values[::-1]), col_labels=tuple(values),
                                    xlabel="z1", ylabel="z2")
    pairs = interpolation_pairs(model, labels)
    log(f"latent: {len(pairs)} interpolations of {steps} images...")
    pictures["interpolation"] = Grid(interpolation_rows(model, images, labels, pairs, steps), steps,
                                     f"{model.name}: straight lines between codes",
                                     row_labels=tuple(f"{labels[i]} to {labels[j]}" for i, j in pairs),
                                     col_labels=tuple(f"{t:.2f}" for t in np.linspace(0, 1, steps)),
                                     xlabel="t (z = (1 - t) z_a + t z_b)")
    log(f"latent: label agreement of the 10 nearest neighbours of {len(shown_x)} points...")
    agreement = {f"{model.name} code in 2-D": neighbourhood_agreement(points, shown_y),
                 "PCA-2 of pixels": neighbourhood_agreement(project_2d(pixels(shown_x)), shown_y)}
    return AppResult({"model": model.name, "code_width": int(width), "agreement_at_10": agreement},
                     pictures)


def table(numbers):
    """The numbers of ``run`` as a Table: the code's agreement beside PCA-2 of the pixels."""
    model, width = numbers["model"], numbers["code_width"]
    agreement = numbers["agreement_at_10"]
    picture = f"{model} code ({width}-D" + (", PCA to 2-D)" if width > 2 else ")")
    return Table(
        "latent: how well the 2-D picture keeps the digits apart",
        "% of each point's 10 nearest neighbours in the picture that share its label, "
        "higher is better",
        ["2-D picture", "agreement", "baseline: PCA-2 of pixels"],
        [[picture, pct(agreement[f"{model} code in 2-D"]), pct(agreement["PCA-2 of pixels"])]])
