"""LSTM and GRU, built from minigrad ops (matmul, lstm_cell, sigmoid, tanh, stack): backward is the engine's.

One layer, one time step, with x_t (B, I), h and c (B, H), and PyTorch's gate orders.

LSTM (gates i, f, g, o):

    [i, f, g, o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh        (B, 4H), split in 4
    i = sigmoid(i)   input gate         f = sigmoid(f)   forget gate
    g = tanh(g)      candidate cell     o = sigmoid(o)   output gate
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Per step, the first line is one matmul, [x_t, h_{t-1}] @ [W_ih, W_hh]^T, plus the summed biases;
everything after it is one ``lstm_cell`` op (ops/lstm.py, kernels/lstm.py).

GRU (gates r, z, n):

    [a_r, a_z, a_n] = x_t W_ih^T + b_ih,    [u_r, u_z, u_n] = h_{t-1} W_hh^T + b_hh
    r = sigmoid(a_r + u_r)    reset gate        z = sigmoid(a_z + u_z)   update gate
    n = tanh(a_n + r * u_n)   candidate (the reset gate scales h's part, bias included)
    h_t = (1 - z) * n + z * h_{t-1}

Layer k > 0 reads the outputs of layer k - 1 as its input sequence; with ``dropout`` > 0 they
are passed through dropout first, in training mode only (never after the last layer). A
``bidirectional`` layer runs a second set of weights over the reversed sequence; its outputs,
put back in time order, are concatenated after the forward direction's, so a layer outputs
(B, T, 2H) and the next layer's input size is 2H.

Weights per layer k and direction (suffix "" or "_reverse"), as in PyTorch, so state_dicts
line up key for key and in order: weight_ih_l{k} (G H, I, or D H for k > 0), weight_hh_l{k}
(G H, H), bias_ih_l{k}, bias_hh_l{k} (G H,), with G = 4 (LSTM) or 3 (GRU) and D = 2 if
bidirectional else 1; all initialized U(-1/sqrt(H), 1/sqrt(H)). Final states are stacked as
PyTorch stacks them: index k D + d for layer k, direction d.
"""
import math
import warnings

import numpy as np

from .. import ops
from . import functional as F
from . import init
from .module import Module, Parameter


class _RNNBase(Module):
    gates = None  # G: 4 for LSTM, 3 for GRU

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=True, dropout=0.0,
                 bidirectional=False, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} has no effect with num_layers=1 (it acts between layers)",
                          UserWarning, stacklevel=2)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        H, G, D = hidden_size, self.gates, 2 if bidirectional else 1
        for k in range(num_layers):
            fan = input_size if k == 0 else D * H
            for suffix in self._suffixes():
                setattr(self, f"weight_ih_l{k}{suffix}", Parameter(np.zeros((G * H, fan)), dtype=dtype))
                setattr(self, f"weight_hh_l{k}{suffix}", Parameter(np.zeros((G * H, H)), dtype=dtype))
                if bias:
                    setattr(self, f"bias_ih_l{k}{suffix}", Parameter(np.zeros(G * H), dtype=dtype))
                    setattr(self, f"bias_hh_l{k}{suffix}", Parameter(np.zeros(G * H), dtype=dtype))
        self.reset_parameters()

    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self, k, suffix):
        """(W_ih, W_hh, b_ih or None, b_hh or None) of layer k, direction ``suffix``."""
        names = [f"weight_ih_l{k}{suffix}", f"weight_hh_l{k}{suffix}", f"bias_ih_l{k}{suffix}",
                 f"bias_hh_l{k}{suffix}"]
        return tuple(getattr(self, n, None) for n in names)

    def _check_input(self, x):
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            layout = "(B, T, input_size)" if self.batch_first else "(T, B, input_size)"
            raise ValueError(f"{type(self).__name__}: expected input {layout} with input_size="
                             f"{self.input_size}, got shape {x.shape}")

    def _initial_states(self, states, names, B, dtype):
        """Per state (h, or h and c), the list of its (B, H) starting values, one per layer and direction."""
        L = self.num_layers * len(self._suffixes())
        shape = (L, B, self.hidden_size)
        if states is None:
            zeros = np.zeros(shape[1:], dtype=dtype)
            return [[zeros] * L for _ in names]
        if any(s.shape != shape for s in states):
            raise ValueError(f"{type(self).__name__}: {' and '.join(names)} must have shape {shape}, got "
                             f"{' and '.join(str(s.shape) for s in states)}")
        return [[s[i] for i in range(L)] for s in states]

    def _run(self, x, states):
        """Every layer over x, from ``states`` (per state, its list of starting values); returns
        (output, [the final values of each state, stacked (L D, B, H)])."""
        T = x.shape[1] if self.batch_first else x.shape[0]
        # T inputs (B, I); their slice gradients are (B, T, I) each, small next to (T, B, G H).
        xs = [x[:, t] if self.batch_first else x[t] for t in range(T)]
        finals = [[] for _ in states]
        for k in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(self._suffixes()):
                i = k * len(self._suffixes()) + d
                start = tuple(s[i] for s in states)
                hs, last = self._layer(self._weights(k, suffix), xs[::-1] if d else xs, start)
                outputs.append(hs[::-1] if d else hs)
                for final, value in zip(finals, last):
                    final.append(value)
            xs = outputs[0] if len(outputs) == 1 else [ops.concatenate(pair, axis=1) for pair in zip(*outputs)]
            if self.dropout and self.training and k < self.num_layers - 1:
                xs = [F.dropout(x_t, self.dropout) for x_t in xs]
        output = ops.stack(xs, axis=1 if self.batch_first else 0)
        return output, [ops.stack(final, axis=0) for final in finals]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, batch_first={self.batch_first}"
        if not self.bias:
            s += ", bias=False"
        if self.dropout:
            s += f", dropout={self.dropout}"
        return s + (", bidirectional=True" if self.bidirectional else "")


class LSTM(_RNNBase):
    """forward(x, hx=None) -> (output, (h_n, c_n)).

    x: (B, T, input_size) if batch_first (the default here; PyTorch's is False) else (T, B, input_size).
    output: the last layer's h_t for every t, (B, T, D H) (or (T, B, D H)), D = 2 if bidirectional.
    h_n, c_n: the final states of every layer and direction, (num_layers D, B, H); hx = (h_0, c_0)
    of that shape, zeros when omitted.
    """

    gates = 4

    def _layer(self, weights, xs, state):
        """Run one layer and direction over its inputs, a list of x_t (B, I); return the list of h_t
        and the final (h, c).

        Each step is one matmul, [x_t, h] (B, I + H) @ [W_ih, W_hh]^T (I + H, 4H), plus the bias and
        one lstm_cell. The steps take x_t from a list rather than slicing one (T, B, 4H) tensor of
        input parts: the gradient of a slice is a zero array of the whole tensor's shape, so T slices
        of it would cost O(T^2) memory traffic in the backward pass.
        """
        w_ih, w_hh, b_ih, b_hh = weights
        w_t = ops.transpose(ops.concatenate([w_ih, w_hh], axis=1))  # (I + H, 4H)
        bias = b_ih + b_hh if b_ih is not None else None
        h, c = state
        hs = []
        for x_t in xs:
            gates = ops.matmul(ops.concatenate([x_t, h], axis=1), w_t)  # (B, 4H)
            if bias is not None:
                gates = gates + bias
            h, c = F.lstm_cell(gates, c)
            hs.append(h)
        return hs, (h, c)

    def forward(self, x, hx=None):
        self._check_input(x)
        B = x.shape[0] if self.batch_first else x.shape[1]
        states = self._initial_states(hx, ("h_0", "c_0"), B, x.dtype)
        output, (h_n, c_n) = self._run(x, states)
        return output, (h_n, c_n)


class GRU(_RNNBase):
    """forward(x, hx=None) -> (output, h_n).

    x: (B, T, input_size) if batch_first (the default here, as for our LSTM; PyTorch's is False)
    else (T, B, input_size). output: the last layer's h_t for every t, (B, T, D H) (or (T, B, D H)).
    h_n: the final state of every layer and direction, (num_layers D, B, H); hx = h_0 of that
    shape, zeros when omitted.
    """

    gates = 3

    def _layer(self, weights, xs, state):
        """One layer and direction over the list of x_t (B, I): the list of h_t and (final h,)."""
        w_ih, w_hh, b_ih, b_hh = weights
        w_ih_t, w_hh_t = ops.transpose(w_ih), ops.transpose(w_hh)  # (I, 3H), (H, 3H)
        H = self.hidden_size
        (h,) = state
        hs = []
        for x_t in xs:
            a = ops.matmul(x_t, w_ih_t)  # (B, 3H)
            u = ops.matmul(h, w_hh_t)
            if b_ih is not None:
                a, u = a + b_ih, u + b_hh
            a_r, a_z, a_n = ops.split(a, H, axis=1)
            u_r, u_z, u_n = ops.split(u, H, axis=1)
            r = ops.sigmoid(a_r + u_r)
            z = ops.sigmoid(a_z + u_z)
            n = ops.tanh(a_n + r * u_n)
            h = n + z * (h - n)  # (1 - z) n + z h
            hs.append(h)
        return hs, (h,)

    def forward(self, x, hx=None):
        self._check_input(x)
        B = x.shape[0] if self.batch_first else x.shape[1]
        states = self._initial_states(None if hx is None else (hx,), ("h_0",), B, x.dtype)
        output, (h_n,) = self._run(x, states)
        return output, h_n
