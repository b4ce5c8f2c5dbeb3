"""Training jobs: a background thread per job, a server-wide FIFO queue, progress the page polls.

The page script never trains: it starts a TrainingJob, keeps it in st.session_state, and a fragment
that reruns every second reads `job.progress.snapshot()`. A rerun, a click or leaving the page does
not stop the job; only `job.stop()` does (after the current batch, keeping the best weights).
The job's thread only waits for a queue slot and relays: the training itself runs in a child
process at low CPU priority (mnist_core/worker.py), so the predictions of everyone drawing come first.
No Streamlit here: the page layer (ui/train_ui.py) draws what a job reports.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from mnist_core.data import MnistData
from mnist_core.errors import MnistLabError
from mnist_core.progress import Status, TrainingProgress
from mnist_core.runs import RunResult, RunSpec
from mnist_core.worker import TrainingWorker

log = logging.getLogger("mnist_lab.jobs")

MAX_CONCURRENT_JOBS = 1  # training uses every core; queue the rest so predictions stay fast


class TrainingQueue:
    """A server-wide limit on jobs training at once; the others wait first come, first served."""

    def __init__(self, slots: int):
        self._cond = threading.Condition()
        self._slots = slots
        self._running = 0
        self._waiting: list[object] = []

    @contextlib.contextmanager
    def slot(self, job: object, give_up: Callable[[], bool], on_wait: Callable[[], None] = lambda: None
             ) -> Iterator[bool]:
        """Wait for a free slot (yields True) unless `give_up()` turns true first (yields False);
        `on_wait()` is called once if the slot is not free at once."""
        got = self._acquire(job, give_up, on_wait)
        try:
            yield got
        finally:
            if got:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    def _acquire(self, job: object, give_up: Callable[[], bool], on_wait: Callable[[], None]) -> bool:
        with self._cond:
            self._waiting.append(job)
            waited = False
            try:
                while not (self._waiting[0] is job and self._running < self._slots):
                    if give_up():
                        return False
                    if not waited:
                        on_wait()
                        waited = True
                    self._cond.wait(0.2)
                self._running += 1
                return True
            finally:
                self._waiting.remove(job)
                self._cond.notify_all()

    def position(self, job: object) -> int:
        """1 for the next job to start, 2 after it...; 0 when `job` is not waiting."""
        with self._cond:
            return next((i + 1 for i, j in enumerate(self._waiting) if j is job), 0)


QUEUE = TrainingQueue(MAX_CONCURRENT_JOBS)

# The server's warm training process (one: jobs take turns through QUEUE). The Train page starts it
# when someone opens the page, so that Start trains at once.
_worker: TrainingWorker | None = None
_worker_lock = threading.Lock()


def worker_for(data: MnistData) -> TrainingWorker:
    """The warm worker for this dataset, started if need be (returns at once; it gets ready on its own)."""
    global _worker
    with _worker_lock:
        if _worker is not None and _worker.data is not data:
            _worker.close()
            _worker = None
        if _worker is None:
            _worker = TrainingWorker(data)
        _worker.start()  # no-op while alive; a crashed worker is started again
        return _worker


@dataclass(eq=False)
class TrainingJob:
    """One run (training or fine-tuning, see RunSpec) in the background, and what it reported."""

    spec: RunSpec
    progress: TrainingProgress = field(default_factory=TrainingProgress)
    result: RunResult | None = None
    error: str = ""
    thread: threading.Thread | None = None
    queue: TrainingQueue = field(default=QUEUE, repr=False)
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))  # unguessable: it goes in the page URL
    asked: float = field(default_factory=time.time)  # when it was asked for (two students' runs share names)

    @property
    def name(self) -> str:
        """The model's name: as saved once finished, else with the planned number of epochs."""
        if self.result is not None:
            return self.result.card.name
        return self.spec.name.replace("{epochs}", str(self.spec.config.epochs))

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    @property
    def queue_position(self) -> int:
        """Place in the server's queue (1 = next), 0 when not waiting."""
        return self.queue.position(self)

    def start(self, data: MnistData) -> None:
        self.progress.update(status=Status.PREPARING, detail="starting")  # what the page shows at once
        self.thread = threading.Thread(target=self._run, args=(data,), daemon=True, name=f"train-{self.name}")
        self.thread.start()

    def stop(self) -> None:
        self.progress.request_stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (tests, the command line); True if it has ended."""
        if self.thread is not None:
            self.thread.join(timeout)
        return not self.running

    def _run(self, data: MnistData) -> None:
        waiting = lambda: self.progress.update(status=Status.WAITING, detail="")  # noqa: E731
        with self.queue.slot(self, lambda: self.progress.stop_requested, on_wait=waiting) as got:
            if not got:
                self.progress.update(status=Status.STOPPED, finished=time.time())
                return
            self.progress.update(status=Status.PREPARING, detail="starting")
            try:
                self.result = worker_for(data).run(self.spec, self.progress)
            except MnistLabError as err:
                self._fail(str(err))
            except Exception as err:  # noqa: BLE001 - a job must never die silently
                log.exception("training job %s failed", self.name)
                self._fail(f"Training failed unexpectedly ({type(err).__name__}: {err}).")

    def _fail(self, message: str) -> None:
        self.error = message
        self.progress.update(status=Status.FAILED, error=message, finished=time.time())


# Jobs by id, so that a reloaded page (a new Streamlit session) can find its job again from the URL.
_registry: dict[str, TrainingJob] = {}
_registry_lock = threading.Lock()
KEEP_FINISHED = 50  # finished jobs remembered (their figures), oldest forgotten first


def register(job: TrainingJob) -> None:
    with _registry_lock:
        _registry[job.id] = job
        finished = [k for k, j in _registry.items() if not j.running]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del _registry[key]


def find(job_id: str | None) -> TrainingJob | None:
    """The job with this id, if this server still knows it."""
    with _registry_lock:
        return _registry.get(job_id or "")


def active() -> list[TrainingJob]:
    """The server's jobs that have not ended: the one training first, then the queue in its order."""
    with _registry_lock:
        alive = [job for job in _registry.values() if job.running]
    return sorted(alive, key=lambda job: (job.queue_position, job.progress.started or 0.0))
