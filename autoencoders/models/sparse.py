"""The sparse autoencoder: a code whose units are mostly off, enforced by a penalty.

    code:    h = a(W x + b)                 (B, code)   a = sigmoid (or relu, for 'l1')
    decoder: logits = W' h + b'             (B, d)
    loss:    Bernoulli NLL (nats per image) + penalty

Penalties (docs/models/sparse.md derives their gradients):
    'kl'  beta * sum_j KL(rho || rho_hat_j),  rho_hat_j = (1/B) sum_n h_nj, the mean
          activation of unit j over the batch; KL between Bernoulli(rho) and Bernoulli(rho_hat_j)
          (Ng's lecture notes). Needs sigmoid units, so that rho_hat_j is in (0, 1).
    'l1'  lam * (1/B) sum_n sum_j |h_nj|, the L1 norm of each code, averaged over the batch.

The code may be wider than the input (overcomplete): the penalty, not the
width, keeps the code from copying x.
"""
import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

from . import register
from .base import IMAGE_SIZE, Autoencoder, ConfigError, Option, bernoulli_nll


@register("sparse")
class SparseAutoencoder(Autoencoder):
    """Sparse autoencoder: one hidden code layer with a KL (target rate rho) or L1 activity penalty."""

    options = {
        "code": Option(128, "width of the code layer (may exceed the input)", min=1, max=16384),
        "penalty": Option("kl", "sparsity penalty", choices=("kl", "l1")),
        "activation": Option("sigmoid", "code activation (kl needs sigmoid)", choices=("sigmoid", "relu")),
        "rho": Option(0.05, "kl: target mean activation of each code unit, in (0, 1)", min=0.0),
        "beta": Option(3.0, "kl: weight of the KL sparsity penalty", min=0.0),
        "lam": Option(0.1, "l1: weight of the L1 activity penalty", min=0.0),
        "input_size": Option(IMAGE_SIZE, "pixels per input (784 for MNIST; small for tests)", min=1,
                             max=16384),
    }
    input_kind = "flat"

    def __init__(self, **config):
        super().__init__(**config)
        c = self.config
        if c["penalty"] == "kl" and c["activation"] != "sigmoid":
            raise ConfigError(f"sparse: the kl penalty needs activation=sigmoid (mean activations in "
                              f"(0, 1)), got activation={c['activation']}; use penalty=l1 for relu codes")
        if not 0 < c["rho"] < 1:
            raise ConfigError(f"sparse: rho must be in (0, 1), got {c['rho']}")
        self.encoder = nn.Linear(c["input_size"], c["code"])
        self.decoder = nn.Linear(c["code"], c["input_size"])
        self.activation = F.sigmoid if c["activation"] == "sigmoid" else F.relu

    def encode(self, x, labels=None):
        return self.activation(self.encoder(x))

    def decode(self, h, labels=None):
        return self.decoder(h)

    def sparsity_penalty(self, h):
        """The weighted penalty of a batch of codes h (B, code): a 0-d Tensor."""
        c = self.config
        if c["penalty"] == "kl":
            rho_hat = h.mean(axis=0)                       # mean activation of each unit
            return c["beta"] * F.kl_sparsity_penalty(c["rho"], rho_hat)
        return c["lam"] * F.l1_activity_penalty(h)         # mean over the batch of ||h_n||_1

    def loss(self, x, labels=None):
        h = self.encode(x)
        bce = bernoulli_nll(self.decode(h), x)
        penalty = self.sparsity_penalty(h)
        total = bce + penalty
        with mg.no_grad():
            mean_activation = h.mean().item()
        return total, {"loss": total.item(), "bce": bce.item(), "penalty": penalty.item(),
                       "mean_activation": mean_activation}
