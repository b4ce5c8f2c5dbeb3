"""A warm training process: a low-priority child that keeps TensorFlow and MNIST loaded and runs
one training or fine-tuning job after another, with live progress.

Why a process and not a thread of the app's server: training keeps every core busy, and in the
server's own process it shares TensorFlow's thread pools (and the GIL) with the predictions of every
student drawing; a nice'd child process gives the scheduler the right to serve the predictions first.
Why a warm one: spawning a process and importing TensorFlow costs 5-10 s, which a class would watch
in silence after pressing Start. The worker is started before anyone asks (the Train page starts it),
imports TensorFlow, maps MNIST from shared memory (put there once, never pickled per job) and waits.

Progress travels through a Keras callback into a `TrainingProgress`: in the child, a `RelayProgress`
sends every change through a pipe as a named message, and the parent applies it to the job's own
`TrainingProgress`, which any display reads. A stop request goes the other way. If the parent dies
(kill -9 of the server), the child notices the closed pipe and exits without saving anything; every
save is atomic in any case.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass, field, replace
from multiprocessing import shared_memory
from typing import Any

import numpy as np

from .data import MnistData
from .errors import MnistLabError
from .progress import Status, TrainingProgress
from .runs import RunResult, RunSpec, run, store_saver

log = logging.getLogger("mnist_lab.worker")
NICENESS = 10  # CFS weight 110 vs 1024: a busy server gets ~90% of the CPU it asks for
ARRAYS = ("x_train", "y_train", "x_test", "y_test")


class JobError(MnistLabError):
    """The job ended with a message for the user (bad settings, missing parent model, ...)."""


# Messages through the pipe. Parent -> child: RunJob, Stop, Shutdown. Child -> parent: the rest.
LAB_SETTINGS = ("MNIST_LAB_HOME", "MNIST_MODELS_DIR", "MNIST_HANDWRITING_DB")  # where a job reads and saves


@dataclass(frozen=True)
class RunJob:
    spec: RunSpec
    settings: dict[str, str] = field(default_factory=dict)  # the server's LAB_SETTINGS when the job was sent


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Shutdown:
    pass


@dataclass(frozen=True)
class Ready:
    seconds: float  # from spawn to ready (imports, data mapped, warm-up)


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
    result: RunResult | None  # None: stopped before half of its first epoch, nothing saved


@dataclass(frozen=True)
class Failed:
    message: str  # worded for the page


class RelayProgress(TrainingProgress):
    """A TrainingProgress that also sends every change to the parent process."""

    def __init__(self, conn, lock: threading.Lock | None = None) -> None:
        super().__init__()
        self._conn = conn
        self._send_lock = lock or threading.Lock()

    def send(self, message: object) -> None:
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


# ---------------------------------------------------------------------------------------------
# The child process


def _attach(blocks: dict[str, tuple[str, tuple[int, ...], str]]) -> tuple[MnistData, list]:
    """MNIST as read-only arrays over the parent's shared memory (no copy). The parent owns the blocks
    and unlinks them; this process shares the parent's resource tracker (spawn passes it on)."""
    arrays, handles = {}, []
    for key, (name, shape, dtype) in blocks.items():
        shm = shared_memory.SharedMemory(name=name)
        handles.append(shm)
        array = np.ndarray(shape, dtype=dtype, buffer=shm.buf)
        array.flags.writeable = False
        arrays[key] = array
    return MnistData(**arrays, source="shared memory"), handles


def _serve(conn, blocks) -> None:
    """The child: lower its priority, get TensorFlow ready, then run jobs until told to stop."""
    started = time.time()
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):  # not on this platform: run at normal priority
        pass
    from .distribute import strategy

    strategy()  # before any other TensorFlow op (a multi-worker strategy needs that)
    import keras  # noqa: F401 - the seconds of importing are spent now, not after Start

    data, _handles = _attach(blocks)
    send_lock = threading.Lock()
    jobs: queue.Queue = queue.Queue()
    current: dict[str, RelayProgress] = {}

    def listen() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                os._exit(3)  # the server died: nothing of the running job is saved
            if isinstance(message, Stop):
                if "progress" in current:
                    current["progress"].request_stop()
            elif isinstance(message, RunJob):
                current["progress"] = progress = RelayProgress(conn, send_lock)
                jobs.put((message, progress))
            elif isinstance(message, Shutdown):
                jobs.put(None)

    threading.Thread(target=listen, name="job-pipe", daemon=True).start()
    RelayProgress(conn, send_lock).send(Ready(time.time() - started))
    _measure_speed(keep_going=jobs.empty)  # once per machine; gives way as soon as a job comes
    while (job := jobs.get()) is not None:
        message, progress = job
        spec = message.spec
        for key in LAB_SETTINGS:  # save where the server saves now (a long-lived process; settings may move)
            if key in message.settings:
                os.environ[key] = message.settings[key]
            else:
                os.environ.pop(key, None)
        try:
            result = run(spec, data, store_saver(), progress=progress)
        except MnistLabError as err:
            progress.send(Failed(str(err)))
        except Exception as err:  # noqa: BLE001 - reported to the parent, which shows it
            log.exception("training job %s failed", spec.name)
            progress.send(Failed(f"Training failed unexpectedly ({type(err).__name__}: {err})."))
        else:
            niceness = os.nice(0) if hasattr(os, "nice") else None
            progress.send(Finished(None if result is None else replace(result, worker_niceness=niceness)))
        _forget_models()
        _measure_speed(keep_going=jobs.empty)  # a job that came first cut it short: go on where it stopped
    conn.close()


def _measure_speed(keep_going) -> None:
    """Measure this machine's training speed (for estimates) unless it is known already, or turned off
    with MNIST_LAB_MEASURE=0."""
    from .speed import load_profile, machine_signature, measure, save_profile

    if os.environ.get("MNIST_LAB_MEASURE", "1") == "0":
        return
    try:
        profile = load_profile()
        complete = profile is not None and profile.augment_ms_per_image is not None and len(profile.steps) >= 4
        if not complete and keep_going():
            profile = measure(keep_going=keep_going, profile=profile)
            if profile.machine == machine_signature():
                save_profile(profile)
            _forget_models()
    except Exception:  # noqa: BLE001 - estimates are a nicety: never let them break training
        log.exception("measuring the training speed failed")


def _forget_models() -> None:
    """Free what a finished job's models hold before the next job."""
    import gc

    import keras

    keras.backend.clear_session()
    gc.collect()


# ---------------------------------------------------------------------------------------------
# The parent's handle


def _ended(proc) -> str:
    """Why the training process ended, in words (it is killed first if it has not quite ended)."""
    if proc.exitcode is None:
        proc.join(5)
    if proc.exitcode is None:
        proc.kill()
        proc.join(5)
        return "the training process stopped answering and was ended; nothing of this run was saved"
    code = proc.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        killed = " (the system may have run out of memory)" if name == "SIGKILL" else ""
        return f"the training process was killed by {name}{killed}; nothing of this run was saved"
    return f"the training process ended unexpectedly (exit code {code}); nothing of this run was saved"


class TrainingWorker:
    """A warm child process that trains one job at a time on `data` (shared with it once).

    start() returns at once; run() waits for the process to be ready, then trains and relays progress.
    Thread-safe: runs are serialised. close() ends the process and frees the shared memory.
    """

    def __init__(self, data: MnistData):
        self.data = data
        self._ctx = multiprocessing.get_context("spawn")  # never fork a process that holds TensorFlow's threads
        self._lock = threading.Lock()
        self._proc = None
        self._conn = None
        self._blocks: list[shared_memory.SharedMemory] = []
        self.ready_seconds: float | None = None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    @property
    def ready(self) -> bool:
        return self.alive and self.ready_seconds is not None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Spawn the process (no-op while it is alive)."""
        if self.alive:
            return
        self._free()
        specs = {}
        for key in ARRAYS:
            array = np.ascontiguousarray(getattr(self.data, key))
            shm = shared_memory.SharedMemory(create=True, size=max(array.nbytes, 1))
            np.ndarray(array.shape, array.dtype, buffer=shm.buf)[...] = array
            self._blocks.append(shm)
            specs[key] = (shm.name, array.shape, array.dtype.str)
        self._conn, child_conn = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child_conn, specs), name="training-worker", daemon=True)
        self._proc.start()
        child_conn.close()
        self.ready_seconds = None

    def wait_ready(self, timeout: float = 120.0, progress: TrainingProgress | None = None) -> None:
        """Block until the process has TensorFlow and the data ready."""
        self.start()
        deadline = time.time() + timeout
        while self.ready_seconds is None:
            if progress is not None and progress.stop_requested:
                return
            if not self._conn.poll(0.1):
                if not self._proc.is_alive():
                    raise JobError(_ended(self._proc))
                if time.time() > deadline:
                    raise JobError(f"the training process was not ready after {timeout:.0f} s")
                continue
            message = self._recv()
            if isinstance(message, Ready):
                self.ready_seconds = message.seconds

    def _recv(self):
        """The next message from the process; JobError saying how it ended when it is gone."""
        try:
            return self._conn.recv()
        except EOFError:
            self._proc.join(5)
            raise JobError(_ended(self._proc)) from None

    def run(self, spec: RunSpec, progress: TrainingProgress, poll: float = 0.1) -> RunResult | None:
        """Run one job in the process; mirror its progress into `progress`; honour
        `progress.request_stop()`. Returns the run's result (None when stopped before it began);
        raises JobError with the child's message."""
        with self._lock:
            if not self.ready:
                progress.update(status=Status.PREPARING, detail="starting the training process (TensorFlow)")
                self.wait_ready(progress=progress)
            if progress.stop_requested:
                progress.update(status=Status.STOPPED, finished=time.time())
                return None
            self._conn.send(RunJob(spec, {k: os.environ[k] for k in LAB_SETTINGS if k in os.environ}))
            stop_sent = False
            try:
                while True:
                    if progress.stop_requested and not stop_sent:
                        self._send(Stop())
                        stop_sent = True
                    if not self._conn.poll(poll):
                        if not self._proc.is_alive() and not self._conn.poll():
                            self._proc.join(1)
                            raise JobError(_ended(self._proc))
                        continue
                    message = self._recv()
                    if isinstance(message, Finished):
                        return message.result
                    if isinstance(message, Failed):
                        raise JobError(message.message)
                    apply_message(progress, message)
            finally:
                progress.update(finished=progress.finished or time.time())
                if progress.status.active:
                    progress.update(status=Status.STOPPED if progress.stop_requested else Status.FAILED)

    def _send(self, message: object) -> None:
        try:
            self._conn.send(message)
        except OSError:
            pass

    def close(self, timeout: float = 10.0) -> None:
        """End the process (after its current job) and free the shared memory."""
        if self.alive:
            self._send(Shutdown())
            self._proc.join(timeout)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(5)
        self._free()

    def _free(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        for shm in self._blocks:
            shm.close()
            try:
                shm.unlink()
            except FileNotFoundError:
                pass
        self._blocks = []

    def __del__(self) -> None:  # a worker dropped without close(): do not leave its memory behind
        try:
            self.close(timeout=1.0)
        except Exception:  # noqa: BLE001, S110 - interpreter shutdown
            pass


def run_in_process(spec: RunSpec, data: MnistData, progress: TrainingProgress) -> RunResult | None:
    """One job in a worker of its own, closed afterwards (tests, scripts); the app keeps a warm one."""
    worker = TrainingWorker(data)
    try:
        return worker.run(spec, progress)
    finally:
        worker.close()
