"""No kernel reads or writes outside its arrays: the kernels run once with Numba's bounds checking.

Compiled kernels do not check indices, so an off-by-one in a copy loop silently corrupts memory
next to the array (it happened once in the im2col panels: a padded edge zeroed a pixel of the next
row).  Here a subprocess compiles every kernel with ``NUMBA_BOUNDSCHECK=1`` into a temporary cache
and runs it on many small random geometries (odd sizes, large paddings, dilations, strides,
groups); any out-of-range index raises IndexError, and every result is also compared with the
NumPy reference.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = r"""
import numpy as np
import minigrad.kernels as K

rng = np.random.default_rng(3)

def close(name, got, ref):
    assert got.shape == ref.shape, (name, got.shape, ref.shape)
    err = np.abs(got - ref).max() if ref.size else 0.0
    assert err <= 1e-9 * max(1.0, np.abs(ref).max()), (name, err)

for trial in range(60):
    G = int(rng.choice([1, 1, 1, 2]))
    N = int(rng.integers(1, 4))
    Cg, Og = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    KH, KW = (int(v) for v in rng.integers(1, 4, 2))
    s = tuple(int(v) for v in rng.integers(1, 3, 2))
    d = tuple(int(v) for v in rng.integers(1, 3, 2))
    p = tuple(int(v) for v in rng.integers(0, 4, 2))
    H, W = (int(v) for v in rng.integers(1, 12, 2))
    if K.conv_output_size(H, KH, s[0], p[0], d[0]) < 1 or K.conv_output_size(W, KW, s[1], p[1], d[1]) < 1:
        continue
    x = rng.standard_normal((N, Cg * G, H, W))
    w = rng.standard_normal((Og * G, Cg, KH, KW))
    y = K.conv2d_forward_reference(x, w, s, p, d, G)
    gy = rng.standard_normal(y.shape)
    close("conv2d_forward", K.conv2d_forward(x, w, s, p, d, G), y)
    close("conv2d_backward_input", K.conv2d_backward_input(gy, w, (H, W), s, p, d, G),
          K.conv2d_backward_input_reference(gy, w, (H, W), s, p, d, G))
    close("conv2d_backward_weight", K.conv2d_backward_weight(x, gy, (KH, KW), s, p, d, G),
          K.conv2d_backward_weight_reference(x, gy, (KH, KW), s, p, d, G))

for N, C, O, H, W, p in [(2, 4, 5, 12, 12, 1), (3, 3, 34, 11, 13, 0), (1, 5, 3, 16, 9, 2)]:
    x = rng.standard_normal((N, C, H, W))          # long rows: the tiled flat weight gradient
    w = rng.standard_normal((O, C, 3, 3))
    gy = rng.standard_normal(K.conv2d_forward_reference(x, w, 1, p).shape)
    close("conv2d_backward_weight (tiled)", K.conv2d_backward_weight(x, gy, (3, 3), 1, p),
          K.conv2d_backward_weight_reference(x, gy, (3, 3), 1, p))

for M, Kd, N in [(1, 1, 1), (7, 3, 33), (17, 300, 5), (40, 9, 70)]:
    a, b = rng.standard_normal((M, Kd)), rng.standard_normal((Kd, N))
    close("matmul", K.matmul(a, b), K.matmul_reference(a, b))
    close("matmul T", K.matmul(np.ascontiguousarray(a.T).T, b.T.copy().T), K.matmul_reference(a, b))

for shape in [(2, 3, 5, 7), (1, 1, 4, 4), (3, 2, 9, 6)]:
    x = rng.standard_normal(shape)
    y, arg = K.max_pool2d_forward(x, 2)
    yr, argr = K.max_pool2d_forward_reference(x, 2)
    close("max_pool2d_forward", y, yr)
    g = rng.standard_normal(y.shape)
    close("max_pool2d_backward", K.max_pool2d_backward(g, arg, x.shape), K.max_pool2d_backward_reference(g, argr, x.shape))
    close("avg_pool2d_forward", K.avg_pool2d_forward(x, 2), K.avg_pool2d_forward_reference(x, 2))
    close("upsample_nearest_forward", K.upsample_nearest_forward(x, 2), K.upsample_nearest_forward_reference(x, 2))
print("ok")
"""


def test_kernels_stay_inside_their_arrays():
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=cache, MINIGRAD_QUIET="1")
        proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.strip().endswith("ok")
