"""Switching gradient recording on and off.

Inside ``with no_grad():`` ops compute their values but build no graph, so
nothing is saved for backward and no memory is held. Evaluation, sampling and
optimizer updates run this way.
"""
import contextlib

_enabled = True


def is_grad_enabled():
    """True when new ops record themselves in the graph."""
    return _enabled


class no_grad(contextlib.ContextDecorator):
    """Context manager (and decorator) that turns graph recording off.

    >>> with no_grad():
    ...     y = model(x)          # y.requires_grad is False

    Each ``__enter__`` pushes the previous mode and each ``__exit__`` pops it,
    so one instance can be nested or decorate a recursive function.
    """

    mode = False

    def __init__(self):
        self._previous = []

    def __enter__(self):
        global _enabled
        self._previous.append(_enabled)
        _enabled = self.mode

    def __exit__(self, *exc):
        global _enabled
        _enabled = self._previous.pop()
        return False


class enable_grad(no_grad):
    """The opposite of ``no_grad``: record the graph even inside ``no_grad``."""

    mode = True
