"""Training-step time of this checkout against another git revision, measured in one run.

    python benchmarks/compare_revisions.py vae --base HEAD~5
    python benchmarks/compare_revisions.py conv --base 1a2b3c4 --rounds 7

The base revision is checked out into a temporary git worktree. Then, round after round, each
tree runs its own ``benchmarks/step_time.py MODEL --json`` in a fresh process, alternating, so
that a slow spell of a shared machine hits both alike. Each process warms up first (the first
round also compiles each tree's kernels into its own cache). Printed: the fastest ms/step of each
tree over all rounds and their ratio, and the median of the per-round ratios (the two runs of
one round saw the same machine; on a noisy machine that median is the steadier figure). Below 1:
this checkout is faster. Both trees run this checkout's step_time.py (copied into the base tree),
so the same loop times both libraries, and models step_time.py learned later can be compared.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def step_ms(tree, model, options, steps, repeats):
    """The fastest ms/step of one step_time.py run in ``tree`` (a fresh process)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, str(tree / "benchmarks" / "step_time.py"), model, "--json", out.name,
                   "--steps", str(steps), "--repeats", str(repeats)]
        for option in options:
            command += ["--set", option]
        subprocess.run(command, cwd=tree, check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "PYTHONPATH": str(tree), "MINIGRAD_QUIET": "1"})
        return json.loads(Path(out.name).read_text())["minigrad"]["min_ms"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a model name, as for benchmarks/step_time.py (e.g. vae)")
    parser.add_argument("--base", required=True, help="the git revision to compare against")
    parser.add_argument("--set", dest="options", action="append", default=[], metavar="KEY=VALUE",
                        help="a model option, repeatable")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default: 5)")
    parser.add_argument("--steps", type=int, default=20, help="steps per timed block (default: 20)")
    parser.add_argument("--repeats", type=int, default=3, help="timed blocks per process (default: 3)")
    args = parser.parse_args(argv)
    base = subprocess.run(["git", "rev-parse", "--short", args.base], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), base], cwd=ROOT, check=True,
                       capture_output=True)
        shutil.copy(ROOT / "benchmarks" / "step_time.py", tree / "benchmarks" / "step_time.py")
        try:
            times = {"this": [], base: []}
            for round_ in range(args.rounds):
                for name, where in (("this", ROOT), (base, tree)):
                    times[name].append(step_ms(where, args.model, args.options, args.steps, args.repeats))
                print(f"round {round_ + 1}: this {times['this'][-1]:.2f} ms, {base} {times[base][-1]:.2f} ms",
                      file=sys.stderr)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False,
                           capture_output=True)
    this, before = min(times["this"]), min(times[base])
    paired = sorted(a / b for a, b in zip(times["this"], times[base]))
    print(f"{args.model}: this checkout {this:.2f} ms/step, {base} {before:.2f} ms/step, "
          f"ratio {this / before:.3f} (fastest of {args.rounds} rounds each); "
          f"median of the {args.rounds} same-round ratios {paired[len(paired) // 2]:.3f}")


if __name__ == "__main__":
    main()
