"""The reference model: a small fully-connected autoencoder.

    encoder: 784 -> hidden -> code      (Linear, ReLU, Linear)
    decoder: code -> hidden -> 784      (Linear, ReLU, Linear)

The decoder ends without an activation: it returns one logit per pixel, and
the pixel value is sigmoid(logit). The loss is the base class's: binary
cross-entropy computed from the logits (stable for any logit), summed over the
784 pixels and averaged over the batch, i.e. nats per image.
"""
from minigrad import nn

from . import register
from .base import IMAGE_SIZE, Autoencoder, Option


@register("dense")
class DenseAutoencoder(Autoencoder):
    """Fully-connected autoencoder 784 -> hidden -> code -> hidden -> 784 (ReLU)."""

    options = {
        "hidden": Option(256, "width of the hidden layer on each side", min=1, max=16384),
        "code": Option(32, "width of the code (the bottleneck)", min=1, max=4096),
    }
    input_kind = "flat"

    def __init__(self, **config):
        super().__init__(**config)
        hidden, code = self.config["hidden"], self.config["code"]
        self.encoder = nn.Sequential(nn.Linear(IMAGE_SIZE, hidden), nn.ReLU(), nn.Linear(hidden, code))
        self.decoder = nn.Sequential(nn.Linear(code, hidden), nn.ReLU(), nn.Linear(hidden, IMAGE_SIZE))

    def encode(self, x, labels=None):
        return self.encoder(x)

    def decode(self, z, labels=None):
        return self.decoder(z)
