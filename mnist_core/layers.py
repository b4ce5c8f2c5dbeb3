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

    def compute_output_shape(self, input_shape):  # without it, building traces call() (slow)
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}


class RandomAffine(keras.layers.Layer):
    """Rotation, slant (shear), zoom and shift drawn per image and applied as ONE affine resampling.

    Chaining Keras's RandomRotation, RandomShear, RandomZoom and RandomTranslation resamples the
    image four times, and every bilinear resampling blurs a 28x28 digit a little more than the test
    digits ever are; one composed transform blurs once and costs a quarter of the time. Parameters,
    uniform per image: angle in [-rotation, rotation] degrees, horizontal shear s in [-shear, shear]
    (x moves by s * y), scale in [1 - zoom, 1 + zoom], shift in [-shift, shift] x side on each axis.
    Black fill. Only active with training=True. Expects (N, H, W, 1).
    """

    def __init__(self, rotation: float = 0.0, shear: float = 0.0, zoom: float = 0.0, shift: float = 0.0,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rotation, self.shear, self.zoom, self.shift = float(rotation), float(shear), float(zoom), float(shift)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=True):
        if not training or not (self.rotation or self.shear or self.zoom or self.shift):
            return x
        n, h, w = ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2]
        hf, wf = ops.cast(h, "float32"), ops.cast(w, "float32")

        def draw(limit):
            return keras.random.uniform((n,), -limit, limit, seed=self.generator)

        angle = draw(self.rotation * math.pi / 180.0)
        shear = draw(self.shear)
        scale = 1.0 + draw(self.zoom)
        tx, ty = draw(self.shift) * wf, draw(self.shift) * hf
        # output -> input map: in = A (out - centre - t) + centre, A = R(angle) @ Shear(-s) / scale
        cos, sin = ops.cos(angle), ops.sin(angle)
        a00, a01 = cos / scale, (-sin - cos * shear) / scale
        a10, a11 = sin / scale, (cos - sin * shear) / scale
        cx, cy = (wf - 1.0) / 2.0, (hf - 1.0) / 2.0
        ux, uy = cx + tx, cy + ty
        zeros = ops.zeros_like(angle)
        transform = ops.stack(
            [a00, a01, cx - a00 * ux - a01 * uy, a10, a11, cy - a10 * ux - a11 * uy, zeros, zeros], axis=1
        )
        return ops.image.affine_transform(x, transform, interpolation="bilinear", fill_mode="constant",
                                          fill_value=0.0, data_format="channels_last")

    def compute_output_shape(self, input_shape):  # without it, building traces call() (slow)
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rotation": self.rotation, "shear": self.shear, "zoom": self.zoom,
                "shift": self.shift, "seed": self.seed}


class Clip01(keras.layers.Layer):
    """Clip to [0, 1] (noise and contrast can leave the range)."""

    def call(self, x):
        return ops.clip(x, 0.0, 1.0)

    def compute_output_shape(self, input_shape):
        return input_shape


def _gaussian_matrices(sigma, n: int):
    """(N,) blur widths -> (N, n, n) matrices G with G @ row = that row blurred (zero padding).

    Normalised by the full (untruncated) kernel, so ink near the border leaks out as with zero padding;
    a width near 0 gives the identity. Blurring an image is then two batched matmuls: G @ X @ G^T.
    """
    sigma = ops.maximum(ops.cast(sigma, "float32"), 1e-3)[:, None, None]
    idx = ops.arange(n, dtype="float32")
    offsets = ops.arange(-(n - 1), n, dtype="float32")
    kernel = ops.exp(-ops.square(idx[:, None] - idx[None, :])[None] / (2.0 * ops.square(sigma)))
    norm = ops.sum(ops.exp(-ops.square(offsets)[None, None, :] / (2.0 * ops.square(sigma))), axis=-1, keepdims=True)
    return kernel / norm


def _blur(images, sigma):
    """(N, H, W) images, (N,) widths -> each image blurred with its own Gaussian."""
    gy = _gaussian_matrices(sigma, ops.shape(images)[1])
    gx = _gaussian_matrices(sigma, ops.shape(images)[2])
    return ops.matmul(ops.matmul(gy, images), ops.transpose(gx, (0, 2, 1)))


class RandomBlur(keras.layers.Layer):
    """Gaussian blur with a random width per image, uniform in [0, max_sigma] pixels.

    Keras's RandomGaussianBlur refuses sigma > 1 and draws one width per batch; this one is
    vectorised over the batch as two small matrix products. Expects (N, H, W, 1).
    """

    def __init__(self, max_sigma: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.max_sigma = float(max_sigma)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=True):
        if not training or self.max_sigma == 0:
            return x
        sigma = keras.random.uniform((ops.shape(x)[0],), 0.0, self.max_sigma, seed=self.generator)
        return _blur(x[..., 0], sigma)[..., None]

    def compute_output_shape(self, input_shape):  # without it, building traces call() (slow)
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_sigma": self.max_sigma, "seed": self.seed}


class RandomElastic(keras.layers.Layer):
    """Elastic distortion: each pixel moves along a smooth random field; strength random in [0, scale].

    Same parameters as Keras's RandomElasticTransform (alpha = 0.1 * side * strength pixels of
    displacement, field smoothness sigma = 0.05 * side * strength), but vectorised over the batch,
    with independent x and y fields (Keras 3.15 draws both from one seed, so pixels only move
    diagonally) and a strength of its own for every image. Black fill. Expects (N, H, W, 1).
    """

    def __init__(self, scale: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=True):
        if not training or self.scale == 0:
            return x
        images = x[..., 0]
        n, h, w = ops.shape(images)[0], ops.shape(images)[1], ops.shape(images)[2]
        side = ops.cast(ops.minimum(h, w), "float32")
        strength = keras.random.uniform((n,), 0.0, self.scale, seed=self.generator)
        alpha, sigma = 0.1 * side * strength, 0.05 * side * strength
        noise = keras.random.normal((2, n, h, w), seed=self.generator) * sigma[None, :, None, None]
        dy = _blur(noise[0], sigma) * alpha[:, None, None]
        dx = _blur(noise[1], sigma) * alpha[:, None, None]
        rows = ops.arange(h, dtype="float32")[None, :, None] + dy
        cols = ops.arange(w, dtype="float32")[None, None, :] + dx
        return _bilinear(images, rows, cols)[..., None]

    def compute_output_shape(self, input_shape):  # without it, building traces call() (slow)
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "seed": self.seed}


def _bilinear(images, rows, cols):
    """Sample (N, H, W) images at fractional (N, H, W) positions; outside the frame is black."""
    n, h, w = ops.shape(images)[0], ops.shape(images)[1], ops.shape(images)[2]
    flat = ops.reshape(images, (n, h * w))
    rows, cols = ops.cast(rows, "float32"), ops.cast(cols, "float32")
    r0, c0 = ops.floor(rows), ops.floor(cols)
    fr, fc = rows - r0, cols - c0
    out = ops.zeros_like(rows)
    for dr, dc, weight in ((0, 0, (1 - fr) * (1 - fc)), (0, 1, (1 - fr) * fc), (1, 0, fr * (1 - fc)), (1, 1, fr * fc)):
        r, c = r0 + dr, c0 + dc
        inside = (r >= 0) & (r <= ops.cast(h - 1, "float32")) & (c >= 0) & (c <= ops.cast(w - 1, "float32"))
        index = ops.cast(ops.clip(r, 0, h - 1) * ops.cast(w, "float32") + ops.clip(c, 0, w - 1), "int32")
        values = ops.reshape(ops.take_along_axis(flat, ops.reshape(index, (n, h * w)), axis=1), (n, h, w))
        out = out + ops.where(inside, values * weight, 0.0)
    return out

@keras.saving.register_keras_serializable(package="mnist_lab")
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
