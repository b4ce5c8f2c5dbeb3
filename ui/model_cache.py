"""Cached, read-only facts about models: parameter counts and test-set predictions per model file."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_core.evaluate import Evaluation, evaluate_probabilities
from mnist_core.store import StoredModel
from ui.cache import mnist


@st.cache_data(show_spinner="Counting the parameters of each architecture...")
def parameter_counts() -> dict[str, int]:
    from mnist_core.models import parameter_counts as count  # imports TensorFlow

    return count()


# cache_data keyed by the file and its mtime: a re-saved model is evaluated again; the model itself
# is loaded here, used once and dropped (never shared, never trained).
@st.cache_data(show_spinner="Reading the 10,000 MNIST test digits with the model...", max_entries=8)
def _test_probabilities(path: str, mtime: float) -> np.ndarray:
    from mnist_core.evaluate import predict_all
    from mnist_core.models import load_model

    return predict_all(load_model(path), mnist().x_test)


def test_evaluation(stored: StoredModel) -> Evaluation:
    """The stored model's evaluation on MNIST test (computed once per model file)."""
    probs = _test_probabilities(str(stored.path), stored.path.stat().st_mtime)
    return evaluate_probabilities(probs, mnist().y_test)
