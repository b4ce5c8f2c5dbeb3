"""The training data of a run: the digit filter, subset and validation split, non-digit examples,
and the tf.data pipeline that batches and augments them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .augment import AugmentConfig
from .errors import ConfigError
from .train_config import TrainConfig, WorldMix


def select_digits(x: np.ndarray, y: np.ndarray, digits: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Only the examples whose label is in `digits` (all when digits is empty)."""
    if not len(digits):
        return x, y
    keep = np.isin(y, np.asarray(digits))
    return x[keep], y[keep]


def split_data(x: np.ndarray, y: np.ndarray, config: TrainConfig):
    """(x_train, y_train, x_val, y_val) after the digit filter, subset and validation split (seeded shuffle)."""
    x, y = select_digits(x, y, config.digits)
    if len(x) == 0:
        raise ConfigError(f"no training images of the digits {list(config.digits)}")
    if config.train_subset:
        x, y = x[: config.train_subset], y[: config.train_subset]
    config.check_data(len(x))
    order = np.random.default_rng(config.seed).permutation(len(x))
    n_val = int(round(len(x) * config.validation_split))
    val, tr = order[:n_val], order[n_val:]
    return x[tr], y[tr], x[val], y[val]


def with_outliers(x: np.ndarray, y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Append round(share * N) non-digit scribbles (label -1) to uint8 images x and labels y."""
    from .calibrate import non_digit_set
    from .synth import TRAINING_SCRIBBLES

    n = int(round(share * len(x)))
    scribbles = (non_digit_set(n, seed=seed + 1000, kinds=TRAINING_SCRIBBLES) * 255).round().astype(np.uint8)
    return np.concatenate([x, scribbles]), np.concatenate([np.asarray(y, np.int64), np.full(n, -1)])


def with_world(x: np.ndarray, y: np.ndarray, mix: WorldMix, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Append digits in the world's handwriting styles (see WorldMix; made once, cached on disk)."""
    from .styles import world_data

    x_w, y_w = world_data(x, y, mix.styles, mix.scans, seed=seed, style_scan_share=mix.style_scans,
                          edits_share=mix.edits, redraws_share=mix.redraws)
    return np.concatenate([x, x_w]), np.concatenate([np.asarray(y, np.int64), np.asarray(y_w, np.int64)])


def targets(y: np.ndarray) -> np.ndarray:
    """(N,) labels -> (N, 10) float32 one-hot targets; the label -1 (not a digit) -> all 0.1."""
    y = np.asarray(y).astype(np.int64)
    out = np.full((len(y), 10), 0.1, np.float32)
    digits = y >= 0
    out[digits] = np.eye(10, dtype=np.float32)[y[digits]]
    return out


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, augment: AugmentConfig | None = None,
                 shuffle: bool = True, seed: int = 0):
    """A tf.data pipeline of ((N, 28, 28, 1) float32, (N, 10) targets) batches.

    Labels are 0-9, or -1 for a non-digit (its target is uniform). Augmentation runs in a parallel map.
    """
    import tensorflow as tf

    from .augment import build_augmenter

    ds = tf.data.Dataset.from_tensor_slices((x, targets(y)))
    if shuffle:
        ds = ds.shuffle(min(len(x), 60000), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(
        lambda a, b: (tf.cast(a, tf.float32)[..., None] / 255.0, b), num_parallel_calls=tf.data.AUTOTUNE
    )
    if augment is not None and not augment.is_identity:
        augmenter = build_augmenter(augment)
        ds = ds.map(lambda a, b: (augmenter(a, training=True), b), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
