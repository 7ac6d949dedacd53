"""Transfer learning: freezing (frozen parameters get no gradient and do not move), parameter
groups with their own learning rates, the experiments on a slice, the command end to end."""
import json

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from autoencoders.data import load_dataset
from autoencoders.evaluation.digit_classifier import DigitClassifier, fit
from autoencoders.models import build_model
from autoencoders.transfer import experiment
from autoencoders.transfer.freezing import freeze, param_groups, trainable
from cli_helpers import run
from minigrad import optim


@pytest.fixture
def net():
    mg.random.seed(0)
    return DigitClassifier(classes=3)


@pytest.fixture
def batch(rng):
    return rng.random((6, 1, 28, 28)).astype(np.float32), np.array([0, 1, 2, 0, 1, 2])


def step(model, optimizer, x, y):
    loss = F.cross_entropy(model(mg.tensor(x)), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def snapshot(module):
    return [p.data.copy() for p in module.parameters()]


# ----- freezing -------------------------------------------------------------------------------------
def test_frozen_parameters_get_no_gradient_and_do_not_move(net, batch):
    freeze(net.features)
    before, head_before = snapshot(net.features), snapshot(net.out)
    # the optimizer is even given the frozen parameters: without a gradient a step skips them
    optimizer = optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(3):
        step(net, optimizer, *batch)
        assert all(p.grad is None for p in net.features.parameters())
        assert all(p.grad is not None for p in net.out.parameters())
    for old, p in zip(before, net.features.parameters()):
        np.testing.assert_array_equal(p.data, old)
    assert not all(np.array_equal(old, p.data) for old, p in zip(head_before, net.out.parameters()))
    assert all(id(p) not in optimizer.state for p in net.features.parameters())


def test_a_frozen_body_records_no_graph(net, batch):
    """Nothing below the head needs a gradient, so the frozen layers' ops are not recorded:
    their output is a plain tensor, and backward never reaches them."""
    freeze(net.features)
    assert not net.features(mg.tensor(batch[0])).requires_grad
    assert net(mg.tensor(batch[0])).requires_grad


def test_unfreezing_restores_the_gradients(net, batch):
    freeze(net.features)
    assert trainable(net.features) == []
    freeze(net.features, frozen=False)
    assert len(trainable(net.features)) == len(net.features.parameters())
    step(net, optim.SGD(net.parameters(), lr=0.1), *batch)
    assert all(p.grad is not None for p in net.features.parameters())


# ----- learning rates per parameter group -----------------------------------------------------------
def test_each_parameter_group_steps_with_its_own_learning_rate(net, batch):
    groups = param_groups([(net.features, 0.1), (net.hidden, 1.0), (net.out, 0.0)], lr=0.5)
    assert [g["lr"] for g in groups] == [0.05, 0.5, 0.0]
    optimizer = optim.SGD(groups, lr=123.0)         # the groups' own lr override the default
    before = {id(p): p.data.copy() for p in net.parameters()}
    step(net, optimizer, *batch)
    for group in groups:
        for p in group["params"]:
            expected = before[id(p)] - np.float32(group["lr"]) * p.grad.data
            np.testing.assert_allclose(p.data, expected, rtol=1e-6, atol=1e-7)


def test_frozen_parameters_and_empty_groups_are_left_out(net):
    freeze(net.features)
    groups = param_groups([(net.features, 0.1), (net.hidden, 1.0), (net.out, 1.0)], lr=1e-3)
    assert len(groups) == 2
    held = {id(p) for g in groups for p in g["params"]}
    assert not held & {id(p) for p in net.features.parameters()}


def test_the_three_starts_get_the_optimizers_they_describe(net):
    head = experiment._Head(net)
    scratch = experiment.optimizer_for("scratch", net.features, head, 1e-3, 0.1)
    assert [g["lr"] for g in scratch.param_groups] == [1e-3, 1e-3]
    tuned = experiment.optimizer_for("fine-tuned", net.features, head, 1e-3, 0.1)
    assert [g["lr"] for g in tuned.param_groups] == pytest.approx([1e-4, 1e-3])
    frozen = experiment.optimizer_for("frozen", net.features, head, 1e-3, 0.1)
    assert len(frozen.param_groups) == 1 and trainable(net.features) == []


# ----- the pieces of the experiments -------------------------------------------------------------------
def test_digits_are_chosen_and_renumbered():
    images, labels = np.arange(8), np.array([5, 0, 9, 7, 1, 5, 3, 9])
    x, y = experiment.digits(images, labels, (5, 6, 7, 8, 9))
    np.testing.assert_array_equal(x, [0, 2, 3, 5, 7])
    np.testing.assert_array_equal(y, [0, 4, 2, 0, 4])


def test_mean_and_sample_standard_deviation():
    assert experiment.mean_std([0.1, 0.2, 0.3]) == pytest.approx((0.2, 0.1))
    assert experiment.mean_std([0.5]) == (0.5, 0.0)


def test_the_encoder_classifier_starts_from_the_autoencoder_or_from_scratch():
    mg.random.seed(1)
    autoencoder = build_model("conv", channels=(2, 3, 4), code=5)
    mg.random.seed(2)
    pretrained = experiment.encoder_classifier(autoencoder, 10, pretrained=True)
    mg.random.seed(2)
    scratch = experiment.encoder_classifier(autoencoder, 10, pretrained=False)
    for (name, p), q in zip(autoencoder.encoder.state_dict().items(), pretrained.encoder.parameters()):
        np.testing.assert_array_equal(p, q.data, err_msg=name)
    assert not np.array_equal(scratch.encoder.parameters()[0].data, pretrained.encoder.parameters()[0].data)
    np.testing.assert_array_equal(scratch.out.weight.data, pretrained.out.weight.data)   # same head
    assert pretrained(mg.tensor(np.zeros((2, 1, 28, 28), np.float32))).shape == (2, 10)


def test_a_frozen_start_keeps_the_copied_layers(net, batch):
    mg.random.seed(5)
    target = DigitClassifier(classes=3)
    target.features.load_state_dict(net.features.state_dict())
    settings = experiment.Settings(epochs=1, min_steps=4, batch_size=3)
    experiment.train_start(target, target.features, experiment._Head(target), "frozen", *batch,
                           settings, seed=0)
    for p, q in zip(net.features.parameters(), target.features.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


# ----- a tiny run on a slice -------------------------------------------------------------------------
TINY = experiment.Settings(seeds=(0, 1), labels=(5,), pretrain_labels=(3,), source_epochs=1,
                           epochs=1, min_steps=5, batch_size=32)


@pytest.fixture(scope="module")
def mnist5k():
    train_x, train_y = load_dataset("mnist-5k", split="train")
    test_x, test_y = load_dataset("mnist-5k", split="test")
    return train_x[:800], train_y[:800], test_x[:300], test_y[:300]


def test_a_tiny_transfer_run_on_a_slice(mnist5k):
    mg.random.seed(0)
    autoencoder = build_model("conv", channels=(4, 4, 4), code=8)
    numbers = experiment.run(*mnist5k, TINY, autoencoder=autoencoder)
    supervised, unsupervised = numbers["supervised"], numbers["unsupervised"]
    assert len(supervised["runs"]) == 2 * 1 * 3 and len(unsupervised["runs"]) == 2 * 1 * 3
    assert [(r["labels"], r["start"]) for r in supervised["rows"]] == \
        [(5, "scratch"), (5, "frozen"), (5, "fine-tuned")]
    for row in supervised["rows"] + unsupervised["rows"]:
        assert len(row["accuracies"]) == 2 and 0 <= row["mean"] <= 1 and row["std"] >= 0
    assert len(supervised["source_accuracy"]) == 2
    assert np.mean(supervised["source_accuracy"]) > 0.3          # 5 digits: chance is 0.2
    assert json.loads(json.dumps(numbers)) == numbers            # JSON-ready
    again = experiment.run(*mnist5k, TINY, autoencoder=autoencoder)
    assert [r["accuracy"] for r in again["supervised"]["runs"]] == [r["accuracy"] for r in supervised["runs"]]


# ----- the command ------------------------------------------------------------------------------------
@pytest.fixture
def commands():
    """The command line (cli.main as a process sees it)."""
    return run


def test_the_command_end_to_end(commands, tmp_path, capsys):
    assert commands(["train", "--model", "conv", "--set", "channels=4,4,4", "--epochs", "1", "--limit",
                     "64", "--out", str(tmp_path / "conv"), "--no-figures", "--quiet"]) == 0
    capsys.readouterr()
    assert commands(["transfer", "--dataset", "mnist-5k", "--limit", "600", "--seeds", "0",
                     "--labels", "3", "--pretrain-labels", "3", "--source-epochs", "1", "--epochs", "1",
                     "--min-steps", "2", "--autoencoder", str(tmp_path / "conv" / "last.npz"),
                     "--out", str(tmp_path / "t"), "--quiet"]) == 0
    shown = capsys.readouterr().out
    assert "transfer (i)" in shown and "transfer (ii)" in shown and "±" in shown
    saved = json.loads((tmp_path / "t" / "transfer.json").read_text())
    assert saved["settings"]["labels"] == [3] and "unsupervised" in saved
    assert "| labels per class | scratch | frozen | fine-tuned |" in (tmp_path / "t" / "transfer.md").read_text()


def test_the_command_refuses_in_one_line(commands, tmp_path, capsys):
    assert commands(["train", "--model", "dense", "--epochs", "1", "--limit", "50", "--out",
                     str(tmp_path / "dense"), "--no-figures", "--quiet"]) == 0
    capsys.readouterr()
    assert commands(["transfer", "--dataset", "mnist-5k", "--autoencoder",
                     str(tmp_path / "dense" / "last.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert "'conv' autoencoder" in err and len(err.splitlines()) == 1
    assert commands(["transfer", "--part", "unsupervised"]) == 2
    assert "give --autoencoder" in capsys.readouterr().err
    assert commands(["transfer", "--labels", "10,0"]) == 2
    assert commands(["transfer", "--seeds", "1,1"]) == 2
