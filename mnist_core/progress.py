"""A training run's live record: written by a Keras callback, read by any display, thread-safe.

`TrainingProgress.request_stop()` asks training to end after the current batch (the best weights seen
so far are kept). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Where a run is. A StrEnum: it compares equal to its value and travels through pipes as text."""

    WAITING = "waiting"  # queued for the server's training slot
    PREPARING = "preparing"  # has the slot: loading data, building the model (before the first batch)
    RUNNING = "running"
    STOPPING = "stopping"  # stop asked for; ends after the current batch
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self in (Status.WAITING, Status.PREPARING, Status.RUNNING, Status.STOPPING)


@dataclass(frozen=True)
class ProgressSnapshot:
    """A consistent copy of a run's progress for display."""

    status: Status
    epoch: int  # 1-based epoch in progress (0 before the first)
    epochs: int
    batch: int  # batches done in this epoch
    batches: int  # batches per epoch
    fraction: float  # share of all batches done, 0-1
    elapsed: float  # seconds since the first batch started (to the end, once finished)
    eta: float  # seconds left, estimated from the pace so far (0 when unknown or finished)
    history: list[dict[str, float]] = field(default_factory=list)  # one row per epoch (the last may be partial)
    batch_log: list[tuple[float, float, float]] = field(default_factory=list)  # (epoch + fraction, loss, accuracy)
    error: str = ""
    detail: str = ""  # what a preparing run is doing ("loading MNIST", ...)


class TrainingProgress:
    """Thread-safe record of a run: written by ProgressCallback (or a relay), read by any display."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.status = Status.WAITING
        self.epoch = 0
        self.epochs = 0
        self.batch = 0
        self.batches = 0
        self.started = 0.0
        self.finished = 0.0
        self.history: list[dict[str, float]] = []
        self.batch_log: list[tuple[float, float, float]] = []
        self.error = ""
        self.detail = ""

    def request_stop(self) -> None:
        """Ask training to end after the current batch (best weights are kept)."""
        self._stop.set()
        with self._lock:
            if self.status in (Status.WAITING, Status.PREPARING, Status.RUNNING):
                self.status = Status.STOPPING

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def update(self, **values: Any) -> None:
        with self._lock:
            if "status" in values:
                values["status"] = Status(values["status"])
                if self._stop.is_set() and values["status"] in (Status.PREPARING, Status.RUNNING):
                    values.pop("status")  # keep showing "stopping" until the run has stopped
            for key, value in values.items():
                setattr(self, key, value)

    def add_batch(self, batch: int, loss: float, accuracy: float) -> None:
        """One batch's own loss and accuracy (not the epoch's running mean)."""
        with self._lock:
            self.batch = batch
            self.batch_log.append((self.epoch - 1 + batch / max(self.batches, 1), loss, accuracy))

    def add_epoch(self, row: dict[str, float]) -> None:
        with self._lock:
            self.history.append(row)

    def snapshot(self) -> ProgressSnapshot:
        """A consistent copy for display, with elapsed time, fraction done and ETA in seconds."""
        with self._lock:
            total = self.epochs * self.batches
            done = (self.epoch - 1) * self.batches + self.batch if self.epoch else 0
            end = self.finished or time.time()
            elapsed = end - self.started if self.started else 0.0
            fraction = done / total if total else 0.0
            eta = elapsed * (1 - fraction) / fraction if fraction > 0 and not self.finished else 0.0
            return ProgressSnapshot(self.status, self.epoch, self.epochs, self.batch, self.batches,
                                    min(fraction, 1.0), elapsed, eta, list(self.history), list(self.batch_log),
                                    self.error, self.detail)
