"""Cached, read-only resources shared by all sessions of this server: the dataset, its statistics,
and facts about model files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from mnist_core.data import MnistData, load_mnist
from mnist_core.evaluate import Evaluation, evaluate_probabilities
from mnist_core.store import StoredModel

if TYPE_CHECKING:  # pragma: no cover
    from mnist_core.embed import Embedding
    from mnist_core.hard import Scores
    from mnist_core.stats import PixelStats


# cache_resource, not cache_data: the arrays are 55 MB and read-only (np.frombuffer), so sharing one
# copy is safe, while cache_data would unpickle a fresh copy on every rerun of every page.
@st.cache_resource(show_spinner="Loading MNIST...")
def mnist() -> MnistData:
    return load_mnist()


@st.cache_resource(show_spinner="Indexing 10,000 training digits in the model's feature space...", max_entries=4)
def _neighbour_index(path: str, mtime: float):
    from mnist_core.explain import load_or_build_index
    from mnist_core.paths import cache_dir
    from mnist_core.predict import MODELS

    data = mnist()
    return load_or_build_index(MODELS.get(path), Path(path), data.x_train, data.y_train, cache_dir())


def neighbour_index(model: StoredModel):
    """Nearest-neighbour index of `model`, built once per model file (needs MNIST)."""
    return _neighbour_index(str(model.path), model.path.stat().st_mtime)


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


def model_scores(model: StoredModel, split: str) -> Scores:
    """What `model` makes of every image of a split. Loads the model (TensorFlow) on first use."""
    return _model_scores(split, str(model.path), model.path.stat().st_mtime)


@st.cache_data(show_spinner="Scoring every image with the model (once per model)...", max_entries=4)
def _model_scores(split: str, model_path: str, model_mtime: float) -> Scores:
    from mnist_core.hard import model_file_id, score_images
    from mnist_core.predict import MODELS  # imports TensorFlow

    model = MODELS.get(model_path)
    images, labels = mnist().split(split)
    return score_images(model, images, labels, model_id=model_file_id(model_path))


# ---------------------------------------------------------------------------------------------
# Models: facts computed once per model file. A model loaded here is used once and dropped (never
# shared, never trained); the file's modification time is in the key, so a re-saved model is redone.


@st.cache_data(show_spinner="Counting the parameters of each architecture...")
def parameter_counts() -> dict[str, int]:
    from mnist_core.models import parameter_counts as count  # imports TensorFlow

    return count()


@st.cache_data(show_spinner="Reading the 10,000 MNIST test digits with the model...", max_entries=8)
def _test_probabilities(path: str, mtime: float) -> np.ndarray:
    from mnist_core.evaluate import predict_all
    from mnist_core.models import load_model

    return predict_all(load_model(path), mnist().x_test)


def test_evaluation(stored: StoredModel) -> Evaluation:
    """The stored model's evaluation on MNIST test (computed once per model file)."""
    probs = _test_probabilities(str(stored.path), stored.path.stat().st_mtime)
    return evaluate_probabilities(probs, mnist().y_test)
