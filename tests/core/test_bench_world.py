"""bench/bench_world.py, the benchmark of the world's handwriting, shrunk in size; and the README's Semeion
figure for the shipped model, measured."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from bench.bench_world import BENCH_SEED, SEMEION, averaged, load_semeion, measure, per_digit
from mnist_core.calibrate import Calibration
from mnist_core.preprocess import prepare
from mnist_core.styles import STYLES, scan_set
from tests.conftest import REPO

pytestmark = pytest.mark.mnist
needs_semeion = pytest.mark.skipif(not SEMEION.exists(), reason=f"Semeion is not at {SEMEION}")


@pytest.mark.slow
def test_the_bench_prints_every_row_in_small(mnist):
    out = subprocess.run([sys.executable, "bench/bench_world.py", "--n-drawn", "20", "--n-style", "2",
                          "--n-scan", "20", "--n-other", "2"],
                         cwd=REPO, capture_output=True, text=True, timeout=900, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-3000:]
    rows = ["MNIST test", "re-drawn MNIST", "MNIST test as scans", "... with no margin", "styles as scans",
            "generated styles: worst"]
    rows += [f"style: {name}" for name in STYLES] + ["heart", "all training", "all held out"]
    rows += ["Semeion"] if SEMEION.exists() else []
    missing = [row for row in rows if row not in out.stdout]
    assert not missing, out.stdout


def test_an_average_of_models_is_measured_as_their_mean(mnist, default_model):
    calibration = Calibration.from_card({})
    sizes = dict(n_drawn=20, n_style=2, n_scan=20, n_other=2)
    x, y = mnist.x_test[:300], mnist.y_test[:300]
    one = measure(averaged([default_model]), x, y, calibration, **sizes)
    two = measure(averaged([default_model, default_model]), x, y, calibration, **sizes)
    assert one == two  # the mean of a model and itself is the model
    assert one["rows"]["MNIST test"][10] > 0.97
    wrong = measure(lambda batch: np.roll(averaged([default_model])(batch), 1, axis=1), x, y, calibration, **sizes)
    assert wrong["rows"]["MNIST test"][10] < 0.05  # every answer moved to the next digit: all wrong


@needs_semeion
def test_the_readmes_semeion_figure_is_the_shipped_models(default_model):
    sx, sy = load_semeion()
    assert sx.shape == (1593, 16, 16) and np.bincount(sy).min() >= 150
    predict = averaged([default_model])
    right = per_digit(predict(np.stack([prepare(a) for a in sx])).argmax(axis=1), sy)
    readme = (REPO / "README.md").read_text()
    semeion_row = next(line for line in readme.splitlines() if line.startswith("| Semeion (1,593"))
    assert semeion_row.rstrip(" |").endswith(f"{100 * right[10]:.2f}%")  # the "now" column
    edges = np.concatenate([sx[:, 0], sx[:, -1], sx[:, :, 0], sx[:, :, -1]], axis=1)
    inked = int(((edges > 0).mean(axis=1) > 0.5).sum())  # digits whose ink covers most of the edge
    assert f"so the ink of {inked} of them covers more than half of the box's edge" in " ".join(readme.split())
    per_digit_row = next(line for line in readme.splitlines() if line.startswith("| Semeion 1 / 4 / 9"))
    assert per_digit_row.rstrip(" |").endswith(" / ".join(f"{100 * right[d]:.2f}" for d in (1, 4, 9)) + "%")


def test_the_readmes_figure_for_scans_with_no_margin_is_the_shipped_models(mnist, default_model):
    x, pick = scan_set(mnist.x_test, 3000, seed=BENCH_SEED, held_out=True, margin=0)  # the bench's row
    right = per_digit(averaged([default_model])(x / 255.0).argmax(axis=1), mnist.y_test[pick])
    assert f"MNIST test digits made into scans with no margin {100 * right[10]:.2f}%" in " ".join(
        (REPO / "README.md").read_text().split())
