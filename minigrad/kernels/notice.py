"""A one-line notice while Numba compiles kernels: the first run on a machine is slow, not stuck.

Numba compiles a kernel the first time it is called with new argument types and keeps the machine
code in its on-disk cache (``cache=True``), so later runs load it in well under a second.  A cold
start can take tens of seconds; without a word it looks like a hang.  :func:`announce_compiles`
wraps a kernel entry point: on its first call for each combination of argument dtypes it starts a
timer, and if the call is still running after ``DELAY`` seconds (a cache load finishes long before)
it prints to stderr

    minigrad: compiling kernels for this machine (first run only, cached afterwards) ...

and, when the call returns, ``done in 9.8 s``.  Later calls skip all of this (one dict lookup).
``MINIGRAD_QUIET=1`` silences it.
"""
import functools
import os
import sys
import threading
import time

import numpy as np

DELAY = 1.0
_lock = threading.Lock()
_active = {"depth": 0, "printed": False, "start": 0.0, "total": 0.0}


def _say(text, end="\n"):
    if os.environ.get("MINIGRAD_QUIET", "") not in ("", "0"):
        return
    sys.stderr.write(text + end)
    sys.stderr.flush()


def _notify():
    with _lock:
        if _active["depth"] and not _active["printed"]:
            first = _active["total"] == 0.0
            _say("minigrad: compiling kernels for this machine"
                 + (" (first run only, cached afterwards)" if first else "") + " ...", end="")
            _active["printed"] = True


class _Compiling:
    """Context: the outermost block starts the timer; nested blocks (a kernel calling a kernel) add
    nothing."""

    def __enter__(self):
        with _lock:
            _active["depth"] += 1
            if _active["depth"] > 1:
                return self
            _active["printed"] = False
            _active["start"] = time.perf_counter()
        self._timer = threading.Timer(DELAY, _notify)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc):
        with _lock:
            _active["depth"] -= 1
            if _active["depth"]:
                return False
            self._timer.cancel()
            spent = time.perf_counter() - _active["start"]
            if _active["printed"]:
                _active["total"] += spent
                _say(f" done in {spent:.1f} s")
        return False


def announce_compiles(fn):
    """Wrap ``fn`` so that its first call per tuple of argument dtypes may announce a compile."""
    seen = set()

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = tuple(a.dtype.char for a in args if isinstance(a, np.ndarray))
        if key in seen:
            return fn(*args, **kwargs)
        with _Compiling():
            result = fn(*args, **kwargs)
        seen.add(key)
        return result

    return wrapper


def compile_seconds():
    """Seconds this process spent in announced compiles so far (0.0 when everything was cached)."""
    return _active["total"]
