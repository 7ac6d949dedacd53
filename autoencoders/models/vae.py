"""The variational autoencoder (Kingma & Welling, 2014).

The encoder does not return a code but a distribution over codes,
q(z|x) = N(mu(x), diag(exp(logvar(x)))); the decoder turns a code into a
distribution over images, p(x|z). Training maximizes the evidence lower bound

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x),   p(z) = N(0, I),

so the loss (per image, averaged over the batch) is

    loss = recon + beta * kl
    recon = -log p(x|z),  z = mu + exp(0.5 logvar) * eps,  eps ~ N(0, I)   (one sample)
    kl    = -1/2 sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))             (closed form)

With beta = 1 the loss is -ELBO in nats per image. The decoder's logits l give
either Bernoulli pixels, recon = sum_pixels BCE(sigmoid(l), x), or Gaussian
pixels with mean sigmoid(l) and a variance (fixed, or learned per pixel).

Shapes with the default MLP (the PyTorch example's network), B images:

    x (B, 784) -> Linear(784, 400) + ReLU -> h (B, 400)
    h -> Linear(400, 20) -> mu (B, 20);   h -> Linear(400, 20) -> logvar (B, 20)
    z (B, 20) -> Linear(20, 400) + ReLU -> Linear(400, 784) -> logits (B, 784)

``layers=L`` puts L hidden layers of ``hidden`` units on each side, and
``activation='softplus'`` uses softplus between them (the M1 of Kingma et al. 2014
has two softplus layers of 500).

``arch='conv'`` swaps in the convolutional encoder and decoder of models/conv.py.
The derivations are in docs/models/vae.md; the conditional VAE is models/cvae.py.
"""
import math

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, ops

from . import register
from .base import IMAGE_SHAPE, Autoencoder, ConfigError, Option, as_tensor, evaluating
from .conv import CONV_OPTIONS, check_conv_config, conv_decoder, conv_encoder

LOG_2PI = math.log(2 * math.pi)
MIN_LOGVAR = math.log(1e-4)  # a learned pixel variance stops at std 0.01 (see docs/models/vae.md)

MLP_OPTIONS = {
    "hidden": Option(400, "width of the hidden layers on each side", min=1, max=16384),
    "layers": Option(1, "hidden layers on each side (mlp)", min=1, max=8),
    "activation": Option("relu", "hidden activation (mlp)", choices=("relu", "softplus")),
    "latent": Option(20, "dimension of the latent code z", min=1, max=4096),
    "likelihood": Option("bernoulli", "decoder distribution p(x|z) of each pixel",
                         choices=("bernoulli", "gaussian")),
    "variance": Option("learned", "Gaussian decoder: 'learned' log-variance per pixel or 'fixed'",
                       choices=("learned", "fixed")),
    "sigma": Option(0.1, "Gaussian decoder: the fixed std (or the learned one's start)", min=1e-3),
    "beta": Option(1.0, "weight of the KL term (1 = the ELBO; beta-VAE for > 1)", min=0.0),
    "image_size": Option(28, "side of the square images (28 for MNIST; smaller sizes are "
                         "for tests)", min=1, max=128),
}


HIDDEN_ACTIVATIONS = {"relu": nn.ReLU, "softplus": nn.Softplus}


def hidden_layers(inputs, hidden, config):
    """``layers`` Linear layers of width ``hidden``, each followed by the activation."""
    out = []
    for i in range(config.get("layers", 1)):
        out += [nn.Linear(inputs if i == 0 else hidden, hidden),
                HIDDEN_ACTIVATIONS[config.get("activation", "relu")]()]
    return out


@register("vae")
class VAE(Autoencoder):
    """Variational autoencoder: Gaussian q(z|x), Bernoulli or Gaussian p(x|z), ELBO loss."""

    options = {
        "arch": Option("mlp", "'mlp' (fully connected, flat input) or 'conv' (image input; "
                       "uses channels, kernel_size, variant)", choices=("mlp", "conv")),
        **MLP_OPTIONS,
        **{name: opt for name, opt in CONV_OPTIONS.items() if name != "image_size"},
    }
    input_kind = "flat"   # 'image' when arch='conv' (set per instance)
    can_sample = True

    def __init__(self, **config):
        super().__init__(**config)
        c = self.config
        latent, hidden, extra = c["latent"], c["hidden"], self.condition_width()
        size = c["image_size"]
        if c.get("arch", "mlp") == "conv":
            check_conv_config(c)
            self.input_kind = "image"
            self.image_shape = (IMAGE_SHAPE[0], size, size)
            self.encoder = nn.Sequential(conv_encoder(c, hidden), nn.ReLU())
            self.decoder = conv_decoder(c, latent)
        else:
            pixels = IMAGE_SHAPE[0] * size * size
            self.image_shape = (pixels,)
            self.encoder = nn.Sequential(*hidden_layers(pixels + extra, hidden, c))
            self.decoder = nn.Sequential(*hidden_layers(latent + extra, hidden, c),
                                         nn.Linear(hidden, pixels))
        self.to_mu = nn.Linear(hidden, latent)
        self.to_logvar = nn.Linear(hidden, latent)
        if c["likelihood"] == "gaussian" and c["variance"] == "learned":
            start = np.full(self.image_shape, 2 * math.log(c["sigma"]))
            self.pixel_logvar = nn.Parameter(start, dtype=np.float32)

    # ----- conditioning (nothing here; the CVAE appends the one-hot label) -------------
    def condition_width(self):
        """How many inputs the condition adds to the encoder's and the decoder's input."""
        return 0

    def condition(self, t, labels):
        """The encoder's or decoder's input t, with the condition appended (none: t)."""
        return t

    # ----- q(z|x) and p(x|z) ---------------------------------------------------------
    def encode(self, x, labels=None):
        """x -> (mu, logvar) of q(z|x), each (B, latent)."""
        h = self.encoder(self.condition(x, labels))
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z, labels=None):
        """z (B, latent) -> pixel logits shaped like x."""
        return self.decoder(self.condition(z, labels))

    def reparameterize(self, mu, logvar):
        """z = mu + exp(0.5 logvar) * eps with eps ~ N(0, I) from minigrad's generator:
        a sample of q(z|x) that is a differentiable function of mu and logvar."""
        eps = mg.random.normal(0.0, 1.0, mu.shape, dtype=mu.dtype)
        return mu + ops.exp(logvar * 0.5) * eps

    def forward(self, x, labels=None):
        """Logits of the reconstruction: from a sampled z in training, from z = mu in eval."""
        mu, logvar = self.encode(x, labels)
        z = self.reparameterize(mu, logvar) if self.training else mu
        return self.decode(z, labels)

    def recon_nll(self, logits, x, per_image=True):
        """-log p(x|z) summed over pixels: a Tensor (B,), one value per image
        (per_image=False: summed over the batch too, one reduction instead of two)."""
        axes = tuple(range(1, x.ndim)) if per_image else None
        if self.config["likelihood"] == "bernoulli":
            return ops.sum(F.binary_cross_entropy_with_logits(logits, x, reduction="none"), axis=axes)
        if self.config["variance"] == "learned":   # one per pixel, kept above the floor
            logvar = ops.clip(self.pixel_logvar, MIN_LOGVAR, None)
            inv_var = ops.exp(-logvar)
        else:                                      # fixed: the same number for every pixel
            logvar = 2 * math.log(self.config["sigma"])
            inv_var = math.exp(-logvar)
        diff = x - ops.sigmoid(logits)
        per_pixel = (LOG_2PI + logvar + diff * diff * inv_var) * 0.5
        return ops.sum(per_pixel, axis=axes)

    # ----- the loss ------------------------------------------------------------------
    def loss(self, x, labels=None):
        """(recon + beta * kl) averaged over the batch; recon and kl are nats per image.

        The ELBO is an expectation over q(z|x), so z is always sampled here
        (also in eval mode): an unbiased one-sample estimate, as in the
        PyTorch reference example.
        """
        x = as_tensor(x)
        batch = x.shape[0]
        mu, logvar = self.encode(x, labels)
        z = self.reparameterize(mu, logvar)
        recon = self.recon_nll(self.decode(z, labels), x, per_image=False) / batch
        kl = F.gaussian_kl_divergence(mu, logvar, reduction="sum") / batch
        loss = recon + kl * self.config["beta"]
        metrics = {"loss": loss.item(), "recon": recon.item(), "kl": kl.item()}
        if self.config["likelihood"] == "bernoulli":
            metrics["bce"] = metrics["recon"]
        return loss, metrics

    # ----- helpers: codes, samples, log-likelihood -----------------------------------
    def embed(self, x, labels=None):
        """The posterior means mu(x), (B, latent)."""
        with evaluating(self):
            return self.encode(as_tensor(x), labels)[0].data

    def reconstruct(self, x, labels=None):
        """sigmoid(decode(mu(x))): Bernoulli probabilities or Gaussian means, in [0, 1]."""
        with evaluating(self):
            return self.to_pixels(self(as_tensor(x), labels))

    def sample(self, n, rng, labels=None):
        """n images decoded from z ~ N(0, I) drawn with the numpy Generator ``rng``:
        the mean of p(x|z) (pixel probabilities), shaped like x."""
        z = rng.standard_normal((n, self.config["latent"])).astype(self.to_mu.weight.dtype)
        with evaluating(self):
            return self.to_pixels(self.decode(mg.tensor(z), labels))

    def log_likelihood(self, x, k=100, labels=None, chunk=1024):
        """Importance-weighted estimate of log p(x) per image, numpy (B,), in nats.

            log p(x) ~ logsumexp_i(log w_i) - log k,   log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x)

        with z_1..z_k drawn from q(z|x) (Burda et al.'s IWAE bound: below log p(x),
        rising with k; k = 1 is the ELBO's one-sample estimate). Draws eps from
        minigrad's generator; evaluates at most ``chunk`` (image, sample) pairs at once.
        """
        if k < 1:
            raise ConfigError(f"log_likelihood: k must be >= 1 samples, got {k}")
        x = as_tensor(x)
        batch, latent = x.shape[0], self.config["latent"]
        log_w = np.empty((k, batch), dtype=np.float64)
        with evaluating(self):
            mu, logvar = (t.data for t in self.encode(x, labels))
            std = np.exp(0.5 * logvar)
            per_pass = max(1, chunk // batch)
            for start in range(0, k, per_pass):
                m = min(per_pass, k - start)
                eps = mg.random.normal(0.0, 1.0, (m, batch, latent), dtype=mu.dtype)
                z = (mu + std * eps).reshape(m * batch, latent)
                xs = np.broadcast_to(x.data, (m,) + x.shape).reshape((m * batch,) + x.shape[1:])
                ys = None if labels is None else np.tile(np.asarray(labels), m)
                log_px = -self.recon_nll(self.decode(mg.tensor(z), ys), mg.tensor(xs)).data
                log_pz = -0.5 * np.sum(z * z + LOG_2PI, axis=1)
                log_qz = -0.5 * np.sum(eps * eps + LOG_2PI + logvar, axis=2).reshape(-1)
                log_w[start:start + m] = (log_px + log_pz - log_qz).reshape(m, batch)
        top = log_w.max(axis=0)
        return top + np.log(np.mean(np.exp(log_w - top), axis=0))
