"""IDX reader/writer: round trips, gzip detection, and one clear error per bad file."""

import gzip
import re
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from autoencoders.data import DataError, IDXFormatError, read_idx, write_idx
from autoencoders.data.idx import encode_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@settings(max_examples=60, deadline=None)
@given(array=hnp.arrays(dtype=st.sampled_from(DTYPES),
                        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
                        elements={"allow_nan": False}),
       compress=st.booleans())
def test_round_trip(tmp_path_factory, array, compress):
    path = tmp_path_factory.mktemp("idx") / "a.idx"
    write_idx(path, array, gzip=compress)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.dtype.isnative
    assert back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    back[...] = 0  # the result is a writable copy


def test_big_endian_input_is_converted(tmp_path):
    array = np.arange(6, dtype=">i4").reshape(2, 3)
    write_idx(tmp_path / "a", array)
    back = read_idx(tmp_path / "a")
    assert back.dtype == np.dtype("int32") and back.dtype.isnative
    np.testing.assert_array_equal(back, [[0, 1, 2], [3, 4, 5]])


def test_header_layout_matches_the_spec():
    data = encode_idx(np.zeros((2, 3), np.uint8))
    assert data[:4] == b"\x00\x00\x08\x02"
    assert struct.unpack(">2I", data[4:12]) == (2, 3)
    assert len(data) == 12 + 6
    assert encode_idx(np.zeros(1, np.float64))[2] == 0x0E


def test_gzip_detected_by_magic_not_name(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "plain.gz", array, gzip=False)
    write_idx(tmp_path / "compressed.idx", array, gzip=True)
    assert (tmp_path / "compressed.idx").read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(tmp_path / "plain.gz"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "compressed.idx"), array)


def test_gzip_output_is_deterministic(tmp_path):
    array = np.arange(100, dtype=np.uint8)
    write_idx(tmp_path / "a.gz", array, gzip=True)
    write_idx(tmp_path / "b.gz", array, gzip=True)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_write_rejects_unsupported_arrays(tmp_path):
    with pytest.raises(TypeError, match="uint16"):
        write_idx(tmp_path / "a", np.zeros(3, np.uint16))
    with pytest.raises(ValueError, match="ndim=0"):
        write_idx(tmp_path / "a", np.array(3, np.uint8))


def header(code=0x08, shape=(2, 3)):
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


IMAGES = header(0x08, (2, 3)) + bytes(6)
BAD_FILES = {
    "bad_magic": (b"\x12\x34\x56\x78" + bytes(20),
                  "bad magic 0x12345678; an IDX file starts with two zero bytes"),
    "bad_type_code": (header(0x0A) + bytes(6), "unknown type code 0x0A"),
    "zero_dims": (b"\x00\x00\x08\x00", "number of dimensions is 0"),
    "too_short_for_magic": (b"\x00\x00", "file is 2 bytes long"),
    "truncated_header": (header(0x08, (2, 3, 4))[:10], "truncated header: 3 dimensions"),
    "truncated_data": (IMAGES[:-2],
                       r"expected 18 bytes \(12-byte header \+ 6 bytes of data\) "
                       r"for shape \(2, 3\) uint8, found 16"),
    "too_long": (IMAGES + b"\x00", "expected 18 bytes .* found (19|more)"),
    "float_truncated": (header(0x0D, (2,)) + bytes(7), r"for shape \(2,\) float32, found 15"),
}


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_name_problem_and_file(tmp_path, case, compress):
    data, message = BAD_FILES[case]
    path = tmp_path / f"{case}-idx3-ubyte"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(IDXFormatError, match=message) as info:
        read_idx(path)
    assert str(info.value).startswith(str(path) + ":")
    assert isinstance(info.value, ValueError) and isinstance(info.value, DataError)
    assert "\n" not in str(info.value)


def test_wrong_ndim_for_caller(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(IMAGES)
    with pytest.raises(IDXFormatError, match=r"labels-idx1-ubyte: expected a 1-dimensional "
                                             r"array, the header says 2 dimensions \(2, 3\)"):
        read_idx(path, ndim=1)


def test_corrupt_gzip_stream(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(IMAGES)[:-6])
    with pytest.raises(IDXFormatError, match="broken.gz: corrupt gzip stream"):
        read_idx(path)


def test_corrupt_deflate_data(tmp_path):
    """A valid gzip header followed by garbage deflate data (zlib.error inside gzip)."""
    path = tmp_path / "garbage.gz"
    path.write_bytes(gzip.compress(IMAGES)[:10] + b"\xff" * 40)
    with pytest.raises(IDXFormatError, match="garbage.gz: corrupt gzip stream"):
        read_idx(path)


# --- hostile headers: the promised size is checked before anything is read ----

def write_gzip_bomb(path, shape, body_bytes):
    """A small gzip file: an IDX header for ``shape``, then ``body_bytes`` zeros."""
    zeros = bytes(1 << 20)
    with gzip.open(path, "wb") as f:
        f.write(header(0x08, shape))
        for _ in range(body_bytes >> 20):
            f.write(zeros)


def test_gzip_bomb_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "bomb-idx3-ubyte.gz"
    write_gzip_bomb(path, (10, 28, 28), 64 << 20)
    assert path.stat().st_size < (1 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(IDXFormatError, match=r"bomb-idx3-ubyte.gz: expected 7856 bytes "
                                                 r".* for shape \(10, 28, 28\) uint8, found"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < (16 << 20), f"peak {peak} bytes while refusing a 64 MiB body"


@pytest.mark.parametrize("shape", [(2**31, 2**31, 4), (2**32 - 1,) * 3])
def test_shape_whose_size_overflows_int64(tmp_path, shape):
    """(2**31, 2**31, 4) has 2**64 items: 0 in int64 arithmetic, which must not pass."""
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(header(0x08, shape))
    tracemalloc.start()
    try:
        with pytest.raises(IDXFormatError, match=rf"huge-idx3-ubyte: the header promises "
                                                 rf"{np.prod(shape, dtype=object)} bytes "
                                                 rf"for shape {re.escape(str(shape))} uint8"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < (1 << 20)


def test_max_bytes_caps_the_promised_size(tmp_path):
    path = tmp_path / "a-idx2-ubyte"
    write_idx(path, np.zeros((10, 10), np.float32), gzip=True)
    with pytest.raises(IDXFormatError, match=r"promises 400 bytes .* more than the "
                                             r"limit of 399 bytes"):
        read_idx(path, max_bytes=399)
    assert read_idx(path, max_bytes=400).shape == (10, 10)
