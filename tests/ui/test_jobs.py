"""Background training jobs and the server-wide queue (no Streamlit involved)."""

import threading
import time

import pytest

from mnist_core.card import ModelCard
from mnist_core.data import MnistData
from mnist_core.finetune import FinetuneConfig
from mnist_core.progress import Status
from mnist_core.runs import RunSpec
from mnist_core.store import ModelStore
from mnist_core.train_config import TrainConfig
from ui.jobs import TrainingJob, TrainingQueue


def wait_until(condition, timeout=30.0):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_queue_is_first_come_first_served_and_reports_places():
    queue = TrainingQueue(1)
    order, release = [], threading.Event()
    stop = {name: threading.Event() for name in "ABCD"}

    def run(name):
        with queue.slot(name, stop[name].is_set) as got:
            order.append((name, got))
            if got and name == "A":
                release.wait(10)

    threads = {}
    for name in "ABCD":
        threads[name] = threading.Thread(target=run, args=(name,))
        threads[name].start()
        wait_until(lambda n=name: queue.position(n) > 0 or any(o[0] == n for o in order))
    assert order == [("A", True)]
    assert [queue.position(n) for n in "ABCD"] == [0, 1, 2, 3]
    stop["C"].set()  # C gives up while waiting
    threads["C"].join(5)
    assert ("C", False) in order and [queue.position(n) for n in "BD"] == [1, 2]
    release.set()
    for t in threads.values():
        t.join(10)
    assert [o for o in order if o[1]] == [("A", True), ("B", True), ("D", True)]


def small(mnist) -> MnistData:
    return MnistData(mnist.x_train, mnist.y_train, mnist.x_test[:500], mnist.y_test[:500])


def test_a_job_trains_in_the_background_and_stores_its_model(mnist):
    config = TrainConfig(architecture="mlp", epochs=1, batch_size=50, train_subset=300, validation_split=0.0)
    job = TrainingJob(RunSpec(config, "tiny"), queue=TrainingQueue(1))
    job.start(small(mnist))
    assert job.wait(120)
    assert job.progress.snapshot().status == Status.DONE, job.error
    stored = ModelStore().get(job.result.card.name)
    assert stored.card.train_config["train_subset"] == 300
    assert stored.card.test_accuracy == pytest.approx(job.result.card.test_accuracy)
    assert stored.card.calibration is not None  # every stored model is calibrated


def test_a_job_stopped_while_queued_never_trains(mnist):
    queue = TrainingQueue(1)
    hold = threading.Event()

    def other_job():
        with queue.slot("other", lambda: False):
            hold.wait(10)

    blocker = threading.Thread(target=other_job)
    blocker.start()
    job = TrainingJob(RunSpec(TrainConfig(architecture="mlp", epochs=1, train_subset=300), "queued"), queue=queue)
    job.start(small(mnist))
    wait_until(lambda: job.queue_position == 1)
    assert job.progress.snapshot().status == Status.WAITING
    job.stop()
    assert job.wait(10)
    assert job.progress.snapshot().status == Status.STOPPED and job.result is None
    assert [m.name for m in ModelStore().list()] == ["default"]
    hold.set()


def test_a_finetune_job_records_its_parent(mnist):
    from mnist_core.models import build_model

    store = ModelStore()
    parent = store.save(build_model("mlp"), "parent-mlp", ModelCard("parent-mlp", architecture="mlp"))
    ft = FinetuneConfig(mode="head", subset=300, epochs=1, batch_size=50)
    spec = RunSpec(ft.train_config(), "child", finetune=ft, parent=parent.path, parent_name="parent-mlp")
    job = TrainingJob(spec, queue=TrainingQueue(1))
    job.start(small(mnist))
    assert job.wait(120) and not job.error, job.error
    card = store.get(job.result.card.name).card
    assert card.parent.name == "parent-mlp" and card.finetune["mode"] == "head"
    assert card.architecture == "mlp" and job.result.trainable_weights == 2
    assert set(card.before) == {"mnist_test"} and card.after["mnist_test"] == pytest.approx(
        job.result.card.after["mnist_test"])


def test_a_failing_job_says_why(mnist, tmp_path):
    spec = RunSpec(TrainConfig(architecture="mlp", epochs=1, train_subset=300), "bad",
                   finetune=FinetuneConfig(subset=300), parent=tmp_path / "gone.keras")
    job = TrainingJob(spec, queue=TrainingQueue(1))
    job.start(small(mnist))
    assert job.wait(30)
    snap = job.progress.snapshot()
    assert snap.status == Status.FAILED and "gone.keras: no such model file" in snap.error
