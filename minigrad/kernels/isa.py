"""Which instruction-set path the kernels take on this machine, and the register tiles that fit it.

A register-blocked matmul keeps an MR x NR block of C in vector registers while it streams A and B
(see matmul.py).  How big that block can be depends on the vector unit:

============  ============================  ==========================  ==========================
path          machines                      registers                   float32 / float64 tile
============  ============================  ==========================  ==========================
``avx512``    Intel Skylake-SP and later,   32 x 512-bit (zmm)          8 x 32 / 8 x 16
              AMD Zen 4 and later                                       (16 accumulators)
``avx2``      Intel Haswell .. Alder Lake,  16 x 256-bit (ymm), FMA     3 x 32 / 3 x 16
              AMD Zen 1-3                                               (12 accumulators, B read
                                                                        straight from memory)
``generic``   everything else: ARM (NEON),  assume 16 x 128-bit         4 x 16 / 4 x 8
              older x86
============  ============================  ==========================  ==========================

The tiles are measured, not derived: ``benchmarks/tile_sweep.py`` times every candidate tile of a
path in isolation (one core, operands in L1) and docs/kernels.md lists the results.  On AVX2 the
"obvious" 6 x 16 tile (BLIS's Haswell choice: 12 accumulators + 2 B vectors + 1 broadcast = 15 of
16 registers) runs at 0.7x of 3 x 32, because LLVM's SLP vectorizer groups the FMAs by B vector and
keeps all six broadcasts alive at once, which spills; 3 x 32 uses the B vectors as memory operands
of the FMAs and needs only 13 registers.  An 8 x 32 tile (the AVX-512 choice) needs 32 registers
on a 16-register machine and runs at 0.6x.

The host is read from LLVM (the compiler Numba uses): ``avx512`` needs ``+avx512f``, ``avx2`` needs
``+avx2`` and ``+fma``.  ``MINIGRAD_ISA=avx512|avx2|generic`` forces a path, so the tests can check
every path on any machine.  Forcing a path does two things:

* it picks that path's tiles and blocking (always possible: the kernels are plain Python loops);
* on x86 it also restricts the *instructions* Numba may emit to what that path's machines have, as
  far as the host allows: ``avx2`` on an AVX-512 host turns every ``avx512*`` feature off, and
  ``generic`` turns AVX and FMA off too (SSE4.2, 128-bit vectors).  So a forced ``avx2`` run on an
  AVX-512 machine executes the same instruction mix as a real AVX2 machine.  A path *above* the host
  (``avx512`` on an AVX2 laptop) can only take the tiles: the instructions stay the host's.

On the ``avx512`` path Numba is also told to prefer 512-bit vectors: LLVM's tuning for most AVX-512
CPUs (Zen 4, Skylake-SP, Ice Lake) sets ``prefer-256-bit``, and 512-bit code made the micro-kernel
~60% faster on the machine where that was measured.

The features are Numba's ``CPU_FEATURES`` setting; Numba builds its LLVM target once per process, at
the first compile, so :func:`configure` runs when ``minigrad.kernels`` is imported and does nothing if
something was compiled before.  A user's own ``NUMBA_CPU_FEATURES`` is always respected.  The feature
string is part of Numba's cache key, so code cached for one path is never loaded for another.
"""
import os

import numpy as np

PATHS = ("avx512", "avx2", "generic")

# (MR, NR, KC, MC, NC) per path and dtype; see matmul.py for what each blocks.
TILES = {
    "avx512": {np.dtype(np.float32): (8, 32, 256, 128, 256),
               np.dtype(np.float64): (8, 16, 256, 128, 128)},
    "avx2": {np.dtype(np.float32): (3, 32, 256, 96, 256),
             np.dtype(np.float64): (3, 16, 256, 96, 128)},
    "generic": {np.dtype(np.float32): (4, 16, 256, 128, 256),
                np.dtype(np.float64): (4, 8, 256, 128, 128)},
}

# x86 features each path must not use when it is forced below the host.
_ABOVE_AVX2 = ("avx512", "amx", "evex512", "avx10")
_ABOVE_GENERIC = _ABOVE_AVX2 + ("avx", "fma", "f16c", "vaes", "vpclmulqdq", "gfni")

_state = {"path": None, "host": None, "features": None, "forced": False}


def host_features():
    """The host's CPU features as LLVM names them: a dict name -> bool (empty if unknown)."""
    try:
        import llvmlite.binding as ll
        return dict(ll.get_host_cpu_features())
    except Exception:                    # pragma: no cover - platforms where LLVM cannot tell
        return {}


def detect(features):
    """The best path for a machine with these LLVM feature flags."""
    if features.get("avx512f"):
        return "avx512"
    if features.get("avx2") and features.get("fma"):
        return "avx2"
    return "generic"


def requested():
    """The path named by ``MINIGRAD_ISA``, or None when it is unset (or 'auto')."""
    value = os.environ.get("MINIGRAD_ISA", "").strip().lower()
    if value in ("", "auto"):
        return None
    if value not in PATHS:
        raise ValueError(f"MINIGRAD_ISA must be one of {', '.join(PATHS)} or auto, got {value!r}")
    return value


def feature_string(path, features):
    """Numba ``CPU_FEATURES`` for running ``path`` on a host with ``features``, or None for Numba's
    own default (the host's features and LLVM's tuning)."""
    if not features:
        return None
    host = detect(features)
    if path == "avx512" and host == "avx512":
        return _flags(features, ()) + ",-prefer-256-bit"
    if PATHS.index(path) <= PATHS.index(host):
        return None                      # the path is the host's best, or above it: nothing to turn off
    drop = _ABOVE_AVX2 if path == "avx2" else _ABOVE_GENERIC
    return _flags(features, drop)


def _flags(features, drop):
    on = lambda name: features[name] and not name.startswith(drop)   # noqa: E731
    return ",".join(("+" if on(name) else "-") + name for name in sorted(features))


def configure():
    """Choose the path for this process and set Numba's code generation to match (once)."""
    if _state["path"] is not None:
        return _state["path"]
    from numba.core import config
    from numba.core.registry import cpu_target

    features = host_features()
    forced = requested()
    path = forced or detect(features)
    _state.update(path=path, host=detect(features) if features else "generic", forced=forced is not None)
    compiled_already = "_toplevel_target_context" in cpu_target.__dict__
    if config.CPU_FEATURES is None and not compiled_already:
        config.CPU_FEATURES = feature_string(path, features)
    _state["features"] = config.CPU_FEATURES
    return path


def path():
    """The instruction-set path in use: 'avx512', 'avx2' or 'generic'."""
    return configure()


def tiles(dtype):
    """(MR, NR, KC, MC, NC) of the path in use for ``dtype`` (float32 or float64)."""
    return TILES[path()][np.dtype(dtype)]


def describe():
    """One line for benchmarks and notices: the path, why it was taken, and what code Numba emits."""
    p, host, feats = path(), _state["host"], _state["features"]
    how = "forced by MINIGRAD_ISA" if _state["forced"] else "detected"
    if PATHS.index(p) < PATHS.index(host):
        code = f"tiles only: this host has no {p} instructions"
    elif feats is None:
        code = "host instructions" + (" (code generation was fixed before the path was chosen)"
                                      if p != host else "")
    elif feats.endswith("-prefer-256-bit"):
        code = "host instructions, 512-bit vectors preferred"
    else:
        code = f"instructions limited to {p}"
    return f"kernel path {p} ({how}; host {host}; {code})"
