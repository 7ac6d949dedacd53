"""Helpers for the model tests: a gradient check of a model's loss, a short training run.

``check_loss_gradients`` runs ``minigrad.gradcheck`` on a model's loss as a
function of all of its parameters. gradcheck calls the function with fresh
leaf tensors, so the function puts them into the model in place of the
parameters (``setattr`` on the module that owns each one), computes the loss
and puts the parameters back. minigrad.random is re-seeded before every call,
so a model that samples noise (a VAE's eps) draws the same noise in every
evaluation: the loss is then a deterministic function of the parameters, which
is what finite differences need.
"""
import numpy as np

import minigrad as mg
from autoencoders.data import load_dataset, to_float


def parameter_slots(model):
    """(owning module, attribute name) for each parameter, in named_parameters order."""
    modules = dict(model.named_modules())
    slots = []
    for name, _ in model.named_parameters():
        owner, _, attr = name.rpartition(".")
        slots.append((modules[owner], attr))
    return slots


def check_loss_gradients(model, x, labels=None, seed=0, **gradcheck_options):
    """gradcheck of ``model.loss(x, labels)[0]`` in float64 with respect to every parameter.

    seed=None does not re-seed: a sampling model then draws new noise in every
    evaluation, and the check must fail (the tests use that to test the check).
    """
    model.to(np.float64)
    slots, params = parameter_slots(model), model.parameters()
    x = mg.tensor(np.asarray(x, dtype=np.float64))

    def loss_of(*tensors):
        for (owner, attr), t in zip(slots, tensors):
            setattr(owner, attr, t)
        try:
            if seed is not None:
                mg.random.seed(seed)
            return model.loss(x, labels)[0]
        finally:
            for (owner, attr), p in zip(slots, params):
                setattr(owner, attr, p)

    options = dict(max_elements=20, n_directions=3)
    options.update(gradcheck_options)
    leaves = [mg.Tensor(p.data, requires_grad=True) for p in params]
    return mg.gradcheck(loss_of, leaves, **options)


def digits(n=64, flat=False):
    """The first n training images of the embedded 'mnist-5k' set, float32, and their labels."""
    images, labels = load_dataset("mnist-5k", split="train")
    return to_float(images[:n], flatten=flat), labels[:n].astype(np.int64)


def train_steps(model, x, labels=None, steps=30, lr=3e-3, seed=0, parameters=None, loss=None):
    """Adam on one fixed batch; returns the losses before each step (a list of floats).
    parameters and loss default to all of the model's and model.loss (a GAN's phase gives its
    own); seed=None leaves minigrad's generator where it is."""
    if seed is not None:
        mg.random.seed(seed)
    optimizer = mg.optim.Adam(model.parameters() if parameters is None else parameters, lr=lr)
    x = x if isinstance(x, mg.Tensor) else mg.tensor(x)
    loss_of = model.loss if loss is None else loss
    losses = []
    for _ in range(steps):
        loss, _ = loss_of(x, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
