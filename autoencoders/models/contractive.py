"""The contractive autoencoder: a code that barely moves when the input moves (Rifai et al., 2011).

    code:    h = sigmoid(W x + b)           (B, code)
    decoder: logits = W' h + b'             (B, d)     W' = W^T with ``tied``
    loss:    Bernoulli NLL (nats per image) + lam * (1/B) sum_n ||J_f(x_n)||_F^2

J_f(x) = dh/dx is the (code, d) Jacobian of the encoder. For a sigmoid layer
dh_j/dx_i = h_j (1 - h_j) W_ji, so its squared Frobenius norm needs no Jacobian at all:

    ||J_f(x)||_F^2 = sum_j (h_j (1 - h_j))^2 sum_i W_ji^2

(derived in docs/models/contractive.md). That is O(code * d) per batch of
weights plus O(B * code), instead of the O(B * code * d) of building J.
"""
import numpy as np

from minigrad import nn
from minigrad.nn import functional as F

from . import register
from .base import IMAGE_SIZE, Autoencoder, Option, bernoulli_nll


def contractive_penalty(h, weight):
    """||J_f(x_n)||_F^2 for each sample of a sigmoid layer h = sigmoid(x W^T + b): shape (B,).

    h: the layer's outputs (B, code); weight: W (code, d). Closed form
    sum_j (h_nj (1 - h_nj))^2 * sum_i W_ji^2, as a matrix product (B, code) @ (code,).
    """
    slope = h * (1 - h)                        # sigmoid'(a) = h (1 - h), from the output
    row_norms = (weight * weight).sum(axis=1)  # sum_i W_ji^2, one per code unit (code,)
    return (slope * slope) @ row_norms


@register("contractive")
class ContractiveAutoencoder(Autoencoder):
    """Contractive autoencoder: sigmoid code, penalty lam * ||J_f(x)||_F^2 (closed form)."""

    options = {
        "code": Option(128, "width of the code layer", min=1, max=4096),
        "lam": Option(0.5, "weight of the contractive penalty ||J_f(x)||_F^2", min=0.0),
        "tied": Option(False, "decoder weight is the encoder weight's transpose (own bias)"),
        "input_size": Option(IMAGE_SIZE, "pixels per input (784 for MNIST; small for tests)", min=1,
                             max=16384),
    }
    input_kind = "flat"

    def __init__(self, **config):
        super().__init__(**config)
        d, k = self.config["input_size"], self.config["code"]
        self.encoder = nn.Linear(d, k)
        if self.config["tied"]:
            self.decoder_bias = nn.Parameter(np.zeros(d), dtype=np.float32)
        else:
            self.decoder = nn.Linear(k, d)

    def encode(self, x, labels=None):
        return F.sigmoid(self.encoder(x))

    def decode(self, h, labels=None):
        if self.config["tied"]:
            return h @ self.encoder.weight + self.decoder_bias   # h W: the transpose of the encoder map
        return self.decoder(h)

    def loss(self, x, labels=None):
        h = self.encode(x)
        bce = bernoulli_nll(self.decode(h), x)
        jacobian = contractive_penalty(h, self.encoder.weight).mean()  # mean over the batch
        total = bce + self.config["lam"] * jacobian
        return total, {"loss": total.item(), "bce": bce.item(), "jacobian_norm_sq": jacobian.item()}
