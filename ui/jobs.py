"""Training jobs: a background thread per job, a server-wide limit, progress the page polls.

The page script never trains: it starts a TrainingJob, keeps it in st.session_state, and a fragment
that reruns every second reads `job.progress.snapshot()`. A rerun, a click or leaving the page does
not stop the job; only `job.stop()` does (after the current batch, keeping the best weights).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mnist_core.errors import MnistLabError
from mnist_core.train import TrainConfig, TrainingProgress

log = logging.getLogger("mnist_lab.jobs")

MAX_CONCURRENT_JOBS = 1  # training uses every core; queue the rest so predictions stay fast
_slots = threading.BoundedSemaphore(MAX_CONCURRENT_JOBS)


@dataclass
class TrainingJob:
    config: TrainConfig
    name: str
    progress: TrainingProgress = field(default_factory=TrainingProgress)
    result: dict[str, Any] = field(default_factory=dict)  # test accuracy, saved model name, ...
    error: str = ""
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> None:
        self.thread = threading.Thread(target=self._run, args=(x, y, x_test, y_test), daemon=True,
                                       name=f"train-{self.name}")
        self.thread.start()

    def stop(self) -> None:
        self.progress.request_stop()

    def _run(self, x, y, x_test, y_test) -> None:
        with _slots:  # waits here while another job of this server trains
            if self.progress.stop_requested:
                self.progress.update(status="stopped", finished=time.time())
                return
            try:
                self.result = _train_and_store(self.config, self.name, x, y, x_test, y_test, self.progress)
            except MnistLabError as err:
                self.error = str(err)
                self.progress.update(status="failed", error=self.error, finished=time.time())
            except Exception as err:  # noqa: BLE001 - a job must never die silently
                log.exception("training job %s failed", self.name)
                self.error = f"Training failed unexpectedly ({type(err).__name__}: {err})."
                self.progress.update(status="failed", error=self.error, finished=time.time())


def _train_and_store(config, name, x, y, x_test, y_test, progress) -> dict[str, Any]:
    from mnist_core.evaluate import evaluate
    from mnist_core.store import ModelStore, training_card
    from mnist_core.train import train

    result = train(config, x, y, progress=progress)
    ev = evaluate(result.model, x_test, y_test)
    store = ModelStore()
    name = store.unique_name(name)
    store.save(result.model, name, training_card(result, config, ev, name))
    return {"test_accuracy": ev.accuracy, "model_name": name, "seconds": result.seconds}
