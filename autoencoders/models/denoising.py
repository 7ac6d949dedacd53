"""The denoising autoencoder: rebuild the clean image from a corrupted copy (Vincent et al., 2008).

    x~ = corrupt(x)                              (training only; a fresh draw every batch)
    loss = Bernoulli NLL of x under sigmoid(decode(encode(x~)))    (the target is the CLEAN x)

The network is the deep autoencoder's (``widths``, ``activation``, ``tied``), but
the code may be wider than the input: the corruption, not the bottleneck, is what
stops it from learning the identity. In eval mode nothing is corrupted, so
``reconstruct`` and ``embed`` (and the validation loss) use the inputs as given;
to denoise, corrupt them yourself with ``corrupt`` and pass them in.

Corruptions, with level p (``noise_level``):
    gaussian     x + p eps, eps ~ N(0, 1)                       (p = standard deviation)
    masking      each pixel set to 0 with probability p          (Vincent's masking noise)
    salt_pepper  each pixel, with probability p, set to 0 or 1 (a coin flip decides)
    dropout      each pixel set to 0 with probability p, the others divided by 1 - p
"""
import numpy as np

import minigrad as mg

from . import register
from .base import ConfigError, Option, bernoulli_nll
from .deep import DeepAutoencoder

CORRUPTIONS = ("gaussian", "masking", "salt_pepper", "dropout")


def corrupt(x, kind, level, rng):
    """A corrupted copy of the float array x (same shape and dtype; x is not changed).

    x: pixels as floats in [0, 1] (convert uint8 images with ``data.to_float`` first);
    kind: one of CORRUPTIONS; level: the noise level p (see the module docstring);
    rng: a numpy Generator. Pixel values are not clipped (gaussian noise may leave [0, 1]).
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"corrupt: x must hold floats in [0, 1], got {x.dtype} "
                        "(scale uint8 images with autoencoders.data.to_float)")
    if kind not in CORRUPTIONS:
        raise ValueError(f"corrupt: unknown corruption {kind!r}; choose from {', '.join(CORRUPTIONS)}")
    if level < 0 or (kind != "gaussian" and level >= 1):
        allowed = "[0, inf)" if kind == "gaussian" else "[0, 1)"
        raise ValueError(f"corrupt: the {kind} level must be in {allowed}, got {level}")
    one = x.dtype.type(1)
    if kind == "gaussian":
        return x + (level * rng.standard_normal(x.shape)).astype(x.dtype)
    hit = rng.random(x.shape) < level           # the pixels to corrupt, each with probability p
    if kind == "masking":
        return np.where(hit, 0, x).astype(x.dtype)
    if kind == "salt_pepper":
        salt = rng.random(x.shape) < 0.5        # white (1) or black (0), a fair coin
        return np.where(hit, np.where(salt, one, 0), x).astype(x.dtype)
    return (np.where(hit, 0, x) / (one - level)).astype(x.dtype)   # dropout (inverted)


@register("denoising")
class DenoisingAutoencoder(DeepAutoencoder):
    """Denoising autoencoder: rebuilds the clean x from a corrupted copy (noise in training only)."""

    options = {
        **DeepAutoencoder.options,
        "widths": Option((256, 64), "encoder widths, the last is the code (may exceed the input)", min=1,
                         max=16384),
        "activation": Option("relu", "hidden activation", choices=("selu", "relu", "sigmoid")),
        "corruption": Option("masking", "how inputs are corrupted in training", choices=CORRUPTIONS),
        "noise_level": Option(0.3, "noise level: std (gaussian) or fraction of pixels hit", min=0.0),
    }
    undercomplete = False

    def __init__(self, **config):
        super().__init__(**config)
        kind, level = self.config["corruption"], self.config["noise_level"]
        if kind != "gaussian" and level >= 1:
            raise ConfigError(f"denoising: noise_level {level} must be below 1 for {kind} "
                              "(it is the fraction of pixels corrupted)")

    def corrupt(self, x):
        """x (a Tensor) corrupted with the model's corruption, drawing from minigrad.random."""
        noisy = corrupt(x.data, self.config["corruption"], self.config["noise_level"], mg.random.generator())
        return mg.Tensor(noisy)

    def loss(self, x, labels=None):
        x_in = self.corrupt(x) if self.training else x   # eval: reconstruct the inputs as given
        bce = bernoulli_nll(self(x_in), x)                 # the target is always the clean x
        value = bce.item()
        return bce, {"loss": value, "bce": value}

    def pretrain_input(self, h, i):
        """Stacked denoising pretraining, pixels only: pair 0 sees corrupted images."""
        return self.corrupt(h) if i == 0 else h
