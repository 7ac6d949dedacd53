"""The convolutional and the recurrent autoencoders: shapes, configuration errors,
gradients of the loss (float64 finite differences on tiny instances), and a
short training run on 64 real digits that must lower the loss."""
import numpy as np
import pytest

import minigrad as mg
from autoencoders.models import ConfigError, build_model
from minigrad import nn
from model_helpers import check_loss_gradients, digits, train_steps


def random_images(n, size, seed=0):
    """Images with pixels in (0.05, 0.95): no ties inside max-pool windows, unlike real digits."""
    return np.random.default_rng(seed).uniform(0.05, 0.95, (n, 1, size, size))


# ----- conv ------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["pool", "strided"])
def test_conv_shapes(variant):
    model = build_model("conv", variant=variant, code=12)
    x, _ = digits(5)
    assert model.input_kind == "image"
    assert model.encode(x).shape == (5, 12)
    assert model(x).shape == (5, 1, 28, 28)
    assert model.reconstruct(x).shape == (5, 1, 28, 28)
    assert model.embed(x).shape == (5, 12)


def test_conv_uses_the_benchmark_layer_shapes():
    """The default 'pool' model is made of the convolutions the kernels are tuned for."""
    model = build_model("conv")
    convs = [(type(m).__name__, m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding)
             for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert convs == [
        ("Conv2d", 1, 16, (3, 3), (1, 1), (1, 1)),           # 28 x 28
        ("Conv2d", 16, 32, (3, 3), (1, 1), (1, 1)),          # 14 x 14
        ("Conv2d", 32, 64, (3, 3), (2, 2), (1, 1)),          # 7 x 7 -> 4 x 4
        ("ConvTranspose2d", 64, 32, (3, 3), (2, 2), (1, 1)),  # 7 -> 14
        ("ConvTranspose2d", 32, 16, (3, 3), (2, 2), (1, 1)),  # 14 -> 28
        ("Conv2d", 16, 1, (1, 1), (1, 1), (0, 0)),           # 1 x 1 read-out: 28 x 28 logits
    ]


@pytest.mark.parametrize("config, message", [
    ({"kernel_size": 4}, "odd"),
    ({"kernel_size": 9}, "does not fit"),
    ({"image_size": 30}, "divisible by 4"),
    ({"channels": (8, 16)}, "3 channel counts"),
    ({"channels": (8, 0, 4)}, ">= 1"),
    ({"variant": "unpool"}, "pool, strided"),
    ({"code": 0}, ">= 1"),
])
def test_conv_bad_config(config, message):
    with pytest.raises(ConfigError, match=message):
        build_model("conv", **config)


@pytest.mark.parametrize("variant", ["pool", "strided"])
def test_conv_loss_gradients(variant):
    model = build_model("conv", variant=variant, channels=(2, 3, 2), code=3, image_size=12)
    check_loss_gradients(model, random_images(2, 12))


def test_conv_training_lowers_loss():
    x, _ = digits(64)
    mg.random.seed(0)
    model = build_model("conv", variant="strided", channels=(8, 8, 8), code=16)
    losses = train_steps(model, x, steps=25, lr=1e-2)
    assert losses[-1] < 0.6 * losses[0], losses


# ----- recurrent ----------------------------------------------------------------------------
def test_recurrent_shapes():
    x, _ = digits(3)
    model = build_model("recurrent", hidden=16, code=5)
    assert model.encode(x).shape == (3, 5)
    assert model(x).shape == (3, 1, 28, 28)
    assert model.reconstruct(x).shape == (3, 1, 28, 28)
    unprojected = build_model("recurrent", hidden=16, code=0, layers=2)
    assert unprojected.embed(x).shape == (3, 16)        # the last hidden state itself
    assert unprojected(x).shape == (3, 1, 28, 28)


def test_recurrent_rejects_wrong_image_size():
    model = build_model("recurrent", hidden=4, image_size=6)
    with pytest.raises(ValueError, match=r"\(B, 1, 6, 6\)"):
        model(np.zeros((2, 1, 28, 28), np.float32))


@pytest.mark.parametrize("code, layers", [(2, 1), (0, 2)])
def test_recurrent_loss_gradients(code, layers):
    model = build_model("recurrent", hidden=3, code=code, layers=layers, image_size=4)
    check_loss_gradients(model, random_images(2, 4))


def test_recurrent_training_lowers_loss():
    x, _ = digits(64)
    mg.random.seed(0)
    model = build_model("recurrent", hidden=32, code=16)
    losses = train_steps(model, x, steps=20, lr=1e-2)
    assert losses[-1] < 0.75 * losses[0], losses
