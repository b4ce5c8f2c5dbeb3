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
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DatasetError
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
    source: str = ""  # where it was read from, for display

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(images, labels) of 'train' or 'test'."""
        if name == "train":
            return self.x_train, self.y_train
        if name == "test":
            return self.x_test, self.y_test
        raise ValueError(f"unknown split {name!r}; use 'train' or 'test'")


# ---------------------------------------------------------------------------------------------
# IDX parsing


def _read_bytes(path: Path) -> bytes:
    """Whole file contents, transparently gunzipped when the name ends in .gz."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DatasetError(f"{path}: cannot be read ({err.strerror or err}).") from err
    if path.suffix != ".gz":
        return raw
    if raw[:2] != b"\x1f\x8b":
        raise DatasetError(f"{path}: is not a gzip file (it should be one, by its name).")
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise DatasetError(f"{path}: the gzip data is damaged or truncated ({err}).") from err


def parse_idx_images(buf: bytes, name: str = "images") -> np.ndarray:
    """IDX3 image bytes -> (N, 28, 28) uint8, validating magic, dimensions and length."""
    if len(buf) < 16:
        raise DatasetError(f"{name}: too short for an IDX image header ({len(buf)} bytes).")
    magic, count, rows, cols = struct.unpack(">IIII", buf[:16])
    if magic != IMAGE_MAGIC:
        raise DatasetError(f"{name}: wrong magic number {magic} (an IDX image file has {IMAGE_MAGIC}).")
    if (rows, cols) != (SIDE, SIDE):
        raise DatasetError(f"{name}: images are {rows}x{cols}; MNIST images are {SIDE}x{SIDE}.")
    expected = 16 + count * rows * cols
    if len(buf) != expected:
        what = "truncated" if len(buf) < expected else "has trailing bytes"
        raise DatasetError(
            f"{name}: {what}: header says {count} images ({expected} bytes), file has {len(buf)} bytes."
        )
    return np.frombuffer(buf, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def parse_idx_labels(buf: bytes, name: str = "labels") -> np.ndarray:
    """IDX1 label bytes -> (N,) uint8, validating magic, length and the 0-9 range."""
    if len(buf) < 8:
        raise DatasetError(f"{name}: too short for an IDX label header ({len(buf)} bytes).")
    magic, count = struct.unpack(">II", buf[:8])
    if magic != LABEL_MAGIC:
        raise DatasetError(f"{name}: wrong magic number {magic} (an IDX label file has {LABEL_MAGIC}).")
    expected = 8 + count
    if len(buf) != expected:
        what = "truncated" if len(buf) < expected else "has trailing bytes"
        raise DatasetError(
            f"{name}: {what}: header says {count} labels ({expected} bytes), file has {len(buf)} bytes."
        )
    labels = np.frombuffer(buf, dtype=np.uint8, offset=8)
    _check_labels(labels, name)
    return labels


def _check_labels(labels: np.ndarray, name: str) -> None:
    if labels.size and int(labels.max()) > 9:
        bad = int(np.argmax(labels > 9))
        raise DatasetError(f"{name}: label {int(labels[bad])} at index {bad} is outside 0-9.")


def _check_pair(x: np.ndarray, y: np.ndarray, x_name: str, y_name: str) -> None:
    if len(x) != len(y):
        raise DatasetError(f"{x_name} has {len(x)} images but {y_name} has {len(y)} labels.")
    if len(x) == 0:
        raise DatasetError(f"{x_name}: holds no images.")


def _find_idx(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


def load_idx_dir(folder: Path) -> MnistData:
    """Read the four IDX files from `folder` (each gzipped or not)."""
    arrays = {}
    for split, (img_stem, lbl_stem, _count) in IDX_FILES.items():
        img_path, lbl_path = _find_idx(folder, img_stem), _find_idx(folder, lbl_stem)
        missing = [s for s, p in ((img_stem, img_path), (lbl_stem, lbl_path)) if p is None]
        if missing:
            raise DatasetError(f"{folder}: missing {', '.join(missing)} (.gz or uncompressed).")
        x = parse_idx_images(_read_bytes(img_path), str(img_path))
        y = parse_idx_labels(_read_bytes(lbl_path), str(lbl_path))
        _check_pair(x, y, str(img_path), str(lbl_path))
        arrays[split] = (x, y)
    return MnistData(*arrays["train"], *arrays["test"], source=str(folder))


def load_npz(path: Path) -> MnistData:
    """Read Keras's mnist.npz (x_train, y_train, x_test, y_test), never unpickling anything."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(npz.files)
            if missing:
                raise DatasetError(f"{path}: missing arrays {sorted(missing)}.")
            arrays = {k: npz[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except DatasetError:
        raise
    except ValueError as err:  # object arrays need pickle, which we refuse
        raise DatasetError(f"{path}: holds pickled objects, which are not loaded for safety ({err}).") from err
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, KeyError) as err:
        raise DatasetError(f"{path}: is not a readable .npz file ({err}).") from err
    return _validated(arrays, str(path))


def _validated(arrays: dict[str, np.ndarray], name: str) -> MnistData:
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
    return MnistData(**arrays, source=name)


def load_folder(folder: Path) -> MnistData:
    """IDX files if the folder has any, else mnist.npz."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder.")
    has_idx = any(_find_idx(folder, stem) for pair in IDX_FILES.values() for stem in pair[:2])
    if has_idx:
        return load_idx_dir(folder)
    if (folder / NPZ_NAME).is_file():
        return load_npz(folder / NPZ_NAME)
    raise DatasetError(
        f"{folder}: holds neither the four MNIST IDX files (train-images-idx3-ubyte.gz, ...) nor {NPZ_NAME}."
    )


def _download_with_keras() -> MnistData:
    """Keras's own download into its cache (needs internet)."""
    try:
        from keras.datasets import mnist  # lazy: TensorFlow costs seconds to import

        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    except Exception as err:  # noqa: BLE001 - any network/IO failure becomes one clear message
        raise DatasetError(
            "MNIST was not found and could not be downloaded "
            f"({type(err).__name__}: {err}). Set MNIST_DATA_DIR to a folder holding the four "
            "MNIST IDX files (train-images-idx3-ubyte.gz, ...) or mnist.npz."
        ) from err
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return _validated(arrays, f"Keras download ({keras_cache_dir() / NPZ_NAME})")


def find_local_source(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The first local place MNIST would be read from, or None (then load_mnist downloads)."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get("MNIST_DATA_DIR")
    if env:
        return Path(env).expanduser()
    npz = keras_cache_dir() / NPZ_NAME
    return npz if npz.is_file() else None


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
            f"or {NPZ_NAME}, or put {NPZ_NAME} in {keras_cache_dir()}."
        )
    return _download_with_keras()
