"""Augment: with only 100 labelled digits, do images from a conditional VAE help?

Setting: 100 labelled training digits (10 of each), chosen with a seed, and
nothing else. The conditional VAE is trained on those same 100 images and
their labels alone: it needs the labels, and giving it the unlabelled rest
would need a semi-supervised model (Kingma et al., 2014's M2), which this one
is not. It then draws ``per_class`` new images of every digit.

The linear classifier (apps/classifier.py) is fit twice, on pixels:
    baseline    the 100 real digits
    augmented   the 100 real digits + 10 * per_class generated ones, labelled with the
                digit the CVAE was asked for
and both are scored on the test set. Repeated for a few seeds (different 100s).

Every image the CVAE draws comes from those 100 digits, so augmentation adds
no information about digits; it can only help by adding variations (of slant,
thickness) that a linear classifier would not find by itself.

``run`` does all of it.
"""
import numpy as np

from ..train import TrainSettings, Trainer
from .classifier import train_and_score
from .common import balanced_subset, pixels
from .result import AppResult, Grid, Table, pct

CVAE_CONFIG = {"hidden": 256, "latent": 8}


def train_cvae(images, labels, epochs, out_dir, config=None, seed=0, repeats=20, lr=1e-3,
               batch_size=32, quiet=True):
    """A CVAE trained with the Trainer on (images, labels) only. One epoch shows every image
    ``repeats`` times (100 images are 4 batches; this keeps checkpoints per step low).
    The validation images are the same labelled images (nothing else may be used)."""
    config = dict(CVAE_CONFIG if config is None else config)
    x, y = np.tile(images, (repeats, 1, 1)), np.tile(labels, repeats)
    settings = TrainSettings(model="cvae", model_config=config, epochs=epochs, lr=lr,
                             batch_size=batch_size, seed=seed)
    trainer = Trainer(settings, out_dir, quiet=quiet, data=(x, y, images, labels), overwrite=True)
    trainer.fit()
    trainer.model.eval()
    return trainer.model


def generated_set(cvae, per_class, seed=0, classes=10):
    """(images (classes * per_class, 784), labels): per_class draws of each digit."""
    labels = np.repeat(np.arange(classes), per_class)
    images = cvae.sample(len(labels), np.random.default_rng(seed), labels)
    return pixels(images), labels


def run(train_images, train_labels, test_images, test_labels, labelled=100, per_class=100,
        epochs=10, out_dir="runs/augment", seeds=(0,), cvae_config=None, log=None, classifier=None):
    """For each seed: a CVAE trained on ``labelled`` training digits (run folder
    out_dir/seed-<seed>), then the classifier's test accuracy on those digits alone and with
    10 * per_class generated ones. classifier: SoftmaxRegression options (epochs, lr, ...).

    numbers: seeds, baseline [accuracy per seed], augmented [accuracy per seed], labelled,
    generated; pictures: augment_samples (about 10 generated images per digit, last seed)."""
    if not seeds:
        raise ValueError("augment needs at least one seed")
    train_labels = np.asarray(train_labels)
    numbers = {"seeds": list(seeds), "baseline": [], "augmented": [], "labelled": labelled,
               "generated": 10 * per_class}
    test_x = pixels(test_images)
    classifier_options = dict(classifier or {})
    for seed in seeds:
        index = balanced_subset(train_labels, labelled // 10, seed)
        x, y = train_images[index], train_labels[index]
        if log:
            log(f"augment: seed {seed}: training a CVAE on {len(index)} labelled digits for "
                f"{epochs} epochs...")
        cvae = train_cvae(x, y, epochs, f"{out_dir}/seed-{seed}", cvae_config, seed=seed)
        gen_x, gen_y = generated_set(cvae, per_class, seed)
        base = train_and_score(pixels(x), y, test_x, test_labels, seed=seed, **classifier_options)
        aug = train_and_score(np.concatenate([pixels(x), gen_x]), np.concatenate([y, gen_y]),
                              test_x, test_labels, seed=seed, **classifier_options)
        numbers["baseline"].append(base)
        numbers["augmented"].append(aug)
        shown = min(per_class, 10)      # a row of each digit's first draws
        samples = gen_x.reshape(10, per_class, -1)[:, :shown].reshape(10 * shown, -1)
        if log:
            log(f"augment: seed {seed}: {len(index)} real -> {base:.3f}; + {len(gen_y)} generated "
                f"-> {aug:.3f}")
    picture = Grid(samples, shown, f"CVAE trained on {labelled} digits: generated training images",
                   row_labels=tuple(range(10)), ylabel="digit asked for")
    return AppResult(numbers, {"augment_samples": picture})


def table(numbers):
    """The numbers of ``run`` as a Table: accuracy with the generated images beside without."""
    real, generated = numbers["labelled"], numbers["generated"]
    rows = [[seed, pct(base), pct(aug)]
            for seed, base, aug in zip(numbers["seeds"], numbers["baseline"], numbers["augmented"])]
    rows.append(["mean", pct(np.mean(numbers["baseline"])), pct(np.mean(numbers["augmented"]))])
    return Table(
        f"augment: test accuracy of softmax regression on pixels, {real} labelled digits",
        "% of the test images classified right, higher is better",
        ["seed (which digits)", f"{real} real + {generated} generated", f"baseline: {real} real"],
        rows)
