"""The contractive autoencoder: a code that barely moves when the input moves (Rifai et al., 2011).

    encoder: h = sigmoid(W_L ... sigmoid(W_1 x + b_1) ... + b_L)   (B, code); one layer by default
    decoder: logits = the mirror image of the encoder               (B, d)   W' = W^T with ``tied``
    loss:    Bernoulli NLL (nats per image) + lam * (1/B) sum_n ||J_f(x_n)||_F^2

J_f(x) = dh/dx is the (code, d) Jacobian of the encoder. Two ways to get its
squared Frobenius norm (option ``jacobian``):

* ``closed_form`` (one sigmoid layer only): dh_j/dx_i = h_j (1 - h_j) W_ji, so

      ||J_f(x)||_F^2 = sum_j (h_j (1 - h_j))^2 sum_i W_ji^2

  needs no Jacobian at all (derived in docs/models/contractive.md): O(code * d)
  per batch of weights plus O(B * code), instead of the O(B * code * d) of J.
* ``autograd`` (any encoder): row j of J for every sample at once is the
  gradient of sum_n h_nj with respect to x (samples are independent), one
  backward pass per code unit, recorded with ``create_graph=True`` so that the
  penalty's own gradient with respect to the weights is a second derivative.
"""
import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

from . import register
from .base import IMAGE_SIZE, Autoencoder, ConfigError, Option, bernoulli_nll


def contractive_penalty(h, weight):
    """||J_f(x_n)||_F^2 for each sample of a sigmoid layer h = sigmoid(x W^T + b): shape (B,).

    h: the layer's outputs (B, code); weight: W (code, d). Closed form
    sum_j (h_nj (1 - h_nj))^2 * sum_i W_ji^2, as a matrix product (B, code) @ (code,).
    """
    slope = h * (1 - h)                        # sigmoid'(a) = h (1 - h), from the output
    row_norms = (weight * weight).sum(axis=1)  # sum_i W_ji^2, one per code unit (code,)
    return (slope * slope) @ row_norms


def jacobian_norm_sq(encode, x):
    """||J_f(x_n)||_F^2 for each sample, shape (B,), for any differentiable ``encode``.

    x (B, d) becomes a leaf that requires a gradient; for each code unit j the upstream e_j
    (ones in column j) gives g_j = d(sum_n h_nj)/dx, whose row n is row j of J_f(x_n). The
    gradients are recorded (create_graph), so the result can be differentiated again.
    """
    x = mg.Tensor(x.data, requires_grad=True)
    h = encode(x)
    total = None
    for j in range(h.shape[1]):
        column = np.zeros(h.shape, dtype=h.dtype)
        column[:, j] = 1
        (g,) = mg.grad(h, x, grad_outputs=column, create_graph=True)
        squares = (g * g).sum(axis=1)
        total = squares if total is None else total + squares
    return total


@register("contractive")
class ContractiveAutoencoder(Autoencoder):
    """Contractive autoencoder: sigmoid encoder, penalty lam * ||J_f(x)||_F^2."""

    options = {
        "code": Option(128, "width of the code layer", min=1, max=4096),
        "hidden": Option((), "widths of sigmoid layers before the code, e.g. 256 (default: none)",
                         min=1, max=16384),
        "lam": Option(0.5, "weight of the contractive penalty ||J_f(x)||_F^2", min=0.0),
        "jacobian": Option("closed_form", "how ||J_f||_F^2 is computed: closed_form (one sigmoid "
                           "layer) or autograd (any encoder, one backward pass per code unit)",
                           choices=("closed_form", "autograd")),
        "tied": Option(False, "decoder weight is the encoder weight's transpose (own bias)"),
        "input_size": Option(IMAGE_SIZE, "pixels per input (784 for MNIST; small for tests)", min=1,
                             max=16384),
    }
    input_kind = "flat"

    def __init__(self, **config):
        super().__init__(**config)
        c = self.config
        widths = (c["input_size"], *c["hidden"], c["code"])
        if c["hidden"] and c["jacobian"] == "closed_form":
            raise ConfigError("contractive: the closed-form Jacobian holds for one sigmoid layer; "
                              "with hidden layers use jacobian=autograd")
        if c["hidden"] and c["tied"]:
            raise ConfigError("contractive: tied weights need a single encoder layer (no hidden)")
        # one layer: encoder and decoder are Linear layers (the closed form reads encoder.weight);
        # with hidden layers they are Sequentials of them
        encoder = [nn.Linear(a, b) for a, b in zip(widths, widths[1:])]
        self.encoder = encoder[0] if len(encoder) == 1 else nn.Sequential(*encoder)
        if c["tied"]:
            self.decoder_bias = nn.Parameter(np.zeros(widths[0]), dtype=np.float32)
        else:
            back = widths[::-1]
            decoder = [nn.Linear(a, b) for a, b in zip(back, back[1:])]
            self.decoder = decoder[0] if len(decoder) == 1 else nn.Sequential(*decoder)

    @staticmethod
    def _layers(part):
        return list(part) if isinstance(part, nn.Sequential) else [part]

    def encode(self, x, labels=None):
        h = x
        for layer in self._layers(self.encoder):
            h = F.sigmoid(layer(h))
        return h

    def decode(self, h, labels=None):
        if self.config["tied"]:
            return h @ self.encoder.weight + self.decoder_bias   # h W: the transpose of the encoder map
        *hidden, last = self._layers(self.decoder)
        for layer in hidden:
            h = F.sigmoid(layer(h))
        return last(h)

    def penalty(self, x, h):
        """||J_f(x_n)||_F^2 per sample (B,), by the configured method."""
        if self.config["jacobian"] == "closed_form":
            return contractive_penalty(h, self.encoder.weight)
        return jacobian_norm_sq(self.encode, x)

    def loss(self, x, labels=None):
        h = self.encode(x)
        bce = bernoulli_nll(self.decode(h), x)
        jacobian = self.penalty(x, h).mean()  # mean over the batch
        total = bce + self.config["lam"] * jacobian
        return total, {"loss": total.item(), "bce": bce.item(), "jacobian_norm_sq": jacobian.item()}
