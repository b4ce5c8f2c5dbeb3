"""Cached, read-only resources shared by all sessions of this server."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mnist_core.data import MnistData, load_mnist
from ui import keys


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
