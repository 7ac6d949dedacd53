"""Convolution, pooling and upsampling ops: gradients over the argument space,
adjointness of conv and transposed conv, values against naive loops (and
PyTorch when it is installed), and the error messages for bad arguments.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from conv_reference import (avg_pool2d_naive, conv2d_naive, conv_transpose2d_naive, max_pool2d_naive,
                            upsample_nearest_naive)


def t64(rng, *shape, grad=True):
    return mg.tensor(rng.standard_normal(shape), dtype=np.float64, requires_grad=grad)


CONV_ARGS = [  # stride, padding, dilation, groups
    (1, 0, 1, 1), (2, 0, 1, 1), (1, 1, 1, 1), (2, 1, 1, 1), (1, 0, 2, 1), (1, 1, 1, 2),
    ((2, 1), (1, 0), (1, 2), 1), (2, 2, 2, 2),
]


@pytest.mark.parametrize("stride, padding, dilation, groups", CONV_ARGS)
def test_conv2d_gradcheck_and_value(rng, stride, padding, dilation, groups):
    x, w, b = t64(rng, 2, 4, 6, 5), t64(rng, 4, 4 // groups, 3, 2), t64(rng, 4)
    f = lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups)  # noqa: E731
    mg.gradcheck(f, [x, w, b])
    expected = conv2d_naive(x.data, w.data, stride, padding, dilation, groups) + b.data[None, :, None, None]
    np.testing.assert_allclose(f(x, w, b).data, expected, rtol=1e-12, atol=1e-12)


CONV_T_ARGS = [  # stride, padding, output_padding, dilation, groups
    (1, 0, 0, 1, 1), (2, 0, 1, 1, 1), (2, 1, 0, 1, 1), (2, 1, 1, 1, 2), (1, 0, 0, 2, 1),
    ((2, 3), (1, 0), (1, 2), 1, 1), (3, 1, 2, 2, 2),
    (1, 0, 1, 2, 1), ((1, 2), (0, 1), (1, 2), (2, 3), 2),   # output_padding >= stride, < dilation
]


@pytest.mark.parametrize("stride, padding, output_padding, dilation, groups", CONV_T_ARGS)
def test_conv_transpose2d_gradcheck_and_value(rng, stride, padding, output_padding, dilation, groups):
    x, w, b = t64(rng, 2, 4, 3, 4), t64(rng, 4, 6 // groups, 3, 2), t64(rng, 6)
    f = lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)  # noqa: E731
    mg.gradcheck(f, [x, w, b])
    expected = conv_transpose2d_naive(x.data, w.data, stride, padding, output_padding, dilation, groups)
    np.testing.assert_allclose(f(x, w, b).data, expected + b.data[None, :, None, None], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride, padding, dilation, groups", CONV_ARGS)
def test_transposed_conv_is_the_adjoint_of_conv(rng, stride, padding, dilation, groups):
    """<conv(x, w), y> == <x, conv_transpose(y, w)> for every x, y (same weight array)."""
    x, w = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 4 // groups, 3, 2))
    cx = mg.ops.conv2d(mg.tensor(x, dtype=np.float64), mg.tensor(w, dtype=np.float64), stride, padding, dilation, groups)
    y = rng.standard_normal(cx.shape)
    # output_padding recovers the input size conv2d rounded away
    s, p, d = [(v, v) if isinstance(v, int) else v for v in (stride, padding, dilation)]
    op = tuple(x.shape[2 + i] - ((cx.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (w.shape[2 + i] - 1) + 1)
               for i in range(2))
    ty = mg.ops.conv_transpose2d(mg.tensor(y, dtype=np.float64), mg.tensor(w, dtype=np.float64), stride, padding,
                                 op, dilation, groups)
    assert ty.shape == x.shape
    np.testing.assert_allclose(np.sum(cx.data * y), np.sum(x * ty.data), rtol=1e-10)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), (1, 1)), (3, 2, 0)])
def test_pools_gradcheck_and_value(rng, kernel, stride, padding):
    data = rng.permutation(2 * 3 * 6 * 7).reshape(2, 3, 6, 7) * 0.1  # distinct: no ties in max
    x = mg.tensor(data, dtype=np.float64, requires_grad=True)
    mg.gradcheck(lambda x: F.max_pool2d(x, kernel, stride, padding), [x])
    mg.gradcheck(lambda x: F.avg_pool2d(x, kernel, stride, padding), [x])
    np.testing.assert_array_equal(F.max_pool2d(x, kernel, stride, padding).data,
                                  max_pool2d_naive(data, kernel, stride, padding))
    np.testing.assert_allclose(F.avg_pool2d(x, kernel, stride, padding).data,
                               avg_pool2d_naive(data, kernel, stride, padding), rtol=1e-12)


def test_max_pool_sends_the_gradient_to_one_element_on_ties():
    x = mg.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.data.sum() == 1 and set(np.unique(x.grad.data)) == {0.0, 1.0}


@pytest.mark.parametrize("scale", [1, 2, (2, 3)])
def test_interpolate_nearest(rng, scale):
    x = t64(rng, 2, 3, 3, 2)
    mg.gradcheck(lambda x: F.interpolate(x, scale_factor=scale), [x])
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=scale).data, upsample_nearest_naive(x.data, scale))


def test_float32_in_float32_out(rng):
    x = mg.tensor(rng.standard_normal((1, 2, 5, 5)), dtype=np.float32, requires_grad=True)
    w = mg.tensor(rng.standard_normal((3, 2, 3, 3)), dtype=np.float32, requires_grad=True)
    wt = mg.tensor(rng.standard_normal((2, 3, 3, 3)), dtype=np.float32)
    for y in [F.conv2d(x, w), F.conv_transpose2d(x, wt),
              F.max_pool2d(x, 2), F.avg_pool2d(x, 2), F.interpolate(x, scale_factor=2)]:
        assert y.dtype == np.float32
    F.conv2d(x, w).sum().backward()
    assert x.grad.dtype == w.grad.dtype == np.float32


def test_against_torch_when_available(rng):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x, w, b = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    T = lambda a: torch.tensor(a)  # noqa: E731
    got = F.conv2d(mg.tensor(x, dtype=np.float64), mg.tensor(w, dtype=np.float64), mg.tensor(b, dtype=np.float64),
                   stride=2, padding=1, dilation=1, groups=2)
    np.testing.assert_allclose(got.data, tf.conv2d(T(x), T(w), T(b), 2, 1, 1, 2).numpy(), rtol=1e-10)
    wt = rng.standard_normal((4, 3, 3, 2))
    got = F.conv_transpose2d(mg.tensor(x, dtype=np.float64), mg.tensor(wt, dtype=np.float64), None, 2, 1, 1, 1, 2)
    np.testing.assert_allclose(got.data, tf.conv_transpose2d(T(x), T(wt), None, 2, 1, 1, 1, 2).numpy(), rtol=1e-10)
    np.testing.assert_allclose(F.avg_pool2d(mg.tensor(x, dtype=np.float64), 3, 2, 1).data,
                               tf.avg_pool2d(T(x), 3, 2, 1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.max_pool2d(mg.tensor(x, dtype=np.float64), 3, 2, 1).data,
                               tf.max_pool2d(T(x), 3, 2, 1).numpy(), rtol=1e-12)


# ----- errors -----------------------------------------------------------------------------
def test_bad_arguments_raise_value_errors_that_name_shapes():
    x = mg.tensor(np.zeros((1, 4, 5, 5)))
    with pytest.raises(ValueError, match=r"\(3, 2, 3, 3\).*\(1, 4, 5, 5\)"):
        F.conv2d(x, mg.tensor(np.zeros((3, 2, 3, 3))))  # 2 * groups(1) != 4 channels
    with pytest.raises(ValueError, match="groups=3"):
        F.conv2d(x, mg.tensor(np.zeros((3, 1, 3, 3))), groups=3)
    with pytest.raises(ValueError, match="too small"):
        F.conv2d(x, mg.tensor(np.zeros((3, 4, 7, 7))))
    with pytest.raises(ValueError, match="4-D"):
        F.conv2d(mg.tensor(np.zeros((4, 5, 5))), mg.tensor(np.zeros((3, 4, 3, 3))))
    with pytest.raises(ValueError, match="stride must be an int or a pair"):
        F.conv2d(x, mg.tensor(np.zeros((3, 4, 3, 3))), stride=(1, 2, 3))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.conv2d(x, mg.tensor(np.zeros((3, 4, 3, 3))), stride=0)
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(x, mg.tensor(np.zeros((4, 2, 3, 3))), stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"expects 3 input channels.*\(1, 4, 5, 5\)"):
        F.conv_transpose2d(x, mg.tensor(np.zeros((3, 2, 3, 3))))
    with pytest.raises(ValueError, match="at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="too small"):
        F.avg_pool2d(x, 6)
    with pytest.raises(ValueError, match="mode"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
