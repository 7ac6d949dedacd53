"""The model protocol every autoencoder follows, and its declared options.

An autoencoder squeezes an image x through a narrow code z and rebuilds it:

    z = encode(x)          # (B, code width)
    logits = decode(z)     # (B, 784) or (B, 1, 28, 28), before the sigmoid
    loss, metrics = loss(x, labels)

The trainer, the checkpoints, the figures and the command line only ever call
the methods of ``Autoencoder`` below, so a new model is one class: declare its
options, build its layers in ``__init__`` and write ``encode``, ``decode`` and
(if it is not plain reconstruction) ``loss``.

Options. Each model lists its hyperparameters in ``options``, a dict
name -> ``Option(default, help, ...)``. ``Autoencoder.__init__`` checks the
keyword arguments against that list (unknown names, wrong types, values out of
range all raise ``ConfigError``), fills in the defaults and keeps the result in
``self.config``. That dict is what checkpoints save and what rebuilds the
model when one is loaded, and the command line fills it from
``--set name=value`` (strings are converted with ``Option.parse``).
"""
import contextlib
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

import minigrad as mg
from minigrad.nn import Module

IMAGE_SHAPE = (1, 28, 28)      # channels, height, width
IMAGE_SIZE = 28 * 28           # pixels per image, the width of a 'flat' input


class ConfigError(ValueError):
    """A model name or hyperparameter that cannot be used (message says why)."""


@dataclass(frozen=True)
class Option:
    """One hyperparameter of a model.

    default: its value when not given; its type (int, float, bool, str, or a
        tuple of ints) is the type every given value must have.
    help: one line for ``autoencoders models`` and the docs.
    min: the smallest allowed value (for numbers, or for each entry of a tuple).
    max: the largest allowed value, likewise; widths have one, so that a typo
        such as hidden=1000000000 is an error rather than a huge allocation.
    choices: the allowed values (for strings).
    """
    default: object
    help: str
    min: float = None
    max: float = None
    choices: tuple = None

    def parse(self, text):
        """Turn command-line text into a value of the default's type."""
        kind = type(self.default)
        text = text.strip()
        if kind is bool:
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"expected true or false, got {text!r}")
        if kind is tuple:
            return tuple(int(part) for part in text.split(",") if part.strip())
        return kind(text)  # int('3'), float('1e-3'), str(...)

    def check(self, name, value):
        """Return ``value`` converted to the option's type, or raise ConfigError."""
        value = self.convert(name, value)
        numbers = value if isinstance(value, tuple) else (value,)
        if self.min is not None and any(v < self.min for v in numbers):
            raise ConfigError(f"option {name!r} must be >= {self.min}, got {value!r}")
        if self.max is not None and any(v > self.max for v in numbers):
            raise ConfigError(f"option {name!r} must be <= {self.max}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            raise ConfigError(f"option {name!r} must be one of {', '.join(map(str, self.choices))}, "
                              f"got {value!r}")
        return value

    def convert(self, name, value):
        """``value`` as the option's type (text parsed, 1 -> 1.0, list -> tuple), or ConfigError."""
        kind = type(self.default)
        if isinstance(value, str) and kind is not str:
            try:
                value = self.parse(value)
            except ValueError as err:
                raise ConfigError(f"option {name!r}: {err}") from None
        if kind is tuple and isinstance(value, list):
            value = tuple(value)        # JSON (checkpoints) turns tuples into lists
        if kind is float and self._is_int(value):
            value = float(value)        # 1 is a fine float
        if kind is int and isinstance(value, np.integer):
            value = int(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"option {name!r} must be {kind.__name__}, got {value!r}")
        if kind is tuple and not all(self._is_int(v) for v in value):
            raise ConfigError(f"option {name!r} must be a tuple of ints, got {value!r}")
        return tuple(int(v) for v in value) if kind is tuple else value

    @staticmethod
    def _is_int(value):
        """True for a Python or NumPy integer, False for a bool."""
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class Phase(NamedTuple):
    """One part of a training step, trained by an optimizer of its own (``training_phases``).

    name: the metric its loss is logged under ('loss'; a GAN's 'loss_d' and 'loss_g').
    named_parameters: the (name, Parameter) pairs its optimizer updates; phases share none.
    loss: ``loss(x, labels) -> (loss, metrics)`` like ``Autoencoder.loss``; the metrics hold
        the loss under ``name``.
    """
    name: str
    named_parameters: list
    loss: Callable


def resolve_config(model_name, options, given):
    """The full config: defaults of ``options`` overridden by ``given`` (checked)."""
    unknown = sorted(set(given) - set(options))
    if unknown:
        known = ", ".join(options) or "none"
        raise ConfigError(f"model {model_name!r} has no option {unknown[0]!r}; its options: {known}")
    return {name: option.check(name, given.get(name, option.default))
            for name, option in options.items()}


class Autoencoder(Module):
    """Base class of the autoencoders. Subclasses set the class attributes and
    write ``__init__`` (calling ``super().__init__(**config)`` first), ``encode``
    and ``decode``.

    Class attributes:
        name: the registry name ('dense'), set by ``models.register``.
        options: dict name -> Option, the hyperparameters.
        input_kind: 'flat' for x of shape (B, 784), 'image' for (B, 1, 28, 28).
        output_is_logits: True if ``forward`` returns logits (pixel = sigmoid of
            them), False if it returns pixel values directly.
        needs_labels: True if the model reads the digit labels (in ``loss``,
            ``reconstruct``, ``embed`` and ``sample``); others ignore them.
        can_sample: True if ``sample`` draws new images (generative models).
        has_encoder: False for a model that only generates (a GAN): it has no ``encode``,
            ``embed`` or ``reconstruct``.
    """
    name = None
    options = {}
    input_kind = "flat"
    output_is_logits = True
    needs_labels = False
    can_sample = False
    has_encoder = True
    older_checkpoint_defaults = {}   # option -> the behaviour before the option existed

    def __init__(self, **config):
        super().__init__()
        self.config = resolve_config(self.name or type(self).__name__, self.options, config)

    # ----- the protocol: every model takes the labels, and ignores them unless needs_labels ---
    def encode(self, x, labels=None):
        """x (B, 784) or (B, 1, 28, 28) -> the code z, a Tensor (B, code width)."""
        raise NotImplementedError

    def decode(self, z, labels=None):
        """The code z -> the decoder's output shaped like x: logits if ``output_is_logits``,
        else pixel values (``to_pixels`` turns either into pixels)."""
        raise NotImplementedError

    def forward(self, x, labels=None):
        return self.decode(self.encode(x, labels), labels)

    def prepare(self, train_images, log=None):
        """Called by the trainer once, before the first epoch of a new run, with the training
        images (uint8); a no-op here. The deep autoencoder pretrains its layers greedily."""

    def training_phases(self):
        """The parts of one training step, in order, as a list of Phase. The trainer gives each
        phase its own optimizer and schedule and, on every batch, runs each phase's loss,
        backward and step in turn. An autoencoder has one phase: all of its parameters and
        ``loss``. A GAN has two: the discriminator's, then the generator's (models/gan.py)."""
        return [Phase("loss", list(self.named_parameters()), self.loss)]

    def reference_values(self):
        """{metric: (value, label)}: values the loss curves are drawn against (a dashed line in
        loss_curves.png), e.g. a GAN's losses at the game's equilibrium. None here."""
        return {}

    def to_pixels(self, out):
        """The decoder's output (a Tensor) -> pixels in [0, 1] as a numpy array: the engine's
        stable sigmoid of logits, or values clipped to [0, 1]."""
        if self.output_is_logits:
            return mg.sigmoid(out).data
        return np.clip(out.data, 0.0, 1.0)

    def loss(self, x, labels=None):
        """(loss, metrics): the loss a Tensor, averaged over the batch; metrics a
        dict of Python floats, always holding 'loss'.

        The default is the reconstruction loss of a model with logit outputs:
        binary cross-entropy between the image and sigmoid(logits), summed over
        the 784 pixels and averaged over the batch. That is the negative
        log-likelihood of the image in nats under independent Bernoulli pixels,
        the same unit a VAE's loss uses, so losses compare across models.
        """
        bce = bernoulli_nll(self(x), x)
        return bce, {"loss": bce.item(), "bce": bce.item()}

    # ----- helpers built on the parts above (no gradients, numpy out) ----------
    def reconstruct(self, x, labels=None):
        """Reconstructions of x as a numpy array in [0, 1], shaped like x.

        ``labels`` (used by models with ``needs_labels``, ignored by the others)
        lets callers treat every model alike.
        """
        with evaluating(self):
            return self.to_pixels(self(as_tensor(x), labels))

    def embed(self, x, labels=None):
        """The codes of x as a numpy array (B, code width), for plots.

        Models whose ``encode`` returns more than the code (a VAE returns the
        mean and log-variance) override this to return the mean.
        """
        with evaluating(self):
            return self.encode(as_tensor(x), labels).data

    def sample(self, n, rng, labels=None):
        """n new images in [0, 1] drawn with the numpy Generator ``rng``
        (conditional models draw the digits ``labels``, n ints)."""
        raise NotImplementedError(f"model {self.name!r} is not generative; it cannot sample")


@contextlib.contextmanager
def evaluating(model):
    """Run a block in eval mode without recording gradients, then restore the mode."""
    was_training = model.training
    model.eval()
    try:
        with mg.no_grad():
            yield model
    finally:
        if was_training:
            model.train()


def bernoulli_nll(logits, x):
    """Binary cross-entropy from logits, summed over pixels, mean over the batch.

    Per pixel: -[x log s + (1 - x) log(1 - s)] with s = sigmoid(l), which
    simplifies to softplus(l) - x * l, finite for any logit.
    """
    import minigrad.nn.functional as F

    per_batch = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    return per_batch / logits.shape[0]


def as_tensor(x):
    """A numpy batch (or a Tensor) as a Tensor that needs no gradient."""
    return x if isinstance(x, mg.Tensor) else mg.tensor(x)
