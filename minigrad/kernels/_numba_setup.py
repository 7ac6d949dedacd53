"""Process-level set-up shared by the Numba kernels.

Three things here must happen early, before the first Numba compile and (for OpenBLAS) before NumPy
is loaded, so ``minigrad/kernels/__init__.py`` imports this module first.

1. ``OPENBLAS_THREAD_TIMEOUT``. After each ``np.matmul`` OpenBLAS keeps its worker threads spinning
   for a while; on a 2-core machine they then fight Numba's worker threads for the cores, and a
   matmul of n = 128 that follows an ``np.matmul`` becomes tens of times slower.  A small timeout makes OpenBLAS threads go to sleep almost at once.
   OpenBLAS reads the variable when it is loaded, i.e. when NumPy is first imported, so it only
   helps if ``minigrad`` (or ``minigrad.kernels``) is imported before NumPy.  ``setdefault`` keeps
   any value the user chose.

2. ``GOMP_SPINCOUNT``.  Numba's default threading layer here is OpenMP (libgomp), whose idle workers
   spin for ~300000 iterations after each ``prange``; that spinning starved OpenBLAS's threads
   (alternating np.matmul and our matmul at n = 128: 4 ms per call instead of 0.05 ms).  10000
   iterations keeps the wake-up latency of back-to-back kernels low while the fight disappears.
   libgomp reads it when Numba first loads its OpenMP pool (the first parallel kernel call).

3. The instruction-set path (``isa.configure``): which register tiles the kernels use and which
   instructions Numba may emit.  It must run before the first Numba compile, because Numba builds its
   LLVM target once per process; see isa.py.
"""
import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")   # OpenBLAS clamps to >= 4 (2**4 cycles)
os.environ.setdefault("GOMP_SPINCOUNT", "10000")         # see point 2 above

import numba  # noqa: E402
from numba.core import config  # noqa: E402

from . import isa  # noqa: E402

isa.configure()


class slp_only:
    """Context manager: compile with LLVM's SLP vectorizer on and the loop vectorizer off.

    Numba's defaults are the opposite.  On a register-blocked micro-kernel (accumulators held in
    local scalars) the loop vectorizer produced spills and mixed scalar code, while the SLP
    vectorizer packs the scalars into vector registers, about four times faster on one core
    (``python benchmarks/tile_sweep.py`` measures the micro-kernel).
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
