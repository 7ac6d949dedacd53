"""Embedding: a table of learned vectors, one row per index (a token, a class, a position).

    y[..., :] = W[i[...], :]        W (num_embeddings, embedding_dim), i integers of any shape

The forward pass is a gather (``ops.getitem`` with an integer array), so the VJP is its
adjoint, a scatter-add: dL/dW is zero except in the rows that were used, and a row used
m times receives the sum of its m upstream gradients. ``padding_idx`` names a row that is
initialized to zeros and never receives a gradient (it stays what it is), as in PyTorch.
"""
import numpy as np

from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


class Embedding(Module):
    """forward(indices) -> indices.shape + (embedding_dim,); weight initialized N(0, 1) as in PyTorch."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, *,
                 _weight=None, _freeze=False, dtype=np.float32):
        super().__init__()
        if max_norm is not None:
            raise ValueError("Embedding: max_norm is not implemented")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within num_embeddings "
                                 f"({num_embeddings})")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        if _weight is None:
            self.weight = Parameter(np.zeros((num_embeddings, embedding_dim)), dtype=dtype)
            self.reset_parameters()
        else:
            if tuple(np.shape(_weight)) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: weight of shape {np.shape(_weight)} does not match "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding holding a copy of ``embeddings`` (2-D), frozen (requires_grad=False) by default."""
        weight = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if weight.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape {weight.shape}")
        return cls(*weight.shape, padding_idx, _weight=weight, _freeze=freeze)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}" + (
            f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
