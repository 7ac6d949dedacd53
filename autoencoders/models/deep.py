"""The deep (stacked) autoencoder, with optional tied weights and greedy layer-wise pretraining.

With widths (w_1, ..., w_L) and h_0 = x (d = input_size pixels):

    encoder layer i (i = 1..L):   h_i = a(W_i h_{i-1} + b_i)      (the code h_L: no activation,
                                                                   unless code_activation='same')
    decoder layer i (i = L..1):   g_{i-1} = a(V_i g_i + c_i)      (g_L = h_L; no activation on g_0:
                                                                   it holds the pixel logits)
    loss: binary cross-entropy of sigmoid(g_0) against x, summed over pixels, mean over the batch

Decoder layer i undoes encoder layer i, so it ends with the activation that made
h_{i-1} (none for the pixels, whose sigmoid is inside the loss). With ``tied``,
V_i = W_i^T: the decoder owns only its biases c_i (Vincent et al., 2010 use this too).

Greedy layer-wise pretraining (Bengio et al., 2007; Hinton & Salakhutdinov, 2006):
before end-to-end training, each pair (encoder layer i, decoder layer i) is
trained on its own as a shallow autoencoder of h_{i-1}, the codes of the layers
below it (already pretrained and then frozen for that stage): pair 1 with the
pixel loss above, pairs i > 1 with the squared error ||g_{i-1} - h_{i-1}||^2.
``pretrain_greedy`` does it; ``--set pretrain_epochs=N`` makes the trainer run it
(through ``prepare``) before the first epoch. docs/models/deep.md has the details.
"""
import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import Parameter
from minigrad.nn import functional as F

from . import register
from .base import IMAGE_SIZE, Autoencoder, ConfigError, Option, bernoulli_nll

ACTIVATIONS = {"selu": F.selu, "relu": F.relu, "sigmoid": F.sigmoid}


INITS = ("auto", "glorot", "he", "lecun")


def init_weight(weight, activation, scheme="auto"):
    """Initialize ``weight``. 'auto' picks what suits ``activation``: LeCun normal for SELU (it
    keeps SELU networks self-normalizing), He (Kaiming) normal for ReLU, Glorot uniform for
    sigmoid. 'glorot' is Keras's default for every Dense layer (the Keras reference models)."""
    if scheme == "auto":
        scheme = {"selu": "lecun", "relu": "he"}.get(activation, "glorot")
    if scheme == "lecun":
        nn.init.lecun_normal_(weight)
    elif scheme == "he":
        nn.init.kaiming_normal_(weight, nonlinearity="relu")
    else:
        nn.init.xavier_uniform_(weight)


@register("deep")
class DeepAutoencoder(Autoencoder):
    """Stacked autoencoder x -> widths... -> code -> ...widths -> x (tied weights, greedy pretraining)."""

    options = {
        "widths": Option((128, 64, 32), "encoder widths, the last is the code (e.g. 128,64,32)", min=1,
                         max=16384),
        "activation": Option("selu", "hidden activation", choices=("selu", "relu", "sigmoid")),
        "tied": Option(False, "decoder weights are the encoder's transposes (own biases)"),
        "code_activation": Option("none", "activation of the code layer: 'none' (linear code) or "
                                  "'same' (the hidden activation, e.g. a sigmoid code)", choices=("none", "same")),
        "init": Option("auto", "weight initialization: 'auto' (LeCun for selu, He for relu, Glorot "
                       "for sigmoid), or one of glorot, he, lecun for every layer", choices=INITS),
        "pretrain_epochs": Option(0, "epochs of greedy layer-wise pretraining per layer (0: none)", min=0,
                                  max=1000),
        "pretrain_lr": Option(1e-3, "Adam learning rate of the pretraining", min=0.0),
        "input_size": Option(IMAGE_SIZE, "pixels per input (784 for MNIST; small for tests)", min=1,
                             max=16384),
    }
    input_kind = "flat"
    undercomplete = True  # the code must be narrower than the input (subclasses may relax it)

    def __init__(self, **config):
        super().__init__(**config)
        widths, d = self.config["widths"], self.config["input_size"]
        if not widths:
            raise ConfigError(f"{self.name}: widths must list at least one layer width (the code)")
        if self.undercomplete and widths[-1] >= d:
            raise ConfigError(f"{self.name}: the code width {widths[-1]} (last of widths {widths}) must be "
                              f"smaller than the input width {d} for an undercomplete autoencoder")
        act = self.config["activation"]
        self.activation = ACTIVATIONS[act]
        sizes = (d,) + tuple(widths)                  # h_0 = x, h_1, ..., h_L = code
        self.sizes = sizes
        # encoder[i] maps sizes[i] -> sizes[i+1]; decoder layer i maps back sizes[i+1] -> sizes[i]
        self.encoder = [nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(widths))]
        if self.config["tied"]:
            self.decoder_bias = [Parameter(np.zeros(sizes[i]), dtype=np.float32) for i in range(len(widths))]
        else:
            self.decoder = [nn.Linear(sizes[i + 1], sizes[i]) for i in range(len(widths))]
        for layer in self.encoder + getattr(self, "decoder", []):
            init_weight(layer.weight, act, self.config["init"])
            nn.init.zeros_(layer.bias)

    @property
    def depth(self):
        return len(self.encoder)

    # ----- one layer at a time (pretraining uses these too) -------------------------------
    def encode_layer(self, i, h):
        """h_{i+1} = a(W h_i + b); the code (last layer) is linear unless code_activation='same'."""
        a = self.encoder[i](h)
        if i == self.depth - 1 and self.config["code_activation"] == "none":
            return a
        return self.activation(a)

    def decode_layer(self, i, g):
        """g_i = a(V g_{i+1} + c), with V = W^T when tied; layer 0 returns the pixel logits."""
        if self.config["tied"]:
            a = g @ self.encoder[i].weight + self.decoder_bias[i]  # (B, out) @ (out, in): W^T g
        else:
            a = self.decoder[i](g)
        return a if i == 0 else self.activation(a)

    def layer_parameters(self, i):
        """The parameters of layer pair i (encoder layer i and decoder layer i)."""
        own = self.decoder_bias[i:i + 1] if self.config["tied"] else self.decoder[i].parameters()
        return self.encoder[i].parameters() + list(own)

    # ----- the model -------------------------------------------------------------------------
    def encode(self, x, labels=None):
        h = x
        for i in range(self.depth):
            h = self.encode_layer(i, h)
        return h

    def decode(self, z, labels=None):
        g = z
        for i in reversed(range(self.depth)):
            g = self.decode_layer(i, g)
        return g

    # loss: the base class's (Bernoulli negative log-likelihood, nats per image)

    def pretrain_input(self, h, i):
        """What layer pair i sees during pretraining (the denoising model corrupts it)."""
        return h

    def prepare(self, train_images, log=None):
        """Called by the trainer before the first epoch: greedy pretraining if asked for."""
        epochs = self.config["pretrain_epochs"]
        if epochs:
            return pretrain_greedy(self, train_images, epochs, lr=self.config["pretrain_lr"], log=log)
        return []


def _as_rows(images, dtype):
    """uint8 images (N, 28, 28) or floats in [0, 1] as a float matrix (N, d)."""
    images = np.asarray(images)
    x = images.reshape(len(images), -1).astype(dtype)
    return x / dtype.type(255) if images.dtype == np.uint8 else x


def pretrain_greedy(model, images, epochs, batch_size=64, lr=1e-3, log=None):
    """Train each layer pair of ``model`` (a DeepAutoencoder) as a shallow autoencoder, bottom up.

    images: uint8 (N, 28, 28) / (N, 784), or floats in [0, 1] of shape (N, input_size).
    Pair 0 learns to rebuild the images; then h_1 = encoder layer 0 (images) is computed
    for all images and pair 1 learns to rebuild h_1, and so on (``pretrain_layer``).
    Returns the mean training loss of the last epoch of each pair.
    """
    h = _as_rows(images, model.encoder[0].weight.dtype)
    if h.shape[1] != model.sizes[0]:
        raise ValueError(f"pretrain_greedy: images have {h.shape[1]} pixels, "
                         f"the model takes {model.sizes[0]}")
    final_losses = []
    for i in range(model.depth):
        final_losses.append(pretrain_layer(model, i, h, epochs, batch_size, lr, log))
        with mg.no_grad():  # the codes of this layer are the next pair's data
            h = np.concatenate([model.encode_layer(i, mg.Tensor(h[s:s + 1024])).data
                                for s in range(0, len(h), 1024)])
    return final_losses


def pretrain_layer(model, i, h, epochs, batch_size=64, lr=1e-3, log=None):
    """Train layer pair i alone to rebuild h (N, sizes[i]), the codes of the layers below it.

    Loss of the shallow autoencoder h -> encoder layer i -> decoder layer i:
        i = 0:  Bernoulli NLL of the pixels (the deep model's own loss), nats per image
        i > 0:  squared error sum_j (g_j - h_j)^2 per sample, mean over the batch
    Adam(lr) over this pair's parameters only, ``epochs`` passes in shuffled mini-batches
    (the order drawn from minigrad.random, so a seeded run is reproducible).
    Returns the mean training loss of the last epoch.
    """
    n = len(h)
    was_training = model.training
    model.train()
    optimizer = optim.Adam(model.layer_parameters(i), lr=lr)
    for epoch in range(1, epochs + 1):
        order = mg.random.generator().permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            target = mg.Tensor(h[order[start:start + batch_size]])
            out = model.decode_layer(i, model.encode_layer(i, model.pretrain_input(target, i)))
            if i == 0:
                loss = bernoulli_nll(out, target)
            else:
                diff = out - target
                loss = (diff * diff).sum() / target.shape[0]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * target.shape[0]
        if log is not None:
            log(f"pretraining layer {i + 1}/{model.depth} ({model.sizes[i]} -> {model.sizes[i + 1]}), "
                f"epoch {epoch}/{epochs}: loss {total / n:.4f}")
    model.train(was_training)
    return total / n
