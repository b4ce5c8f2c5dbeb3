"""Run a training or fine-tuning job in a child process at low CPU priority, with live progress.

Why a process and not a thread of the app's server: training keeps every core busy, and in the
server's own process it shares TensorFlow's thread pools (and the GIL) with the predictions of every
student drawing; a nice'd child process gives the scheduler the right to serve the predictions first.
Progress still travels through a Keras callback into a `TrainingProgress`: in the child, a
`RelayProgress` sends every change through a pipe as a named message, and the parent applies it to
the job's own `TrainingProgress`, which any display reads. A stop request goes the other way. If the
parent dies (kill -9 of the server), the child notices the closed pipe and exits without saving
anything; every save is atomic in any case.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .data import MnistData
from .errors import MnistLabError
from .progress import Status, TrainingProgress
from .runs import RunResult, RunSpec, run, store_saver

log = logging.getLogger("mnist_lab.worker")
NICENESS = 10  # CFS weight 110 vs 1024: a busy server gets ~90% of the CPU it asks for


class JobError(MnistLabError):
    """The job ended with a message for the user (bad settings, missing parent model, ...)."""


# Messages through the pipe: child -> parent, except Stop.
@dataclass(frozen=True)
class Changed:
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchDone:
    batch: int
    loss: float
    accuracy: float


@dataclass(frozen=True)
class EpochDone:
    row: dict[str, float]


@dataclass(frozen=True)
class Finished:
    result: RunResult


@dataclass(frozen=True)
class Failed:
    message: str  # worded for the page


@dataclass(frozen=True)
class Stop:
    pass


class RelayProgress(TrainingProgress):
    """A TrainingProgress that also sends every change to the parent process."""

    def __init__(self, conn) -> None:
        super().__init__()
        self._conn = conn
        self._send_lock = threading.Lock()

    def send(self, message: Changed | BatchDone | EpochDone | Finished | Failed) -> None:
        with self._send_lock:
            try:
                self._conn.send(message)
            except OSError:  # the parent is gone; the pipe listener ends this process
                pass

    def update(self, **values: Any) -> None:
        super().update(**values)
        self.send(Changed(values))

    def add_batch(self, batch: int, loss: float, accuracy: float) -> None:
        super().add_batch(batch, loss, accuracy)
        self.send(BatchDone(batch, loss, accuracy))

    def add_epoch(self, row: dict[str, float]) -> None:
        super().add_epoch(row)
        self.send(EpochDone(row))


def apply_message(progress: TrainingProgress, message: object) -> None:
    """Apply one progress message of a RelayProgress to the parent's `progress`."""
    if isinstance(message, Changed):
        progress.update(**message.values)
    elif isinstance(message, BatchDone):
        progress.add_batch(message.batch, message.loss, message.accuracy)
    elif isinstance(message, EpochDone):
        progress.add_epoch(message.row)


def _child(conn, spec: RunSpec, x, y, x_test, y_test) -> None:
    """The child process: lower its priority, train, report; exit at once if the parent goes away."""
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):  # not on this platform: run at normal priority
        pass
    progress = RelayProgress(conn)

    def listen() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                os._exit(3)  # the server died: nothing of this run is saved
            if isinstance(message, Stop):
                progress.request_stop()

    threading.Thread(target=listen, name="job-pipe", daemon=True).start()
    try:
        result = run(spec, MnistData(x, y, x_test, y_test), store_saver(), progress=progress)
    except MnistLabError as err:
        progress.send(Failed(str(err)))
    except Exception as err:  # noqa: BLE001 - reported to the parent, which shows it
        log.exception("training job %s failed", spec.name)
        progress.send(Failed(f"Training failed unexpectedly ({type(err).__name__}: {err})."))
    else:
        progress.send(Finished(replace(result, worker_niceness=os.nice(0) if hasattr(os, "nice") else None)))
    conn.close()


def _ended(proc) -> str:
    """Why the training process ended, in words."""
    code = proc.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        killed = " (the system may have run out of memory)" if name == "SIGKILL" else ""
        return f"the training process was killed by {name}{killed}; nothing of this run was saved"
    return f"the training process ended unexpectedly (exit code {code}); nothing of this run was saved"


def run_in_process(spec: RunSpec, data: MnistData, progress: TrainingProgress, poll: float = 0.1) -> RunResult:
    """Run the job in a nice'd child process; mirror its progress into `progress`; honour
    `progress.request_stop()`. Returns the run's result; raises JobError with the child's message."""
    ctx = multiprocessing.get_context("spawn")  # never fork a process that holds TensorFlow's threads
    parent_conn, child_conn = ctx.Pipe()
    arrays = (np.asarray(data.x_train), np.asarray(data.y_train), np.asarray(data.x_test), np.asarray(data.y_test))
    proc = ctx.Process(target=_child, args=(child_conn, spec, *arrays), name=f"train-{spec.name}", daemon=True)
    proc.start()
    child_conn.close()
    stop_sent = False
    try:
        while True:
            if progress.stop_requested and not stop_sent:
                try:
                    parent_conn.send(Stop())
                except OSError:
                    pass
                stop_sent = True
            if not parent_conn.poll(poll):
                if not proc.is_alive() and not parent_conn.poll():
                    proc.join(1)
                    raise JobError(_ended(proc))
                continue
            try:
                message = parent_conn.recv()
            except EOFError:
                proc.join(5)
                raise JobError(_ended(proc)) from None
            if isinstance(message, Finished):
                return message.result
            if isinstance(message, Failed):
                raise JobError(message.message)
            apply_message(progress, message)
    finally:
        parent_conn.close()
        proc.join(30)
        if proc.is_alive():
            proc.kill()
        progress.update(finished=progress.finished or time.time())
        if progress.status in (Status.WAITING, Status.PREPARING, Status.RUNNING, Status.STOPPING):
            progress.update(status=Status.STOPPED if progress.stop_requested else Status.FAILED)
