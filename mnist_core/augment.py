"""Data augmentation: one frozen AugmentConfig drives the live preview, training and the model card.

Built on Keras 3 preprocessing layers (black fill, never flips: a mirrored 2 is not a 2), plus small
layers for what Keras lacks or gets wrong (mnist_core/layers.py): stroke thickness, a blur wider than
sigma 1, and a fast elastic distortion that moves pixels in both directions. Images are float32
(N, 28, 28, 1) in [0, 1], white ink on black.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ConfigError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import keras


@dataclass(frozen=True)
class AugmentConfig:
    """Strength of each random transform; 0 switches it off. All-zero is the identity."""

    rotation: float = 0.0  # max degrees either way
    shift: float = 0.0  # max shift, fraction of the side (0.1 = 2.8 px)
    zoom: float = 0.0  # max relative zoom in or out (0.1 = +-10%)
    shear: float = 0.0  # max horizontal shear (slant): x moves by up to shear * y
    elastic: float = 0.0  # max elastic distortion strength (as Keras RandomElasticTransform's scale: 1 = 2.8 px)
    thickness: float = 0.0  # max stroke thickening/thinning, in 3x3 dilation steps (0-2)
    noise: float = 0.0  # std of added Gaussian noise
    blur: float = 0.0  # max Gaussian blur sigma, pixels
    erasing: float = 0.0  # probability of erasing a random rectangle
    contrast: float = 0.0  # max relative contrast change
    seed: int = 0

    # (field, lowest, highest, the value past which the digit is usually destroyed). The highest values
    # are sensible maxima: a little past "risky", so the damage can be shown, and no further (rotating
    # by 180 degrees turns a 6 into a 9). Saved model cards keep their settings as plain dicts, so a card
    # written when the maxima were larger (rotation 180, shift 0.5, zoom 0.9...) still loads.
    LIMITS = {
        "rotation": (0.0, 60.0, 45.0),
        "shift": (0.0, 0.3, 0.2),
        "zoom": (0.0, 0.5, 0.4),
        "shear": (0.0, 0.8, 0.5),
        "elastic": (0.0, 2.0, 1.0),
        "thickness": (0.0, 2.0, 1.5),
        "noise": (0.0, 0.6, 0.4),
        "blur": (0.0, 3.0, 2.0),
        "erasing": (0.0, 1.0, 0.6),
        "contrast": (0.0, 0.95, 0.8),
    }

    def __post_init__(self) -> None:
        if not isinstance(self.seed, (int, np.integer)) or not 0 <= self.seed < 2**31:
            raise ConfigError(f"augmentation seed must be a whole number from 0 to 2^31-1, got {self.seed!r}")
        for name, (low, high, _) in self.LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not np.isfinite(value) or not low <= value <= high:
                raise ConfigError(f"augmentation '{name}' must be between {low:g} and {high:g}, got {value!r}")

    @property
    def is_identity(self) -> bool:
        return all(getattr(self, name) == 0 for name in self.LIMITS)

    def risky_settings(self) -> list[str]:
        """Names of the settings strong enough to destroy many digits."""
        return [name for name, (_, _, risky) in self.LIMITS.items() if getattr(self, name) > risky]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """The settings that are on, in words: 'rotation 12, shift 0.1, seed 0' (or 'no augmentation')."""
        on = [f"{name} {getattr(self, name):g}" for name in self.LIMITS if getattr(self, name)]
        return ", ".join(on) + f", seed {self.seed}" if on else "no augmentation"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AugmentConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# Recipe used for the shipped default: what people's drawings vary in (slant, size, placement, pen).
# Thickness stays mild: one full 3x3 erosion step turns a 2-3 px MNIST stroke into a faint ghost, and
# the Draw page already brings a drawing's stroke width to MNIST's.
DRAWING_AUGMENT = AugmentConfig(rotation=12, shift=0.1, zoom=0.12, shear=0.25, thickness=0.5, seed=0)


def build_augmenter(config: AugmentConfig) -> keras.Sequential:
    """A Keras pipeline applying `config`; call it with training=True on (N, 28, 28, 1) batches."""
    import keras
    from keras import layers

    from .layers import Clip01, RandomAffine, RandomBlur, RandomElastic, RandomThickness

    seed = config.seed
    steps: list[keras.layers.Layer] = []
    if config.thickness:
        steps.append(RandomThickness(config.thickness, seed=seed + 1))
    if config.rotation or config.shear or config.zoom or config.shift:
        # one resampling for all four (see RandomAffine): chaining Keras's four layers blurs the digit
        steps.append(RandomAffine(config.rotation, config.shear, config.zoom, config.shift, seed=seed + 2))
    if config.elastic:
        steps.append(RandomElastic(config.elastic, seed=seed + 6))
    if config.blur:
        steps.append(RandomBlur(config.blur, seed=seed + 7))
    if config.contrast:
        # (c, c): a factor in [1 - c, 1 + c]. Keras 3.15 reads a single c as [1, 1 + c]: more contrast only,
        # which clipping undoes on MNIST's black-and-white digits, so even 0.95 changed nothing
        steps.append(layers.RandomContrast((config.contrast, config.contrast), value_range=(0, 1), seed=seed + 8))
    if config.erasing:
        steps.append(
            layers.RandomErasing(
                factor=config.erasing, scale=(0.02, 0.2), fill_value=0.0, value_range=(0, 1), seed=seed + 9
            )
        )
    if config.noise:
        steps.append(layers.GaussianNoise(config.noise, seed=seed + 10))
    steps.append(Clip01())
    return keras.Sequential(steps, name="augment")


def augment(images: np.ndarray, config: AugmentConfig) -> np.ndarray:
    """Apply `config` to a batch once: (N, 28, 28) or (N, 28, 28, 1) -> same shape, float32 in [0, 1].

    The same config and seed give the same output. uint8 input is scaled to [0, 1].
    """
    x = np.asarray(images)
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    x4 = (x.astype(np.float32) / scale).reshape(-1, 28, 28, 1)
    if config.is_identity:
        return x4.reshape(x.shape)
    out = np.asarray(build_augmenter(config)(x4, training=True), dtype=np.float32)
    return out.reshape(x.shape)


def ink_kept(original: np.ndarray, variants: np.ndarray) -> np.ndarray:
    """How much of the original's ink each variant keeps.

    Ink is the sum of the pixel values above the paper's (black, or the grey a faded contrast lifts it
    to); a shift out of the frame, an erased patch or a washed-out contrast lower it.

    Args:
        original: (28, 28) the digit, uint8 or float in [0, 1].
        variants: (N, 28, 28) or (N, 28, 28, 1) its augmented copies, same scale conventions.
    Returns:
        (N,) float: variant ink / original ink (1.0 = all kept; may exceed 1, e.g. thicker strokes).
    Raises:
        ValueError: the original holds no ink.
    """

    def ink(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        scale = 255.0 if x.dtype == np.uint8 else 1.0
        flat = x.reshape(len(x), -1).astype(np.float64) / scale
        # above the paper (the level a quarter of the pixels are at or under: paper even where thick strokes
        # cover half of the image): a faded contrast lifts the paper to grey, and that grey is not ink
        paper = np.percentile(flat, 25, axis=1, keepdims=True)
        return np.clip(flat - paper, 0, None).sum(axis=1)

    total = ink(np.asarray(original)[None])[0]
    if total <= 0:
        raise InputError("the original image holds no ink: nothing to augment")
    return ink(variants) / total


def ink_loss_share(original: np.ndarray, variants: np.ndarray, most: float = 0.5) -> float:
    """The share of variants that lost most of their ink: a sign the settings destroy the digit.

    Args:
        original: (28, 28) the digit.
        variants: (N, 28, 28[, 1]) its augmented copies.
        most: a variant keeping less than 1 - most of the original's ink counts as lost.
    Returns:
        A share in [0, 1] (0.0 for no variants).
    """
    kept = ink_kept(original, variants)
    return float((kept < 1.0 - most).mean()) if kept.size else 0.0
