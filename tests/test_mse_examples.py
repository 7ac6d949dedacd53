"""The lecture's mean-squared-error worked examples, with minigrad ops and with F.mse_loss.

target [0.6, 0.4, 0.4, 0.6]
  close prediction [0.65, 0.42, 0.36, 0.59]: errors 0.05, 0.02, -0.04, -0.01,
      squares 0.0025 + 0.0004 + 0.0016 + 0.0001 = 0.0046
  poor prediction  [0.1, 0.9, 0.85, 0.2]:   errors -0.5, 0.5, 0.45, -0.4,
      squares 0.25 + 0.25 + 0.2025 + 0.16 = 0.8625
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

TARGET = [0.6, 0.4, 0.4, 0.6]
EXAMPLES = [([0.65, 0.42, 0.36, 0.59], 0.0046), ([0.1, 0.9, 0.85, 0.2], 0.8625)]
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@DTYPES
@pytest.mark.parametrize("prediction, expected", EXAMPLES)
def test_sum_of_squared_errors_with_ops(prediction, expected, dtype):
    p = mg.tensor(prediction, dtype=dtype, requires_grad=True)
    t = mg.tensor(TARGET, dtype=dtype)
    loss = ((p - t) ** 2).sum()
    assert loss.dtype == dtype
    assert loss.item() == pytest.approx(expected, rel=1e-6 if dtype == np.float32 else 1e-12)
    loss.backward()
    np.testing.assert_allclose(p.grad.data, 2 * (np.array(prediction) - TARGET), rtol=1e-5)


@DTYPES
@pytest.mark.parametrize("prediction, expected", EXAMPLES)
def test_mse_loss_function(prediction, expected, dtype):
    p = mg.tensor(prediction, dtype=dtype, requires_grad=True)
    t = mg.tensor(TARGET, dtype=dtype)
    rel = 1e-6 if dtype == np.float32 else 1e-12
    assert F.mse_loss(p, t, reduction="sum").item() == pytest.approx(expected, rel=rel)
    assert F.mse_loss(p, t, reduction="mean").item() == pytest.approx(expected / 4, rel=rel)
    F.mse_loss(p, t, reduction="sum").backward()
    np.testing.assert_allclose(p.grad.data, 2 * (np.array(prediction) - TARGET), rtol=1e-5)


def test_the_close_prediction_has_the_smaller_loss():
    t = mg.tensor(TARGET)
    close, poor = (((mg.tensor(p) - t) ** 2).sum().item() for p, _ in EXAMPLES)
    assert close < poor
