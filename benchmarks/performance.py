"""Run every speed benchmark and write the performance page from what it measured.

    python benchmarks/performance.py                 # writes runs/benchmarks/performance.md
    python benchmarks/performance.py --out docs      # regenerates docs/performance.md
    python benchmarks/performance.py --quick         # smaller sizes, for a first look (~5 min)

What it runs, one benchmark at a time (never two at once: the machine has few cores):

1. ``bench_kernels.py`` on the host's instruction-set path (see minigrad/kernels/isa.py): matmul
   against np.matmul and torch, the conv-autoencoder layers against im2col + np.matmul and torch,
   and cold / cached compile times.
2. On an AVX-512 host, the same again with ``MINIGRAD_ISA=avx2``, and OpenBLAS and PyTorch limited to
   AVX2 too (``OPENBLAS_CORETYPE=Haswell``, ``ATEN_CPU_CAPABILITY=avx2``, ``ONEDNN_MAX_CPU_ISA=AVX2``,
   ``MKL_ENABLE_INSTRUCTIONS=AVX2``): every library then runs AVX2 code only, the way it runs on an
   AVX2 laptop.  It is an emulation (the caches and clock are this machine's), and the page says so.
3. ``step_time.py`` for the VAE, the conv autoencoder and the recurrent autoencoder against the same
   networks in PyTorch, on each of those paths.

The prose that explains the numbers lives in ``performance_notes.md`` beside this file and is copied
into the page after the generated tables.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = ("vae", "conv", "recurrent")

# Targets of the speed issue, checked against each run.
MATMUL_SQUARE, MATMUL_MLP, MATMUL_F64 = 0.8, 0.7, 0.7
CONV_VS_TORCH = 0.6
STEP_VS_TORCH = {"vae": 1.0, "conv": 1.5, "recurrent": 2.0}
COLD_COMPILE_S, CACHED_COMPILE_S = 15.0, 1.0


def run(cmd, env=None):
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, env=env)
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")


def host_path():
    out = subprocess.run([sys.executable, "-c", "import minigrad.kernels as K; print(K.isa.path())"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()[-1]


def measure(work, quick):
    """Run the benchmarks; return {path: {"kernels": ..., "steps": {model: ...}, "emulated": bool}}."""
    paths = [host_path()]
    if paths[0] == "avx512":
        paths.append("avx2")
    results = {}
    for i, path in enumerate(paths):
        emulated = path != paths[0]
        env = dict(os.environ, MINIGRAD_ISA=path) if emulated else dict(os.environ)
        if emulated:     # every library limited to AVX2: OpenBLAS, and torch's ATen, oneDNN and MKL
            env.update(OPENBLAS_CORETYPE="Haswell", ATEN_CPU_CAPABILITY="avx2", ONEDNN_MAX_CPU_ISA="AVX2",
                       MKL_ENABLE_INSTRUCTIONS="AVX2")
        folder = os.path.join(work, path)
        os.makedirs(folder, exist_ok=True)
        cmd = [sys.executable, "benchmarks/bench_kernels.py", "--out", folder] + (["--quick"] if quick else [])
        run(cmd, env)
        with open(os.path.join(folder, "kernels.json")) as f:
            kernels = json.load(f)
        steps = {}
        for model in MODELS:
            target = os.path.join(folder, f"step_{model}.json")
            run([sys.executable, "benchmarks/step_time.py", model, "--torch", "--json", target]
                + (["--steps", "10", "--repeats", "3"] if quick else []), env)
            with open(target) as f:
                steps[model] = json.load(f)
        results[path] = {"kernels": kernels, "steps": steps, "emulated": emulated}
    return results


def _ratio_rows(kernels, dtype, pick):
    return [r for r in kernels["matmul"] if r["dtype"] == dtype and pick(r)]


def _ratios(rows):
    return [r["numpy"] / r["minigrad"] for r in rows]


def _fmt(values):
    return ", ".join(f"{v:.2f}" for v in values)


def _met(ok):
    return "yes" if ok else "**no**"


def targets_table(results):
    paths = list(results)
    head = "| target | " + " | ".join(_path_title(p, results[p]) for p in paths) + " |"
    lines = [head, "|---|" + "---|" * len(paths)]

    def row(name, cell):
        lines.append(f"| {name} | " + " | ".join(cell(results[p]) for p in paths) + " |")

    def square(r):
        ratios = _ratios(_ratio_rows(r["kernels"], "float32", lambda m: not m["note"] and int(m["shape"].split("x")[0]) >= 256))
        return f"{_fmt(ratios)} ({_met(min(ratios) >= MATMUL_SQUARE)})"

    def mlp(r):
        ratios = _ratios(_ratio_rows(r["kernels"], "float32", lambda m: m["note"] and "head" not in m["note"]))
        return f"{min(ratios):.2f}-{max(ratios):.2f} ({_met(min(ratios) >= MATMUL_MLP)})"

    def f64(r):
        ratios = _ratios(_ratio_rows(r["kernels"], "float64", lambda m: int(m["shape"].split("x")[0]) >= 128
                                     and "head" not in m["note"]))
        return f"{min(ratios):.2f}-{max(ratios):.2f} ({_met(min(ratios) >= MATMUL_F64)})"

    def conv(r):
        ms = {k: sum(sum(layer["ms"][k]) for layer in r["kernels"]["conv"]) for k in ("minigrad", "torch")}
        x = ms["torch"] / ms["minigrad"]
        return f"{ms['minigrad']:.1f} vs {ms['torch']:.1f} ms = {x:.2f}x ({_met(x >= CONV_VS_TORCH)})"

    def step(model):
        def cell(r):
            s = r["steps"][model]
            x = s["minigrad"]["min_ms"] / s["torch"]["min_ms"]
            return (f"{s['minigrad']['min_ms']:.1f} vs {s['torch']['min_ms']:.1f} ms = {x:.2f}x "
                    f"({_met(x <= STEP_VS_TORCH[model])})")
        return cell

    def compile_time(phase, limit):
        def cell(r):
            times = r["kernels"]["compile_s"][phase]
            if not times:
                return "-"
            t = next(v for k, v in times.items() if k.startswith("quick start"))
            return f"{t:.2f} s ({_met(t < limit)})"
        return cell

    row(f"matmul float32 >= {MATMUL_SQUARE}x OpenBLAS, n = 256..2048", square)
    row(f"matmul float32 >= {MATMUL_MLP}x at the MLP shapes", mlp)
    row(f"matmul float64 >= {MATMUL_F64}x (n >= 128 and MLP shapes)", f64)
    row(f"conv-AE layers fwd+bwd >= {CONV_VS_TORCH}x PyTorch (batch {results[paths[0]]['kernels']['conv_batch']})", conv)
    for model in MODELS:
        row(f"{model} training step <= {STEP_VS_TORCH[model]}x PyTorch", step(model))
    row(f"cold compile of the quick start's kernels < {COLD_COMPILE_S:.0f} s", compile_time("cold", COLD_COMPILE_S))
    row(f"the same from the cache < {CACHED_COMPILE_S:.0f} s", compile_time("cached", CACHED_COMPILE_S))
    return lines


def _path_title(path, r):
    return f"path `{path}`" + (" (AVX2 emulated on this CPU, OpenBLAS Haswell kernel)" if r["emulated"] else " (native)")


def detail_tables(results):
    lines = []
    for path, r in results.items():
        k = r["kernels"]
        lines += ["", f"### {_path_title(path, r)}", "", f"`{k['machine']}`", "",
                  "matmul, GFLOP/s, 2 threads (ratio > 1: minigrad faster):", "",
                  "| dtype | shape | note | minigrad | np.matmul | torch | minigrad / numpy |",
                  "|---|---|---|---:|---:|---:|---:|"]
        for m in k["matmul"]:
            gf = lambda t: m["flops"] / t / 1e9 if t else float("nan")   # noqa: E731
            lines.append(f"| {m['dtype']} | {m['shape']} | {m['note']} | {gf(m['minigrad']):.1f} | "
                         f"{gf(m['numpy']):.1f} | {gf(m['torch']):.1f} | {m['numpy'] / m['minigrad']:.2f} |")
        lines += ["", f"conv-autoencoder layers, float32, batch {k['conv_batch']}, ms (fwd / bwd = input + weight "
                  "gradients):", "", "| layer | minigrad | im2col + np.matmul | torch | torch / minigrad |",
                  "|---|---:|---:|---:|---:|"]
        for layer in k["conv"]:
            ms = layer["ms"]
            cell = lambda v: f"{v[0]:.2f} / {v[1]:.2f}"   # noqa: E731
            lines.append(f"| {layer['layer']} | {cell(ms['minigrad'])} | {cell(ms['im2col+np.matmul'])} | "
                         f"{cell(ms['torch'])} | {sum(ms['torch']) / sum(ms['minigrad']):.2f}x |")
        lines += ["", "training step, batch 128, ms per step: fastest block (median block in brackets):", "",
                  "| model | minigrad | torch | minigrad / torch |", "|---|---:|---:|---:|"]
        for model, s in r["steps"].items():
            lines.append(f"| {model} | {s['minigrad']['min_ms']:.1f} ({s['minigrad']['median_ms']:.1f}) | "
                         f"{s['torch']['min_ms']:.1f} ({s['torch']['median_ms']:.1f}) | "
                         f"{s['minigrad']['min_ms'] / s['torch']['min_ms']:.2f}x |")
        comp = k["compile_s"]
        if comp["cold"]:
            lines += ["", "JIT compile, s (cold: empty cache; cached: second process):", "",
                      "| what | cold | cached |", "|---|---:|---:|"]
            for name in comp["cold"]:
                lines.append(f"| {name} | {comp['cold'][name]:.2f} | {comp['cached'][name]:.2f} |")
    return lines


def render(results, quick):
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "python benchmarks/performance.py --out docs" + (" --quick" if quick else "")
    first = next(iter(results.values()))["kernels"]["machine"]
    lines = ["# Performance", "",
             f"Generated by `{cmd}` on {when}. Machine: {first.split(';')[0]}.", "",
             "Every figure below comes from that one run: each benchmark in its own process, one after "
             "another, ratios taken within the same process; a time is the fastest of several repeats "
             "(kernels) or of several blocks of steps (training), each implementation timed in its own "
             "block after its predecessor's threads went idle. Nothing here is asserted by the tests "
             "(they check correctness only).", "", "## Against the targets", ""]
    lines += targets_table(results)
    with open(os.path.join(HERE, "performance_notes.md")) as f:
        lines += ["", f.read().rstrip()]
    lines += ["", "## The full tables"]
    lines += detail_tables(results)
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("runs", "benchmarks"),
                        help="folder for performance.md (default runs/benchmarks; 'docs' regenerates the docs page)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--from-json", metavar="FILE", help="render from saved results instead of measuring")
    args = parser.parse_args(argv)
    work = os.path.join(ROOT, "runs", "benchmarks", "performance")
    if args.from_json:
        with open(args.from_json) as f:
            results = json.load(f)
    else:
        results = measure(work, args.quick)
        os.makedirs(work, exist_ok=True)
        with open(os.path.join(work, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
    os.makedirs(args.out, exist_ok=True)
    target = os.path.join(args.out, "performance.md")
    with open(target, "w") as f:
        f.write(render(results, args.quick))
    print("wrote", target)


if __name__ == "__main__":
    main()
