"""Datasets for the autoencoders: IDX files, MNIST / Fashion-MNIST, batches.

Pure NumPy + standard library; nothing here depends on minigrad.

    from autoencoders.data import load_dataset, Batches
    images, labels = load_dataset("mnist-5k", split="train")   # offline
    for x, y in Batches(images, labels, batch_size=128, seed=0):
        ...  # x float32 (B, 1, 28, 28) in [0, 1], y int64 (B,)
"""

from .batches import Batches, iterate_batches, num_batches, to_float
from .datasets import (DATA_ENV_VAR, DATASET_NAMES, DATASETS, Dataset, DatasetSpec,
                       default_cache_dir, describe_datasets, load_dataset,
                       load_split, resolve_data_dir)
from .download import download_file, file_digest
from .embedded import load_embedded, stratified_split
from .errors import (DataError, DataFileMissing, DataPathError, DownloadError,
                     IDXFormatError)
from .idx import MAX_IDX_BYTES, read_idx, write_idx

__all__ = [
    "Batches", "iterate_batches", "num_batches", "to_float",
    "DATA_ENV_VAR", "DATASET_NAMES", "DATASETS", "Dataset", "DatasetSpec",
    "default_cache_dir", "describe_datasets", "load_dataset", "load_split", "resolve_data_dir",
    "download_file", "file_digest",
    "load_embedded", "stratified_split",
    "DataError", "DataFileMissing", "DataPathError", "DownloadError", "IDXFormatError",
    "MAX_IDX_BYTES", "read_idx", "write_idx",
]
