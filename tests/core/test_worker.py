"""Training in a nice'd child process: progress mirrored live, stop honoured, failures worded."""

import os
import time

import pytest

from mnist_core.store import ModelStore
from mnist_core.train import TrainConfig, TrainingProgress
from mnist_core.worker import NICENESS, JobError, JobSpec, RelayProgress, run_in_process


def test_relay_progress_sends_every_change():
    sent = []

    class Conn:
        def send(self, message):
            sent.append(message)

    p = RelayProgress(Conn())
    p.update(status="running", epochs=2, batches=3, epoch=1)
    p.add_batch(1, 0.5, 0.8)
    p.add_epoch({"epoch": 1, "loss": 0.4})
    assert [m[0] for m in sent] == ["update", "batch", "epoch"]
    mirror = TrainingProgress()
    mirror.update(**sent[0][1])
    mirror.add_batch(*sent[1][1:])
    mirror.add_epoch(sent[2][1])
    assert mirror.snapshot()["batch_log"] == p.snapshot()["batch_log"]
    assert mirror.snapshot()["history"] == p.snapshot()["history"]


def test_a_job_in_a_child_process_mirrors_progress_and_stores_its_model(mnist):
    progress = TrainingProgress()
    spec = JobSpec(TrainConfig(architecture="mlp", epochs=2, batch_size=50, train_subset=500, validation_split=0.2),
                   "worker-made")
    result = run_in_process(spec, mnist.x_train, mnist.y_train, mnist.x_test[:500], mnist.y_test[:500], progress)
    snap = progress.snapshot()
    assert snap["status"] == "done" and snap["epochs"] == 2 and len(snap["history"]) == 2
    assert len(snap["batch_log"]) == 2 * 8  # 400 training images / 50 per batch, both epochs
    assert "val_loss" in snap["history"][-1]
    stored = ModelStore().get(result["model_name"])  # saved by the child, in this test's MNIST_LAB_HOME
    assert stored.card["metrics"]["test_accuracy"] == pytest.approx(result["test_accuracy"])
    if hasattr(os, "nice"):  # it trained at a lower priority than this process
        assert result["worker_niceness"] == min(os.nice(0) + NICENESS, 19)


def test_stop_reaches_the_child_and_keeps_the_best_weights(mnist):
    progress = TrainingProgress()
    spec = JobSpec(TrainConfig(architecture="mlp", epochs=100, batch_size=32, train_subset=3000), "stopped-early")
    import threading

    out = {}
    t = threading.Thread(target=lambda: out.update(r=run_in_process(
        spec, mnist.x_train, mnist.y_train, mnist.x_test[:200], mnist.y_test[:200], progress)))
    t.start()
    deadline = time.time() + 120
    while not progress.snapshot()["batch_log"] and time.time() < deadline:
        time.sleep(0.05)
    progress.request_stop()
    t.join(60)
    assert not t.is_alive()
    assert out["r"]["stopped"] and progress.snapshot()["status"] == "stopped"
    assert ModelStore().get(out["r"]["model_name"])  # the best weights so far were saved


def test_a_failure_in_the_child_comes_back_worded(mnist):
    from mnist_core.finetune import FinetuneConfig

    spec = JobSpec(TrainConfig(architecture="mlp", epochs=1, train_subset=300), "orphan",
                   finetune=FinetuneConfig(subset=300), parent="no-such-model")
    with pytest.raises(JobError, match="no stored model named 'no-such-model'"):
        run_in_process(spec, mnist.x_train, mnist.y_train, mnist.x_test[:100], mnist.y_test[:100], TrainingProgress())
