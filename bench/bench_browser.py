"""Mouse-up to updated prediction in a real browser, and time to a usable canvas. Prints figures.

    MNIST_DATA_DIR=../shared/mnist python bench/bench_browser.py [--rounds 20] [--repo DIR]

Starts the app, opens /draw in headless Chromium at 1280x720, then repeatedly clears the canvas,
draws a digit with the mouse and measures from mouse-up until the Prediction metric shows it.
(The canvas component sends a drawing 200 ms after the last change, a delay fixed in its code; the
Draw page's script sends it at the stroke's end instead: ui/draw_ui.HIDE_TOOLBAR.) --repo DIR serves
another checkout of the app the same way.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.procstats import load_average  # noqa: E402
from mnist_core.synth import DIGIT_STROKES, place  # noqa: E402
from tests.e2e.helpers import (  # noqa: E402
    CANVAS,
    canvas_box,
    clear_canvas,
    wait_for_metric,
    wait_for_metric_or_none,
    wait_idle,
)
from tests.e2e.server import CHROMIUM_FLAGS, REPO, chromium_path, running_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout of the app to serve (default: this one)")
    args = parser.parse_args()
    print(f"app: {args.repo.resolve()}; load average {load_average()}")
    with (tempfile.TemporaryDirectory() as home, running_app(Path(home), repo=args.repo.resolve()) as url,
          sync_playwright() as pw):
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        t = time.perf_counter()
        page.goto(f"{url}/draw")
        page.locator(CANVAS).first.wait_for(state="visible", timeout=60_000)
        print(f"first visit: /draw to a visible canvas in {time.perf_counter() - t:.2f} s")
        page.get_by_text("The prediction appears here").wait_for(timeout=120_000)
        print(f"first visit: /draw to the model loaded and ready in {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        page.reload()
        page.get_by_text("The prediction appears here").wait_for(timeout=120_000)
        print(f"second visit (model cached): ready in {time.perf_counter() - t:.2f} s")

        # a first stroke on a freshly mounted canvas is sometimes dropped (known issue): draw one
        # untimed digit first, as a student's first try
        wait_idle(page)
        draw(page, 1)
        if wait_for_metric_or_none(page, "Prediction", "1", timeout=120_000) is None:  # a fresh server may
            draw(page, 1)  # still be loading the model; a dropped stroke is drawn again
            wait_for_metric(page, "Prediction", "1", timeout=120_000)
        latencies, right, dropped = [], 0, 0
        for k in range(args.rounds):
            digit = [1, 0, 7, 3, 2][k % 5]  # single-stroke digits: one mouse-up each
            clear_canvas(page)
            up = draw(page, digit)
            shown = wait_for_metric_or_none(page, "Prediction", str(digit), timeout=10_000)
            if shown is None:  # dropped: not a latency; draw it again so the rounds go on
                dropped += 1
                draw(page, digit)
                shown = wait_for_metric(page, "Prediction", str(digit))
            else:
                latencies.append(time.perf_counter() - up)
            right += shown == str(digit)
        latencies.sort()
        print(f"mouse-up to prediction: median {statistics.median(latencies) * 1000:.0f} ms, "
              f"p95 {latencies[int(0.95 * (len(latencies) - 1))] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms "
              f"over {len(latencies)} drawings ({dropped} strokes dropped by the canvas and redrawn); "
              f"{right}/{args.rounds} read right; load average {load_average()}")
        browser.close()


def draw(page, digit: int) -> float:
    """Draw a single-stroke digit with the mouse; returns the time of the mouse-up."""
    bb = canvas_box(page)  # waits for the canvas: a clear remounts it
    strokes = place(DIGIT_STROKES[digit], bb["x"] + 0.3 * bb["width"], bb["y"] + 0.15 * bb["height"],
                    0.4 * bb["width"], 0.7 * bb["height"])
    for stroke in strokes:
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(x, y, steps=3)
        up = time.perf_counter()
        page.mouse.up()
    return up


if __name__ == "__main__":
    main()
