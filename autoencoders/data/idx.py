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

Reading never trusts the file: the header is read first, the promised size
``prod(shape) * itemsize`` is computed with Python ints (no int64 wrap-around)
and checked against a cap, and then exactly that many bytes are read into a
preallocated array, so a small gzip file that expands to gigabytes costs no
more memory than the array its header promises.
"""

import contextlib
import gzip as gzip_module
import math
import os
import struct
import zlib

import numpy as np

from .errors import IDXFormatError

GZIP_MAGIC = b"\x1f\x8b"
MAX_IDX_BYTES = 2 << 30  # 2 GiB of array data; MNIST's largest file holds 47,040,000
READ_CHUNK = 1 << 20     # bytes per read, bounding gzip's temporary buffers
CORRUPT_GZIP = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError

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


def _describe_codes():
    return ", ".join(f"0x{code:02X} ({dt.newbyteorder('=').name})"
                     for code, dt in TYPE_CODES.items())


def _native_name(dtype):
    return dtype.newbyteorder("=").name


@contextlib.contextmanager
def _open_stream(path):
    """Yield (stream, compressed): a gunzipping stream if the file starts with 1f 8b."""
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            yield raw, False
            return
        with gzip_module.GzipFile(fileobj=raw, mode="rb") as stream:
            yield stream, True


def _read_magic(stream, path):
    """Bytes 0-3, ``00 00 <type code> <ndim>``, -> (big-endian dtype, ndim)."""
    head = stream.read(4)
    if len(head) < 4:
        raise IDXFormatError(f"{path}: file is {len(head)} bytes long; an IDX "
                             "header needs at least 4 (magic number)")
    magic = int.from_bytes(head, "big")
    code, ndim = head[2], head[3]
    if head[:2] != b"\x00\x00":
        raise IDXFormatError(
            f"{path}: bad magic 0x{magic:08X}; an IDX file starts with two zero "
            "bytes, a type code and the number of dimensions")
    if code not in TYPE_CODES:
        raise IDXFormatError(f"{path}: bad magic 0x{magic:08X}: unknown type code "
                             f"0x{code:02X}; expected one of {_describe_codes()}")
    if ndim == 0:
        raise IDXFormatError(f"{path}: bad magic 0x{magic:08X}: the number of "
                             "dimensions is 0; an IDX array needs at least 1")
    return TYPE_CODES[code], ndim


def read_header(stream, path="<stream>"):
    """Read and check an IDX header; return (big-endian dtype, shape, header size)."""
    dtype, ndim = _read_magic(stream, path)
    header_size = 4 + 4 * ndim
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise IDXFormatError(
            f"{path}: truncated header: {ndim} dimensions need a {header_size}-byte "
            f"header, but the file has only {4 + len(dims)} bytes")
    return dtype, struct.unpack(f">{ndim}I", dims), header_size


def _size_error(path, dtype, shape, header_size, found):
    nbytes = math.prod(shape) * dtype.itemsize
    return IDXFormatError(
        f"{path}: expected {header_size + nbytes} bytes ({header_size}-byte header + "
        f"{nbytes} bytes of data) for shape {shape} {_native_name(dtype)}, found {found}")


def _read_into(stream, buffer):
    """Fill ``buffer`` from ``stream`` in READ_CHUNK pieces; return the bytes read."""
    view = memoryview(buffer)
    filled = 0
    while filled < len(view):
        n = stream.readinto(view[filled:filled + READ_CHUNK])
        if not n:
            break
        filled += n
    return filled


def _read_array(stream, path, ndim, max_bytes, compressed):
    """The header, the checks on the size it promises, then exactly that many bytes."""
    dtype, shape, header_size = read_header(stream, path)
    if ndim is not None and len(shape) != ndim:
        raise IDXFormatError(f"{path}: expected a {ndim}-dimensional array, "
                             f"the header says {len(shape)} dimensions {shape}")
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if nbytes > max_bytes:
        raise IDXFormatError(f"{path}: the header promises {nbytes} bytes for shape "
                             f"{shape} {_native_name(dtype)}, more than the limit of "
                             f"{max_bytes} bytes")
    size = None if compressed else os.fstat(stream.fileno()).st_size
    if size is not None and size != header_size + nbytes:
        raise _size_error(path, dtype, shape, header_size, size)
    data = np.empty(nbytes, np.uint8)
    got = _read_into(stream, data)
    if got < nbytes:
        raise _size_error(path, dtype, shape, header_size, header_size + got)
    if stream.read(1):
        raise _size_error(path, dtype, shape, header_size, "more")
    array = data.view(dtype.newbyteorder("=")).reshape(shape)
    return array if dtype.isnative else array.byteswap(inplace=True)


def read_idx(path, ndim=None, max_bytes=MAX_IDX_BYTES):
    """Read an IDX file (gzip-compressed or plain) into a native-endian array.

    ``ndim``, if given, is the number of dimensions the caller expects;
    ``max_bytes`` caps the array data the header may promise.
    Raises IDXFormatError naming the file and what is wrong with it.
    """
    path = os.fspath(path)
    with _open_stream(path) as (stream, compressed):
        try:
            return _read_array(stream, path, ndim, max_bytes, compressed)
        except CORRUPT_GZIP as err:
            if not compressed:
                raise
            raise IDXFormatError(f"{path}: corrupt gzip stream ({err})") from None


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
