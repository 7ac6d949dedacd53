"""The conditional VAE (Sohn, Lee & Yan, 2015): a VAE told which digit it is looking at.

Encoder and decoder both receive the label y as a one-hot vector appended to
their input:

    q(z|x, y):  [x, onehot(y)] (B, 784 + 10) -> Linear + ReLU -> mu, logvar (B, latent)
    p(x|z, y):  [z, onehot(y)] (B, latent + 10) -> Linear + ReLU -> Linear -> logits (B, 784)

and the loss is the VAE's with everything conditioned on y:

    -ELBO(x|y) = E_q[-log p(x|z, y)] + KL(q(z|x, y) || N(0, I))

Since the decoder is told the digit, z is free to hold the rest: slant,
thickness, style. Sampling then draws z ~ N(0, I) and decodes it with the
label of our choice: ``sample(n, rng, labels=[7] * n)`` writes n sevens.
Everything else (reparameterization, likelihoods, beta, IWAE) is the VAE's
(models/vae.py); docs/models/cvae.md has the derivation.
"""
import numpy as np

import minigrad as mg
from minigrad import ops

from . import register
from .base import ConfigError, Option
from .vae import MLP_OPTIONS, VAE


@register("cvae")
class ConditionalVAE(VAE):
    """Conditional VAE: encoder and decoder also read the one-hot digit label."""

    options = {**MLP_OPTIONS,
               "classes": Option(10, "number of label values (one-hot width)", min=1, max=1024)}
    input_kind = "flat"
    needs_labels = True

    def condition_width(self):
        return self.config["classes"]

    def condition(self, t, labels):
        """[t, onehot(labels)] along the last axis: (B, n) -> (B, n + classes)."""
        labels = self.label_indices(labels, t.shape[0])
        classes = self.config["classes"]
        onehot = np.zeros((t.shape[0], classes), dtype=t.dtype)
        onehot[np.arange(t.shape[0]), labels] = 1
        return ops.concatenate([t, onehot], axis=1)

    def label_indices(self, labels, n):
        """``labels`` (n whole numbers in [0, classes), array or Tensor) as an int64 array;
        ConfigError if they are missing, ValueError naming what is wrong otherwise."""
        if labels is None:
            raise ConfigError(f"model {self.name!r} is conditional: pass the digit labels "
                              "(labels=array of B ints) to loss, encode, decode, reconstruct, "
                              "embed and sample")
        labels = np.asarray(labels.data if isinstance(labels, mg.Tensor) else labels)
        classes = self.config["classes"]
        if labels.shape != (n,):
            raise ValueError(f"model {self.name!r}: expected {n} labels (one per row), "
                             f"got shape {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= classes
                            or not np.all(labels == np.round(labels))):
            raise ValueError(f"model {self.name!r}: labels must be integers in [0, {classes}), "
                             f"got values from {labels.min()} to {labels.max()}")
        return labels.astype(np.int64)

    def sample(self, n, rng, labels=None):
        """n images of the digits ``labels`` (n ints; e.g. ``[3] * n``), z ~ N(0, I) from ``rng``."""
        if labels is None:
            raise ConfigError(f"model {self.name!r} samples a chosen digit: pass labels=..., "
                              f"e.g. labels=np.arange({n}) % {self.config['classes']}")
        return super().sample(n, rng, labels)
