"""Several students at once (a reduced form of bench/bench_load.py's 20 sessions): all predictions right."""

import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import REPO
from tests.e2e.server import chromium_path, running_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_four_sessions_drawing_at_once_all_get_the_right_digit(tmp_path):
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and in CI the browser tests must run")
        pytest.skip("Chromium is not installed")
    sys.path.insert(0, str(REPO / "bench"))
    from bench_load import run

    with running_app(tmp_path / "home") as url, ThreadPoolExecutor(1) as pool:
        # its own thread: the sync Playwright of other e2e tests may hold this thread's event loop
        result = pool.submit(asyncio.run, run(url, sessions=4, rounds=2, train=False)).result()
    assert result["drawings"] == 8
    assert result["right"] == 8


def test_sessions_over_the_websocket_while_a_training_job_runs(tmp_path):
    """bench/bench_load_ws.py in reduced form: the same websocket traffic as browsers, with a teacher's
    training job running and its live progress polled; every drawing gets its digit, no error shown."""
    if not os.environ.get("MNIST_DATA_DIR"):
        pytest.skip("MNIST_DATA_DIR is not set (the training job needs MNIST)")
    sys.path.insert(0, str(REPO / "bench"))
    from bench_load_ws import run

    with running_app(tmp_path / "home") as url, ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, run(url, sessions=6, rounds=2, train=True, quiet=True)).result()
    assert result["drawings"] == 12
    assert result["right"] == 12, result
    assert result["exceptions"] == []
    # the job was training before and after the rounds (its progress line moved on)
    before, after = result["training_progress_before"], result["training_progress_after"]
    assert "epoch" in before and "epoch" in after and before != after, (before, after)
