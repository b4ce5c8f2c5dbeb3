"""Keras callbacks of a training run: live progress (and stop requests), and keeping the best epoch.

Imports Keras: only `train.train` imports this module, when a run starts.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np

from .layers import DigitAccuracy
from .progress import Status, TrainingProgress


def _running_totals(model: keras.Model) -> tuple[float, float, float, float]:
    """(loss sum, examples, right digits, digits) accumulated so far in this epoch.

    Keras's batch logs hold the epoch's running means, which fall at every epoch start; the totals
    behind them give each batch's own figures by difference.
    """
    loss_sum = count = right = seen = 0.0
    stack = list(model.metrics)
    while stack:
        metric = stack.pop()
        if isinstance(metric, DigitAccuracy):
            right, seen = float(metric.right.numpy()), float(metric.seen.numpy())
        elif metric.name == "loss" and hasattr(metric, "total") and hasattr(metric, "count"):
            loss_sum, count = float(metric.total.numpy()), float(metric.count.numpy())
        else:
            stack.extend(getattr(metric, "metrics", []))
    return loss_sum, count, right, seen


class ProgressCallback(keras.callbacks.Callback):
    """Writes each batch's own loss and accuracy and each epoch's figures into a TrainingProgress;
    honours its stop request after the current batch."""

    def __init__(self, progress: TrainingProgress, epochs: int, batches: int):
        super().__init__()
        self.progress, self.epochs, self.batches = progress, epochs, batches
        self._last = (0.0, 0.0, 0.0, 0.0)

    def on_train_begin(self, logs=None):
        self.progress.update(status=Status.RUNNING, detail="", epochs=self.epochs, batches=self.batches,
                             started=time.time())

    def on_epoch_begin(self, epoch, logs=None):
        self._last = (0.0, 0.0, 0.0, 0.0)
        self.progress.update(epoch=epoch + 1, batch=0)

    def on_train_batch_end(self, batch, logs=None):
        totals = _running_totals(self.model)
        d_loss, d_count, d_right, d_seen = (now - before for now, before in zip(totals, self._last, strict=True))
        self._last = totals
        loss = d_loss / d_count if d_count > 0 else float((logs or {}).get("loss", np.nan))
        accuracy = d_right / d_seen if d_seen > 0 else np.nan  # a batch of non-digits only has none
        self.progress.add_batch(batch + 1, float(loss), float(accuracy))
        if self.progress.stop_requested:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items() if np.isscalar(v)},
               "seconds": round(time.time() - self.progress.started, 1)}
        if self.progress.stop_requested and self.progress.batch < self.batches:
            row["fraction"] = self.progress.batch / self.batches  # stopped mid-epoch: the share that ran
        self.progress.add_epoch(row)


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
            self.best, self.best_weights, self.best_epoch = (
                self.sign * float(value),
                self.model.get_weights(),
                epoch + 1,
            )

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
