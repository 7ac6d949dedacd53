"""Generative adversarial networks (Goodfellow et al., 2014): two networks trained against each other.

The generator G turns noise z ~ N(0, I) into an image; the discriminator D
returns a logit l for an image, D(x) = sigmoid(l) being its probability that x
is real. They play

    min_G max_D  V(D, G) = E_{x ~ p_r}[log D(x)] + E_{z ~ N(0, I)}[log(1 - D(G(z)))]

in turns, one step of each per batch: the model's two training phases
(``training_phases``), each with an optimizer of its own (see train.py).
Everything is computed from logits, with log D = log_sigmoid(l) and
log(1 - D) = log_sigmoid(-l), finite for any l:

    loss_d = -E[log D(x)] - E[log(1 - D(G(z)))]     binary cross-entropy: reals 1, fakes 0
    loss_g =  E[log(1 - D(G(z)))]                   loss='minimax', the game's own term
    loss_g = -E[log D(G(z))]                        loss='non-saturating' (the default)

Both generator losses push D(G(z)) up; the minimax one has almost no gradient
when D confidently rejects the fakes (early in training), the non-saturating
one then has the most. The optimal discriminator is D* = p_r / (p_r + p_g), at
which V = -2 log 2 + 2 JS(p_r || p_g): -2 log 2 when p_g = p_r (docs/models/gan.md).

The models' ``loss(x, labels)`` (validation, ``autoencoders evaluate``) is the
value of the game V(D, G) on the batch and as many fresh fakes, which the
generator minimizes: -2 log 2 = -1.386 at the equilibrium, near 0 when D tells
every image apart. Its metrics add loss_d (= -V), loss_g and the mean D(x) and
D(G(z)). Images are in [0, 1]: G's outputs are logits and the image is their
sigmoid; D reads 2x - 1, centred on 0.

Shapes with the defaults, B images, c = channels:

    gan    G: z (B, 64) -> Linear(64, 256) + BatchNorm1d + ReLU -> Linear(256, 512)
                + BatchNorm1d + ReLU -> Linear(512, 784) -> logits (B, 784)
           D: x (B, 784) -> Linear(784, 512) + LeakyReLU(0.2) -> Linear(512, 256)
                + LeakyReLU(0.2) -> Linear(256, 1) -> logit (B,)
    cgan   the same, G reading [z, onehot(y)] (B, 64 + 10) (the CVAE's conditioning) and D
           the label by projection (ProjectionDiscriminator): logit = w.h + b + e_y.h with h
           D's last hidden layer (B, 256) and e_y a learned (256,) vector per digit; or, with
           conditioning='concat', [x, onehot(y)] (B, 784 + 10) like G
    dcgan  G: z (B, 64, 1, 1) -> ConvTranspose2d(64, 2c, k7) + BatchNorm2d + ReLU (B, 2c, 7, 7)
                -> ConvTranspose2d(2c, c, k4, s2, p1) + BatchNorm2d + ReLU     (B, c, 14, 14)
                -> ConvTranspose2d(c, 1, k4, s2, p1)                  -> logits (B, 1, 28, 28)
           D: x (B, 1, 28, 28) -> Conv2d(1, c, k4, s2, p1) + LeakyReLU(0.2)    (B, c, 14, 14)
                -> Conv2d(c, 2c, k4, s2, p1) + LeakyReLU(0.2)                  (B, 2c, 7, 7)
                -> Conv2d(2c, 1, k7)                                  -> logit (B,)
"""
import numpy as np

import minigrad as mg
from minigrad import nn, ops

from . import register
from .base import Autoencoder, ConfigError, Option, Phase, as_tensor, evaluating
from .cvae import ConditionalVAE

GENERATOR_LOSSES = ("non-saturating", "minimax")
CONDITIONINGS = ("projection", "concat")

SHARED_OPTIONS = {
    "latent": Option(64, "dimension of the noise z", min=1, max=4096),
    "loss": Option("non-saturating", "generator loss: 'non-saturating' = -log D(G(z)), 'minimax' = "
                   "log(1 - D(G(z))) as in the game", choices=GENERATOR_LOSSES),
    "slope": Option(0.2, "negative slope of the discriminator's LeakyReLUs", min=0.0, max=1.0),
    "image_size": Option(28, "side of the square images (28 for MNIST; smaller sizes are for "
                         "tests)", min=4, max=128),
}


# ----- the two losses, from D's logits ---------------------------------------------------------
def discriminator_loss(real_logits, fake_logits):
    """loss_d = -E[log D(x)] - E[log(1 - D(G(z)))], each mean over its own batch: the binary
    cross-entropy of D with targets 1 for the real images and 0 for the fakes; -V(D, G)."""
    return -(ops.mean(ops.log_sigmoid(real_logits)) + ops.mean(ops.log_sigmoid(-fake_logits)))


def generator_loss(fake_logits, kind="non-saturating"):
    """loss_g from D's logits on the fakes: 'minimax' E[log(1 - D(G(z)))] (the game's term, which
    G minimizes) or 'non-saturating' -E[log D(G(z))] (the same fixed point, strong gradients
    while D rejects the fakes)."""
    if kind == "minimax":
        return ops.mean(ops.log_sigmoid(-fake_logits))
    if kind == "non-saturating":
        return -ops.mean(ops.log_sigmoid(fake_logits))
    raise ValueError(f"unknown generator loss {kind!r}; choose from {', '.join(GENERATOR_LOSSES)}")


# ----- the models --------------------------------------------------------------------------------
@register("gan")
class GAN(Autoencoder):
    """Generative adversarial network, fully connected: generator G(z) and discriminator D(x)."""

    options = {
        "widths": Option((256, 512), "widths of the generator's hidden layers (the discriminator "
                         "uses them in reverse)", min=1, max=16384),
        "batch_norm": Option(True, "batch norm after each hidden layer of the generator"),
        **SHARED_OPTIONS,
    }
    input_kind = "flat"
    can_sample = True
    has_encoder = False

    def __init__(self, **config):
        super().__init__(**config)
        self.generator, self.discriminator = self.networks()

    def networks(self):
        """(generator, discriminator): z -> image logits, image -> one logit per image."""
        c = self.config
        extra_g, extra_d = self.condition_width("generator"), self.condition_width("discriminator")
        if not c["widths"]:
            raise ConfigError("option 'widths' must list at least one hidden width")
        pixels = c["image_size"] ** 2
        sizes = (c["latent"] + extra_g, *c["widths"])
        generator = []
        for n_in, n_out in zip(sizes, sizes[1:]):
            norm = [nn.BatchNorm1d(n_out)] if c["batch_norm"] else []
            generator += [nn.Linear(n_in, n_out), *norm, nn.ReLU()]
        sizes = (pixels + extra_d, *reversed(c["widths"]))
        discriminator = []
        for n_in, n_out in zip(sizes, sizes[1:]):
            discriminator += [nn.Linear(n_in, n_out), nn.LeakyReLU(c["slope"])]
        return (nn.Sequential(*generator, nn.Linear(c["widths"][-1], pixels)),
                nn.Sequential(*discriminator, nn.Linear(c["widths"][0], 1)))

    # ----- conditioning (nothing here; the cgan reads the label) ----------------------------
    def condition_width(self, network):
        """How many inputs the condition adds to the input of ``network`` ('generator' or
        'discriminator')."""
        return 0

    def condition(self, t, labels):
        """The network input t with the condition appended (none: t)."""
        return t

    # ----- the two networks ----------------------------------------------------------------
    def decode(self, z, labels=None):
        """The generator: z (B, latent) -> image logits shaped like x (image = their sigmoid)."""
        return self.generator(self.condition(z, labels))

    def discriminate(self, x, labels=None):
        """The discriminator: images x in [0, 1] -> logits (B,), D(x) = sigmoid(logit)."""
        return ops.reshape(self.discriminator(self.condition(x * 2.0 - 1.0, labels)), (-1,))

    def fakes(self, n, labels=None, dtype=np.float32):
        """G(z) for n fresh z ~ N(0, I) from minigrad's generator: images in [0, 1], a Tensor."""
        z = mg.random.normal(0.0, 1.0, (n, self.config["latent"]), dtype=dtype)
        return ops.sigmoid(self.decode(mg.tensor(z), labels))

    # ----- training: two phases, D then G --------------------------------------------------------
    def training_phases(self):
        return [Phase("loss_d", list(self.discriminator.named_parameters("discriminator")),
                      self.discriminator_loss),
                Phase("loss_g", list(self.generator.named_parameters("generator")),
                      self.generator_loss)]

    def discriminator_loss(self, x, labels=None):
        """(loss_d, metrics) on the real batch x and as many fakes; G is held fixed (the fakes
        are made without recording a graph). Metrics: loss = V(D, G) = -loss_d, the mean D(x)
        and D(G(z))."""
        x = as_tensor(x)
        with mg.no_grad():
            fake = self.fakes(x.shape[0], labels, x.dtype)
        real_logits, fake_logits = self.discriminate(x, labels), self.discriminate(fake, labels)
        loss_d = discriminator_loss(real_logits, fake_logits)
        return loss_d, {"loss": -loss_d.item(), "loss_d": loss_d.item(),
                        **scores(real_logits, fake_logits)}

    def generator_loss(self, x, labels=None):
        """(loss_g, metrics) on as many fresh fakes as x has images (x gives only the batch size,
        the dtype and, for the cgan, the labels to draw)."""
        x = as_tensor(x)
        loss_g = generator_loss(self.discriminate(self.fakes(x.shape[0], labels, x.dtype), labels),
                                self.config["loss"])
        return loss_g, {"loss_g": loss_g.item()}

    def loss(self, x, labels=None):
        """(V, metrics): the value of the game V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))] on the
        batch x and as many fresh fakes, which G minimizes and D maximizes. Metrics: loss (V),
        loss_d (-V), loss_g on the same fakes, d_real and d_fake (the mean D(x) and D(G(z)))."""
        x = as_tensor(x)
        fake = self.fakes(x.shape[0], labels, x.dtype)
        real_logits, fake_logits = self.discriminate(x, labels), self.discriminate(fake, labels)
        value = -discriminator_loss(real_logits, fake_logits)
        loss_g = generator_loss(fake_logits, self.config["loss"])
        return value, {"loss": value.item(), "loss_d": -value.item(), "loss_g": loss_g.item(),
                       **scores(real_logits, fake_logits)}

    def reference_values(self):
        """The losses at the equilibrium p_g = p_r, D = 1/2 everywhere: V = -2 log 2,
        loss_d = 2 log 2, loss_g = log 2 (non-saturating, -log 1/2) or -log 2 (minimax, log 1/2)."""
        log2 = float(np.log(2.0))
        loss_g = log2 if self.config["loss"] == "non-saturating" else -log2
        return {"loss": (-2 * log2, "equilibrium: -2 log 2"), "loss_d": (2 * log2, "equilibrium: 2 log 2"),
                "loss_g": (loss_g, f"equilibrium: {'' if loss_g > 0 else '-'}log 2")}

    # ----- what a GAN can and cannot do ------------------------------------------------------------
    def sample(self, n, rng, labels=None):
        """n images in [0, 1], shaped like x, generated from z ~ N(0, I) drawn with the numpy
        Generator ``rng`` (eval mode: batch norm uses its running statistics)."""
        z = rng.standard_normal((n, self.config["latent"])).astype(self.parameters()[0].dtype)
        with evaluating(self):
            return self.to_pixels(self.decode(mg.tensor(z), labels))

    def encode(self, x, labels=None):
        raise NotImplementedError(f"model {self.name!r} has no encoder: a GAN generates images "
                                  "(sample) but cannot encode, embed or reconstruct them")

    def embed(self, x, labels=None):
        return self.encode(x, labels)

    def reconstruct(self, x, labels=None):
        return self.encode(x, labels)


def scores(real_logits, fake_logits):
    """{'d_real': mean D(x), 'd_fake': mean D(G(z))}: 1/2 and 1/2 at the equilibrium."""
    return {"d_real": float(np.mean(mg.sigmoid(real_logits).data)),
            "d_fake": float(np.mean(mg.sigmoid(fake_logits).data))}


@register("cgan")
class ConditionalGAN(GAN):
    """Conditional GAN: both networks read the digit label (D by projection by default).

    The generator reads [z, onehot(y)]; the discriminator reads the label by projection
    (ProjectionDiscriminator) or as a one-hot appended to the image (conditioning='concat')."""

    options = {**GAN.options,
               "classes": Option(10, "number of label values (one-hot width)", min=1, max=1024),
               "conditioning": Option("projection", "how the discriminator reads the label: "
                                      "'projection' adds <embed(y), h> to its logit (h its last "
                                      "hidden layer), 'concat' appends onehot(y) to the image",
                                      choices=CONDITIONINGS)}
    needs_labels = True
    older_checkpoint_defaults = {"conditioning": "concat"}   # the only kind before the option

    def __init__(self, **config):
        super().__init__(**config)
        if self.config["conditioning"] == "projection":
            self.discriminator = ProjectionDiscriminator(self.discriminator, self.config["classes"])

    def condition_width(self, network):
        if network == "discriminator" and self.config["conditioning"] == "projection":
            return 0
        return self.config["classes"]

    condition = ConditionalVAE.condition   # [t, onehot(labels)], the labels checked
    label_indices = ConditionalVAE.label_indices

    def discriminate(self, x, labels=None):
        if self.config["conditioning"] == "concat":
            return super().discriminate(x, labels)
        y = self.label_indices(labels, x.shape[0])
        return ops.reshape(self.discriminator(x * 2.0 - 1.0, y), (-1,))

    def sample(self, n, rng, labels=None):
        """n images of the digits ``labels`` (n ints; e.g. ``[3] * n``), z ~ N(0, I) from ``rng``."""
        if labels is None:
            raise ConfigError(f"model {self.name!r} samples a chosen digit: pass labels=..., "
                              f"e.g. labels=np.arange({n}) % {self.config['classes']}")
        return super().sample(n, rng, labels)


class ProjectionDiscriminator(nn.Module):
    """A discriminator that reads the label by projection (Miyato & Koyama, 2018):

        logit(x, y) = w . h + b + e_y . h,     h = body(x), the last hidden layer (B, H)

    with a learned vector e_y (H,) per class, an Embedding. The label moves the decision
    boundary along the direction of its own e_y: D cannot score an image well without
    asking whether it looks like *that* digit, where a one-hot appended to 784 pixels is
    easily ignored. Built from an unconditional discriminator: its last layer is the head
    (w, b), the layers before it the body."""

    def __init__(self, discriminator, classes):
        super().__init__()
        self.body, self.head = discriminator[:-1], discriminator[-1]
        width = self.head.in_features
        self.embed = nn.Embedding(classes, width)
        nn.init.normal_(self.embed.weight, 0.0, width ** -0.5)   # e_y . h starts O(|h| / sqrt(H))

    def forward(self, x, labels):
        """x (B, ...) and labels (B,) int -> logits (B, 1)."""
        h = self.body(x)
        return self.head(h) + ops.sum(self.embed(labels) * h, axis=1, keepdims=True)


@register("dcgan")
class DCGAN(GAN):
    """Deep convolutional GAN: transposed convolutions and batch norm up, strided convolutions down."""

    options = {
        "channels": Option(32, "channels of the discriminator's first convolution and of the "
                           "generator's last hidden layer; the middle layers have twice as many",
                           min=1, max=1024),
        **SHARED_OPTIONS,
    }
    input_kind = "image"

    def networks(self):
        c = self.config
        size, ch, latent, slope = c["image_size"], c["channels"], c["latent"], c["slope"]
        if size % 4:
            raise ConfigError(f"option 'image_size' must be divisible by 4 (two halvings down to "
                              f"the first feature map), got {size}")
        base = size // 4   # side of the smallest feature map: 7 for 28 x 28 images
        generator = nn.Sequential(
            nn.Unflatten(1, (latent, 1, 1)),
            nn.ConvTranspose2d(latent, 2 * ch, base), nn.BatchNorm2d(2 * ch), nn.ReLU(),
            nn.ConvTranspose2d(2 * ch, ch, 4, stride=2, padding=1), nn.BatchNorm2d(ch), nn.ReLU(),
            nn.ConvTranspose2d(ch, 1, 4, stride=2, padding=1))
        discriminator = nn.Sequential(
            nn.Conv2d(1, ch, 4, stride=2, padding=1), nn.LeakyReLU(slope),
            nn.Conv2d(ch, 2 * ch, 4, stride=2, padding=1), nn.LeakyReLU(slope),
            nn.Conv2d(2 * ch, 1, base))
        return generator, discriminator
