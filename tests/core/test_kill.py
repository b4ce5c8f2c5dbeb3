"""kill -9 in the middle of saving or training never damages what was saved before."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mnist_core.card import ModelCard
from mnist_core.models import build_model, load_model
from mnist_core.store import ModelStore
from tests.conftest import REPO

pytestmark = pytest.mark.slow

SAVE_LOOP = """
import sys
from mnist_core.models import build_model
from mnist_core.card import ModelCard
from mnist_core.store import ModelStore
store, model = ModelStore(), build_model("default_cnn")
print("ready", flush=True)
i = 0
while True:
    store.save(model, "victim", ModelCard("victim", extra={"round": i}))
    i += 1
"""


def _child(code_or_args, env_home):
    env = {**os.environ, "MNIST_LAB_HOME": str(env_home), "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else [sys.executable, *code_or_args]
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_ready(proc, timeout: float = 120) -> None:
    """Read the child's output until it says it is ready (TensorFlow prints a banner first)."""
    deadline = time.time() + timeout
    seen = []
    for line in proc.stdout:
        if line.strip() == "ready":
            return
        seen.append(line)
        if time.time() > deadline:
            proc.kill()
            raise AssertionError(f"the child was not ready after {timeout:.0f} s: {''.join(seen[-5:])}")
    raise AssertionError(f"the child exited before it was ready: {''.join(seen[-5:])}")


def _everything_loads(store: ModelStore) -> list[str]:
    names = []
    for stored in store.list():
        load_model(stored.path)  # raises if damaged
        if stored.path.with_suffix(".json").exists():
            json.loads(stored.path.with_suffix(".json").read_text())
        names.append(stored.name)
    return names


@pytest.fixture
def keeper(lab_home):
    store = ModelStore()
    store.save(build_model("mlp"), "keeper", ModelCard("keeper", description="saved before the crash"))
    store.activate("keeper")
    return store


@pytest.mark.parametrize("delay", [0.3, 1.1, 2.3])
def test_kill_during_model_saves(keeper, lab_home, delay):
    proc = _child(SAVE_LOOP, lab_home)
    _wait_ready(proc)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    names = _everything_loads(keeper)
    assert "keeper" in names and keeper.active_name() == "keeper"
    assert keeper.active().path == keeper.path_of("keeper")


def test_kill_during_training(keeper, lab_home, mnist):
    out = keeper.folder / "in-training.keras"
    proc = _child(["-m", "mnist_core", "--data-dir", os.environ["MNIST_DATA_DIR"], "train", "--preset", "quick",
                   "--subset", "3000", "--epochs", "30", "--out", str(out)], lab_home)
    deadline = time.time() + 120
    for line in proc.stdout:  # wait until it is really training
        if "training" in line or time.time() > deadline:
            break
    time.sleep(3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()  # nothing half-written where a model is expected
    assert "keeper" in _everything_loads(keeper) and keeper.active_name() == "keeper"


DRAWING_LOOP = """
import numpy as np
from mnist_core.handwriting import HandwritingStore
store = HandwritingStore()
x = np.random.default_rng(0).random((28, 28)).astype(np.float32)
png = b"\\x89PNG\\r\\n\\x1a\\n" + bytes(3000)
print("ready", flush=True)
i = 0
while True:
    store.add(i % 10, png, x)
    i += 1
"""


@pytest.mark.parametrize("delay", [0.5, 1.5])
def test_kill_during_drawing_saves(lab_home, delay):
    from mnist_core.handwriting import HandwritingStore

    store = HandwritingStore()
    kept = store.add(3, None, np.zeros((28, 28), np.float32))
    proc = _child(DRAWING_LOOP, lab_home)
    _wait_ready(proc)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = HandwritingStore()
    assert after.get(kept).label == 3
    x, y = after.arrays()
    assert len(x) == len(after) >= 1 and np.isfinite(x).all()
    after.add(7, None, np.zeros((28, 28), np.float32))  # still writable


JOB_IN_WORKER = """
import multiprocessing, os, threading, time
from mnist_core.data import load_mnist
from mnist_core.train_config import TrainConfig
from mnist_core.progress import TrainingProgress
from mnist_core.runs import RunSpec
from mnist_core.worker import run_in_process
d = load_mnist(os.environ["MNIST_DATA_DIR"])
progress = TrainingProgress()
spec = RunSpec(TrainConfig(architecture="simple_cnn", epochs=30, train_subset=3000), "in-training")
threading.Thread(target=run_in_process, args=(spec, d, progress), daemon=True).start()
while not progress.batch_log:
    time.sleep(0.05)
print("ready", flush=True)
print(multiprocessing.active_children()[0].pid, flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return any(line.startswith("State:") and "Z" in line for line in fh)  # a zombie has exited
    except FileNotFoundError:
        return True


def test_kill_of_the_server_during_a_training_job_ends_its_worker_and_keeps_the_store(keeper, lab_home, mnist):
    """The app trains in a child process (mnist_core/worker.py): kill -9 of the server process must not
    leave that child training (and later saving) on its own."""
    proc = _child(JOB_IN_WORKER, lab_home)
    _wait_ready(proc, timeout=180)
    worker_pid = int(proc.stdout.readline())
    assert not _gone(worker_pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 20
    while not _gone(worker_pid) and time.time() < deadline:
        time.sleep(0.1)
    assert _gone(worker_pid), "the training worker outlived the server"
    names = _everything_loads(keeper)
    assert "keeper" in names and not [n for n in names if n.startswith("in-training")]
    assert keeper.active_name() == "keeper"
