"""Small Keras layers the augmentation pipeline needs and Keras lacks. Imports Keras: import lazily."""

from __future__ import annotations

import math

import keras
from keras import ops


class RandomThickness(keras.layers.Layer):
    """Thicken or thin each image's strokes by a random amount in [-factor, factor].

    One unit is one 3x3 grey dilation (or erosion) step; fractions blend towards it, so the
    change is continuous. Only active with training=True.
    """

    def __init__(self, factor: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=True):
        if not training or self.factor == 0:
            return x
        amount = keras.random.uniform((ops.shape(x)[0], 1, 1, 1), -self.factor, self.factor, seed=self.generator)
        out = x
        for step in range(math.ceil(self.factor)):
            # this step's share of the amount: in [-1, 1], 0 once |amount| is used up
            part = ops.clip(amount - ops.sign(amount) * step, -1.0, 1.0) * ops.cast(ops.abs(amount) > step, x.dtype)
            dilated = ops.max_pool(out, pool_size=3, strides=1, padding="same")
            eroded = -ops.max_pool(-out, pool_size=3, strides=1, padding="same")
            out = ops.where(part > 0, out + part * (dilated - out), out - part * (eroded - out))
        return out

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}


class Clip01(keras.layers.Layer):
    """Clip to [0, 1] (noise and contrast can leave the range)."""

    def call(self, x):
        return ops.clip(x, 0.0, 1.0)


class DigitAccuracy(keras.metrics.Metric):
    """Accuracy over the digits of a batch, ignoring non-digit examples (uniform targets)."""

    def __init__(self, name: str = "accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.right = self.add_variable(shape=(), initializer="zeros", name="right")
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        is_digit = ops.cast(ops.max(y_true, axis=-1) > 0.5, "float32")
        correct = ops.cast(ops.argmax(y_true, axis=-1) == ops.argmax(y_pred, axis=-1), "float32")
        self.right.assign_add(ops.sum(correct * is_digit))
        self.seen.assign_add(ops.sum(is_digit))

    def result(self):
        return self.right / ops.maximum(self.seen, 1.0)

    def reset_state(self):
        self.right.assign(0.0)
        self.seen.assign(0.0)
