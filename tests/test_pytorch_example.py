"""examples/pytorch_style_mnist.py runs as documented, on a slice of the embedded digits."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_pytorch_style_example_trains_saves_and_reloads(tmp_path):
    out = tmp_path / "weights.npz"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "pytorch_style_mnist.py"), "--epochs", "2", "--limit", "600",
         "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT), "MINIGRAD_QUIET": "1"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    accuracies = [float(line.split("test accuracy ")[1].split("%")[0]) for line in lines]
    assert len(accuracies) == 3                     # two epochs, then the reloaded model
    assert accuracies[1] > 50.0                     # far above chance (10%) after 2 epochs on 600 digits
    assert accuracies[2] == accuracies[1]           # save + load keeps the model exactly
    assert out.is_file()
