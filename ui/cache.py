"""Cached, read-only resources shared by all sessions of this server."""

from __future__ import annotations

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
