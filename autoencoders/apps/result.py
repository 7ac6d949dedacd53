"""What an application's ``run`` returns: its numbers and its pictures, nothing written yet,
and the table a person reads instead of the numbers' JSON.

The command (commands.py) prints the numbers as a Table (or, with --json, as JSON) and
saves each picture as ``<name>.png``; the report (report.py) puts the numbers into
Markdown tables and saves the pictures it shows. A picture knows how to draw itself
(``save(path)``), so whoever holds one only chooses where it goes, and may change its
title first (``dataclasses.replace(picture, title=...)``).
"""
from dataclasses import dataclass, field

import numpy as np

from ..figures import plot_auroc_per_class, plot_codes, plot_images


@dataclass(frozen=True)
class Grid:
    """Images in [0, 1] (any layout figures.as_images takes), ``ncols`` to a row; rows and
    columns may carry labels (the digit of each row, the z value of each column), named by
    ylabel and xlabel."""
    images: np.ndarray
    ncols: int
    title: str
    row_labels: tuple = None
    col_labels: tuple = None
    xlabel: str = None
    ylabel: str = None

    def save(self, path):
        return plot_images(self.images, path, ncols=self.ncols, title=self.title,
                           row_labels=self.row_labels, col_labels=self.col_labels,
                           xlabel=self.xlabel, ylabel=self.ylabel)


@dataclass(frozen=True)
class Scatter:
    """2-D points, coloured by their labels; axis_labels name the two coordinates."""
    points: np.ndarray
    labels: np.ndarray
    title: str
    axis_labels: tuple = None

    def save(self, path):
        return plot_codes(self.points, self.labels, path, title=self.title,
                          axis_labels=self.axis_labels)


@dataclass(frozen=True)
class Bars:
    """AUROC per class and method: {method: [AUROC per class]} over ``classes``."""
    values: dict
    classes: tuple
    title: str

    def save(self, path):
        return plot_auroc_per_class(self.values, self.classes, path, title=self.title)


@dataclass
class AppResult:
    """numbers: what the application measured (JSON-ready but for numpy scalars);
    pictures: file stem -> Grid, Scatter or Bars, in the order they were made."""
    numbers: dict
    pictures: dict = field(default_factory=dict)


@dataclass
class Table:
    """What a person reads: a title, the unit and direction of the numbers, and rows whose
    columns put each number beside its baseline (header names the baseline columns)."""
    title: str
    units: str
    header: list
    rows: list
    notes: list = field(default_factory=list)

    def render(self):
        """The table as aligned text: the first column to the left, the others to the right."""
        cells = [[str(c) for c in self.header]] + [[str(c) for c in row] for row in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.header))]

        def line(row):
            return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths))).rstrip()

        rule = "  ".join("-" * w for w in widths)
        return "\n".join([self.title, self.units, "", line(cells[0]), rule,
                          *map(line, cells[1:]), *([""] + self.notes if self.notes else [])])


def pct(x):
    """A share in [0, 1] as a percentage with one decimal: 0.9123 -> '91.2 %'."""
    return f"{100 * x:.1f} %"
