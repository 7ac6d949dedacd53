"""The gradient checker itself: it must fail on wrong gradients, or it proves nothing."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.function import Function


class WrongSquare(Function):
    """y = x^2 with a deliberately wrong backward (3x instead of 2x)."""

    op_name = "wrong_square"

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return (g * 3 * self.x,)


class RightSquare(WrongSquare):
    op_name = "right_square"

    def backward(self, g):
        return (g * 2 * self.x,)


class SoftmaxZeroGrad(Function):
    """softmax with a backward that returns zeros: right for an all-ones
    upstream gradient (sum(softmax) = 1 has zero gradient), wrong otherwise."""

    op_name = "softmax_zero_grad"

    def forward(self, x):
        z = np.exp(x - x.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)

    def backward(self, g):
        return (np.zeros_like(g),)


class WrongSecondInput(Function):
    """y = a * b whose gradient for b is off in one element only."""

    op_name = "wrong_second_input"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        gb = g * self.a
        gb = gb.copy()
        gb.reshape(-1)[5] += 1.0
        return g * self.b, gb


def t64(shape, seed=0):
    return mg.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=np.float64, requires_grad=True)


def test_passes_on_right_gradients():
    assert mg.gradcheck(RightSquare.apply, [t64((3, 4))])
    assert mg.gradcheck(lambda a, b: mg.tanh(a @ b).sum(), [t64((3, 4)), t64((4, 2), seed=1)])
    assert mg.gradcheck(lambda x: mg.softmax(x, axis=-1), [t64((2, 5))])


def test_fails_on_a_wrong_gradient_naming_input_and_element():
    with pytest.raises(mg.GradcheckError, match=r"input 0 \(shape \(3, 4\)\) element \(\d+, \d+\)"):
        mg.gradcheck(WrongSquare.apply, [t64((3, 4))])
    assert mg.gradcheck(WrongSquare.apply, [t64((3, 4))], raise_exception=False) is False


def test_names_the_wrong_input_and_the_exact_element():
    a, b = t64((2, 4)), t64((2, 4), seed=1)
    with pytest.raises(mg.GradcheckError, match=r"input 1 \(shape \(2, 4\)\) element \(1, 1\)"):
        mg.gradcheck(WrongSecondInput.apply, [a, b])


def test_large_inputs_use_the_directional_check_and_it_catches_bugs():
    x = t64((30, 30))  # 900 elements > max_elements=400
    calls = []

    def counted(fn):
        def wrapper(*ts):
            calls.append(1)
            return fn(*ts)
        return wrapper

    assert mg.gradcheck(counted(lambda x: mg.tanh(x) * 2.0), [x], n_directions=3)
    assert len(calls) == 1 + 2 * 3  # one backward pass plus two forward passes per direction
    with pytest.raises(mg.GradcheckError, match="along random direction"):
        mg.gradcheck(WrongSquare.apply, [x])


def test_rejects_float32_inputs_with_a_clear_error():
    x = mg.tensor(np.ones((2, 2), np.float32), requires_grad=True)
    with pytest.raises(TypeError, match=r"float32.*float64"):
        mg.gradcheck(lambda x: x * x, [x])


def test_rejects_nothing_to_check_and_non_tensors():
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda x: x * x, [mg.tensor([1.0], dtype=np.float64)])
    with pytest.raises(TypeError, match="not a Tensor"):
        mg.gradcheck(lambda x: x * x, [np.ones(3)])


def test_uses_a_random_direction_not_all_ones():
    """sum(softmax(x)) is constant, so an all-ones check would pass a zero gradient."""
    x = t64((3, 5))
    # the bug is invisible to an all-ones upstream gradient...
    y = SoftmaxZeroGrad.apply(x)
    y.sum().backward()
    numeric_ones = np.zeros(x.shape)  # d sum(softmax)/dx = 0
    np.testing.assert_allclose(x.grad.data, numeric_ones)
    # ...but not to gradcheck, whose upstream direction is random
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(SoftmaxZeroGrad.apply, [x])
    # and the real softmax passes
    assert mg.gradcheck(lambda x: mg.softmax(x), [x])
