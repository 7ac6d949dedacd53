"""set_flush_denormal: subnormal floats become 0 while it is on, in NumPy and in the kernels, for
this thread and threads started later; the context manager restores the setting before it."""
import platform
import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad import kernels as K

x86 = platform.machine().lower() in ("x86_64", "amd64")
SUB = np.float32(1e-39)                 # subnormal in float32 (tiny is 1.18e-38)


@pytest.mark.skipif(not x86, reason="MXCSR is an x86-64 register; elsewhere the call returns False")
def test_flushing_turns_subnormals_into_zero_and_is_restored():
    assert not mg.flush_denormal()
    assert np.float32([SUB])[0] * np.float32(1) == SUB
    with mg.flushing_denormals():
        assert mg.flush_denormal()
        assert np.float32([SUB])[0] * np.float32(1) == 0                  # DAZ: read as 0
        assert np.float32([1e-30]) * np.float32(1e-10) == 0               # FTZ: made as 0
        a = np.full((40, 40), SUB, np.float32)
        np.testing.assert_array_equal(K.matmul(a, np.ones((40, 40), np.float32)), 0)
        seen = []
        worker = threading.Thread(target=lambda: seen.append(mg.flush_denormal()))
        worker.start()
        worker.join()
        assert seen == [True]
    assert not mg.flush_denormal()
    assert np.float32([SUB])[0] * np.float32(1) == SUB


def test_set_flush_denormal_reports_support():
    try:
        assert mg.set_flush_denormal(True) is x86
        assert mg.flush_denormal() is x86
    finally:
        mg.set_flush_denormal(False)
    assert not mg.flush_denormal()


def test_the_cli_restores_the_setting(tmp_path):
    from autoencoders.cli import main
    assert main(["models"]) == 0
    assert not mg.flush_denormal()
