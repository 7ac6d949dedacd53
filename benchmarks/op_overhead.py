"""The engine's fixed cost per op, in microseconds, measured on tiny tensors.

    python benchmarks/op_overhead.py                      # table, and runs/benchmarks/op_overhead.md
    python benchmarks/op_overhead.py --ops add,mix --length 500 --repeats 5
    python benchmarks/op_overhead.py --out docs           # write the table into docs/ instead

Each row times a chain of ``--length`` ops of one kind, y = op(y), on float32
tensors of shape (4,) (matmul and the mix: (4, 4)). The arithmetic inside each
op then takes well under a microsecond, so what is measured is the engine's
own work: building a Function, checking dtypes, wrapping the result in a
Tensor, recording the graph, and in backward ordering the graph and routing
gradients. Ops with a second operand (add, mul, matmul) get a fresh leaf that
requires grad at every step, like the weights of a model.

Three modes are timed:

* ``no_grad``  the forward chain inside ``mg.no_grad()`` (no graph is built);
* ``record``   the forward chain from a leaf that requires grad (each op records itself);
* ``fwd+bwd``  the recorded forward chain, then ``backward`` from its end.

The same chain is also written in plain NumPy: the forward is each op's
arithmetic, fwd+bwd adds each op's vector-Jacobian product and a copy of every
leaf's gradient. minigrad - NumPy is the overhead per op: the engine's, plus
any Python an op runs around its arithmetic (sum's axis bookkeeping, the
dispatch into the Numba matmul kernel). Every time is the median over
``--repeats`` runs after ``--warmup`` runs, divided by the chain length.
"""
import argparse
import os
import platform
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import minigrad as mg  # noqa: E402

F32 = np.float32
REVERSE = slice(None, None, -1)  # the getitem index: x[::-1], a basic index keeping the shape


def np_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


# Each op: (shape of y, needs a per-step leaf operand?, minigrad step, NumPy forward, NumPy VJP).
# minigrad step: (y, w) -> new y.  NumPy forward: (y, w) -> new y.
# NumPy VJP: (g, y_in, y_out, w) -> (g for y_in, g for w or None).
OPS = {
    "add": ((4,), True, lambda y, w: y + w, lambda y, w: y + w,
            lambda g, y, out, w: (g, g)),
    "mul": ((4,), True, lambda y, w: y * w, lambda y, w: y * w,
            lambda g, y, out, w: (g * w, g * y)),
    "sigmoid": ((4,), False, lambda y, w: y.sigmoid(), lambda y, w: np_sigmoid(y),
                lambda g, y, out, w: (g * out * (1 - out), None)),
    "tanh": ((4,), False, lambda y, w: y.tanh(), lambda y, w: np.tanh(y),
             lambda g, y, out, w: (g * (1 - out * out), None)),
    "matmul": ((4, 4), True, lambda y, w: y @ w, lambda y, w: y @ w,
               lambda g, y, out, w: (g @ w.T, y.T @ g)),
    "getitem": ((4,), False, lambda y, w: y[REVERSE], lambda y, w: y[REVERSE],
                lambda g, y, out, w: (_scatter(g, y.shape), None)),
    "sum": ((4,), False, lambda y, w: y.sum(axis=-1, keepdims=True), lambda y, w: y.sum(axis=-1, keepdims=True),
            lambda g, y, out, w: (np.broadcast_to(g, y.shape), None)),  # (4,) -> (1,), then (1,) -> (1,)
}
MIX = ["add", "mul", "sigmoid", "tanh", "matmul", "getitem"]  # cycled on (4, 4) tensors


def _scatter(g, shape):
    dx = np.zeros(shape, dtype=g.dtype)
    dx[REVERSE] = g
    return dx


def operand(name, shape, rng):
    """A second operand that keeps values bounded along a long chain."""
    if name == "matmul":
        return np.eye(4, dtype=F32)
    if name == "mul":
        return np.ones(shape, dtype=F32)
    return rng.uniform(-1e-3, 1e-3, shape).astype(F32)


def make_chain(name, length, seed=0):
    """The list of op names of the chain, the start value, and each step's operand (or None)."""
    names = [MIX[i % len(MIX)] for i in range(length)] if name == "mix" else [name] * length
    shape = (4, 4) if name == "mix" else OPS[name][0]
    rng = np.random.default_rng(seed)
    start = rng.uniform(-1, 1, shape).astype(F32)
    operands = [operand(n, shape, rng) if OPS[n][1] else None for n in names]
    return names, start, operands


def minigrad_runs(names, start, operands):
    """Three functions timing the chain in minigrad: no_grad, record, fwd+bwd."""
    x = mg.Tensor(start, requires_grad=True)
    leaves = [None if w is None else mg.Tensor(w, requires_grad=True) for w in operands]
    steps = [OPS[n][2] for n in names]

    def forward():
        y = x
        for step, w in zip(steps, leaves):
            y = step(y, w)
        return y

    def no_grad():
        with mg.no_grad():
            forward()

    def fwd_bwd():
        y = forward()
        y.backward(np.ones(y.shape, dtype=F32))

    def reset():
        for t in [x] + leaves:
            if t is not None:
                t.grad = None

    return {"no_grad": no_grad, "record": forward, "fwd+bwd": fwd_bwd}, reset


def numpy_runs(names, start, operands):
    """The same chain in NumPy: the forward alone, and forward + VJPs + leaf-gradient copies."""
    forwards = [OPS[n][3] for n in names]
    vjps = [OPS[n][4] for n in names]

    def forward():
        y = start
        for f, w in zip(forwards, operands):
            y = f(y, w)
        return y

    def fwd_bwd():
        values = [start]
        for f, w in zip(forwards, operands):
            values.append(f(values[-1], w))
        g = np.ones(values[-1].shape, dtype=F32)
        leaf_grads = []
        for i in range(len(names) - 1, -1, -1):
            g, gw = vjps[i](g, values[i], values[i + 1], operands[i])
            if gw is not None:
                leaf_grads.append(gw.copy())
        leaf_grads.append(np.array(g, copy=True))
        return leaf_grads

    return {"forward": forward, "fwd+bwd": fwd_bwd}


def measure(name, length, warmup, repeats):
    """Microseconds per op in the five modes: the median over ``repeats`` runs after ``warmup``.

    The modes take turns run by run, so a burst of load from other processes
    falls on all of them alike and the differences stay meaningful.
    """
    names, start, operands = make_chain(name, length)
    runs, reset = minigrad_runs(names, start, operands)
    ref = numpy_runs(names, start, operands)
    runs.update({"np fwd": ref["forward"], "np fwd+bwd": ref["fwd+bwd"]})
    times = {mode: [] for mode in runs}
    for i in range(warmup + repeats):
        for mode, run in runs.items():
            reset()
            begin = time.perf_counter()
            run()
            if i >= warmup:
                times[mode].append(time.perf_counter() - begin)
    return {mode: float(np.median(t)) / length * 1e6 for mode, t in times.items()}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def table(rows):
    """Markdown table: minigrad and NumPy times, and their differences (the engine's overhead)."""
    lines = ["| op | no_grad | record | fwd+bwd | NumPy fwd | NumPy fwd+bwd | "
             "overhead no_grad | overhead record | overhead fwd+bwd |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['no_grad']:.2f} | {r['record']:.2f} | {r['fwd+bwd']:.2f} | "
                     f"{r['np fwd']:.2f} | {r['np fwd+bwd']:.2f} | {r['no_grad'] - r['np fwd']:.2f} | "
                     f"{r['record'] - r['np fwd']:.2f} | {r['fwd+bwd'] - r['np fwd+bwd']:.2f} |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", default=",".join(list(OPS) + ["mix"]),
                        help="comma-separated: " + ", ".join(list(OPS) + ["mix"]))
    parser.add_argument("--length", type=int, default=1000, help="ops per chain")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default=os.path.join(ROOT, "runs", "benchmarks"),
                        help="directory for op_overhead.md (default: runs/benchmarks in the repository)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.ops.split(",") if n.strip()]
    unknown = [n for n in names if n not in OPS and n != "mix"]
    if unknown:
        parser.error(f"unknown ops {unknown}; choose from {list(OPS) + ['mix']}")

    machine = (f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"NumPy {np.__version__}, kernels: {mg.kernels.backend()}")
    command = "python benchmarks/op_overhead.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"CPU: {machine}")
    print(f"microseconds per op, chains of {args.length}, median of {args.repeats} after {args.warmup} warm-up runs")
    rows = {}
    for name in names:
        rows[name] = measure(name, args.length, args.warmup, args.repeats)
    lines = table(rows)
    print("\n".join(lines))

    report = ["# Per-op overhead of the engine", "",
              f"Machine: {machine}", "",
              f"Command: `{command.strip()}`", "",
              f"Microseconds per op: chains of {args.length} ops on float32 tensors of shape (4,) "
              "(matmul and mix: (4, 4)), median of "
              f"{args.repeats} runs after {args.warmup} warm-up runs. 'overhead' = minigrad - NumPy "
              "(no_grad and record against the NumPy forward, fwd+bwd against the NumPy forward + VJPs); "
              f"mix cycles {', '.join(MIX)}.", ""] + lines
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "op_overhead.md")
    with open(path, "w") as f:
        f.write("\n".join(report) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
