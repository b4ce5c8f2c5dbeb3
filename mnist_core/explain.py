"""Why the model decided: Grad-CAM heatmaps, feature maps, and the nearest training digits.

All functions take a loaded Keras model and (28, 28) float32 inputs in [0, 1]. Sub-models are built
once per model and kept in a small cache keyed by the model object.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import keras

_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _submodels(model: keras.Model) -> dict:
    """Per-model cache of the sub-models the explanations need."""
    with _lock:
        if model not in _cache:
            _cache[model] = {}
        return _cache[model]


GRADCAM_MIN_SIDE = 7


def _spatial_layers(model: keras.Model) -> list:
    """Layers whose output is an image-shaped (N, H, W, C) map, after their activation when separate."""
    import keras

    picked = []
    layers = model.layers
    for i, layer in enumerate(layers):
        if isinstance(layer, keras.layers.Conv2D):
            # with batch norm the ReLU is a separate layer: show that one
            j = i + 1
            while j < len(layers) and isinstance(
                layers[j], (keras.layers.BatchNormalization, keras.layers.Activation, keras.layers.ReLU)
            ):
                j += 1
            picked.append(layers[j - 1])
    return picked


def has_conv(model: keras.Model) -> bool:
    return bool(_spatial_layers(model))


def gradcam(model: keras.Model, x: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """Grad-CAM over the last convolutional block, upsampled to (28, 28) in [0, 1].

    Models without convolutions (MLP, LSTM) get the input-gradient saliency instead.
    """
    import keras
    import tensorflow as tf

    x4 = tf.constant(np.asarray(x, np.float32).reshape(1, 28, 28, 1))
    spatial = _spatial_layers(model)
    cache = _submodels(model)
    if not spatial:
        return saliency(model, x, class_index)
    # the last map that still says *where* (at least 7x7): the default CNN ends in a 1x1 conv
    # (128C4), whose Grad-CAM would be one number spread over the whole image
    where = [layer for layer in spatial if min(layer.output.shape[1:3]) >= GRADCAM_MIN_SIDE] or spatial
    if "gradcam" not in cache:
        cache["gradcam"] = keras.Model(model.inputs[0], [where[-1].output, model.outputs[0]])
    with tf.GradientTape() as tape:
        maps, probs = cache["gradcam"](x4, training=False)
        k = int(tf.argmax(probs[0])) if class_index is None else class_index
        score = probs[:, k]
    grads = tape.gradient(score, maps)[0]  # (h, w, c)
    weights = tf.reduce_mean(grads, axis=(0, 1))
    cam = tf.nn.relu(tf.reduce_sum(maps[0] * weights, axis=-1)).numpy()
    cam = _resize(cam, 28)
    return cam / cam.max() if cam.max() > 0 else cam


def saliency(model: keras.Model, x: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """|d p(class) / d pixel|, smoothed a little, scaled to [0, 1]."""
    import tensorflow as tf
    from scipy import ndimage

    x4 = tf.constant(np.asarray(x, np.float32).reshape(1, 28, 28, 1))
    with tf.GradientTape() as tape:
        tape.watch(x4)
        probs = model(x4, training=False)
        k = int(tf.argmax(probs[0])) if class_index is None else class_index
        score = probs[:, k]
    grad = np.abs(tape.gradient(score, x4).numpy()[0, ..., 0])
    grad = ndimage.gaussian_filter(grad, 0.7)
    return grad / grad.max() if grad.max() > 0 else grad


def _resize(img: np.ndarray, side: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(img.astype(np.float32), mode="F").resize((side, side), Image.Resampling.BILINEAR))


def feature_maps(model: keras.Model, x: np.ndarray, n_layers: int = 2) -> list[tuple[str, np.ndarray]]:
    """The activations of the first `n_layers` convolutional layers: [(name, (H, W, C))]."""
    import keras

    spatial = _spatial_layers(model)[:n_layers]
    if not spatial:
        return []
    cache = _submodels(model)
    key = f"features{n_layers}"
    if key not in cache:
        cache[key] = keras.Model(model.inputs[0], [layer.output for layer in spatial])
    outs = cache[key](np.asarray(x, np.float32).reshape(1, 28, 28, 1), training=False)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return [(layer.name, np.asarray(out)[0]) for layer, out in zip(spatial, outs, strict=True)]


def embed(model: keras.Model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Penultimate-layer features (the input of the classifier layer), L2-normalised: (N, D)."""
    import keras

    cache = _submodels(model)
    if "embed" not in cache:
        cache["embed"] = keras.Model(model.inputs[0], model.layers[-1].input)
    x = np.asarray(x)
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    parts = [
        np.asarray(
            cache["embed"](x[i : i + batch_size].reshape(-1, 28, 28, 1).astype(np.float32) / scale, training=False)
        )
        for i in range(0, len(x), batch_size)
    ]
    feats = np.concatenate(parts).reshape(len(x), -1)
    return feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-8)


# ---------------------------------------------------------------------------------------------
# Nearest training digits


@dataclass(frozen=True)
class NeighbourIndex:
    features: np.ndarray  # (N, D) float32, L2-normalised
    indices: np.ndarray  # (N,) int: positions in the training set
    labels: np.ndarray  # (N,) uint8

    def nearest(self, feature: np.ndarray, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """(training-set indices, cosine similarities) of the k nearest, most similar first."""
        sims = self.features @ np.asarray(feature, np.float32).ravel()
        top = np.argpartition(-sims, min(k, len(sims) - 1))[:k]
        top = top[np.argsort(-sims[top])]
        return self.indices[top], sims[top]


def model_fingerprint(path: Path) -> str:
    """A short hash of a model file's bytes: caches built from a model are keyed by it."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def build_index(
    model: keras.Model, x_train: np.ndarray, y_train: np.ndarray, size: int = 10000, seed: int = 0
) -> NeighbourIndex:
    """Embed a seeded random subset of the training set."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(x_train), size=min(size, len(x_train)), replace=False))
    return NeighbourIndex(embed(model, x_train[idx]).astype(np.float32), idx, np.asarray(y_train)[idx])


def load_or_build_index(
    model: keras.Model, model_path: Path, x_train: np.ndarray, y_train: np.ndarray, cache_dir: Path, size: int = 10000
) -> NeighbourIndex:
    """The index for this model file, from the disk cache when present (atomic write otherwise)."""
    from .store import atomic_path

    path = Path(cache_dir) / f"neighbours-{model_fingerprint(model_path)}-{size}.npz"
    try:
        with np.load(path, allow_pickle=False) as npz:
            return NeighbourIndex(npz["features"], npz["indices"], npz["labels"])
    except (OSError, ValueError, KeyError):
        pass
    index = build_index(model, x_train, y_train, size)
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, features=index.features, indices=index.indices, labels=index.labels)
    except OSError:
        pass  # a read-only cache only costs the rebuild next time
    return index
