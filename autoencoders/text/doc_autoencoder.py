"""An autoencoder of documents: a bag of words in, a short code in the middle, a distribution
over the vocabulary out (after Hinton & Salakhutdinov, 2006), built from minigrad layers and
trained with a minigrad optimizer.

A document with counts n_w over V words and length N = sum_w n_w:

    input        x = log(1 + n) / |log(1 + n)|         (V,)  damped counts, unit length
    encoder      a_1 = relu(W_1 x + b_1), ..., z = W_c a_L + b_c         (code, width k)
    decoder      the mirror image up to logits s (V,), p^ = softmax(s)
    target       p = n / N                              the document's word distribution
    loss         L = -sum_w p_w log p^_w                (cross-entropy, nats per word)

L is the multinomial log-likelihood of the document's words under p^, divided by N, up to a
constant: with the words drawn independently from p^, -log P(document) = -sum_w n_w log p^_w
+ const = N L + const. Dividing by N weighs every document alike, long or short. The gradient
with respect to the logits is the familiar

    dL/ds_w = p^_w - p_w

(derived in docs/text.md). The damped input keeps a word said twenty times from drowning the
rest (the paper fed the normalised counts p instead; ``input="probabilities"`` does that, and
docs/text-results.md compares). The code is linear (no squashing): codes are compared by cosine,
which only looks at their direction.

Training: AdamW (minigrad.optim) on minibatches, a fixed number of epochs, optionally dropping
input words at random (``dropout``) so that the code must be guessed from part of a
document: with a few hundred training documents the network memorises otherwise.
"""
import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

INPUTS = ("log1p", "probabilities")


def document_input(counts, kind="log1p"):
    """The encoder's input from counts (N, V): unit rows of log(1 + n), or n / N."""
    counts = np.asarray(counts, dtype=np.float64)
    if kind == "log1p":
        x = np.log1p(counts)
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        return x / np.where(norms == 0, 1.0, norms)
    if kind == "probabilities":
        return word_distribution(counts)
    raise ValueError(f"input must be one of {', '.join(INPUTS)}, got {kind!r}")


def word_distribution(counts):
    """p = n / N per row (an empty document: all zeros, which adds nothing to the loss)."""
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    return counts / np.where(totals == 0, 1.0, totals)


class DocumentAutoencoder(nn.Module):
    """vocab -> hidden... -> code -> ...hidden -> vocab logits, ReLU between layers."""

    def __init__(self, vocab, code=32, hidden=(256,), dropout=0.0):
        super().__init__()
        self.config = {"vocab": int(vocab), "code": int(code), "hidden": [int(h) for h in hidden],
                       "dropout": float(dropout)}
        widths = [vocab, *hidden]
        layers = [nn.Dropout(dropout)] if dropout else []
        for a, b in zip(widths, widths[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.encoder = nn.Sequential(*layers, nn.Linear(widths[-1], code))
        back = [code, *reversed(hidden)]
        layers = []
        for a, b in zip(back, back[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.decoder = nn.Sequential(*layers, nn.Linear(back[-1], vocab))

    def forward(self, x):
        return self.decoder(self.encoder(x))

    def loss(self, x, p):
        """Mean over documents of -sum_w p_w log softmax(s)_w, s = the reconstruction logits."""
        return F.cross_entropy(self(x), p)

    def encode(self, x, batch_size=512):
        """The codes (M, k) of inputs x (M, V), as float64 numpy, in evaluation mode."""
        was_training = self.training
        self.eval()
        try:
            with mg.no_grad():
                parts = [self.encoder(mg.tensor(np.asarray(x[i:i + batch_size], dtype=np.float32))).data
                         for i in range(0, len(x), batch_size)]
        finally:
            self.train(was_training)
        return np.concatenate(parts).astype(np.float64) if parts else np.zeros((0, self.config["code"]))


def train_document_autoencoder(counts, code=32, hidden=(256,), epochs=50, batch_size=32, lr=1e-3,
                               weight_decay=1e-4, dropout=0.0, input_kind="log1p", seed=0, log=None):
    """Train on training counts (N, V); returns (model, [mean loss per epoch])."""
    log = log or (lambda message: None)
    mg.random.seed(seed)
    x = document_input(counts, input_kind).astype(np.float32)
    p = word_distribution(counts).astype(np.float32)
    model = DocumentAutoencoder(counts.shape[1], code, hidden, dropout)
    model.config["input"] = input_kind
    optimizer = mg.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    order_rng = np.random.default_rng(seed)
    history = []
    model.train()
    for epoch in range(epochs):
        order, total = order_rng.permutation(len(x)), 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            loss = model.loss(mg.tensor(x[batch]), p[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.item()) * len(batch)
        history.append(total / len(x))
        if epoch == 0 or (epoch + 1) % max(1, epochs // 5) == 0 or epoch + 1 == epochs:
            log(f"epoch {epoch + 1}/{epochs}: loss {history[-1]:.4f} nats per word")
    model.eval()
    return model, history
