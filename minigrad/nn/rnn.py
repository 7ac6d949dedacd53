"""LSTM, built from minigrad ops (matmul, sigmoid, tanh, stack): backward is the engine's.

One layer, one time step, with x_t (B, I), h and c (B, H), and PyTorch's gate order:

    [i, f, g, o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh        (B, 4H), split in 4
    i = sigmoid(i)   input gate         f = sigmoid(f)   forget gate
    g = tanh(g)      candidate cell     o = sigmoid(o)   output gate
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Layer k > 0 reads the hidden states of layer k - 1 as its input sequence.
Weights per layer k (as in PyTorch, so state_dicts line up): weight_ih_l{k}
(4H, I or H), weight_hh_l{k} (4H, H), bias_ih_l{k}, bias_hh_l{k} (4H,), all
initialized U(-1/sqrt(H), 1/sqrt(H)).
"""
import math

import numpy as np

from .. import ops
from . import init
from .module import Module, Parameter


class LSTM(Module):
    """forward(x, hx=None) -> (output, (h_n, c_n)).

    x: (B, T, input_size) if batch_first (the default here) else (T, B, input_size).
    output: the last layer's h_t for every t, (B, T, H) (or (T, B, H)).
    h_n, c_n: the final states of every layer, (num_layers, B, H); hx = (h_0, c_0) of that
    shape, zeros when omitted.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=True,
                 dtype=np.float32):
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        H = hidden_size
        for k in range(num_layers):
            fan = input_size if k == 0 else H
            setattr(self, f"weight_ih_l{k}", Parameter(np.zeros((4 * H, fan)), dtype=dtype))
            setattr(self, f"weight_hh_l{k}", Parameter(np.zeros((4 * H, H)), dtype=dtype))
            if bias:
                setattr(self, f"bias_ih_l{k}", Parameter(np.zeros(4 * H), dtype=dtype))
                setattr(self, f"bias_hh_l{k}", Parameter(np.zeros(4 * H), dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _layer(self, k, seq, h, c):
        """Run layer k over seq (T, B, I), time first; return the list of h_t and the final (h, c)."""
        w_ih, w_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
        H = self.hidden_size
        # The input part of every gate, for all time steps at once: (T, B, 4H).
        x_part = ops.matmul(seq, ops.transpose(w_ih))
        if self.bias:
            x_part = x_part + getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}")
        hs = []
        for t in range(seq.shape[0]):
            gates = x_part[t] + ops.matmul(h, ops.transpose(w_hh))
            i = ops.sigmoid(gates[:, 0 * H:1 * H])
            f = ops.sigmoid(gates[:, 1 * H:2 * H])
            g = ops.tanh(gates[:, 2 * H:3 * H])
            o = ops.sigmoid(gates[:, 3 * H:4 * H])
            c = f * c + i * g
            h = o * ops.tanh(c)
            hs.append(h)
        return hs, h, c

    def forward(self, x, hx=None):
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            layout = "(B, T, input_size)" if self.batch_first else "(T, B, input_size)"
            raise ValueError(f"LSTM: expected input {layout} with input_size={self.input_size}, "
                             f"got shape {x.shape}")
        B = x.shape[0] if self.batch_first else x.shape[1]
        state_shape = (self.num_layers, B, self.hidden_size)
        if hx is None:
            zeros = np.zeros(state_shape[1:], dtype=x.dtype)
            h0 = c0 = [zeros] * self.num_layers
        else:
            h0, c0 = hx
            if h0.shape != state_shape or c0.shape != state_shape:
                raise ValueError(f"LSTM: h_0 and c_0 must have shape {state_shape}, got "
                                 f"{h0.shape} and {c0.shape}")
            h0, c0 = [h0[k] for k in range(self.num_layers)], [c0[k] for k in range(self.num_layers)]
        seq = ops.transpose(x, 0, 1) if self.batch_first else x  # (T, B, I)
        h_n, c_n = [], []
        for k in range(self.num_layers):
            hs, h, c = self._layer(k, seq, h0[k], c0[k])
            seq = ops.stack(hs, axis=0)  # (T, B, H): the next layer's input
            h_n.append(h)
            c_n.append(c)
        output = ops.transpose(seq, 0, 1) if self.batch_first else seq
        return output, (ops.stack(h_n, axis=0), ops.stack(c_n, axis=0))

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"batch_first={self.batch_first}")
