"""Every instruction-set path computes the same products: each path forced in its own process.

The path is fixed when ``minigrad.kernels`` is imported (Numba builds its code generator once per
process), so each forced path runs in a subprocess with ``MINIGRAD_ISA`` set; the three run at the
same time.  Inside, every kernel whose blocking depends on the path (matmul, batched matmul, and
the convolutions that pack straight into matmul's panels) is compared with its NumPy reference.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from minigrad.kernels import isa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHECK_ALL_KERNELS = r"""
import json, sys
import numpy as np
import minigrad.kernels as K
from minigrad.kernels import isa

rng = np.random.default_rng(7)
worst = {}

def record(name, got, ref, dt):
    assert got.dtype == dt and got.shape == ref.shape, (name, got.dtype, got.shape, ref.shape)
    scale = max(float(np.abs(ref).max()) if ref.size else 1.0, 1.0)
    err = float(np.abs(got - ref).max()) / scale if ref.size else 0.0
    worst[name] = max(worst.get(name, 0.0), err)

def layouts(a):
    big = np.zeros((a.shape[0] * 2, a.shape[1] * 3), a.dtype)
    big[::2, ::3] = a
    return [a, np.asfortranarray(a), np.ascontiguousarray(a.T).T, big[::2, ::3]]

for dt in (np.float32, np.float64):
    name = np.dtype(dt).name
    MR, NR = isa.tiles(dt)[:2]
    # every remainder of the tile edges, plus k longer than one KC block
    for M, Kd, N in [(1, 1, 1), (MR - 1 or 1, 5, NR + 1), (MR + 1, 300, 2 * NR - 1),
                     (2 * MR + 1, 513, 3 * NR + 5), (97, 64, 200), (130, 257, 70)]:
        a = rng.standard_normal((M, Kd)).astype(dt)
        b = rng.standard_normal((Kd, N)).astype(dt)
        ref = K.matmul_reference(a, b)
        for la, lb in zip(layouts(a), reversed(layouts(b))):
            for parallel in (False, True):
                record("matmul " + name, K.matmul(la, lb, parallel=parallel), ref, dt)
    a = rng.standard_normal((3, 2 * MR + 1, 40)).astype(dt)
    b = rng.standard_normal((3, 40, NR + 3)).astype(dt)
    record("batched_matmul " + name, K.batched_matmul(a, b), K.batched_matmul_reference(a, b), dt)
    for size, stride, pad in ((9, 1, 1), (9, 2, 0), (12, 1, 1)):     # 12: the tiled weight gradient
        x = rng.standard_normal((3, 4, size, size - 1)).astype(dt)
        w = rng.standard_normal((5, 4, 3, 3)).astype(dt)
        hw = x.shape[2:]
        y = K.conv2d_forward_reference(x, w, stride, pad)
        gy = rng.standard_normal(y.shape).astype(dt)
        record("conv2d_forward " + name, K.conv2d_forward(x, w, stride, pad), y, dt)
        record("conv2d_backward_input " + name, K.conv2d_backward_input(gy, w, hw, stride, pad),
               K.conv2d_backward_input_reference(gy, w, hw, stride, pad), dt)
        record("conv2d_backward_weight " + name, K.conv2d_backward_weight(x, gy, (3, 3), stride, pad),
               K.conv2d_backward_weight_reference(x, gy, (3, 3), stride, pad), dt)
print(json.dumps({"path": isa.path(), "describe": isa.describe(), "worst": worst}))
"""

TOL = {"float32": 1e-5, "float64": 1e-12}


@pytest.fixture(scope="module")
def forced_runs():
    """Run the check once per path, all three processes at once; {path: parsed output}."""
    procs = {}
    for path in isa.PATHS:
        env = dict(os.environ, MINIGRAD_ISA=path)
        env.pop("NUMBA_CPU_FEATURES", None)
        procs[path] = subprocess.Popen([sys.executable, "-c", CHECK_ALL_KERNELS], cwd=ROOT, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = {}
    for path, proc in procs.items():
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"MINIGRAD_ISA={path} failed:\n{err[-3000:]}"
        results[path] = json.loads(out.strip().splitlines()[-1])
    return results


@pytest.mark.parametrize("path", isa.PATHS)
def test_every_kernel_matches_reference_on_forced_path(forced_runs, path):
    run = forced_runs[path]
    assert run["path"] == path
    assert f"kernel path {path} (forced by MINIGRAD_ISA" in run["describe"]
    assert len(run["worst"]) == 10                  # 5 kernels x 2 dtypes all ran
    for name, err in run["worst"].items():
        assert err <= TOL[name.split()[-1]], (path, name, err)


AVX512_HOST = {"sse4.2": True, "avx": True, "avx2": True, "fma": True, "f16c": True,
               "avx512f": True, "avx512bw": True, "avx512vl": True, "evex512": True}
AVX2_HOST = {k: (v and not k.startswith(("avx512", "evex"))) for k, v in AVX512_HOST.items()}
ARM_HOST = {"neon": True, "fp-armv8": True, "crc": True}


def _on(flags):
    return {f[1:] for f in flags.split(",") if f.startswith("+")}


def test_detect_reads_llvm_feature_names():
    assert isa.detect(AVX512_HOST) == "avx512"
    assert isa.detect(AVX2_HOST) == "avx2"
    assert isa.detect(dict(AVX2_HOST, fma=False)) == "generic"    # AVX2 without FMA: no FMA tiles
    assert isa.detect(ARM_HOST) == "generic"
    assert isa.detect({}) == "generic"


def test_forcing_a_lower_path_turns_off_the_instructions_above_it():
    wide = isa.feature_string("avx512", AVX512_HOST)
    assert wide.endswith(",-prefer-256-bit") and "avx512f" in _on(wide)
    avx2 = _on(isa.feature_string("avx2", AVX512_HOST))
    assert {"avx2", "fma", "avx"} <= avx2 and not any(f.startswith(("avx512", "evex")) for f in avx2)
    generic = _on(isa.feature_string("generic", AVX512_HOST))
    assert "sse4.2" in generic and not any(f.startswith(("avx", "fma", "evex")) for f in generic)


def test_the_host_path_and_paths_above_it_keep_numbas_defaults():
    assert isa.feature_string("avx2", AVX2_HOST) is None           # the host's own best path
    assert isa.feature_string("avx512", AVX2_HOST) is None         # above the host: tiles only
    assert isa.feature_string("avx2", ARM_HOST) is None
    assert isa.feature_string("generic", ARM_HOST) is None
    assert isa.feature_string("generic", {}) is None


def test_every_path_has_tiles_for_both_dtypes():
    for path in isa.PATHS:
        for dt in (np.float32, np.float64):
            MR, NR, KC, MC, NC = isa.TILES[path][np.dtype(dt)]
            assert MC % MR == 0 and NC % NR == 0 and KC > 0, (path, dt)


@pytest.mark.parametrize("value", ["sse", "AVX-2", "neon"])
def test_unknown_isa_name_is_one_clear_error(monkeypatch, value):
    monkeypatch.setenv("MINIGRAD_ISA", value)
    with pytest.raises(ValueError, match=f"MINIGRAD_ISA must be one of avx512, avx2, generic.*{value.lower()!r}"):
        isa.requested()


def test_auto_and_case_are_accepted(monkeypatch):
    monkeypatch.setenv("MINIGRAD_ISA", "auto")
    assert isa.requested() is None
    monkeypatch.setenv("MINIGRAD_ISA", " AVX2 ")
    assert isa.requested() == "avx2"
