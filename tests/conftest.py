"""Shared fixtures. Every test gets its own MNIST_LAB_HOME, so nothing is written outside tmp dirs."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Training workers started by tests do not spend a minute of CPU measuring the machine's speed (each test
# has its own MNIST_LAB_HOME, so each would measure again); tests of the estimates measure on purpose.
os.environ.setdefault("MNIST_LAB_MEASURE", "0")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def lab_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("labhome")
    monkeypatch.setenv("MNIST_LAB_HOME", str(home))
    monkeypatch.delenv("MNIST_MODELS_DIR", raising=False)
    monkeypatch.delenv("MNIST_HANDWRITING_DB", raising=False)
    return home


def real_mnist_dir() -> Path | None:
    env = os.environ.get("MNIST_DATA_DIR")
    return Path(env) if env and Path(env).is_dir() else None


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST (skipped where MNIST_DATA_DIR is not set; CI sets it)."""
    folder = real_mnist_dir()
    if folder is None:
        pytest.skip("MNIST_DATA_DIR is not set")
    from mnist_core.data import load_mnist

    return load_mnist(folder)


@pytest.fixture(scope="session")
def default_model():
    from mnist_core.models import load_model
    from mnist_core.paths import DEFAULT_MODEL_PATH

    return load_model(DEFAULT_MODEL_PATH)


def idx_images(images: np.ndarray, magic: int = 2051) -> bytes:
    n, r, c = images.shape
    return struct.pack(">IIII", magic, n, r, c) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray, magic: int = 2049) -> bytes:
    return struct.pack(">II", magic, len(labels)) + labels.astype(np.uint8).tobytes()


def write_idx_set(folder: Path, n_train: int = 20, n_test: int = 10, gz: bool = True, seed: int = 0) -> dict:
    """Write a small valid MNIST-format set; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    files = {
        "train-images-idx3-ubyte": idx_images(arrays["x_train"]),
        "train-labels-idx1-ubyte": idx_labels(arrays["y_train"]),
        "t10k-images-idx3-ubyte": idx_images(arrays["x_test"]),
        "t10k-labels-idx1-ubyte": idx_labels(arrays["y_test"]),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, payload in files.items():
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(payload))
        else:
            (folder / name).write_bytes(payload)
    return arrays
