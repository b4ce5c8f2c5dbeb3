"""bench/bench_formats.py, digits in other people's formats, shrunk in size: every format is read."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from bench.bench_formats import FORMATS, measure
from mnist_core.predict import probabilities
from tests.conftest import REPO

pytestmark = pytest.mark.mnist


def test_every_format_is_read_and_none_is_found_empty(mnist, default_model):
    x, y = mnist.x_test[:40], mnist.y_test[:40]
    result = measure(lambda inputs: probabilities(default_model, inputs), x, y)
    assert set(result) == set(FORMATS)
    assert all(empty == 0.0 for _, empty in result.values()), result
    # 8x8 loses detail; an underline the digit touches is left (it may be the digit's own bar)
    assert all(right >= (0.6 if "8x8" in name or name == "underlined" else 0.9)
               for name, (right, _) in result.items()), result


def test_the_bench_prints_every_format(mnist):
    out = subprocess.run([sys.executable, "bench/bench_formats.py", "--n", "5"], cwd=REPO, capture_output=True,
                         text=True, timeout=600, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-3000:]
    assert all(name in out.stdout for name in FORMATS), out.stdout


def test_the_readmes_figures_for_lines_at_the_edges_are_the_shipped_models(mnist, default_model):
    readme = " ".join((REPO / "README.md").read_text().split())
    formats = {name: FORMATS[name] for name in ("in a box (1-px line)", "on ruled paper", "underlined")}
    x, y = mnist.x_test[:2000], mnist.y_test[:2000]
    result = measure(lambda inputs: probabilities(default_model, inputs), x, y, formats)
    for name in formats:
        now = f"{100 * result[name][0]:.2f}"
        assert re.search(rf"{re.escape(name)} \d+\.\d\d% before, {now}% now", readme), (name, now)
