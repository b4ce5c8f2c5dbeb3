"""The model this browser session uses: its own choice (`?model=NAME`), else the class's active model.

The one app-side owner of "which model, and is it loaded". Loading itself belongs to the core's
ModelCache (one copy per model file for the whole server); a student's choice changes only that
student's session, never what the others see. `model()` answers drawings (the model's ONNX export,
run without TensorFlow); `keras_model()` is for looking inside the model (Grad-CAM, feature maps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from mnist_core.errors import StoreError
from mnist_core.store import ModelStore, StoredModel
from ui import keys

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from mnist_core.predict import Predictor


def stored() -> StoredModel:
    """The stored model this session predicts with (its card included)."""
    store = ModelStore()
    name = st.session_state.get(keys.SESSION_MODEL)
    if name:
        try:
            return store.get(name)
        except StoreError:  # deleted since, or a bad name: back to the class's model
            st.session_state.pop(keys.SESSION_MODEL, None)
    return store.active()


def is_own_choice(of: StoredModel | None = None) -> bool:
    """Whether this session uses a model of its own choosing rather than the class's active one (`of`:
    stored(), when the caller has it already)."""
    if not st.session_state.get(keys.SESSION_MODEL):
        return False
    return (of or stored()).name != ModelStore().active_name()


def choose(name: str) -> str | None:
    """Use stored model `name` in this session only; returns why not (unknown name...) or None."""
    try:
        ModelStore().get(name)
    except StoreError as err:  # an unknown or invalid name
        return str(err)
    st.session_state[keys.SESSION_MODEL] = name
    return None


def model(of: StoredModel | None = None) -> Predictor:
    """What answers this session's drawings: its model's ONNX export run by ONNX Runtime (Keras when
    there is none), loaded once per file for the whole server and shared read-only. `of`: stored(),
    when the caller has it already (it reads the model's card)."""
    from mnist_core.predict import MODELS

    path = (of or stored()).path
    if MODELS.is_ready(path):
        return MODELS.predictor(path)
    with st.spinner("Loading the model..."):
        return MODELS.predictor(path)


def keras_model(of: StoredModel | None = None) -> keras.Model:
    """This session's model as a Keras model, for looking inside it. Imports TensorFlow (seconds, once)."""
    from mnist_core.predict import MODELS

    path = (of or stored()).path
    if MODELS.is_loaded(path):
        return MODELS.get(path)
    with st.spinner("Loading TensorFlow and the model (the first time takes a few seconds)..."):
        return MODELS.get(path)


def ready(of: StoredModel | None = None) -> bool:
    """Whether model() would return at once."""
    from mnist_core.predict import MODELS

    return MODELS.is_ready((of or stored()).path)


def preload(path=None) -> None:
    """Start loading what answers this session's drawings (or `path`'s) in the background; no-op once
    loaded or loading."""
    from mnist_core.predict import MODELS

    MODELS.preload(path or stored().path)
