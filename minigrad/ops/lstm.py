"""The elementwise part of one LSTM step as a single op (the matmuls stay matmul ops).

Derived step by step in docs/ops.md, section "Recurrent".

With the gate pre-activations a = [a_i | a_f | a_g | a_o] (B, 4H) in PyTorch's order (the sum
x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) and the previous cell state c_prev (B, H):

    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c = f * c_prev + i * g
    h = o * tanh(c)

An op has one output, so the op returns y (2, B, H) with y[0] = h and y[1] = c; the layer takes
them apart with two slices (``nn.functional.lstm_cell`` does it). Their gradients come back as one
array (2, B, H), whose halves are dL/dh and dL/dc: h feeds the next matmul and the layer's output, c the
next step, and the engine has already added up what each use sent. The loops are in
``minigrad/kernels/lstm.py``; the derivation of the VJP is in docs/kernels.md. First derivatives
run the fused kernel; under create_graph the VJP is recorded as ops (see ``LSTMCell``).
"""
from .. import kernels
from ..function import Function, register
from .shape import Concatenate


@register("lstm_cell")
class LSTMCell(Function):
    """y = [h, c] (2, B, H) from gates (B, 4H) and c_prev (B, H), as in the module docstring.

    VJP, with the upstream gradient grad (2, B, H), dh = grad[0], dc = grad[1] (B, H), and
    i, f, g, o from the gates and tanh(c) from the output c = y[1]:
        dc_total = dc + dh * o * (1 - tanh(c)^2)                  (B, H)  c reaches L directly and via h
        d_a_i = dc_total * g * i (1 - i)                          (B, H)  sigmoid' = y (1 - y)
        d_a_f = dc_total * c_prev * f (1 - f)                     (B, H)
        d_a_g = dc_total * i * (1 - g^2)                          (B, H)  tanh' = 1 - y^2
        d_a_o = dh * tanh(c) * o (1 - o)                          (B, H)
        dL/dgates = [d_a_i | d_a_f | d_a_g | d_a_o]               (B, 4H)
        dL/dc_prev = dc_total * f                                 (B, H)

    Two paths compute it. First derivatives (``xp`` is NumPy) run the fused kernel
    ``kernels.lstm_cell_backward`` on the activations i, f, g, o and tanh(c) that the forward kernel
    returned with y: those are kept on the op for that path only, which differentiates nothing
    (recomputing them would cost a second forward kernel per step). Under ``create_graph`` the same
    formulas are written with the namespace's ops (``recorded_vjp``: sigmoid, tanh, slices, products
    and one concatenate, from the inputs and y), so the VJP is a graph that can be differentiated
    again. tests/test_ops_gradgrad.py checks its derivative; the kernel's NumPy reference
    (``kernels.lstm_cell_backward_reference``) is the same formulas on arrays.
    """

    def forward(self, gates, c_prev):
        if gates.ndim != 2 or c_prev.ndim != 2 or gates.shape != (c_prev.shape[0], 4 * c_prev.shape[1]):
            raise ValueError(f"lstm_cell: expected gates (B, 4H) and c_prev (B, H), got {gates.shape} "
                             f"and {c_prev.shape}")
        y, self.acts, self.tanh_c = kernels.lstm_cell_forward(gates, c_prev)  # for the first-order path
        return y

    def vjp(self, grad, inputs, y, xp):
        gates, c_prev = inputs
        if xp.name == "numpy":
            d_gates, d_c_prev = kernels.lstm_cell_backward(grad[0], grad[1], self.acts, self.tanh_c, c_prev)
        else:
            d_gates, d_c_prev = recorded_vjp(grad, gates, c_prev, y, xp)
        need_gates, need_c = self.needs_input_grad
        return (d_gates if need_gates else None), (d_c_prev if need_c else None)


def recorded_vjp(grad, gates, c_prev, y, xp):
    """LSTMCell's VJP (its docstring's formulas) on tensors, every step a registered op:
    grad (2, B, H), gates (B, 4H), c_prev (B, H), y = [h, c] (2, B, H)
    -> (dL/dgates (B, 4H), dL/dc_prev (B, H)), both differentiable again."""
    H = c_prev.shape[1]
    i, f = xp.sigmoid(gates[:, :H]), xp.sigmoid(gates[:, H:2 * H])
    g, o = xp.tanh(gates[:, 2 * H:3 * H]), xp.sigmoid(gates[:, 3 * H:])
    dh, dc = grad[0], grad[1]
    tanh_c = xp.tanh(y[1])
    dc_total = dc + dh * o * (1 - tanh_c * tanh_c)
    d_gates = Concatenate.apply(dc_total * g * i * (1 - i), dc_total * c_prev * f * (1 - f),
                                dc_total * i * (1 - g * g), dh * tanh_c * o * (1 - o), axis=1)
    return d_gates, dc_total * f
