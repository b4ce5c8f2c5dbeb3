"""Why the model decided: Grad-CAM heatmaps, feature maps, and the nearest training digits.

All functions take a loaded Keras model and (28, 28) float32 inputs in [0, 1]. Sub-models are built
once per model and kept in a small cache keyed by the model object.
"""

from __future__ import annotations

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


def gradcam_layer(model: keras.Model):
    """The layer Grad-CAM reads: the last conv block whose map still says *where* (at least 7x7), after
    its activation; None for models without convolutions. (The default CNN ends in a 1x1 conv, 128C4,
    whose Grad-CAM would be one number spread over the whole image: its 8x8 block is used instead.)"""
    spatial = _spatial_layers(model)
    where = [layer for layer in spatial if min(layer.output.shape[1:3]) >= GRADCAM_MIN_SIDE] or spatial
    return where[-1] if where else None


def gradcam(model: keras.Model, x: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """Grad-CAM over the last convolutional block, upsampled to (28, 28) in [0, 1].

    Models without convolutions (MLP, LSTM) get the input-gradient saliency instead.
    """
    if gradcam_layer(model) is None:
        return saliency(model, x, class_index)
    return stretch(gradcam_map(model, x, class_index))


def stretch(cam: np.ndarray, side: int = 28) -> np.ndarray:
    """A small Grad-CAM map (e.g. 8x8) stretched to the input's size (bilinear) and scaled to [0, 1]."""
    big = _resize(cam, side)
    return big / big.max() if big.max() > 0 else big


def gradcam_map(model: keras.Model, x: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """Grad-CAM at the resolution of the layer it is read from (e.g. 8x8), before upsampling: (h, w) >= 0.

    Each map of that layer is weighted by the mean gradient of the class's probability over it; the
    weighted sum, negatives cut, says where the layer saw evidence for the class.
    """
    import keras
    import tensorflow as tf

    layer = gradcam_layer(model)
    if layer is None:
        from .errors import InputError

        raise InputError("Grad-CAM needs a convolutional layer; this model has none.")
    cache = _submodels(model)
    if "gradcam" not in cache and not isinstance(model, keras.Sequential):
        cache["gradcam"] = keras.Model(model.inputs[0], [layer.output, model.outputs[0]])
    x4 = tf.constant(np.asarray(x, np.float32).reshape(1, 28, 28, 1))
    with tf.GradientTape() as tape:
        if isinstance(model, keras.Sequential):
            # layer by layer: in a Sequential model loaded from a file, `layer.output` and the model's output
            # can belong to two separate copies of the graph, and the gradient from one to the other is None
            maps = probs = x4
            for each in model.layers:
                probs = each(probs, training=False)
                maps = probs if each is layer else maps
        else:
            maps, probs = cache["gradcam"](x4, training=False)
        k = int(tf.argmax(probs[0])) if class_index is None else class_index
        score = probs[:, k]
    grads = tape.gradient(score, maps)[0]  # (h, w, c)
    weights = tf.reduce_mean(grads, axis=(0, 1))
    return tf.nn.relu(tf.reduce_sum(maps[0] * weights, axis=-1)).numpy()


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


@dataclass(frozen=True)
class Occlusion:
    """What greying out each patch does to the probability of one digit."""

    digit: int
    base: float  # the digit's probability with nothing covered
    drop: np.ndarray  # (28, 28): mean fall in probability over the patches covering each pixel (<0: rose)
    probabilities: np.ndarray  # (n, n): the digit's probability with the patch at each position covered
    starts: tuple[int, ...]  # the patches' top (and left) edges
    patch: int
    fill: float

    @property
    def worst(self) -> tuple[int, int, float]:
        """(top, left, probability) of the patch that hurts the answer most."""
        r, c = np.unravel_index(np.argmin(self.probabilities), self.probabilities.shape)
        return self.starts[r], self.starts[c], float(self.probabilities[r, c])


def occlusion(model: keras.Model, x: np.ndarray, digit: int, patch: int = 6, stride: int = 2,
              fill: float = 0.5) -> Occlusion:
    """Cover the drawing with a `patch` x `patch` square of value `fill` at every `stride` pixels, in one
    batch through the model, and record the probability of `digit` each time.

    Args:
        x: (28, 28) float32 in [0, 1], the model's input.
        fill: 0.5 greys the patch out; 0 erases it (the background's value).
    """
    from .predict import probabilities

    if not (1 <= patch <= 28 and 1 <= stride <= patch and 0 <= fill <= 1):
        from .errors import InputError

        raise InputError(f"Occlusion needs 1 <= stride <= patch <= 28 and a fill in [0, 1] (got {patch}, {stride}, "
                         f"{fill}).")
    x = np.asarray(x, np.float32).reshape(28, 28)
    starts = list(range(0, 28 - patch + 1, stride))
    if starts[-1] != 28 - patch:  # the last patch touches the border, so every pixel is covered
        starts.append(28 - patch)
    batch = np.repeat(x[None], len(starts) ** 2 + 1, axis=0)
    for k, (r, c) in enumerate((r, c) for r in starts for c in starts):
        batch[k + 1, r: r + patch, c: c + patch] = fill
    p = probabilities(model, batch)[:, digit]
    base, covered = float(p[0]), p[1:].reshape(len(starts), len(starts))
    total, count = np.zeros((28, 28)), np.zeros((28, 28))
    for i, r in enumerate(starts):
        for j, c in enumerate(starts):
            total[r: r + patch, c: c + patch] += base - covered[i, j]
            count[r: r + patch, c: c + patch] += 1
    return Occlusion(digit, base, (total / count).astype(np.float32), covered, tuple(starts), patch, fill)


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
    from .export import file_sha256

    return file_sha256(path)[:16]


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
