"""The convolutional autoencoder: convolutions down to a code, transposed convolutions back.

With the defaults (28 x 28 images, channels 16, 32, 64, kernel 3) the 'pool' variant is

    encoder  x (B, 1, 28, 28)
             Conv2d(1, 16, k3, s1, p1)  + ReLU + MaxPool2d(2)   -> (B, 16, 14, 14)
             Conv2d(16, 32, k3, s1, p1) + ReLU + MaxPool2d(2)   -> (B, 32, 7, 7)
             Conv2d(32, 64, k3, s2, p1) + ReLU                  -> (B, 64, 4, 4)
             Flatten + Linear(1024, code)                       -> z (B, code)
    decoder  Linear(code, 64 * 7 * 7) + ReLU + Unflatten        -> (B, 64, 7, 7)
             ConvTranspose2d(64, 32, k3, s2, p1, op1) + ReLU    -> (B, 32, 14, 14)
             ConvTranspose2d(32, 16, k3, s2, p1, op1) + ReLU    -> (B, 16, 28, 28)
             Conv2d(16, 1, k1)                                  -> logits (B, 1, 28, 28)

and the 'strided' variant replaces each "stride 1 convolution + 2 x 2 max-pool"
by one convolution of stride 2 (same output sizes, a quarter of the work, the
network learns its own downsampling). The loss is the base class's: BCE from
the logits, summed over pixels, averaged over the batch (docs/models/conv.md).

The builders ``conv_encoder`` and ``conv_decoder`` are shared with the
convolutional VAE (models/vae.py).
"""
from minigrad import nn

from . import register
from .base import IMAGE_SHAPE, Autoencoder, ConfigError, Option

VARIANTS = ("pool", "strided")

# The options shared by every model built from conv_encoder / conv_decoder.
CONV_OPTIONS = {
    "channels": Option((16, 32, 64), "channels of the three encoder convolutions "
                       "(the decoder mirrors them)", min=1, max=1024),
    "kernel_size": Option(3, "side of every convolution kernel (odd, padding keeps sizes)", min=1,
                          max=31),
    "variant": Option("pool", "downsampling: 'pool' = conv + 2x2 max-pool, "
                      "'strided' = conv of stride 2", choices=VARIANTS),
    "image_size": Option(28, "side of the square input images (28 for MNIST; "
                         "smaller sizes are for tests)", min=4, max=128),
}


def check_conv_config(config):
    """Raise ConfigError if the layers cannot map image_size back to itself."""
    channels, k, size = config["channels"], config["kernel_size"], config["image_size"]
    if len(channels) != 3:
        raise ConfigError(f"option 'channels' must list 3 channel counts (one per encoder "
                          f"convolution), got {channels!r}")
    if size % 4:
        raise ConfigError(f"option 'image_size' must be divisible by 4 (two halvings down to "
                          f"the decoder's first feature map), got {size}")
    if k % 2 == 0:
        raise ConfigError(f"option 'kernel_size' must be odd, so that padding k // 2 keeps the "
                          f"image size; got {k}")
    if k > size // 4:
        raise ConfigError(f"kernel_size {k} does not fit: the smallest feature map it slides over "
                          f"is {size // 4} x {size // 4} (image_size / 4)")


def _feature_sizes(size):
    """Side of the map after each encoder block: size/2, size/4, then ceil(size/8)."""
    quarter = size // 4
    return size // 2, quarter, (quarter - 1) // 2 + 1


def conv_encoder(config, out_features):
    """The encoder as one Sequential: image (B, 1, S, S) -> (B, out_features)."""
    (c1, c2, c3), k, variant = config["channels"], config["kernel_size"], config["variant"]
    p = k // 2
    if variant == "pool":
        down = [nn.Conv2d(1, c1, k, stride=1, padding=p), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(c1, c2, k, stride=1, padding=p), nn.ReLU(), nn.MaxPool2d(2)]
    else:
        down = [nn.Conv2d(1, c1, k, stride=2, padding=p), nn.ReLU(),
                nn.Conv2d(c1, c2, k, stride=2, padding=p), nn.ReLU()]
    last = _feature_sizes(config["image_size"])[2]
    return nn.Sequential(*down,
                         nn.Conv2d(c2, c3, k, stride=2, padding=p), nn.ReLU(),
                         nn.Flatten(), nn.Linear(c3 * last * last, out_features))


def conv_decoder(config, in_features):
    """The decoder as one Sequential: (B, in_features) -> logits (B, 1, S, S).

    A transposed convolution with stride 2, padding k // 2 and output_padding 1
    maps n pixels to exactly 2n: (n - 1) 2 - 2 (k // 2) + k + 1 = 2n for odd k.
    The read-out is a 1 x 1 convolution: each pixel's logit mixes its c1 channels.
    """
    (c1, c2, c3), k = config["channels"], config["kernel_size"]
    p = k // 2
    quarter = config["image_size"] // 4
    return nn.Sequential(
        nn.Linear(in_features, c3 * quarter * quarter), nn.ReLU(),
        nn.Unflatten(1, (c3, quarter, quarter)),
        nn.ConvTranspose2d(c3, c2, k, stride=2, padding=p, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(c2, c1, k, stride=2, padding=p, output_padding=1), nn.ReLU(),
        nn.Conv2d(c1, IMAGE_SHAPE[0], 1))


@register("conv")
class ConvAutoencoder(Autoencoder):
    """Convolutional autoencoder: Conv2d (+ max-pool or stride 2) down, ConvTranspose2d up."""

    options = {**CONV_OPTIONS,
               "code": Option(32, "width of the code (the bottleneck)", min=1, max=4096)}
    input_kind = "image"

    def __init__(self, **config):
        super().__init__(**config)
        check_conv_config(self.config)
        self.encoder = conv_encoder(self.config, self.config["code"])
        self.decoder = conv_decoder(self.config, self.config["code"])

    def encode(self, x, labels=None):
        return self.encoder(x)

    def decode(self, z, labels=None):
        return self.decoder(z)
