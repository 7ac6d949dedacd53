"""LSTM, built from minigrad ops (matmul, lstm_cell, stack): backward is the engine's.

One layer, one time step, with x_t (B, I), h and c (B, H), and PyTorch's gate order:

    [i, f, g, o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh        (B, 4H), split in 4
    i = sigmoid(i)   input gate         f = sigmoid(f)   forget gate
    g = tanh(g)      candidate cell     o = sigmoid(o)   output gate
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Per step, the first line is one matmul, [x_t, h_{t-1}] @ [W_ih, W_hh]^T, plus the summed biases;
everything after it is one ``lstm_cell`` op (ops/lstm.py, kernels/lstm.py).

Layer k > 0 reads the hidden states of layer k - 1 as its input sequence.
Weights per layer k (as in PyTorch, so state_dicts line up): weight_ih_l{k}
(4H, I or H), weight_hh_l{k} (4H, H), bias_ih_l{k}, bias_hh_l{k} (4H,), all
initialized U(-1/sqrt(H), 1/sqrt(H)).
"""
import math

import numpy as np

from .. import ops
from . import functional as F
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

    def _layer(self, k, xs, h, c):
        """Run layer k over its inputs, a list of x_t (B, I); return the list of h_t and the final (h, c).

        Each step is one matmul, [x_t, h] (B, I + H) @ [W_ih, W_hh]^T (I + H, 4H), plus the bias and
        one lstm_cell. The steps take x_t from a list rather than slicing one (T, B, 4H) tensor of
        input parts: the gradient of a slice is a zero array of the whole tensor's shape, so T slices
        of it would cost O(T^2) memory traffic in the backward pass.
        """
        w = ops.concatenate([getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")], axis=1)
        w_t = ops.transpose(w)  # (I + H, 4H)
        bias = (getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}")) if self.bias else None
        hs = []
        for x_t in xs:
            gates = ops.matmul(ops.concatenate([x_t, h], axis=1), w_t)  # (B, 4H)
            if bias is not None:
                gates = gates + bias
            h, c = F.lstm_cell(gates, c)
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
        T = x.shape[1] if self.batch_first else x.shape[0]
        # T inputs (B, I); their slice gradients are (B, T, I) each, small next to (T, B, 4H).
        xs = [x[:, t] if self.batch_first else x[t] for t in range(T)]
        h_n, c_n = [], []
        for k in range(self.num_layers):
            xs, h, c = self._layer(k, xs, h0[k], c0[k])  # layer k's outputs are layer k+1's inputs
            h_n.append(h)
            c_n.append(c)
        output = ops.stack(xs, axis=1 if self.batch_first else 0)
        return output, (ops.stack(h_n, axis=0), ops.stack(c_n, axis=0))

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"batch_first={self.batch_first}")
