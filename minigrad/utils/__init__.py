"""Utilities outside the engine: ``minigrad.utils.data`` (datasets and batch loading)."""
from . import data
