"""The results as tables: each measured figure as mean +- std over the draws, beside the
paper's row (Kingma et al., 2014, Table 1: MNIST test error in %, mean +- std over draws).

Records are the dicts experiment.py writes, one per (method, labels, draw).
"""
import numpy as np

PAPER = {   # (method, labels) -> (test error %, std); M1's classifier there was a TSVM
    ("m1", 100): (11.82, 0.25), ("m2", 100): (11.97, 1.71), ("m1m2", 100): (3.33, 0.14),
    ("m1", 1000): (4.24, 0.07), ("m2", 1000): (3.60, 0.56), ("m1m2", 1000): (2.40, 0.02),
}
NAMES = {"m1": "M1 + softmax regression (paper: M1 + TSVM)", "m2": "M2", "m1m2": "M1 + M2"}
AUGMENT = {"none": "real only", "cvae": "+ CVAE images", "m2": "+ M2 images"}


def mean_std(values):
    """'m +- s (n)' of percentages; the std is the sample std (ddof 1), '-' for one draw."""
    values = 100 * np.asarray(values, dtype=float)
    spread = f"{values.std(ddof=1):.2f}" if len(values) > 1 else "-"
    return f"{values.mean():.2f} ± {spread} ({len(values)})"


def minutes(seconds):
    """A mean duration: '0.4 s', '12 s' under a minute, '9.0 min' above."""
    mean = float(np.mean(seconds))
    if mean < 10:
        return f"{mean:.1f} s"
    return f"{mean:.0f} s" if mean < 60 else f"{mean / 60:.1f} min"


def error_rows(records):
    """[method, labels, ours, paper, training time per draw] for every (method, labels)."""
    rows = []
    for method in NAMES:
        for labels in sorted({r["labels"] for r in records if r["method"] == method}):
            runs = [r for r in records if r["method"] == method and r["labels"] == labels]
            paper = PAPER.get((method, labels))
            rows.append([NAMES[method], labels, mean_std([r["error"] for r in runs]),
                         f"{paper[0]:.2f} ± {paper[1]:.2f}" if paper else "-",
                         minutes([r["seconds"] for r in runs])])
    return rows


def augment_rows(records):
    """[labels, then the error of each training set] for every number of labels."""
    rows = []
    for labels in sorted({r["labels"] for r in records if r["method"] == "augment"}):
        runs = [r for r in records if r["method"] == "augment" and r["labels"] == labels]
        rows.append([labels] + [mean_std([1 - r["accuracy"][k] for r in runs]) for k in AUGMENT]
                    + [mean_std([r["m2_error"] for r in runs]), minutes([r["seconds"] for r in runs])])
    return rows


def markdown(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def render(records, m1_seconds=None):
    """The Markdown page of the results: the error table and the augmentation table."""
    parts = ["## MNIST test error (%), mean ± std over draws (number of draws)", "",
             markdown(["method", "labels", "ours", "paper", "training time per draw"],
                      error_rows(records))]
    if m1_seconds is not None:
        parts += ["", f"M1 (the VAE, trained once, shared by every draw): {m1_seconds / 60:.1f} min."]
    augment = augment_rows(records)
    if augment:
        parts += ["", "## Augmentation: pixel softmax regression, test error (%)", "",
                  markdown(["labels"] + list(AUGMENT.values())
                           + ["M2's own classifier", "CVAE + classifiers per draw"], augment)]
    return "\n".join(parts) + "\n"
