"""The linear autoencoder: PCA learned by gradient descent.

    encoder: z = W x + b          W (code, d)
    decoder: x^ = W' z + b'       W' (d, code)
    loss:    ||x - x^||^2, summed over the d pixels, averaged over the batch

With code < d and no activation anywhere, the best such pair of maps
projects x onto the span of the top-``code`` principal components of the
data: every local minimum of the squared error is a global one, and at it
the columns of W' span the same space as the top eigenvectors of the
covariance (Baldi & Hornik, 1989). The training loss then equals the sum of
the discarded eigenvalues (covariance divided by n). The derivation is in
docs/models/linear.md; ``autoencoders.pca.PCA`` computes the same thing in
closed form.

Units: the loss is per image (sum over pixels), like the other models' nats
per image. The metric ``mse`` is the same error per pixel (loss / d), the
number to compare with ``PCA.reconstruction_error``.
"""
from minigrad import nn

from . import register
from .base import IMAGE_SIZE, Autoencoder, ConfigError, Option


@register("linear")
class LinearAutoencoder(Autoencoder):
    """Undercomplete linear autoencoder x -> W x + b -> W' z + b' (learns the PCA subspace)."""

    options = {
        "code": Option(32, "width of the code (number of principal directions learned)", min=1,
                       max=4096),
        "input_size": Option(IMAGE_SIZE, "pixels per input (784 for MNIST; small for tests)", min=1,
                             max=16384),
    }
    input_kind = "flat"
    output_is_logits = False  # the decoder returns pixel values, not logits

    def __init__(self, **config):
        super().__init__(**config)
        d, k = self.config["input_size"], self.config["code"]
        if k >= d:
            raise ConfigError(f"linear: code width {k} must be smaller than the input width {d} "
                              "(an undercomplete autoencoder; with code >= input it can copy x)")
        self.encoder = nn.Linear(d, k)   # z = x W^T + b for a batch of row vectors x
        self.decoder = nn.Linear(k, d)   # x^ = z W'^T + b'

    def encode(self, x, labels=None):
        return self.encoder(x)

    def decode(self, z, labels=None):
        return self.decoder(z)

    def loss(self, x, labels=None):
        reconstruction = self(x)
        diff = reconstruction - x
        per_image = (diff * diff).sum() / x.shape[0]
        value = per_image.item()
        return per_image, {"loss": value, "mse": value / x.shape[1]}
