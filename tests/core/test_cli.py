"""The command line, run as a user would: `python -m mnist_core ...` in a subprocess."""

import json
import os
import subprocess
import sys

import pytest

from mnist_core.models import load_model
from mnist_core.paths import DEFAULT_MODEL_PATH
from mnist_core.store import read_card
from tests.conftest import REPO


def cli(*args, timeout=600):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "mnist_core", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_train_a_tiny_model_with_progress_in_the_terminal(mnist, tmp_path):
    out = tmp_path / "tiny.keras"
    run = cli("train", "--preset", "quick", "--architecture", "mlp", "--epochs", "2", "--subset", "600",
              "--validation-split", "0.2", "--digits", "0-4", "--no-calibrate", "--out", out)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Epoch 1/2" in run.stdout and "Epoch 2/2" in run.stdout  # Keras's progress, one line per epoch
    assert "val_accuracy" in run.stdout and "test accuracy" in run.stdout
    card = read_card(out)
    assert card.train_config["train_subset"] == 600 and card.train_config["digits"] == [0, 1, 2, 3, 4]
    assert card.architecture == "mlp" and len(card.history) == 2 and card.calibration is None
    assert "--subset 600" in card.command and card.source == "command line"
    assert load_model(out).count_params() == card.parameters

    tuned = tmp_path / "tuned.keras"
    run = cli("finetune", out, "--mode", "head", "--digits", "5-9", "--subset", "300", "--epochs", "1",
              "--no-calibrate", "--out", tuned)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "mnist_test_digits:" in run.stdout
    card = read_card(tuned)
    assert card.parent.name == "tiny" and card.parent.command == read_card(out).command
    assert card.finetune["digits"] == [5, 6, 7, 8, 9]

    run = cli("calibrate", out)  # the README's "python -m mnist_core calibrate MODEL": the thresholds alone
    assert run.returncode == 0, run.stderr[-2000:]
    calibration = read_card(out).calibration
    assert calibration and 0 < calibration["digit_at"] <= calibration["sure_at"] <= 1
    assert load_model(out).count_params() == read_card(out).parameters  # the model itself untouched


def test_evaluate_the_shipped_model_as_json(mnist):
    run = cli("evaluate", DEFAULT_MODEL_PATH, "--json")
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads(run.stdout)
    assert summary["accuracy"] >= 0.99
    assert summary["accuracy"] == pytest.approx(read_card(DEFAULT_MODEL_PATH).test_accuracy, abs=2e-4)
    assert sum(row["support"] for row in summary["per_class"].values()) == 10000


@pytest.mark.parametrize(
    "args, message",
    [(["evaluate", "nowhere.keras"], "no such model file"),
     (["train", "--out", "x.keras", "--epochs", "0"], "epochs must be 1-200"),
     (["train", "--out", "x.keras", "--digits", "3-12"], "not a digit or a range")],
)
def test_bad_input_is_one_clear_line_not_a_traceback(args, message, tmp_path):
    run = cli(*args)
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr
