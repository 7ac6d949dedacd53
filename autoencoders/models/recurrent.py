"""The sequence-to-sequence autoencoder: an image read row by row by an LSTM.

A 28 x 28 image is a sequence of 28 steps, one row of 28 pixels each:

    encoder  rows (B, 28, 28) -> LSTM(28, hidden) -> last hidden state h_28 (B, hidden)
             -> Linear(hidden, code)                               -> z (B, code)
    decoder  z repeated at every step (B, 28, code) -> LSTM(code, hidden) -> (B, 28, hidden)
             -> Linear(hidden, 28) on each step                    -> logits (B, 28, 28)

The encoder must pack everything about the image into its final state (it has
read all the rows by then); the decoder gets the same code at every step and
has to unroll it into rows, keeping track of where it is in its own state.
With ``code = 0`` there is no projection: the code is h_28 itself. The loss is
the base class's BCE from logits (docs/models/recurrent.md).
"""
from minigrad import nn, ops

from . import register
from .base import IMAGE_SHAPE, Autoencoder, Option


@register("recurrent")
class RecurrentAutoencoder(Autoencoder):
    """Seq2seq LSTM autoencoder: rows in, last hidden state as code, rows out."""

    options = {
        "hidden": Option(128, "width of the encoder and decoder LSTMs", min=1, max=4096),
        "code": Option(32, "width of the code; 0 = no projection, the code is the last "
                       "hidden state", min=0, max=4096),
        "layers": Option(1, "stacked LSTM layers on each side", min=1, max=8),
        "image_size": Option(28, "side of the square images = steps = features per step "
                             "(28 for MNIST; smaller sizes are for tests)", min=1, max=128),
    }
    input_kind = "image"

    def __init__(self, **config):
        super().__init__(**config)
        hidden, code, layers = self.config["hidden"], self.config["code"], self.config["layers"]
        rows = self.config["image_size"]
        self.encoder = nn.LSTM(rows, hidden, num_layers=layers, batch_first=True)
        self.project = nn.Linear(hidden, code) if code else nn.Identity()
        self.code_width = code or hidden
        self.decoder = nn.LSTM(self.code_width, hidden, num_layers=layers, batch_first=True)
        self.to_row = nn.Linear(hidden, rows)

    def _rows(self, x):
        """x (B, 1, S, S) -> the sequence (B, S steps, S features)."""
        size = self.config["image_size"]
        if x.shape[1:] != (IMAGE_SHAPE[0], size, size):
            raise ValueError(f"model 'recurrent' expects images (B, 1, {size}, {size}), "
                              f"got {x.shape}")
        return ops.reshape(x, (x.shape[0], size, size))

    def encode(self, x, labels=None):
        _, (h_n, _) = self.encoder(self._rows(x))   # h_n: (layers, B, hidden)
        return self.project(h_n[-1])                 # the top layer's last state

    def decode(self, z, labels=None):
        size = self.config["image_size"]
        steps = ops.broadcast_to(ops.expand_dims(z, 1), (z.shape[0], size, self.code_width))
        out, _ = self.decoder(steps)                 # (B, S, hidden)
        logits = self.to_row(out)                    # (B, S, S): row t from step t
        return ops.reshape(logits, (z.shape[0],) + (IMAGE_SHAPE[0], size, size))
