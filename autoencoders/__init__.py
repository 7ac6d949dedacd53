"""Autoencoders hand-written on minigrad: models, data, training, applications.

minigrad is imported first on purpose: its kernels package sets the thread-pool
variables that OpenBLAS and OpenMP read when they load (before NumPy does).
"""
import minigrad  # noqa: F401  (must come before anything that imports NumPy)
