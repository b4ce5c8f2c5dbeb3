"""Where things live on disk. Every location is a setting (environment variable) with a default.

- MNIST_DATA_DIR: a folder with the four MNIST IDX files (gzipped or not) or mnist.npz.
- MNIST_LAB_HOME: the app's own writable folder (stored models, the handwriting database, caches).
  Defaults to ~/.mnist-lab; never inside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
ASSETS_DIR = REPO_DIR / "assets"
DEFAULT_MODEL_PATH = ASSETS_DIR / "default_model.keras"
DEFAULT_CARD_PATH = ASSETS_DIR / "default_model.json"


def lab_home() -> Path:
    """The app's writable folder (created on first use)."""
    home = Path(os.environ.get("MNIST_LAB_HOME") or Path.home() / ".mnist-lab").expanduser()
    return home


def models_dir() -> Path:
    return Path(os.environ.get("MNIST_MODELS_DIR") or lab_home() / "models").expanduser()


def cache_dir() -> Path:
    return lab_home() / "cache"


def handwriting_db_path() -> Path:
    return Path(os.environ.get("MNIST_HANDWRITING_DB") or lab_home() / "handwriting.sqlite").expanduser()


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded datasets (~/.keras/datasets, or $KERAS_HOME/datasets)."""
    base = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(base).expanduser() / "datasets"
