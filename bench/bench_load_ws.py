"""A class at once, without the browsers: N sessions draw and predict on one server over the websocket.

    MNIST_DATA_DIR=../shared/mnist python bench/bench_load_ws.py --sessions 20 --rounds 5 [--train] [--repo DIR]

bench/bench_load.py drives real Chromium pages, but 20 Chromium renderers on the server's own two
cores measure the browsers more than the server. This bench sends the same websocket traffic a
browser sends (tests/e2e/wsclient.py): every session opens /draw, then in each round all sessions
"lift the pen" at the same moment (the worst case: a teacher says "now draw a 7"); we time each
drawing's mouse-up (the canvas value sent) to the Prediction metric arriving, and check it is the
digit drawn. With --train, a teacher's session on /train starts a training job first and keeps
polling its live progress every second, as an open browser tab does; the rounds run while it trains.
Also prints the server's CPU time per drawing over the rounds (all its threads; a training job's
worker process not included) and the machine's load average. --repo DIR serves another checkout of
the app (e.g. the commit before a change) with this bench, so before and after are measured alike.
Prints the figures (and returns them as a dict for the reduced test in tests/e2e/test_load.py).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.procstats import cpu_seconds, load_average, server_pid  # noqa: E402
from mnist_core.synth import digit_image  # noqa: E402
from tests.e2e.server import REPO, running_app  # noqa: E402
from tests.e2e.wsclient import StreamlitSession, png_data_url  # noqa: E402

TRAINING_BATCHES = re.compile(r", batch [1-9]\d*/")  # the Train page's progress line once batches are done


def drawing(digit: int, rng: np.random.Generator, size: int = 280) -> np.ndarray:
    """A canvas image of `digit` at a random size, place and pen, as a student might draw it."""
    h = rng.uniform(0.5, 0.8) * size
    w = h * rng.uniform(0.5, 0.65)
    left, top = rng.uniform(0.05, 0.95) * (size - w), rng.uniform(0.05, 0.95) * (size - h)
    return digit_image(digit, size, pen=float(rng.uniform(14, 30)), box=(left, top, w, h))


def _progress(teacher: StreamlitSession) -> str:
    """The Train page's latest progress line, e.g. '**simple_cnn-3ep**: epoch 1/3, batch 96/446 (...)'."""
    lines = [t for t in teacher.texts if TRAINING_BATCHES.search(t)]
    return lines[-1].replace("**", "") if lines else ""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(round(q * (len(ordered) - 1))), len(ordered) - 1)]


async def run(url: str, sessions: int, rounds: int, train: bool, seed: int = 0, quiet: bool = False) -> dict:
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    rng = np.random.default_rng(seed)
    result: dict = {"sessions": sessions, "rounds": rounds, "train": train}
    teacher = None
    poller = None
    if train:
        teacher = await StreamlitSession(url, page="train", timeout=120).__aenter__()
        await teacher.run()
        await teacher.click("Start training")
        await teacher.wait_for_text(TRAINING_BATCHES, timeout=180)  # the worker has started and trains
        result["training_progress_before"] = _progress(teacher)
        poller = asyncio.create_task(teacher.watch(3600))
        say(f"the teacher started a training job (Quick preset) and watches its live progress: "
            f"{result['training_progress_before']}")
    students = [await StreamlitSession(url, page="draw", timeout=120).__aenter__() for _ in range(sessions)]
    t = time.perf_counter()
    first = await students[0].run()
    rest = await asyncio.gather(*(s.run() for s in students[1:]))
    result["first_visit_s"] = first
    result["open_all_s"] = time.perf_counter() - t
    say(f"first /draw visit {first:.2f} s; all {sessions} sessions open in {result['open_all_s']:.1f} s"
        f" (median visit {statistics.median([first, *rest]):.2f} s)")
    # on a fresh server the model is still loading: one student's first drawing waits for it
    warm = await students[0].draw(drawing(1, rng), "1")
    result["first_answer_s"] = warm
    say(f"first drawing answered in {warm:.2f} s (on a fresh server it waits for the model to load)")
    missing = [i for i, s in enumerate(students) if not s.canvas_id]
    if missing:
        raise RuntimeError(f"sessions {missing} got no canvas")
    latencies: list[float] = []
    right = 0
    pid = server_pid(url)
    cpu_before = cpu_seconds(pid) if pid else float("nan")
    for r in range(rounds):
        digits = [int(d) for d in rng.integers(0, 10, sessions)]
        # PNG-encoded before the round, as each browser does on its own machine: encoding 60 drawings
        # here while the clock runs would charge this client's CPU time to the server
        images = [png_data_url(drawing(d, rng)) for d in digits]

        async def one(s: StreamlitSession, d: int, img: str) -> tuple[float, bool]:
            try:
                return await s.draw(img, str(d)), True
            except TimeoutError:
                return s.timeout, False

        outcomes = await asyncio.gather(*(one(s, d, img) for s, d, img in zip(students, digits, images, strict=True)))
        latencies += [lat for lat, _ in outcomes]
        right += sum(ok for _, ok in outcomes)
        say(f"round {r + 1}: median {statistics.median([o[0] for o in outcomes]):.2f} s, "
            f"max {max(o[0] for o in outcomes):.2f} s")
    result["server_cpu_ms_per_drawing"] = (cpu_seconds(pid) - cpu_before) / len(latencies) * 1000 if pid else None
    result["load_average"] = load_average()
    result.update(latencies=latencies, right=right, drawings=len(latencies),
                  median_s=statistics.median(latencies), p95_s=percentile(latencies, 0.95), max_s=max(latencies),
                  exceptions=[e for s in students for e in s.exceptions])
    if teacher is not None:
        # still training after the rounds: its live progress line moves on (it redraws every second)
        until = time.perf_counter() + 20
        while _progress(teacher) == result["training_progress_before"] and time.perf_counter() < until:
            await asyncio.sleep(0.2)
        result["training_progress_after"] = _progress(teacher)
        poller.cancel()
        await teacher.__aexit__(None, None, None)
        say(f"the training job after the rounds: {result['training_progress_after'] or 'no progress seen'}")
    for s in students:
        await s.__aexit__(None, None, None)
    say(f"mouse-up to prediction over {len(latencies)} drawings by {sessions} sessions"
        f"{' while a training job runs' if train else ''}: median {result['median_s']:.2f} s, "
        f"p95 {result['p95_s']:.2f} s, max {result['max_s']:.2f} s; {right}/{len(latencies)} right; "
        f"{len(result['exceptions'])} errors shown")
    if pid:
        say(f"server CPU time per drawing: {result['server_cpu_ms_per_drawing']:.1f} ms; "
            f"load average {result['load_average']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--train", action="store_true", help="a training job runs on the server meanwhile")
    parser.add_argument("--url", help="measure a server that is already running instead of starting one")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout of the app to serve (default: this one)")
    args = parser.parse_args()
    if args.url:
        asyncio.run(run(args.url, args.sessions, args.rounds, args.train))
        return
    with tempfile.TemporaryDirectory() as home, running_app(Path(home), repo=args.repo.resolve()) as url:
        asyncio.run(run(url, args.sessions, args.rounds, args.train))


if __name__ == "__main__":
    main()
