"""Switching gradient recording on and off.

Inside ``with no_grad():`` ops compute their values but build no graph, so
nothing is saved for backward and no memory is held. Evaluation, sampling and
optimizer updates run this way.
"""
import contextlib
import functools

_enabled = True


def is_grad_enabled():
    """True when new ops record themselves in the graph."""
    return _enabled


@contextlib.contextmanager
def _set_grad_enabled(mode):
    global _enabled
    previous, _enabled = _enabled, bool(mode)
    try:
        yield
    finally:
        _enabled = previous


class no_grad(contextlib.ContextDecorator):
    """Context manager (and decorator) that turns graph recording off.

    >>> with no_grad():
    ...     y = model(x)          # y.requires_grad is False
    """

    def __enter__(self):
        self._ctx = _set_grad_enabled(False)
        self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


class enable_grad(no_grad):
    """The opposite of ``no_grad``: record the graph even inside ``no_grad``."""

    def __enter__(self):
        self._ctx = _set_grad_enabled(True)
        self._ctx.__enter__()
