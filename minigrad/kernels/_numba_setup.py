"""Process-level set-up shared by the Numba kernels.

Two things here must happen early, before the first Numba compile and (for OpenBLAS) before NumPy
is loaded, so ``minigrad/kernels/__init__.py`` imports this module first.

1. ``OPENBLAS_THREAD_TIMEOUT``. After each ``np.matmul`` OpenBLAS keeps its worker threads spinning
   for a while; on a 2-core machine they then fight Numba's worker threads and both get 80-170x
   slower at n = 128 (PERF-NOTES).  A small timeout makes OpenBLAS threads go to sleep almost at once.
   OpenBLAS reads the variable when it is loaded, i.e. when NumPy is first imported, so it only
   helps if ``minigrad`` (or ``minigrad.kernels``) is imported before NumPy.  ``setdefault`` keeps
   any value the user chose.

3. ``GOMP_SPINCOUNT``.  Numba's default threading layer here is OpenMP (libgomp), whose idle workers
   spin for ~300000 iterations after each ``prange``; that spinning starved OpenBLAS's threads
   (alternating np.matmul and our matmul at n = 128: 4 ms per call instead of 0.05 ms).  10000
   iterations keeps the wake-up latency of back-to-back kernels low while the fight disappears.
   libgomp reads it when Numba first loads its OpenMP pool (the first parallel kernel call).

2. 512-bit vectors.  LLVM's tuning for this CPU (znver4 and most Intel AVX-512 parts) sets the
   ``prefer-256-bit`` tuning flag, so the vectorizers emit 256-bit code even though 512-bit FMA units
   exist.  Passing the host's feature string plus ``-prefer-256-bit`` (Numba's ``CPU_FEATURES``) made
   our micro-kernel ~60% faster.  Numba builds one LLVM target machine per process, at its first
   compile, so this can only take effect if nothing was compiled before; otherwise we keep the
   default (correct, slower) and :func:`wide_vectors_enabled` says so.  It is only applied when the
   host reports ``+avx512f``; set ``MINIGRAD_WIDE_VECTORS=0`` to opt out.  The flag changes only the
   preferred vector width, never results, and enters Numba's cache key, so cached code for one
   setting is never loaded for the other.
"""
import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")   # OpenBLAS clamps to >= 4 (2**4 cycles)
os.environ.setdefault("GOMP_SPINCOUNT", "10000")         # see point 3 above

import numba  # noqa: E402
from numba.core import config  # noqa: E402

_wide = False


def _codegen_initialized():
    from numba.core.registry import cpu_target
    return "_toplevel_target_context" in cpu_target.__dict__


def _enable_wide_vectors():
    global _wide
    if os.environ.get("MINIGRAD_WIDE_VECTORS", "1") == "0":
        return
    if config.CPU_FEATURES is not None:      # user chose features explicitly: respect them
        _wide = "-prefer-256-bit" in config.CPU_FEATURES
        return
    try:
        import llvmlite.binding as ll
        feats = ll.get_host_cpu_features().flatten()
    except Exception:                          # pragma: no cover - exotic platforms
        return
    if "+avx512f" not in feats.split(","):
        return
    if _codegen_initialized():
        return
    config.CPU_FEATURES = feats + ",-prefer-256-bit"
    _wide = True


_enable_wide_vectors()


def wide_vectors_enabled():
    """True if Numba in this process compiles with 512-bit vectors preferred."""
    return _wide


class slp_only:
    """Context manager: compile with LLVM's SLP vectorizer on and the loop vectorizer off.

    Numba's defaults are the opposite.  On a register-blocked micro-kernel (accumulators held in
    local scalars) the loop vectorizer produced spills and mixed scalar code, while the SLP
    vectorizer packs the scalars into vector registers (PERF-NOTES: 25 -> 108 GFLOP/s on one core).
    The switches are read when Numba builds its pass managers, i.e. during ``dispatcher.compile``,
    so toggling them around an explicit compile scopes them to that one function.  The global
    compiler lock keeps other threads from compiling in between.
    """

    def __enter__(self):
        from numba.core.compiler_lock import global_compiler_lock
        self._lock = global_compiler_lock
        self._lock.acquire()
        self._saved = (config.LOOP_VECTORIZE, config.SLP_VECTORIZE)
        config.LOOP_VECTORIZE, config.SLP_VECTORIZE = 0, 1
        return self

    def __exit__(self, *exc):
        config.LOOP_VECTORIZE, config.SLP_VECTORIZE = self._saved
        self._lock.release()
        return False


def num_threads():
    return numba.get_num_threads()
