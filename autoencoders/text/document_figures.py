"""The pictures of the document application, each a small object that draws itself
(``save(path)``), like the applications' pictures (autoencoders/apps/result.py).

    RatingScatter     Lee: the people's rating of each pair against its cosine, one panel per method
    PrecisionRecall   20news: precision against recall (log axis), one line per method, as in
                      Hinton & Salakhutdinov (2006), Figure 4
"""
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from ..figures import save
from .correlation import pearson


@dataclass(frozen=True)
class RatingScatter:
    human: np.ndarray
    cosines: dict          # method -> cosines of the same pairs
    title: str

    def figure(self):
        fig = Figure(figsize=(4 * len(self.cosines), 3.8))
        for i, (name, cos) in enumerate(self.cosines.items()):
            ax = fig.add_subplot(1, len(self.cosines), i + 1)
            ax.scatter(cos, self.human, s=5, alpha=0.5)
            ax.set_xlabel(f"cosine, {name}")
            ax.set_ylabel("mean human rating" if i == 0 else "")
            ax.set_title(f"{name}: r = {pearson(cos, self.human):.3f}")
        fig.suptitle(self.title)
        fig.tight_layout()
        return fig

    def save(self, path):
        return save(self.figure(), path)


@dataclass(frozen=True)
class PrecisionRecall:
    curves: dict           # method -> {recall level: precision}
    title: str

    def figure(self):
        fig = Figure(figsize=(6, 4.5))
        ax = fig.add_subplot(1, 1, 1)
        for name, levels in self.curves.items():
            recall = np.array(list(levels))
            ax.plot(100 * recall, list(levels.values()), marker="o", label=name)
        ax.set_xscale("log")
        ticks = 100 * np.array(list(next(iter(self.curves.values()))))
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:.3g}" for t in ticks], rotation=45)
        ax.set_xlabel("recall (%)")
        ax.set_ylabel("precision")
        ax.set_title(self.title)
        ax.legend()
        fig.tight_layout()
        return fig

    def save(self, path):
        return save(self.figure(), path)
