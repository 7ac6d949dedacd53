"""Time matmul's micro-kernel for candidate register tiles, one instruction-set path at a time.

    python benchmarks/tile_sweep.py                      # the host's path
    python benchmarks/tile_sweep.py --path avx2          # that path's instructions (see kernels/isa.py)
    python benchmarks/tile_sweep.py --path avx2 --tiles 6x16 3x32 14x8

One core, packed operands that stay in L1 (KC = 256), the kernel called 20,000 times from compiled
code (a call from Python costs more than one tile's work), best of 5.  The float64 tile of an
"MRxNR" entry is MR x NR/2, since a vector holds half as many doubles.  This is the measurement
behind the tiles in ``minigrad/kernels/isa.py``; the whole matmul is timed by bench_kernels.py.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TILES = ["8x32", "6x32", "4x32", "3x32", "14x16", "8x16", "6x16", "4x16", "14x8", "12x8", "8x8"]


def sweep(tiles, kc=256, calls=20000):
    sys.path.insert(0, ROOT)
    import numpy as np
    import numba
    from numba import njit

    import minigrad.kernels  # noqa: F401  (chooses the path and Numba's code generation first)
    from minigrad.kernels import isa
    from minigrad.kernels._numba_setup import slp_only
    mm = sys.modules["minigrad.kernels.matmul"]

    print(isa.describe(), flush=True)
    rows = []
    for dt in (np.float32, np.float64):
        for tile in tiles:
            mr, nr = (int(v) for v in tile.split("x"))
            nr = nr if dt == np.float32 else max(1, nr // 2)
            mk = mm._make_microkernel(mr, nr)
            ty = numba.from_dtype(dt)
            start = time.perf_counter()
            with slp_only():
                mk.compile(mm._mk_sig(ty))
            compile_s = time.perf_counter() - start

            @njit
            def repeat(a, b, out, n, zero):
                for _ in range(n):
                    mk(a, b, out, zero, zero)   # offsets as values: literal zeros de-vectorize (matmul.py)

            rng = np.random.default_rng(0)
            a = rng.random((kc, mr)).astype(dt)
            b = rng.random((kc, nr)).astype(dt)
            out = np.empty((mr, nr), dt)
            repeat(a, b, out, 1, 0)
            np.testing.assert_allclose(out, a.T @ b, rtol=1e-4)
            best = min(_timed(repeat, a, b, out, calls, 0) for _ in range(5))
            gflops = 2.0 * kc * mr * nr * calls / best / 1e9
            rows.append((np.dtype(dt).name, f"{mr}x{nr}", gflops, compile_s))
            print(f"{rows[-1][0]:8s} {rows[-1][1]:6s} {gflops:7.1f} GFLOP/s   compile {compile_s:4.1f} s", flush=True)
    return isa.describe(), rows


def _timed(f, *args):
    start = time.perf_counter()
    f(*args)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", choices=["avx512", "avx2", "generic"], help="force this path (default: the host's)")
    parser.add_argument("--tiles", nargs="+", default=DEFAULT_TILES, metavar="MRxNR")
    parser.add_argument("--out", default=os.path.join("runs", "benchmarks"),
                        help="folder for tile_sweep-<path>.md (default runs/benchmarks)")
    args = parser.parse_args(argv)
    if args.path and os.environ.get("MINIGRAD_ISA", "").lower() != args.path:
        env = dict(os.environ, MINIGRAD_ISA=args.path)
        return subprocess.call([sys.executable] + sys.argv, env=env)
    describe, rows = sweep(args.tiles)
    os.makedirs(args.out, exist_ok=True)
    name = describe.split()[2]
    path = os.path.join(args.out, f"tile_sweep-{name}.md")
    with open(path, "w") as f:
        f.write(f"# Micro-kernel tiles: {describe}\n\nCommand: `python benchmarks/tile_sweep.py"
                f"{' --path ' + args.path if args.path else ''}`; one core, operands in L1.\n\n"
                "| dtype | tile | GFLOP/s | compile s |\n|---|---|---:|---:|\n")
        for dt, tile, gflops, compile_s in rows:
            f.write(f"| {dt} | {tile} | {gflops:.1f} | {compile_s:.1f} |\n")
    print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
