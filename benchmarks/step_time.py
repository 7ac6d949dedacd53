"""Milliseconds per training step of a model (forward + backward + Adam), after warm-up.

    python benchmarks/step_time.py vae                         # the default VAE, batch 128
    python benchmarks/step_time.py conv --set variant=strided
    python benchmarks/step_time.py vae --torch                 # also PyTorch's VAE, same loop
    python benchmarks/step_time.py m2 --batch-size 100         # semi-supervised M2, 100 + 100

Batches are drawn at random from the embedded 'mnist-5k' digits. The first
``--warmup`` steps (JIT compilation, buffer allocation) are not timed; then
``--repeats`` blocks of ``--steps`` steps are, and the minimum and median of
the per-block ms/step are printed (the minimum is the least disturbed by other
processes on the machine; compare numbers taken in the same minute).
``NUMBA_NUM_THREADS=1`` runs both libraries on one thread (torch follows it here).
With ``--torch`` the same loop runs PyTorch's version of the model from
``torch_reference.py`` (for 'vae', 'conv', 'deep' and 'recurrent'; its conv model
is a close relative, not an exact copy: see that file). Seconds per 60,000-image epoch
are ms/step * 60000 / batch / 1000.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import minigrad as mg  # noqa: E402
from autoencoders.data import load_dataset, to_float  # noqa: E402
from autoencoders.models import build_model  # noqa: E402


def time_steps(steps_by_library, warmup, steps, repeats):
    """{library: (min, median) ms per step}: after ``warmup`` steps each, ``repeats`` rounds in which
    every library runs one block of ``steps`` steps in turn (so a slow spell of a shared machine
    hits them alike), with a pause before each block for the previous library's threads to idle."""
    for step in steps_by_library.values():
        for _ in range(warmup):
            step()
    blocks = {name: [] for name in steps_by_library}
    for _ in range(repeats):
        for name, step in steps_by_library.items():
            time.sleep(0.3)
            start = time.perf_counter()
            for _ in range(steps):
                step()
            blocks[name].append((time.perf_counter() - start) / steps * 1e3)
    return {name: (min(b), float(np.median(b))) for name, b in blocks.items()}


def m2_step(name, config, images, labels, batch_size, seed=0):
    """One M2 step (semisupervised/training.py): ``batch_size`` labelled and as many unlabelled
    inputs; 'm2' on the pixels, 'm1m2' on 25-D Gaussian codes (random ones: the cost of a step
    does not depend on their values)."""
    from autoencoders.semisupervised import bounds
    from autoencoders.semisupervised.m2 import M2

    mg.random.seed(seed)
    rng = np.random.default_rng(seed)
    x = to_float(images, flatten=True)
    if name == "m1m2":
        x = rng.standard_normal((len(x), 25)).astype(np.float32)
    model = M2(features=x.shape[1], likelihood="bernoulli" if name == "m2" else "gaussian",
               **{key: int(value) for key, value in config.items()})
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-3)
    weights = bounds.balanced_weights(100, len(x))

    def step():
        index_l, index_u = rng.integers(0, len(x), batch_size), rng.integers(0, len(x), batch_size)
        loss, _ = model.loss(x[index_l], labels[index_l], x[index_u], weights)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


SEMISUPERVISED = ("m2", "m1m2")


def minigrad_step(name, config, images, labels, batch_size, seed=0):
    if name in SEMISUPERVISED:
        return m2_step(name, config, images, labels, batch_size, seed)
    mg.random.seed(seed)
    model = build_model(name, **config)
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-3)
    flat, rng = model.input_kind == "flat", np.random.default_rng(seed)

    def step():
        index = rng.integers(0, len(images), batch_size)
        loss, _ = model.loss(mg.Tensor(to_float(images[index], flatten=flat)), labels[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def torch_step(name, images, batch_size, seed=0):
    import torch
    from torch_reference import MODELS

    torch.manual_seed(seed)
    torch.set_num_threads(int(os.environ.get("NUMBA_NUM_THREADS", torch.get_num_threads())))
    model, loss_fn, flat = MODELS[name](torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = torch.from_numpy(to_float(images, flatten=flat))
    rng = np.random.default_rng(seed)

    def step():
        x = data[torch.from_numpy(rng.integers(0, len(data), batch_size))]
        optimizer.zero_grad()
        loss_fn(model, x).backward()
        optimizer.step()
    return step


TORCH_INSTALL = "pip install torch==2.13.0"


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="the model to time, a name from 'python -m autoencoders models' "
                                      "(e.g. vae, conv, deep, recurrent), or m2 / m1m2 (the semi-"
                                      "supervised M2 on pixels / on 25-D codes, batch labelled + "
                                      "unlabelled; --set hidden=, latent=)")
    parser.add_argument("--set", dest="options", action="append", default=[], metavar="KEY=VALUE",
                        help="a model option, as in 'autoencoders train --set' (repeatable)")
    parser.add_argument("--batch-size", type=int, default=128, help="images per step (default: 128)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed steps first, for compiling and allocating (default: 5)")
    parser.add_argument("--steps", type=int, default=20, help="steps per timed block (default: 20)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed blocks per library; min and median are printed (default: 5)")
    parser.add_argument("--torch", action="store_true",
                        help=f"also time PyTorch's version (needs torch: {TORCH_INSTALL})")
    parser.add_argument("--json", metavar="FILE", help="also write the results to FILE as JSON")
    return parser


def check_torch(parser, model):
    """Exit with one line unless PyTorch is importable and has a version of ``model``."""
    from torch_reference import MODELS, available

    if not available():
        parser.exit(2, f"step_time.py: --torch needs PyTorch, which is not installed: {TORCH_INSTALL}\n")
    if model not in MODELS:
        parser.exit(2, f"step_time.py: --torch: no PyTorch version of {model!r}; "
                       f"there is one of {', '.join(MODELS)}\n")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.torch:
        check_torch(parser, args.model)
    config = dict(option.split("=", 1) for option in args.options)
    images, labels = load_dataset("mnist-5k", split="train")
    labels = labels.astype(np.int64)
    runs = [("minigrad", lambda: minigrad_step(args.model, config, images, labels, args.batch_size))]
    if args.torch:
        runs.append(("torch", lambda: torch_step(args.model, images, args.batch_size)))
    results = {}
    timed = time_steps({library: make() for library, make in runs}, args.warmup, args.steps, args.repeats)
    for library, (best, median) in timed.items():
        epoch = median * 60000 / args.batch_size / 1e3
        results[library] = {"min_ms": best, "median_ms": median}
        print(f"{library:8s} {args.model} {config or ''} batch {args.batch_size}: "
              f"ms/step min {best:.2f}, median {median:.2f}  (~{epoch:.1f} s per 60k-image epoch)")
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump({"model": args.model, "config": config, "batch_size": args.batch_size,
                       "path": mg.kernels.isa.path(), **results}, f, indent=1)


if __name__ == "__main__":
    main()
