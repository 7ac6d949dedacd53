"""The compile notice: said once per new argument dtype while a slow first call runs, then silent."""
import time

import numpy as np
import pytest

from minigrad.kernels import notice


@pytest.fixture
def fast_notice(monkeypatch):
    monkeypatch.setattr(notice, "DELAY", 0.05)
    monkeypatch.delenv("MINIGRAD_QUIET", raising=False)


def _slow_first_call():
    calls = []

    @notice.announce_compiles
    def kernel(x):
        if not calls:
            time.sleep(0.3)          # stands in for Numba compiling
        calls.append(x.dtype)
        return x * 2

    return kernel


def test_a_slow_first_call_is_announced_once(fast_notice, capsys):
    kernel = _slow_first_call()
    np.testing.assert_array_equal(kernel(np.ones(3, np.float32)), np.full(3, 2, np.float32))
    err = capsys.readouterr().err
    assert err.startswith("minigrad: compiling kernels for this machine")
    assert err.rstrip().endswith(" s") and "done in 0." in err
    kernel(np.ones(3, np.float32))
    assert capsys.readouterr().err == ""


def test_a_fast_first_call_says_nothing(fast_notice, capsys):
    @notice.announce_compiles
    def kernel(x):
        return x

    kernel(np.ones(2))
    assert capsys.readouterr().err == ""


def test_quiet_silences_the_notice(fast_notice, monkeypatch, capsys):
    monkeypatch.setenv("MINIGRAD_QUIET", "1")
    _slow_first_call()(np.ones(2, np.float64))
    assert capsys.readouterr().err == ""
