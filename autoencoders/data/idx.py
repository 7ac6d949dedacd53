"""Read and write IDX files, the format MNIST and Fashion-MNIST ship in.

An IDX file is a header followed by raw array data, all big-endian::

    byte 0-1   0x00 0x00          two zero bytes
    byte 2     type code          0x08 uint8, 0x09 int8, 0x0B int16,
                                  0x0C int32, 0x0D float32, 0x0E float64
    byte 3     ndim               number of dimensions (1 or more)
    then       ndim x uint32      the size of each dimension, big-endian
    then       data               prod(shape) items, C order, big-endian

So the MNIST training images start ``00 00 08 03 | 00 00 EA 60 | 00 00 00 1C |
00 00 00 1C``: uint8, 3 dimensions, shape (60000, 28, 28), then 47,040,000
pixel bytes. The files are usually gzip-compressed; ``read_idx`` recognises
gzip by its magic bytes ``1f 8b``, not by the file name.
"""

import gzip as gzip_module
import os
import struct

import numpy as np

GZIP_MAGIC = b"\x1f\x8b"

# type code -> big-endian dtype as stored in the file
TYPE_CODES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
CODE_OF_KIND = {(dt.kind, dt.itemsize): code for code, dt in TYPE_CODES.items()}


class IDXFormatError(ValueError):
    """An IDX file is malformed; the message names the file and the problem."""


def _describe_codes():
    return ", ".join(f"0x{code:02X} ({dt.newbyteorder('=').name})"
                     for code, dt in TYPE_CODES.items())


def _read_bytes(path):
    """The file's bytes, gunzipped if the file starts with the gzip magic."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip_module.decompress(raw)
    except (OSError, EOFError) as err:
        raise IDXFormatError(f"{path}: corrupt gzip stream ({err})") from None


def parse_header(data, path="<bytes>"):
    """Parse and check an IDX header; return (big-endian dtype, shape, header size)."""
    if len(data) < 4:
        raise IDXFormatError(f"{path}: file is {len(data)} bytes long; an IDX "
                             "header needs at least 4 (magic number)")
    magic = int.from_bytes(data[:4], "big")
    if data[0] != 0 or data[1] != 0:
        raise IDXFormatError(
            f"{path}: bad magic 0x{magic:08X}; an IDX file starts with two zero "
            "bytes, a type code and the number of dimensions")
    code, ndim = data[2], data[3]
    if code not in TYPE_CODES:
        raise IDXFormatError(f"{path}: bad magic 0x{magic:08X}: unknown type code "
                             f"0x{code:02X}; expected one of {_describe_codes()}")
    if ndim == 0:
        raise IDXFormatError(f"{path}: bad magic 0x{magic:08X}: the number of "
                             "dimensions is 0; an IDX array needs at least 1")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXFormatError(
            f"{path}: truncated header: {ndim} dimensions need a {header_size}-byte "
            f"header, but the file has only {len(data)} bytes")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    return TYPE_CODES[code], shape, header_size


def read_idx(path, ndim=None):
    """Read an IDX file (gzip-compressed or plain) into a native-endian array.

    ``ndim``, if given, is the number of dimensions the caller expects.
    Raises IDXFormatError naming the file and what is wrong with it.
    """
    path = os.fspath(path)
    data = _read_bytes(path)
    dtype, shape, header_size = parse_header(data, path)
    if ndim is not None and len(shape) != ndim:
        raise IDXFormatError(f"{path}: expected a {ndim}-dimensional array, "
                             f"the header says {len(shape)} dimensions {shape}")
    count = int(np.prod(shape, dtype=np.int64))
    expected = header_size + count * dtype.itemsize
    if len(data) != expected:
        native = dtype.newbyteorder("=").name
        raise IDXFormatError(
            f"{path}: expected {expected} bytes ({header_size}-byte header + "
            f"{count * dtype.itemsize} bytes of data) for shape {shape} {native}, "
            f"found {len(data)}")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header_size)
    return array.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def encode_idx(array):
    """The bytes of an IDX file holding ``array`` (uncompressed)."""
    array = np.asarray(array)
    code = CODE_OF_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {array.dtype}; supported: "
                        f"{_describe_codes()}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX needs an array with 1 to 255 dimensions, got ndim={array.ndim}")
    if max(array.shape) >= 2**32:
        raise ValueError(f"IDX dimensions must be below 2**32, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()
    return header + body


def write_idx(path, array, gzip=False):
    """Write ``array`` to ``path`` as an IDX file, gzip-compressed if ``gzip``.

    Compression uses mtime=0 so equal arrays give byte-identical files.
    """
    data = encode_idx(array)
    if gzip:
        data = gzip_module.compress(data, mtime=0)
    with open(path, "wb") as f:
        f.write(data)
