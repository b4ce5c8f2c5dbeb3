"""Run a training or fine-tuning job in a child process at low CPU priority, with live progress.

Why a process and not a thread of the app's server: training keeps every core busy, and in the
server's own process it shares TensorFlow's thread pools (and the GIL) with the predictions of every
student drawing; a nice'd child process gives the scheduler the right to serve the predictions first.
Progress still travels through a Keras callback into a `TrainingProgress`: in the child, a
`RelayProgress` sends every change through a pipe, and the parent applies it to the job's own
`TrainingProgress`, which any display reads. A stop request goes the other way. If the parent dies
(kill -9 of the server), the child notices the closed pipe and exits without saving anything; every
save is atomic in any case.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import MnistLabError
from .finetune import FinetuneConfig
from .train import TrainConfig, TrainingProgress

log = logging.getLogger("mnist_lab.worker")
NICENESS = 10  # CFS weight 110 vs 1024: a busy server gets ~90% of the CPU it asks for


class JobError(MnistLabError):
    """The job ended with a message for the user (bad settings, missing parent model, ...)."""


@dataclass(frozen=True)
class JobSpec:
    """What to run: training from scratch (config), or fine-tuning the stored model `parent`."""

    config: TrainConfig
    name: str  # the name to store the model under (made unique by the store)
    finetune: FinetuneConfig | None = None
    parent: str = ""


class RelayProgress(TrainingProgress):
    """A TrainingProgress that also sends every change to the parent process."""

    def __init__(self, conn) -> None:
        super().__init__()
        self._conn = conn
        self._send_lock = threading.Lock()

    def _send(self, *message: Any) -> None:
        with self._send_lock:
            try:
                self._conn.send(message)
            except OSError:  # the parent is gone; the pipe listener ends this process
                pass

    def update(self, **values: Any) -> None:
        super().update(**values)
        self._send("update", values)

    def add_batch(self, batch: int, loss: float, accuracy: float) -> None:
        super().add_batch(batch, loss, accuracy)
        self._send("batch", batch, loss, accuracy)

    def add_epoch(self, row: dict[str, float]) -> None:
        super().add_epoch(row)
        self._send("epoch", row)


def run_job(spec: JobSpec, x, y, x_test, y_test, progress: TrainingProgress) -> dict[str, Any]:
    """Train (or fine-tune), evaluate on the test set and store the model; a summary for the page."""
    if spec.finetune is not None:
        return _finetune_and_store(spec, x, y, x_test, y_test, progress)
    return _train_and_store(spec, x, y, x_test, y_test, progress)


def _train_and_store(spec: JobSpec, x, y, x_test, y_test, progress) -> dict[str, Any]:
    from .evaluate import evaluate
    from .store import ModelStore, training_card
    from .train import train

    result = train(spec.config, x, y, progress=progress)
    ev = evaluate(result.model, x_test, y_test)
    store = ModelStore()
    name = store.unique_name(spec.name)
    store.save(result.model, name, training_card(result, spec.config, ev, name))
    return {"test_accuracy": ev.accuracy, "model_name": name, "seconds": result.seconds,
            "stopped": result.stopped_early, "best_epoch": result.best_epoch}


def _finetune_and_store(spec: JobSpec, x, y, x_test, y_test, progress) -> dict[str, Any]:
    from .evaluate import evaluate
    from .finetune import finetune, load_handwriting
    from .models import ARCHITECTURES, load_model
    from .store import ModelStore, training_card
    from .train import CUSTOM

    fc = spec.finetune
    store = ModelStore()
    parent = store.get(spec.parent)
    model = load_model(parent.path)  # a fresh copy of this job's own: fine-tuning changes its layers
    handwriting = load_handwriting() if fc.source == "handwriting" else None
    arch = parent.card.get("architecture", "")
    out = finetune(model, fc, x, y, x_test, y_test, handwriting=handwriting, progress=progress)
    ev = evaluate(out.result.model, x_test, y_test)
    name = store.unique_name(spec.name)
    config = fc.train_config(arch if arch in ARCHITECTURES else CUSTOM)
    card = training_card(out.result, config, ev, name, parent=parent.name, finetune=fc.to_dict(),
                         before=out.before, after=out.after, images=out.images,
                         handwriting_held_out=out.handwriting_held_out,
                         description=f"{parent.name} fine-tuned ({fc.mode}: "
                                     f"{'new head' if fc.mode == 'head' else 'all layers'}, {fc.source})")
    store.save(out.result.model, name, card)
    return {"test_accuracy": ev.accuracy, "model_name": name, "seconds": out.result.seconds,
            "stopped": out.result.stopped_early, "best_epoch": out.result.best_epoch, "before": out.before,
            "after": out.after, "trainable_weights": out.trainable_weights, "parent": parent.name,
            "handwriting_held_out": out.handwriting_held_out}


def _child(conn, spec: JobSpec, x, y, x_test, y_test) -> None:
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
            if message and message[0] == "stop":
                progress.request_stop()

    threading.Thread(target=listen, name="job-pipe", daemon=True).start()
    try:
        result = run_job(spec, x, y, x_test, y_test, progress)
    except MnistLabError as err:
        progress._send("failed", str(err))
    except Exception as err:  # noqa: BLE001 - reported to the parent, which shows it
        log.exception("training job %s failed", spec.name)
        progress._send("failed", f"Training failed unexpectedly ({type(err).__name__}: {err}).")
    else:
        progress._send("done", {**result, "worker_niceness": os.nice(0) if hasattr(os, "nice") else 0})
    conn.close()


def apply_message(progress: TrainingProgress, message: tuple) -> str:
    """Apply one message of a RelayProgress to the parent's `progress`; returns the message kind."""
    kind = message[0]
    if kind == "update":
        values = dict(message[1])
        if progress.stop_requested and values.get("status") == "running":
            values.pop("status")  # keep showing "stopping" until the child has stopped
        progress.update(**values)
    elif kind == "batch":
        progress.add_batch(*message[1:])
    elif kind == "epoch":
        progress.add_epoch(message[1])
    return kind


def run_in_process(spec: JobSpec, x, y, x_test, y_test, progress: TrainingProgress,
                   poll: float = 0.1) -> dict[str, Any]:
    """Run the job in a nice'd child process; mirror its progress into `progress`; honour
    `progress.request_stop()`. Returns run_job's summary; raises JobError with the child's message."""
    ctx = multiprocessing.get_context("spawn")  # never fork a process that holds TensorFlow's threads
    parent_conn, child_conn = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(child_conn, spec, np.asarray(x), np.asarray(y), np.asarray(x_test),
                                            np.asarray(y_test)), name=f"train-{spec.name}", daemon=True)
    proc.start()
    child_conn.close()
    stop_sent = False
    try:
        while True:
            if progress.stop_requested and not stop_sent:
                try:
                    parent_conn.send(("stop",))
                except OSError:
                    pass
                stop_sent = True
            if not parent_conn.poll(poll):
                if not proc.is_alive() and not parent_conn.poll():
                    raise JobError(f"the training process ended unexpectedly (exit code {proc.exitcode})")
                continue
            try:
                message = parent_conn.recv()
            except EOFError:
                raise JobError(f"the training process ended unexpectedly (exit code {proc.exitcode})") from None
            kind = apply_message(progress, message)
            if kind == "done":
                return message[1]
            if kind == "failed":
                raise JobError(message[1])  # already worded for the page by the child
    finally:
        parent_conn.close()
        proc.join(30)
        if proc.is_alive():
            proc.kill()
        progress.update(finished=progress.finished or time.time())
