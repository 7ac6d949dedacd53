"""Batch iteration: coverage, drop_last, determinism, scaling, shapes, errors."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from autoencoders.data import Batches, iterate_batches


def make_data(n, side=4):
    """Images whose first pixel encodes the item index (mod 256), labels = index."""
    images = np.zeros((n, side, side), np.uint8)
    images[:, 0, 0] = np.arange(n) % 256
    return images, np.arange(n)


def seen_labels(batches):
    return np.concatenate([y for _, y in batches]) if batches else np.array([], np.int64)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 200), batch_size=st.integers(1, 64), shuffle=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_every_index_once_per_epoch(n, batch_size, shuffle, seed):
    images, _ = make_data(n)
    index = np.arange(n)
    batches = list(iterate_batches(images, index, batch_size, shuffle=shuffle, seed=seed))
    assert len(batches) == -(-n // batch_size)
    assert sorted(seen_labels(batches).tolist()) == list(range(n))
    assert all(len(x) == batch_size for x, _ in batches[:-1])
    if not shuffle:
        assert seen_labels(batches).tolist() == list(range(n))
    for x, y in batches:  # each x row is the image of its label
        np.testing.assert_array_equal(np.rint(x[:, 0, 0, 0] * 255), y % 256)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, 200), batch_size=st.integers(1, 64))
def test_drop_last(n, batch_size):
    images, _ = make_data(n)
    batches = list(iterate_batches(images, np.arange(n), batch_size, drop_last=True))
    assert len(batches) == n // batch_size
    assert all(len(x) == batch_size for x, _ in batches)
    seen = seen_labels(batches)
    assert len(set(seen.tolist())) == len(seen) == batch_size * (n // batch_size)
    loader = Batches(images, batch_size=batch_size, drop_last=True)
    assert len(loader) == len(list(loader)) == n // batch_size


def test_same_seed_same_order_other_seed_other_order():
    images, labels = make_data(100)
    order = lambda seed: seen_labels(list(iterate_batches(images, labels, 16, seed=seed)))
    np.testing.assert_array_equal(order(3), order(3))
    assert not np.array_equal(order(3), order(4))
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    a = seen_labels(list(iterate_batches(images, labels, 16, seed=rng_a)))
    b = seen_labels(list(iterate_batches(images, labels, 16, seed=rng_b)))
    np.testing.assert_array_equal(a, b)


def test_float32_scaling_and_nchw():
    images = np.array([[[0, 255], [128, 1]]], np.uint8)
    (x, y), = iterate_batches(images, [3], batch_size=4)
    assert x.dtype == np.float32 and x.shape == (1, 1, 2, 2)
    assert y.dtype == np.int64 and y.tolist() == [3]
    assert x.min() == 0.0 and x.max() == 1.0
    expected = images.astype(np.float32) / np.float32(255)  # float32 all the way
    np.testing.assert_array_equal(x[:, 0], expected)


def test_all_pixel_values_in_unit_interval():
    images = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    (x, _), = iterate_batches(images)
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    np.testing.assert_array_equal(np.sort(x.ravel()),
                                  np.arange(256, dtype=np.float32) / np.float32(255))


def test_flatten_and_other_layouts():
    images, labels = make_data(10, side=28)
    (x, _), = iterate_batches(images, labels, batch_size=10, flatten=True)
    assert x.shape == (10, 784)
    (x, _), = iterate_batches(images.reshape(10, 1, 28, 28), batch_size=10)
    assert x.shape == (10, 1, 28, 28)
    (x, y), = iterate_batches(images.reshape(10, 784), batch_size=10)
    assert x.shape == (10, 784) and y is None
    (x, _), = iterate_batches(images, batch_size=10, dtype=np.float64)
    assert x.dtype == np.float64


def test_float_images_are_cast_not_rescaled():
    images = np.full((2, 3, 3), 0.5, np.float64)
    (x, _), = iterate_batches(images, batch_size=2)
    assert x.dtype == np.float32 and np.all(x == 0.5)


def test_loader_reshuffles_each_epoch_reproducibly():
    images, labels = make_data(50)
    loader = Batches(images, labels, batch_size=8, seed=7)
    assert len(loader) == 7
    epochs = [seen_labels(list(loader)) for _ in range(3)]
    assert loader.epoch == 3
    assert not np.array_equal(epochs[0], epochs[1])
    for epoch in epochs:
        assert sorted(epoch.tolist()) == list(range(50))
    resumed = Batches(images, labels, batch_size=8, seed=7, epoch=1)
    np.testing.assert_array_equal(seen_labels(list(resumed)), epochs[1])
    resumed.set_epoch(0)
    np.testing.assert_array_equal(seen_labels(list(resumed)), epochs[0])
    np.testing.assert_array_equal(loader.order(2), epochs[2])


def test_loader_without_shuffle_keeps_order():
    images, labels = make_data(10)
    loader = Batches(images, labels, batch_size=3, shuffle=False)
    assert seen_labels(list(loader)).tolist() == list(range(10))
    assert [len(x) for x, _ in loader] == [3, 3, 3, 1]


@pytest.mark.parametrize("call, error, message", [
    (lambda im, lb: iterate_batches(im, lb, batch_size=0), ValueError, "batch_size must be >= 1, got 0"),
    (lambda im, lb: iterate_batches(im, lb, batch_size=2.5), TypeError, "batch_size must be an int"),
    (lambda im, lb: iterate_batches(im, lb[:3]), ValueError, "10 images, 3 labels"),
    (lambda im, lb: iterate_batches(im, lb.reshape(2, 5)), ValueError, "labels must be 1-D"),
    (lambda im, lb: iterate_batches(im[0, 0]), ValueError, "at least 2 dimensions"),
    (lambda im, lb: iterate_batches(im.astype(np.int32)), TypeError, "uint8 .* or floating"),
    (lambda im, lb: iterate_batches(im, dtype=np.int32), TypeError, "floating type"),
    (lambda im, lb: Batches(im, lb, batch_size=-1), ValueError, "batch_size must be >= 1"),
    (lambda im, lb: Batches(im, lb[:9]), ValueError, "10 images, 9 labels"),
    (lambda im, lb: Batches(im, seed=np.random.default_rng()), TypeError, "int seed"),
])
def test_arguments_are_checked_at_the_call(call, error, message):
    images, labels = make_data(10)
    with pytest.raises(error, match=message):
        call(images, labels)  # no next() needed: checks are eager
