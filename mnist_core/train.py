"""Train a Keras model on MNIST-format arrays: one call, progress through callbacks, best epoch kept.

The core never touches a UI: progress goes into a thread-safe `TrainingProgress` that a page (or the
command line) reads; `TrainingProgress.request_stop()` ends training after the current batch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ConfigError
from .models import build_model
from .precision import as_float32, resolve_precision
from .progress import Status, TrainingProgress
from .train_config import CUSTOM, TrainConfig
from .train_data import make_dataset, select_digits, split_data, with_outliers, with_world

if TYPE_CHECKING:  # pragma: no cover
    import keras


def make_optimizer(config: TrainConfig, steps: int):
    import keras

    lr: Any = config.learning_rate
    if config.schedule == "cosine":
        warmup = min(steps // 10, 500)
        lr = keras.optimizers.schedules.CosineDecay(
            0.0 if warmup else config.learning_rate,
            max(steps - warmup, 1),
            warmup_target=config.learning_rate if warmup else None,
            warmup_steps=warmup,
        )
    elif config.schedule == "step":
        lr = keras.optimizers.schedules.PiecewiseConstantDecay(
            [steps // 2, (3 * steps) // 4],
            [config.learning_rate, config.learning_rate * 0.1, config.learning_rate * 0.01],
        )
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.Adam(lr)


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
    model.compile(optimizer=make_optimizer(config, steps), loss=loss, metrics=[DigitAccuracy()], jit_compile=False)


def _build_for_workers(model: keras.Model, dataset) -> None:
    """Build the model's optimizer and metric variables from one local batch, in the strategy's scope.

    Keras 3's fit otherwise does this itself by averaging a first distributed batch across the
    replicas, which fails under MultiWorkerMirroredStrategy (keras-team/keras#20585: "Attempt to
    convert a value (PerReplica...)"). With the model built here and its strategy left to the scope
    fit runs in, fit distributes the data and the steps as usual.
    """
    x, y = next(iter(dataset))
    model._symbolic_build(data_batch=(x, y))  # noqa: SLF001 - what fit would do, minus the failing reduction
    model._distribute_strategy = None  # noqa: SLF001 - fit then takes the strategy of the scope it runs in
    _average_scalars_across_workers()


def _average_scalars_across_workers() -> None:
    """Keras 3.15 averages each step's logged figures across workers with `strategy.reduce("MEAN", v,
    axis=0)`, which fails for scalars ("Invalid reduction dimension 0 for input with 0 dimensions").
    Reduce a scalar over the replicas alone (axis=None), as the strategy's API intends; anything else
    goes to Keras's own code. Used under MultiWorkerMirroredStrategy only."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original = tf_trainer.reduce_per_replica
    if getattr(original, "scalars_fixed", False):
        return

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            def one(v):
                local = v.values[0] if isinstance(v, tf.distribute.DistributedValues) else v
                if getattr(local, "shape", None) is not None and local.shape.rank == 0:
                    return strategy.reduce("MEAN", v, axis=None)
                return original(v, strategy, reduction)

            return tf.nest.map_structure(one, values)
        return original(values, strategy, reduction)

    reduce_per_replica.scalars_fixed = True
    tf_trainer.reduce_per_replica = reduce_per_replica


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
    from .distribute import strategy

    distribution = strategy()  # first: a multi-worker strategy must exist before any other TensorFlow op
    import keras

    from .callbacks import KeepBest, ProgressCallback
    from .distribute import cluster_size, distribute_options

    keras.utils.set_random_seed(config.seed)
    progress = progress or TrainingProgress()
    x_tr, y_tr, x_val, y_val = split_data(x, y, config)
    if not config.world.is_none:
        progress.update(detail="making the digits in the world's styles (once; then from the cache)")
        x_tr, y_tr = with_world(x_tr, y_tr, config.world, config.seed)
        x_tr, y_tr = select_digits(x_tr, y_tr, config.digits)  # the world's digits are all ten
    if config.outliers:
        x_tr, y_tr = with_outliers(x_tr, y_tr, config.outliers, config.seed)
    batches = math.ceil(len(x_tr) / config.batch_size)
    train_ds = distribute_options(make_dataset(x_tr, y_tr, config.batch_size, config.augment, seed=config.seed))
    val_ds = distribute_options(make_dataset(x_val, y_val, 512, shuffle=False)) if len(x_val) else None
    precision = resolve_precision(config, fresh_model=model is None)
    with distribution.scope():
        if model is None:
            if config.architecture == CUSTOM:
                raise ConfigError("a 'custom' architecture needs the model to train")
            model = build_model(config.architecture, dtype=None if precision == "float32" else precision)
        compile_model(model, config, batches * config.epochs)
        if cluster_size() > 1:
            _build_for_workers(model, train_ds)
    keep = KeepBest("val_loss" if val_ds is not None else "loss")
    cbs = [ProgressCallback(progress, config.epochs, batches), keep, *callbacks]
    start = time.time()
    try:
        with distribution.scope():
            # shuffle=False: the dataset shuffles itself (Keras would warn that it cannot)
            model.fit(train_ds, validation_data=val_ds, epochs=config.epochs, callbacks=cbs, verbose=verbose,
                      shuffle=False)
    except Exception as err:
        progress.update(status=Status.FAILED, error=f"{type(err).__name__}: {err}", finished=time.time())
        raise
    seconds = time.time() - start
    if precision != "float32":
        model = as_float32(model, config.architecture)
    stopped = progress.stop_requested
    progress.update(status=Status.STOPPED if stopped else Status.DONE, finished=time.time())
    return TrainResult(model, list(progress.history), seconds, stopped, keep.best_epoch, precision)
