"""Flush-to-zero: let the CPU treat subnormal floats as 0, as ``torch.set_flush_denormal`` does.

Numbers below the smallest normal float (1.2e-38 in float32, 2.2e-308 in float64) are stored
with fewer significant bits ("subnormal" or "denormal"). Intel CPUs handle an operation that
reads or makes one on a slow microcode path: on the Xeon of our runs a (1000 x 784) @ (784 x 500)
float32 product with half of one operand subnormal took 440 ms in OpenBLAS instead of 2.5 ms.
Training makes them by itself: the gradient of a Bernoulli decoder at pixels that are black in
every image, multiplied by a classifier's near-zero probability of a wrong label, lies far below
1e-38. Two bits of the SSE control register MXCSR switch the CPU to treat them as 0 instead:
FTZ (bit 15, results that would be subnormal become 0) and DAZ (bit 6, subnormal inputs read
as 0). Every value that changes is below the smallest normal number in absolute size.

The register belongs to a thread; threads started afterwards copy it (Linux starts a thread with
its parent's floating-point state), so the setting reaches NumPy, the serial kernels and Numba's
thread pool when it is made before they start. x86-64 only: elsewhere ``set_flush_denormal``
changes nothing and returns False (ARM's cores handle subnormals at full speed).
"""
import contextlib
import platform

import numpy as np

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .notice import announce_compiles

FTZ, DAZ = 1 << 15, 1 << 6
SUPPORTED = platform.machine().lower() in ("x86_64", "amd64")


def _mxcsr_call(builder, name, slot):
    fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()])
    fn = cgutils.get_or_insert_function(builder.module, fnty, name)
    builder.call(fn, [builder.bitcast(slot, ir.IntType(8).as_pointer())])


@intrinsic
def _stmxcsr(typingctx):
    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once(builder, ir.IntType(32))
        _mxcsr_call(builder, "llvm.x86.sse.stmxcsr", slot)
        return builder.load(slot)
    return types.uint32(), codegen


@intrinsic
def _ldmxcsr(typingctx, value):
    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once_value(builder, args[0])
        _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", slot)
        return context.get_dummy_value()
    return types.void(types.uint32), codegen


@njit(cache=True)
def _read():
    return _stmxcsr()


@njit(cache=True)
def _write(value):
    _ldmxcsr(value)


@announce_compiles
def flush_denormal():
    """True when this thread flushes subnormals to 0 (FTZ and DAZ both set)."""
    return SUPPORTED and (int(_read()) & (FTZ | DAZ)) == (FTZ | DAZ)


@announce_compiles
def set_flush_denormal(mode):
    """Turn flushing subnormals to 0 on (True) or off (False) for this thread and the threads it
    starts later; returns True when the CPU supports it (x86-64), as PyTorch's function does."""
    if not SUPPORTED:
        return False
    value = int(_read())
    _write(np.uint32(value | FTZ | DAZ if mode else value & ~(FTZ | DAZ)))
    return True


@contextlib.contextmanager
def flushing_denormals(mode=True):
    """Inside the block, subnormals flush to 0 (``mode`` True) or not; the setting before is
    restored after it."""
    before = flush_denormal()
    set_flush_denormal(mode)
    try:
        yield
    finally:
        set_flush_denormal(before)
