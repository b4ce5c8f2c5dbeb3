"""Cached, read-only resources shared by all sessions of this server."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from mnist_core.data import MnistData, load_mnist
from ui import keys

if TYPE_CHECKING:  # pragma: no cover
    from mnist_core.embed import Embedding
    from mnist_core.hard import Scores
    from mnist_core.stats import PixelStats


# cache_resource, not cache_data: the arrays are 55 MB and read-only (np.frombuffer), so sharing one
# copy is safe, while cache_data would unpickle a fresh copy on every rerun of every page.
@st.cache_resource(show_spinner="Loading MNIST...")
def mnist() -> MnistData:
    return load_mnist()


def model_path() -> Path:
    """The model this session predicts with: its own choice (?model=...), else the active model."""
    from mnist_core.models import active_model_path
    from mnist_core.store import ModelStore

    name = st.session_state.get(keys.SESSION_MODEL)
    if name:
        path = ModelStore().path_of(name)
        if path.is_file():
            return path
    return active_model_path()


def active_model():
    """The model this session predicts with, loaded once per file version and shared read-only."""
    from mnist_core.predict import cached_model  # imports TensorFlow: only pages that predict call this

    with st.spinner("Loading the model..."):
        return cached_model(model_path())


_loading: dict[str, threading.Thread] = {}  # model file -> the thread loading it
_loading_lock = threading.Lock()


def load_in_background(path: Path | None = None) -> None:
    """Start loading a model (TensorFlow import, file, tracing: ~2-5 s on a cold server) in a daemon
    thread, once per file. app.py calls it for the active model on the first run of any page, so a
    class that opens Home first finds the Draw page ready."""
    from mnist_core.models import active_model_path
    from mnist_core.predict import cached_model, is_cached

    if path is None and os.environ.get("MNIST_LAB_PRELOAD", "1") == "0":
        return  # the setting says: load TensorFlow only when a page needs it
    path = path or active_model_path()
    with _loading_lock:
        thread = _loading.get(str(path))
        if (thread is not None and thread.is_alive()) or is_cached(path):
            return

        def load() -> None:
            try:
                cached_model(path)
            except Exception:  # noqa: BLE001, S110 - the page loads it again and shows the reason
                pass

        _loading[str(path)] = thread = threading.Thread(target=load, name="model-preload", daemon=True)
        thread.start()


def model_ready() -> bool:
    """Whether this session's model is loaded (active_model() would return at once)."""
    from mnist_core.predict import is_cached

    return is_cached(model_path())


def active_card() -> dict:
    """The metadata card of the model this session predicts with ({} when it has none)."""
    from mnist_core.store import read_card

    return read_card(model_path())


@st.cache_resource(show_spinner="Indexing 10,000 training digits in the model's feature space...", max_entries=4)
def _neighbour_index(path: str, mtime: float):
    from mnist_core.explain import load_or_build_index
    from mnist_core.paths import cache_dir
    from mnist_core.predict import cached_model

    data = mnist()
    return load_or_build_index(cached_model(path), Path(path), data.x_train, data.y_train, cache_dir())


def neighbour_index():
    """Nearest-neighbour index of this session's model, built once per model file (needs MNIST)."""
    path = model_path()
    return _neighbour_index(str(path), path.stat().st_mtime)


# ---------------------------------------------------------------------------------------------
# Explore: statistics computed once per server (and split), then served from memory.
# cache_data, not cache_resource: the results are small and each caller may change its copy.


@st.cache_data(show_spinner="Computing pixel statistics (once)...", max_entries=2)
def pixel_stats(split: str) -> PixelStats:
    from mnist_core.stats import pixel_stats as compute

    return compute(*mnist().split(split))


@st.cache_data(show_spinner="Measuring every digit (once)...", max_entries=2)
def image_features(split: str) -> dict[str, np.ndarray]:
    from mnist_core.stats import image_features as compute

    return compute(mnist().split(split)[0])


@st.cache_data(show_spinner="Projecting every image on its two main directions (PCA, once)...", max_entries=2)
def pca_map(split: str) -> Embedding:
    from mnist_core.embed import pca_map as compute

    return compute(mnist().split(split)[0])


def tsne_is_cached(n: int, seed: int = 0) -> bool:
    """Whether the t-SNE map of n training images is on disk already (then it loads instantly)."""
    from mnist_core.embed import is_tsne_cached

    return is_tsne_cached(mnist().x_train, n, seed)


@st.cache_data(show_spinner="Computing the t-SNE map (once; it is then kept on disk)...", max_entries=4)
def tsne_map(n: int, seed: int = 0) -> Embedding:
    from mnist_core.embed import tsne_map as compute

    return compute(mnist().x_train, n, seed)


def model_scores(split: str) -> Scores:
    """What the active model makes of every image of a split. Loads the model (TensorFlow) on first use."""
    from mnist_core.models import active_model_path

    path = active_model_path()
    return _model_scores(split, str(path), path.stat().st_mtime if path.exists() else 0.0)


@st.cache_data(show_spinner="Scoring every image with the model (once per model)...", max_entries=4)
def _model_scores(split: str, model_path: str, model_mtime: float) -> Scores:
    from mnist_core.hard import model_file_id, score_images
    from mnist_core.predict import cached_model  # imports TensorFlow

    model = cached_model(model_path)
    images, labels = mnist().split(split)
    return score_images(model, images, labels, model_id=model_file_id(model_path))
