"""What an application's ``run`` returns: its numbers and its pictures, nothing written yet.

The command (commands.py) prints the numbers as JSON and saves each picture as
``<name>.png``; the report (report.py) puts the numbers into tables and saves the
pictures it shows. A picture knows how to draw itself (``save(path)``), so whoever holds
one only chooses where it goes, and may change its title first
(``dataclasses.replace(picture, title=...)``).
"""
from dataclasses import dataclass, field

import numpy as np

from ..figures import plot_codes, plot_images


@dataclass(frozen=True)
class Grid:
    """Images in [0, 1] (any layout figures.as_images takes), ``ncols`` to a row."""
    images: np.ndarray
    ncols: int
    title: str

    def save(self, path):
        return plot_images(self.images, path, ncols=self.ncols, title=self.title)


@dataclass(frozen=True)
class Scatter:
    """2-D points, coloured by their labels."""
    points: np.ndarray
    labels: np.ndarray
    title: str

    def save(self, path):
        return plot_codes(self.points, self.labels, path, title=self.title)


@dataclass
class AppResult:
    """numbers: what the application measured (JSON-ready but for numpy scalars);
    pictures: file stem -> Grid or Scatter, in the order they were made."""
    numbers: dict
    pictures: dict = field(default_factory=dict)
