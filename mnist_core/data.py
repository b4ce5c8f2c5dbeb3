"""MNIST loading: the four original IDX files (gzipped or not) or Keras's mnist.npz, validated.

Search order (first hit wins):
  1. the `data_dir` argument,
  2. the MNIST_DATA_DIR environment variable,
  3. the Keras cache (~/.keras/datasets/mnist.npz),
  4. Keras's own download (needs internet; the files land in the Keras cache).

Every failure raises DatasetError whose message names the file and what is wrong.
"""

from __future__ import annotations

import gzip
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DatasetError, hide_paths, os_error_reason, shown_path
from .paths import keras_cache_dir

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
SIDE = 28

# split -> (images file stem, labels file stem, expected count)
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}
NPZ_NAME = "mnist.npz"


@dataclass(frozen=True)
class MnistData:
    """The dataset as uint8 arrays; images are white ink (255) on black (0)."""

    x_train: np.ndarray  # (60000, 28, 28) uint8
    y_train: np.ndarray  # (60000,) uint8
    x_test: np.ndarray  # (10000, 28, 28) uint8
    y_test: np.ndarray  # (10000,) uint8
    source: str = ""  # where it was read from, for display to anyone: a file or folder name, no server path
    path: str = ""  # the full path it was read from (the command line and the server log)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(images, labels) of 'train' or 'test'."""
        if name == "train":
            return self.x_train, self.y_train
        if name == "test":
            return self.x_test, self.y_test
        raise ValueError(f"unknown split {name!r}; use 'train' or 'test'")


# ---------------------------------------------------------------------------------------------
# IDX parsing

IMAGE_HEADER, LABEL_HEADER = 16, 8
ITEM_BYTES = {IMAGE_MAGIC: SIDE * SIDE, LABEL_MAGIC: 1}
# The most images (or labels) one file may claim: MNIST has 60,000 + 10,000; EMNIST-digits and QMNIST,
# the largest MNIST-format sets, 240,000 and 120,000. A header above this is refused before anything
# is unpacked, so a small file that unpacks to gigabytes costs nothing (300,000 images = 235 MB).
MAX_ITEMS = 300_000
NPZ_MAX_HEADER = 10_000  # bytes of an .npy header; numpy's own default limit


def _header_count(head: bytes, name: str, magic_wanted: int) -> int:
    """The item count of an IDX header, after checking its magic number (and 28x28 for images)."""
    kind = "image" if magic_wanted == IMAGE_MAGIC else "label"
    size = IMAGE_HEADER if magic_wanted == IMAGE_MAGIC else LABEL_HEADER
    if len(head) < size:
        raise DatasetError(f"{name}: too short for an IDX {kind} header ({len(head)} bytes).")
    magic, count = struct.unpack(">II", head[:8])
    if magic != magic_wanted:
        raise DatasetError(f"{name}: wrong magic number {magic} (an IDX {kind} file has {magic_wanted}).")
    if magic_wanted == IMAGE_MAGIC:
        rows, cols = struct.unpack(">II", head[8:16])
        if (rows, cols) != (SIDE, SIDE):
            raise DatasetError(f"{name}: images are {rows}x{cols}; MNIST images are {SIDE}x{SIDE}.")
    return count


def _check_length(length: int, count: int, name: str, magic: int) -> None:
    size = IMAGE_HEADER if magic == IMAGE_MAGIC else LABEL_HEADER
    expected = size + count * ITEM_BYTES[magic]
    if length != expected:
        what = "truncated" if length < expected else "has trailing bytes"
        items = "images" if magic == IMAGE_MAGIC else "labels"
        raise DatasetError(
            f"{name}: {what}: header says {count} {items} ({expected} bytes), file has {length} bytes."
        )


def parse_idx_images(buf: bytes, name: str = "images") -> np.ndarray:
    """IDX3 image bytes -> (N, 28, 28) uint8, validating magic, dimensions and length."""
    count = _header_count(buf, name, IMAGE_MAGIC)
    _check_length(len(buf), count, name, IMAGE_MAGIC)
    return np.frombuffer(buf, dtype=np.uint8, offset=IMAGE_HEADER).reshape(count, SIDE, SIDE)


def parse_idx_labels(buf: bytes, name: str = "labels") -> np.ndarray:
    """IDX1 label bytes -> (N,) uint8, validating magic, length and the 0-9 range."""
    count = _header_count(buf, name, LABEL_MAGIC)
    _check_length(len(buf), count, name, LABEL_MAGIC)
    labels = np.frombuffer(buf, dtype=np.uint8, offset=LABEL_HEADER)
    _check_labels(labels, name)
    return labels


def _unreadable(path: Path, err: OSError, label: str | None = None) -> DatasetError:
    """A DatasetError naming the file (not its folders) and saying why the system would not read it."""
    return DatasetError(f"{label or shown_path(path)}: cannot be read: {os_error_reason(err)}.")


def _read_idx(path: Path, magic: int) -> bytes:
    """The bytes of one IDX file (gunzipped when named .gz), reading no more than its header promises.

    The header is read first; a count above MAX_ITEMS is refused before anything else is unpacked,
    and a stream longer than the header says is refused after one byte too many: a small .gz that
    unpacks to gigabytes costs a few kilobytes of memory.
    """
    name = shown_path(path)
    size = IMAGE_HEADER if magic == IMAGE_MAGIC else LABEL_HEADER
    items = "images" if magic == IMAGE_MAGIC else "labels"
    try:
        with open(path, "rb") as raw:
            gzipped = path.suffix == ".gz"
            if gzipped and raw.read(2) != b"\x1f\x8b":
                raise DatasetError(f"{name}: is not a gzip file (it should be one, by its name).")
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
            head = stream.read(size)
            count = _header_count(head, name, magic)
            expected = size + count * ITEM_BYTES[magic]
            if count > MAX_ITEMS:
                raise DatasetError(
                    f"{name}: its header says {count:,} {items} ({expected / 2**20:,.0f} MB unpacked); MNIST has "
                    f"60,000 and the app reads at most {MAX_ITEMS:,}. The file is damaged or not MNIST "
                    "(nothing more of it was read)."
                )
            if not gzipped:  # the length is known without reading
                _check_length(os.fstat(raw.fileno()).st_size, count, name, magic)
            body = stream.read(expected - size + 1)  # one byte more than promised tells "too long"
            if len(body) > expected - size:
                raise DatasetError(
                    f"{name}: holds more data than its header says ({count:,} {items}, {expected:,} bytes); "
                    "the file is damaged or not MNIST (the rest was not unpacked)."
                )
            buf = head + body
            _check_length(len(buf), count, name, magic)
            if gzipped:
                stream.read(1)  # at the end: makes gzip check its CRC and length trailer
            return buf
    except DatasetError:
        raise
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise DatasetError(f"{name}: the gzip data is damaged or truncated ({hide_paths(str(err))}).") from err
    except OSError as err:
        raise _unreadable(path, err) from err


def _check_labels(labels: np.ndarray, name: str) -> None:
    if labels.size and int(labels.max()) > 9:
        bad = int(np.argmax(labels > 9))
        raise DatasetError(f"{name}: label {int(labels[bad])} at index {bad} is outside 0-9.")


def _check_pair(x: np.ndarray, y: np.ndarray, x_name: str, y_name: str) -> None:
    if len(x) != len(y):
        raise DatasetError(f"{x_name} has {len(x)} images but {y_name} has {len(y)} labels.")
    if len(x) == 0:
        raise DatasetError(f"{x_name}: holds no images.")


def _kind(path: Path, label: str | None = None) -> str | None:
    """'file', 'folder', 'other' or None (nothing there); DatasetError when the system will not say."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:  # a symbolic link loop, a folder the app may not enter, ...
        raise _unreadable(path, err, label) from err
    return "file" if stat.S_ISREG(mode) else "folder" if stat.S_ISDIR(mode) else "other"


def _find_idx(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        kind = _kind(candidate)
        if kind == "file":
            return candidate
        if kind is not None:
            raise DatasetError(f"{candidate.name}: is a {kind}, not a file.")
    return None


def load_idx_dir(folder: Path) -> MnistData:
    """Read the four IDX files from `folder` (each gzipped or not)."""
    arrays = {}
    for split, (img_stem, lbl_stem, _count) in IDX_FILES.items():
        img_path, lbl_path = _find_idx(folder, img_stem), _find_idx(folder, lbl_stem)
        missing = [s for s, p in ((img_stem, img_path), (lbl_stem, lbl_path)) if p is None]
        if missing:
            raise DatasetError(f"The MNIST folder {shown_path(folder)!r}: missing {', '.join(missing)} "
                               "(.gz or uncompressed).")
        x = parse_idx_images(_read_idx(img_path, IMAGE_MAGIC), img_path.name)
        y = parse_idx_labels(_read_idx(lbl_path, LABEL_MAGIC), lbl_path.name)
        _check_pair(x, y, img_path.name, lbl_path.name)
        arrays[split] = (x, y)
    return MnistData(*arrays["train"], *arrays["test"], source=f"{shown_path(folder)}/ (MNIST IDX files)",
                     path=str(folder))


# ---------------------------------------------------------------------------------------------
# mnist.npz

NPZ_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def _npz_member(zf: zipfile.ZipFile, key: str, name: str) -> np.ndarray:
    """One array of the .npz, its header checked before any of its data is allocated or unpacked."""
    member = f"{key}.npy"
    info = zf.getinfo(member)
    with zf.open(info) as fh:
        try:
            version = np.lib.format.read_magic(fh)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                raise ValueError(f"unknown .npy format version {version}")
            shape, fortran, dtype = read_header(fh, max_header_size=NPZ_MAX_HEADER)
        except Exception as err:  # noqa: BLE001 - numpy parses the header as Python: many kinds of failure
            raise DatasetError(f"{name}: the header of {key} is damaged ({hide_paths(str(err))[:200]}).") from err
        if dtype.hasobject:
            raise DatasetError(f"{name}: {key} holds pickled objects, which are not loaded for safety.")
        want = (3, (SIDE, SIDE), "uint8 (N, 28, 28)") if key.startswith("x") else (1, (), "integer (N,)")
        ok_type = dtype == np.uint8 if key.startswith("x") else (dtype.kind in "iu" and dtype.itemsize <= 8)
        if not ok_type or len(shape) != want[0] or tuple(shape[1:]) != want[1] or fortran:
            raise DatasetError(f"{name}: {key} is {dtype} {tuple(shape)}; expected {want[2]}.")
        if shape[0] > MAX_ITEMS:
            raise DatasetError(
                f"{name}: {key} claims {shape[0]:,} items; MNIST has 60,000 and the app reads at most "
                f"{MAX_ITEMS:,}. The file is damaged or not MNIST (nothing of it was unpacked)."
            )
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if info.file_size != fh.tell() + nbytes:
            raise DatasetError(f"{name}: {key} should hold {nbytes:,} bytes of data but its entry in the archive "
                               f"has {info.file_size - fh.tell():,}; the file is damaged.")
        data = fh.read(nbytes)
        if len(data) != nbytes:
            raise DatasetError(f"{name}: {key} is truncated.")
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def load_npz(path: Path) -> MnistData:
    """Read Keras's mnist.npz (x_train, y_train, x_test, y_test), never unpickling anything.

    Each array's .npy header (dtype, shape) is checked against MNIST before its data is read, so a
    header claiming a huge shape costs nothing.
    """
    path = Path(path)
    name = shown_path(path)
    kind = _kind(path)
    if kind is None:
        raise DatasetError(f"{name}: no such file.")
    if kind != "file":
        raise DatasetError(f"{name}: is a {kind}, not a file.")
    try:
        with zipfile.ZipFile(path) as zf:
            missing = {f"{k}.npy" for k in NPZ_ARRAYS} - set(zf.namelist())
            if missing:
                raise DatasetError(f"{name}: missing arrays {sorted(m[:-4] for m in missing)}.")
            arrays = {k: _npz_member(zf, k, name) for k in NPZ_ARRAYS}
    except DatasetError:
        raise
    except (EOFError, zlib.error, zipfile.BadZipFile, KeyError, ValueError, NotImplementedError) as err:
        raise DatasetError(f"{name}: is not a readable .npz file ({hide_paths(str(err))[:200]}).") from err
    except OSError as err:
        raise _unreadable(path, err) from err
    return _validated(arrays, name, path=str(path))


def _validated(arrays: dict[str, np.ndarray], name: str, path: str = "") -> MnistData:
    """Check dtype, shapes, label range and counts of the four arrays."""
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (SIDE, SIDE):
            raise DatasetError(f"{name}: x_{split} is {x.dtype} {x.shape}; expected uint8 (N, 28, 28).")
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise DatasetError(f"{name}: y_{split} is {y.dtype} {y.shape}; expected integer (N,).")
        if y.size and (int(y.min()) < 0 or int(y.max()) > 9):
            raise DatasetError(f"{name}: y_{split} has labels outside 0-9.")
        _check_pair(x, y, f"{name}:x_{split}", f"{name}:y_{split}")
    arrays = {k: (v.astype(np.uint8) if k.startswith("y") else v) for k, v in arrays.items()}
    return MnistData(**arrays, source=name, path=path or name)


def load_folder(folder: Path) -> MnistData:
    """IDX files if the folder has any, else mnist.npz."""
    folder = Path(folder).expanduser()
    label = f"The MNIST folder {shown_path(folder)!r}"
    kind = _kind(folder, label)
    if kind != "folder":
        what = "no such folder" if kind is None else f"is a {kind}, not a folder"
        raise DatasetError(f"{label}: {what}.")
    try:
        os.scandir(folder).close()  # a folder the app may not list: say so, rather than "missing"
    except OSError as err:
        raise _unreadable(folder, err, label) from err
    has_idx = any(_find_idx(folder, stem) for pair in IDX_FILES.values() for stem in pair[:2])
    if has_idx:
        return load_idx_dir(folder)
    if _kind(folder / NPZ_NAME) == "file":
        return load_npz(folder / NPZ_NAME)
    raise DatasetError(
        f"The MNIST folder {shown_path(folder)!r} holds neither the four MNIST IDX files "
        f"(train-images-idx3-ubyte.gz, ...) nor {NPZ_NAME}."
    )


def _download_with_keras() -> MnistData:
    """Keras's own download into its cache (needs internet)."""
    try:
        from keras.datasets import mnist  # lazy: TensorFlow costs seconds to import

        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    except Exception as err:  # noqa: BLE001 - any network/IO failure becomes one clear message
        raise DatasetError(
            "MNIST was not found and could not be downloaded "
            f"({type(err).__name__}: {hide_paths(str(err))[:200]}). Set MNIST_DATA_DIR to a folder holding the four "
            "MNIST IDX files (train-images-idx3-ubyte.gz, ...) or mnist.npz."
        ) from err
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return _validated(arrays, f"Keras download ({NPZ_NAME})", path=str(keras_cache_dir() / NPZ_NAME))


def find_local_source(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The first local place MNIST would be read from, or None (then load_mnist downloads)."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get("MNIST_DATA_DIR")
    if env:
        return Path(env).expanduser()
    npz = keras_cache_dir() / NPZ_NAME
    try:
        return npz if npz.is_file() else None
    except OSError:  # an unreadable home: as if there were no cache
        return None


def load_mnist(data_dir: str | os.PathLike | None = None, download: bool = True) -> MnistData:
    """Load MNIST, validated.

    Args:
        data_dir: a folder with the IDX files or mnist.npz; None searches MNIST_DATA_DIR, the Keras
            cache, then downloads with Keras.
        download: allow the last-resort Keras download.
    Returns:
        MnistData with uint8 arrays.
    Raises:
        DatasetError: nothing usable was found, or what was found is damaged.
    """
    source = find_local_source(data_dir)
    if source is not None:
        return load_npz(source) if source.suffix == ".npz" else load_folder(source)
    if not download:
        raise DatasetError(
            "MNIST was not found: set MNIST_DATA_DIR to a folder holding the four MNIST IDX files "
            f"or {NPZ_NAME}, or put {NPZ_NAME} in the Keras cache (~/.keras/datasets)."
        )
    return _download_with_keras()
