"""Cached, read-only resources shared by all sessions of this server."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mnist_core.data import MnistData, load_mnist


# cache_resource, not cache_data: the arrays are 55 MB and read-only (np.frombuffer), so sharing one
# copy is safe, while cache_data would unpickle a fresh copy on every rerun of every page.
@st.cache_resource(show_spinner="Loading MNIST...")
def mnist() -> MnistData:
    return load_mnist()


def active_model():
    """The active model (what Draw uses), loaded once per file version and shared read-only."""
    from mnist_core.predict import cached_model  # imports TensorFlow: only pages that predict call this

    with st.spinner("Loading the model..."):
        return cached_model()


def active_card() -> dict:
    """The active model's metadata card ({} when it has none)."""
    from mnist_core.models import active_model_path
    from mnist_core.store import read_card

    return read_card(active_model_path())


@st.cache_resource(show_spinner="Indexing 10,000 training digits in the model's feature space...", max_entries=4)
def _neighbour_index(path: str, mtime: float):
    from mnist_core.explain import load_or_build_index
    from mnist_core.paths import cache_dir
    from mnist_core.predict import cached_model

    data = mnist()
    return load_or_build_index(cached_model(path), Path(path), data.x_train, data.y_train, cache_dir())


def neighbour_index():
    """Nearest-neighbour index of the active model, built once per model file (needs MNIST)."""
    from mnist_core.models import active_model_path

    path = active_model_path()
    return _neighbour_index(str(path), path.stat().st_mtime)
