"""M2 (Kingma, Rezende, Mohamed & Welling, 2014): a VAE whose label is a latent variable,
observed for the labelled images and summed over for the others.

Three networks, each an MLP of minigrad.nn layers (K classes, D features, Z latent, H hidden):

    q(y | x)      classifier   x (B, D) -> H -> logits (B, K)           the one we want
    q(z | x, y)   encoder      [x, onehot(y)] -> H -> mu, logvar (B, Z)
    p(x | y, z)   decoder      [z, onehot(y)] -> H -> pixel logits (B, D)        (bernoulli)
                                               or a mean and a log-variance (B, D) (gaussian)

A Linear layer on a concatenation [x, onehot(y)] is x W_x^T + b + W_y[:, y]: a per-class bias.
The networks are written that way (one Linear on x, one bias-free Linear on the one-hot
label), so that an unlabelled batch computes x W_x^T once and adds the K class columns:
the encoder's and classifier's cost stays one pass per image, and only the small heads and
the decoder run K times. The objective and its pieces are in bounds.py; the math in
docs/models/m2.md.
"""
import math

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, ops

from . import bounds

LOG_2PI = math.log(2 * math.pi)
MIN_LOGVAR = math.log(1e-4)     # a Gaussian decoder's variance stops at std 0.01
ACTIVATIONS = {"softplus": nn.Softplus, "relu": nn.ReLU}


def mlp(widths, activation):
    """Linear layers of the given widths with ``activation`` between them (none after the last)."""
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def one_hot(labels, classes, dtype):
    """Labels (N,) -> a constant (N, K) one-hot array."""
    labels = np.asarray(labels, dtype=np.int64)
    out = np.zeros((len(labels), classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


class M2(nn.Module):
    """The M2 model: ``loss(x_l, y_l, x_u, weights)`` for training, ``predict(x)`` to classify,
    ``sample(labels, rng)`` to draw images of chosen classes."""

    def __init__(self, features=784, classes=10, latent=50, hidden=500, classifier_hidden=(500,),
                 likelihood="bernoulli", activation="softplus"):
        super().__init__()
        if likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(f"M2: likelihood must be bernoulli or gaussian, got {likelihood!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"M2: activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        self.config = dict(features=features, classes=classes, latent=latent, hidden=hidden,
                           classifier_hidden=tuple(classifier_hidden), likelihood=likelihood,
                           activation=activation)
        self.act = ACTIVATIONS[activation]()
        self.classifier = mlp([features, *classifier_hidden, classes], activation)
        self.enc_x, self.enc_y = nn.Linear(features, hidden), nn.Linear(classes, hidden, bias=False)
        self.to_mu, self.to_logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.dec_z, self.dec_y = nn.Linear(latent, hidden), nn.Linear(classes, hidden, bias=False)
        self.dec_out = nn.Linear(hidden, features)
        if likelihood == "gaussian":
            self.dec_logvar = nn.Linear(hidden, features)

    @property
    def classes(self):
        return self.config["classes"]

    def dtype(self):
        return self.enc_x.weight.dtype

    # ----- q(y|x) -------------------------------------------------------------------------
    def log_q(self, x):
        """log q(y | x), (B, K)."""
        return ops.log_softmax(self.classifier(x), axis=1)

    # ----- q(z|x,y) and p(x|y,z) ------------------------------------------------------------
    def encode(self, x, onehot):
        """mu, logvar of q(z | x, y) for a batch and its one-hot labels (B, K), each (B, Z)."""
        h = self.act(self.enc_x(x) + F.linear(mg.tensor(onehot), self.enc_y.weight))
        return self.to_mu(h), self.to_logvar(h)

    def encode_every_class(self, x):
        """mu, logvar of q(z | x, y) for every image with every label, class-major: row
        k * B + b is image b with label k; each (K * B, Z). x W_x^T is computed once."""
        batch, hidden = x.shape[0], self.config["hidden"]
        hx = ops.reshape(self.enc_x(x), (1, batch, hidden))
        hy = ops.reshape(ops.transpose(self.enc_y.weight), (self.classes, 1, hidden))
        h = ops.reshape(self.act(hx + hy), (self.classes * batch, hidden))
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z, onehot):
        """The parameters of p(x | y, z): pixel logits (N, D), or (mean, logvar) (N, D) each."""
        h = self.act(self.dec_z(z) + F.linear(mg.tensor(onehot), self.dec_y.weight))
        if self.config["likelihood"] == "bernoulli":
            return self.dec_out(h)
        return self.dec_out(h), ops.clip(self.dec_logvar(h), MIN_LOGVAR, None)

    def recon_nll(self, params, x):
        """-log p(x | y, z) summed over features, (N,).

        bernoulli: sum_d softplus(l_d) - x_d l_d (BCE from logits, stable for any l);
        gaussian:  sum_d (log 2 pi + logvar_d + (x_d - mean_d)^2 / exp(logvar_d)) / 2."""
        if self.config["likelihood"] == "bernoulli":
            return ops.sum(F.binary_cross_entropy_with_logits(params, x, reduction="none"), axis=1)
        mean, logvar = params
        diff = x - mean
        return ops.sum((diff * diff * ops.exp(-logvar) + logvar + LOG_2PI) * 0.5, axis=1)

    def reparameterize(self, mu, logvar):
        """z = mu + exp(logvar / 2) eps, eps ~ N(0, I) from minigrad's generator."""
        eps = mg.random.normal(0.0, 1.0, mu.shape, dtype=mu.dtype)
        return mu + ops.exp(logvar * 0.5) * eps

    # ----- the bounds -----------------------------------------------------------------------
    def labelled_bound(self, x, labels):
        """L(x, y) per image, (B,): one z sampled from q(z | x, y)."""
        onehot = one_hot(labels, self.classes, x.dtype)
        mu, logvar = self.encode(x, onehot)
        recon = self.recon_nll(self.decode(self.reparameterize(mu, logvar), onehot), x)
        return bounds.labelled_bound(recon, bounds.gaussian_kl(mu, logvar), self.classes)

    def every_label_bound(self, x):
        """L(x, y) for every label y, (K, B): one z sampled per (image, label)."""
        batch, k = x.shape[0], self.classes
        mu, logvar = self.encode_every_class(x)
        onehot = np.repeat(np.eye(k, dtype=x.dtype), batch, axis=0)
        xs = mg.tensor(np.broadcast_to(x.data, (k,) + x.shape).reshape(k * batch, -1))
        recon = self.recon_nll(self.decode(self.reparameterize(mu, logvar), onehot), xs)
        per_row = bounds.labelled_bound(recon, bounds.gaussian_kl(mu, logvar), k)
        return ops.reshape(per_row, (k, batch))

    def loss(self, x_l, y_l, x_u, weights):
        """(J, metrics): J the weighted objective of bounds.objective (a scalar Tensor);
        metrics the batch means of L, U, H(q(y|x)) and -log q(y|x), in nats per image."""
        x_l, x_u = as_tensor(x_l), as_tensor(x_u)
        labelled = self.labelled_bound(x_l, y_l)
        log_q_u = self.log_q(x_u)
        unlabelled = bounds.unlabelled_bound(self.every_label_bound(x_u), log_q_u)
        nll_y = F.nll_loss(self.log_q(x_l), np.asarray(y_l, dtype=np.int64), reduction="none")
        loss = bounds.objective(labelled, unlabelled, nll_y, weights)
        metrics = {"loss": loss.item(), "labelled": float(labelled.data.mean()),
                   "unlabelled": float(unlabelled.data.mean()),
                   "entropy": float(bounds.entropy(log_q_u).data.mean()),
                   "nll_y": float(nll_y.data.mean())}
        return loss, metrics

    # ----- using it -------------------------------------------------------------------------
    def predict(self, x, batch_size=2048):
        """argmax_y q(y | x) for a numpy batch (N, D), numpy int64 (N,)."""
        out = []
        with mg.no_grad():
            for start in range(0, len(x), batch_size):
                chunk = np.asarray(x[start:start + batch_size], dtype=self.dtype())
                out.append(np.argmax(self.classifier(mg.tensor(chunk)).data, axis=1))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def sample(self, labels, rng):
        """One image per label: z ~ N(0, I) from the numpy Generator ``rng``, decoded with
        the label; the mean of p(x | y, z) (pixel probabilities for bernoulli), numpy (N, D)."""
        labels = np.asarray(labels, dtype=np.int64)
        z = rng.standard_normal((len(labels), self.config["latent"])).astype(self.dtype())
        with mg.no_grad():
            params = self.decode(mg.tensor(z), one_hot(labels, self.classes, self.dtype()))
        if self.config["likelihood"] == "bernoulli":
            return mg.sigmoid(params).data
        return params[0].data


def as_tensor(x):
    return x if isinstance(x, mg.Tensor) else mg.tensor(x)
