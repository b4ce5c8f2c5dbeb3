"""Training: a frozen TrainConfig, a tf.data pipeline with augmentation, and progress via Keras callbacks.

The core never touches a UI. Progress goes into a thread-safe `TrainingProgress` that a page (or the
command line) reads; `TrainingProgress.request_stop()` ends training after the current batch, and the
best weights seen so far are kept.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .augment import DRAWING_AUGMENT, AugmentConfig
from .errors import ConfigError
from .models import ARCHITECTURES, build_model

if TYPE_CHECKING:  # pragma: no cover
    import keras

OPTIMIZERS = ("adam", "sgd", "rmsprop")
SCHEDULES = ("constant", "cosine", "step")
# float32 | mixed_bfloat16 (bfloat16 maths, float32 weights: ~1.5x faster on CPUs with native bfloat16,
# e.g. AVX512_BF16) | auto (mixed_bfloat16 where the CPU has it, for the default CNN; else float32)
PRECISIONS = ("float32", "mixed_bfloat16", "auto")
CUSTOM = "custom"  # architecture of a model handed to train() (an upload being fine-tuned): never built here


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; saved in the model's card."""

    architecture: str = "default_cnn"
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "adam"  # adam | sgd (momentum 0.9) | rmsprop
    learning_rate: float = 1e-3  # peak learning rate
    schedule: str = "cosine"  # constant | cosine (decay to 0 over the run) | step (x0.1 at 50%, 75%)
    train_subset: int = 0  # use the first N training images (0 = all 60000)
    validation_split: float = 0.1  # share of the training images held out for validation (0 = none)
    label_smoothing: float = 0.0
    # outlier exposure: add this share of non-digit scribbles, whose target is "every digit equally
    # likely", so the model learns to be unsure about drawings that are not digits
    outliers: float = 0.0
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    seed: int = 0
    digits: tuple[int, ...] = ()  # train only on these digits (the transfer demo: 0-4); () = all ten
    precision: str = "float32"  # see PRECISIONS; the saved model always computes in float32

    def __post_init__(self) -> None:
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ConfigError(msg)

        need(self.architecture in ARCHITECTURES or self.architecture == CUSTOM,
             f"unknown architecture {self.architecture!r}")
        need(isinstance(self.epochs, int) and 1 <= self.epochs <= 200, f"epochs must be 1-200, got {self.epochs!r}")
        need(
            isinstance(self.batch_size, int) and 1 <= self.batch_size <= 4096,
            f"batch size must be 1-4096, got {self.batch_size!r}",
        )
        need(self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        need(
            isinstance(self.learning_rate, (int, float)) and 1e-6 <= self.learning_rate <= 1.0,
            f"learning rate must be between 1e-6 and 1, got {self.learning_rate!r}",
        )
        need(self.schedule in SCHEDULES, f"schedule must be one of {', '.join(SCHEDULES)}")
        need(
            isinstance(self.train_subset, int) and (self.train_subset == 0 or 100 <= self.train_subset <= 60000),
            f"training subset must be 0 (all) or 100-60000 images, got {self.train_subset!r}",
        )
        need(
            isinstance(self.validation_split, (int, float)) and 0.0 <= self.validation_split <= 0.5,
            f"validation split must be between 0 and 0.5, got {self.validation_split!r}",
        )
        need(0.0 <= self.label_smoothing < 0.5, "label smoothing must be in [0, 0.5)")
        need(isinstance(self.outliers, (int, float)) and 0.0 <= self.outliers <= 0.5,
             f"the share of non-digit examples must be between 0 and 0.5, got {self.outliers!r}")
        need(isinstance(self.seed, int) and 0 <= self.seed < 2**31, f"seed must be 0-{2**31 - 1}, got {self.seed!r}")
        need(self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if isinstance(self.augment, dict):  # from a saved card
            object.__setattr__(self, "augment", AugmentConfig.from_dict(self.augment))
        need(isinstance(self.augment, AugmentConfig), "augment must be an AugmentConfig")
        object.__setattr__(self, "digits", check_digits(self.digits))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def check_data(self, n_images: int) -> None:
        """Refuse settings that do not fit the data (e.g. a batch larger than the training set).

        `n_images` counts the images left after the digit filter.
        """
        n = min(self.train_subset or n_images, n_images)
        n_train = n - int(round(n * self.validation_split))
        if n_train < 1:
            raise ConfigError("no training images left after the validation split")
        if self.batch_size > n_train:
            raise ConfigError(f"batch size {self.batch_size} is larger than the {n_train} training images")


def check_digits(digits: Any) -> tuple[int, ...]:
    """A sorted tuple of distinct digits 0-9 (() = all), or ConfigError."""
    try:
        out = tuple(sorted({int(d) for d in digits}))
    except (TypeError, ValueError):
        raise ConfigError(f"digits must be a list of digits 0-9, got {digits!r}") from None
    if any(not 0 <= d <= 9 for d in out):
        raise ConfigError(f"digits must be between 0 and 9, got {list(out)}")
    return () if len(out) == 10 else out


def parse_digits(text: str) -> tuple[int, ...]:
    """'0-4', '5,6,7' or '' (all) -> a digits tuple, or ConfigError with what was wrong."""
    digits: set[int] = set()
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        lo, dash, hi = part.partition("-")
        if not (lo.isdigit() and (hi.isdigit() or not dash)) or len(lo) > 1 or len(hi) > 1:
            raise ConfigError(f"{part!r} is not a digit or a range like 0-4")
        if int(hi or lo) < int(lo):
            raise ConfigError(f"{part!r}: a range goes from the smaller digit to the larger, like 0-4")
        digits.update(range(int(lo), int(hi or lo) + 1))
    return check_digits(digits)


def select_digits(x: np.ndarray, y: np.ndarray, digits: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Only the examples whose label is in `digits` (all when digits is empty)."""
    if not len(digits):
        return x, y
    keep = np.isin(y, np.asarray(digits))
    return x[keep], y[keep]


PRESETS: dict[str, TrainConfig] = {
    # A live demo: >= 98.5% test accuracy in well under a minute on 2 CPU cores (bench/bench_train.py quick),
    # with a small validation share so the class sees a validation curve.
    "quick": TrainConfig(architecture="simple_cnn", epochs=3, batch_size=128, learning_rate=2e-3, schedule="cosine",
                         validation_split=0.05),
    # The shipped default's recipe (bench/bench_train.py best; README "The shipped model").
    "best": TrainConfig(
        architecture="default_cnn",
        epochs=40,
        batch_size=128,
        learning_rate=3e-3,
        schedule="cosine",
        validation_split=0.0,
        outliers=0.1,
        augment=DRAWING_AUGMENT,
        precision="auto",
    ),
}


# ---------------------------------------------------------------------------------------------
# Progress shared between the training thread and whoever displays it


class TrainingProgress:
    """Thread-safe record of a run: written by ProgressCallback, read by any display."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.status = "waiting"  # waiting | running | stopping | done | stopped | failed
        self.epoch = 0  # 1-based epoch in progress
        self.epochs = 0
        self.batch = 0  # batches done in this epoch
        self.batches = 0  # batches per epoch
        self.started = 0.0
        self.finished = 0.0
        self.history: list[dict[str, float]] = []  # one row per finished epoch
        self.batch_log: list[tuple[float, float, float]] = []  # (epoch + fraction, loss, accuracy)
        self.error = ""

    def request_stop(self) -> None:
        """Ask training to end after the current batch (best weights are kept)."""
        self._stop.set()
        with self._lock:
            if self.status in ("waiting", "running"):
                self.status = "stopping"

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def update(self, **values: Any) -> None:
        with self._lock:
            for key, value in values.items():
                setattr(self, key, value)

    def add_batch(self, batch: int, loss: float, accuracy: float) -> None:
        with self._lock:
            self.batch = batch
            self.batch_log.append((self.epoch - 1 + batch / max(self.batches, 1), loss, accuracy))

    def add_epoch(self, row: dict[str, float]) -> None:
        with self._lock:
            self.history.append(row)

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy for display, with elapsed time, fraction done and ETA in seconds."""
        with self._lock:
            total = self.epochs * self.batches
            done = (self.epoch - 1) * self.batches + self.batch if self.epoch else 0
            end = self.finished or time.time()
            elapsed = end - self.started if self.started else 0.0
            fraction = done / total if total else 0.0
            eta = elapsed * (1 - fraction) / fraction if fraction > 0 and not self.finished else 0.0
            return {
                "status": self.status,
                "epoch": self.epoch,
                "epochs": self.epochs,
                "batch": self.batch,
                "batches": self.batches,
                "fraction": min(fraction, 1.0),
                "elapsed": elapsed,
                "eta": eta,
                "history": list(self.history),
                "batch_log": list(self.batch_log),
                "error": self.error,
            }


def _make_progress_callback():
    import keras

    class ProgressCallback(keras.callbacks.Callback):
        """Writes per-batch and per-epoch figures into a TrainingProgress; honours its stop request."""

        def __init__(self, progress: TrainingProgress, epochs: int, batches: int, every: int = 1):
            super().__init__()
            self.progress, self.epochs, self.batches, self.every = progress, epochs, batches, every

        def on_train_begin(self, logs=None):
            self.progress.update(status="running", epochs=self.epochs, batches=self.batches, started=time.time())

        def on_epoch_begin(self, epoch, logs=None):
            self.progress.update(epoch=epoch + 1, batch=0)

        def on_train_batch_end(self, batch, logs=None):
            if (batch + 1) % self.every == 0 or batch + 1 == self.batches:
                logs = logs or {}
                self.progress.add_batch(batch + 1, float(logs.get("loss", np.nan)), float(logs.get("accuracy", np.nan)))
            if self.progress.stop_requested:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items() if np.isscalar(v)},
                   "seconds": round(time.time() - self.progress.started, 1)}
            if self.progress.stop_requested and self.progress.batch < self.batches:
                row["partial"] = 1.0  # stopped mid-epoch: figures cover the batches done
            self.progress.add_epoch(row)

    return ProgressCallback


def _make_keep_best():
    import keras

    class KeepBest(keras.callbacks.Callback):
        """Remember the weights of the best epoch (by monitor) and restore them when training ends.

        A "loss" monitor is minimised, anything else maximised; ties go to the later epoch. The
        validation loss is the default: on a few thousand validation images it is a steadier judge
        than accuracy, which moves in steps of one image. A stop in the middle of an epoch still ends
        with Keras validating the current weights, so a half-finished epoch is kept only if it is the best.
        """

        def __init__(self, monitor: str = "val_loss"):
            super().__init__()
            self.monitor, self.best_weights, self.best_epoch = monitor, None, 0
            self.sign = -1.0 if monitor.endswith("loss") else 1.0
            self.best = -math.inf  # of sign * value

        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get(self.monitor)
            if value is not None and np.isfinite(value) and self.sign * float(value) >= self.best:
                self.best, self.best_weights, self.best_epoch = self.sign * float(value), self.model.get_weights(), epoch + 1

        def on_train_end(self, logs=None):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return KeepBest


# ---------------------------------------------------------------------------------------------
# Data pipeline


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


def _optimizer(config: TrainConfig, steps: int):
    import keras

    lr: Any = config.learning_rate
    if config.schedule == "cosine":
        warmup = min(steps // 10, 500)
        lr = keras.optimizers.schedules.CosineDecay(
            0.0 if warmup else config.learning_rate, max(steps - warmup, 1), warmup_target=config.learning_rate if warmup else None,
            warmup_steps=warmup,
        )
    elif config.schedule == "step":
        lr = keras.optimizers.schedules.PiecewiseConstantDecay(
            [steps // 2, (3 * steps) // 4], [config.learning_rate, config.learning_rate * 0.1, config.learning_rate * 0.01]
        )
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.Adam(lr)


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


def native_bfloat16() -> bool:
    """Whether this machine's CPU computes bfloat16 natively (Linux CPU flags avx512_bf16 / amx_bf16)."""
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_precision(config: TrainConfig, fresh_model: bool) -> str:
    """The precision a run really uses: 'auto' picks mixed_bfloat16 for a fresh default CNN on a CPU
    with native bfloat16; a model handed in (fine-tuning) keeps the float32 it was saved in."""
    if not fresh_model or config.architecture != "default_cnn":
        return "float32"
    if config.precision == "auto":
        return "mixed_bfloat16" if native_bfloat16() else "float32"
    return config.precision


def _as_float32(model: keras.Model, architecture: str) -> keras.Model:
    """A float32 copy of a mixed-precision model (same layers, same weights): what gets saved and served."""
    clone = build_model(architecture)
    clone.set_weights(model.get_weights())
    return clone


@dataclass
class TrainResult:
    model: keras.Model
    history: list[dict[str, float]]
    seconds: float
    stopped_early: bool
    best_epoch: int
    precision: str = "float32"


def compile_model(model: keras.Model, config: TrainConfig, steps: int) -> None:
    import keras

    from .layers import DigitAccuracy

    loss = keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
    # XLA (jit_compile) is ~5x slower for these small convnets on CPU: keep it off
    model.compile(optimizer=_optimizer(config, steps), loss=loss, metrics=[DigitAccuracy()], jit_compile=False)


def train(
    config: TrainConfig,
    x: np.ndarray,
    y: np.ndarray,
    progress: TrainingProgress | None = None,
    model: keras.Model | None = None,
    callbacks: Sequence[Any] = (),
    verbose: int = 0,
) -> TrainResult:
    """Train `model` (or a fresh one of config.architecture) on uint8 images `x` and labels `y`.

    Args:
        config: the run's settings.
        x, y: (N, 28, 28) uint8 images and (N,) labels (the subset and validation split are taken here).
        progress: receives live figures and may ask to stop; a fresh one is made if None.
        model: start from this model (fine-tuning) instead of a fresh one; it is trained in place.
        callbacks: extra Keras callbacks.
        verbose: Keras's own progress bar (1 for a terminal).
    Returns:
        TrainResult with the model holding the best epoch's weights.
    """
    import keras

    from .distribute import strategy_scope

    keras.utils.set_random_seed(config.seed)
    progress = progress or TrainingProgress()
    x_tr, y_tr, x_val, y_val = split_data(x, y, config)
    if config.outliers:
        x_tr, y_tr = with_outliers(x_tr, y_tr, config.outliers, config.seed)
    batches = math.ceil(len(x_tr) / config.batch_size)
    train_ds = make_dataset(x_tr, y_tr, config.batch_size, config.augment, seed=config.seed)
    val_ds = make_dataset(x_val, y_val, 512, shuffle=False) if len(x_val) else None
    precision = resolve_precision(config, fresh_model=model is None)
    with strategy_scope():
        if model is None:
            if config.architecture == CUSTOM:
                raise ConfigError("a 'custom' architecture needs the model to train")
            model = build_model(config.architecture, dtype=None if precision == "float32" else precision)
        compile_model(model, config, batches * config.epochs)
    keep = _make_keep_best()("val_loss" if val_ds is not None else "loss")
    cbs = [_make_progress_callback()(progress, config.epochs, batches), keep, *callbacks]
    start = time.time()
    try:
        model.fit(train_ds, validation_data=val_ds, epochs=config.epochs, callbacks=cbs, verbose=verbose)
    except Exception as err:
        progress.update(status="failed", error=f"{type(err).__name__}: {err}", finished=time.time())
        raise
    seconds = time.time() - start
    if precision != "float32":
        model = _as_float32(model, config.architecture)
    stopped = progress.stop_requested
    progress.update(status="stopped" if stopped else "done", finished=time.time())
    return TrainResult(model, list(progress.history), seconds, stopped, keep.best_epoch, precision)


def with_overrides(config: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of `config` with some fields changed (validated again)."""
    return replace(config, **{k: v for k, v in changes.items() if v is not None})
