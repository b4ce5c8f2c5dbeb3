"""Many students at once: N real browser sessions draw and predict on one server. Prints figures.

    MNIST_DATA_DIR=../shared/mnist python bench/bench_load.py --sessions 20 --rounds 3 [--train]

Each session opens /draw in its own browser context (its own Streamlit session), then in every
round all sessions draw a digit at the same time; we time mouse-up to the right Prediction per
session. With --train, one more session starts a training job first, so predictions are measured
while it runs. Prints median / p95 / max latency and how many predictions were right.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.async_api import async_playwright  # noqa: E402

from mnist_core.synth import DIGIT_STROKES, place  # noqa: E402
from tests.e2e.helpers import CANVAS  # noqa: E402
from tests.e2e.server import CHROMIUM_FLAGS, chromium_path, running_app  # noqa: E402

DIGITS = [1, 0, 7, 3, 2]  # drawn in one stroke each: one mouse-up, one prediction

METRIC_IS = """([label, value]) => [...document.querySelectorAll('[data-testid=stMetric]')].some(m =>
    m.querySelector('[data-testid=stMetricLabel]')?.innerText.trim() === label &&
    m.querySelector('[data-testid=stMetricValue]')?.innerText.trim() === value)"""


SHOWN = """() => [...document.querySelectorAll('[data-testid=stMetric]')].map(m =>
    m.querySelector('[data-testid=stMetricLabel]')?.innerText.trim() + '=' +
    m.querySelector('[data-testid=stMetricValue]')?.innerText.trim()).join(', ') || 'no answer'"""


# the canvas's ink, read from its lower (drawn) layer: tells a stroke that never reached the canvas from
# an answer that never came back
INKED = """() => { let ink = 0, seen = 0;
  for (const h of document.querySelectorAll('[data-testid=stBidiComponentIsolated]'))
    for (const c of h.shadowRoot ? h.shadowRoot.querySelectorAll('canvas.lower-canvas') : []) {
      seen++; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) ink += d[i] > 127 && d[i + 3] > 127; }
  return seen ? ink + ' inked pixels' : 'no canvas'; }"""


async def draw_and_time(page, digit: int) -> tuple[float, bool]:
    bb = await page.locator(CANVAS).first.bounding_box()
    (stroke,) = place(DIGIT_STROKES[digit], bb["x"] + 0.3 * bb["width"], bb["y"] + 0.15 * bb["height"],
                      0.4 * bb["width"], 0.7 * bb["height"])
    await page.mouse.move(*stroke[0])
    await page.mouse.down()
    for x, y in stroke[1:]:
        await page.mouse.move(x, y, steps=2)
    start = time.perf_counter()
    await page.mouse.up()
    try:
        await page.wait_for_function(METRIC_IS, arg=["Prediction", str(digit)], timeout=20_000)
        return time.perf_counter() - start, True
    except Exception:  # noqa: BLE001 - a wrong or missing prediction counts as a failure
        took = time.perf_counter() - start
        print(f"drew a {digit}: after {took:.1f} s the page shows {await page.evaluate(SHOWN)}; "
              f"the canvas has {await page.evaluate(INKED)}")
        return took, False


IDLE = "() => !document.querySelector('[data-testid=stStatusWidget]')"


async def settle(page, quiet_ms: int = 300) -> None:
    """Until no script runs for this session for a moment (as a person sees the page before drawing)."""
    for _ in range(3):
        await page.wait_for_function(IDLE, timeout=60_000)
        await page.wait_for_timeout(quiet_ms // 3)


async def clear(page) -> None:
    """Press Clear and wait for the new, empty canvas (Clear mounts a new one)."""
    old = await page.locator(CANVAS).first.element_handle()
    await page.get_by_role("button", name="Clear").click()
    await page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for(state="detached", timeout=30_000)
    await page.wait_for_function("el => !el.isConnected", arg=old, timeout=30_000)
    await page.locator(CANVAS).first.wait_for(state="visible", timeout=30_000)
    await settle(page)


async def run(url: str, sessions: int, rounds: int, train: bool) -> dict:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        if train:
            trainer = await (await browser.new_context(viewport={"width": 1280, "height": 720})).new_page()
            await trainer.goto(f"{url}/train")
            await trainer.get_by_role("button", name="Start training").click()
            await trainer.get_by_text("Epoch").first.wait_for(timeout=120_000)
            print("a training job is running")
        pages = []
        t = time.perf_counter()
        for _ in range(sessions):
            page = await (await browser.new_context(viewport={"width": 1280, "height": 720})).new_page()
            await page.goto(f"{url}/draw")
            pages.append(page)
        await asyncio.gather(*(p.locator(CANVAS).first.wait_for(state="visible", timeout=120_000) for p in pages))
        await asyncio.gather(*(p.get_by_text("The prediction appears here").wait_for(timeout=120_000) for p in pages))
        print(f"{sessions} sessions open with a usable canvas in {time.perf_counter() - t:.1f} s")
        await asyncio.gather(*(settle(p) for p in pages))
        latencies, right = [], 0
        for r in range(rounds):
            if r:
                await asyncio.gather(*(clear(p) for p in pages))
            results = await asyncio.gather(*(draw_and_time(p, DIGITS[(r + i) % 5]) for i, p in enumerate(pages)))
            latencies += [lat for lat, _ in results]
            right += sum(ok for _, ok in results)
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(f"mouse-up to prediction over {len(latencies)} drawings by {sessions} sessions"
              f"{' during training' if train else ''}: median {statistics.median(latencies):.2f} s, "
              f"p95 {p95:.2f} s, max {latencies[-1]:.2f} s; {right}/{len(latencies)} right")
        await browser.close()
        return {"latencies": latencies, "right": right, "drawings": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--train", action="store_true", help="run a training job on the server meanwhile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, running_app(Path(home)) as url:
        asyncio.run(run(url, args.sessions, args.rounds, args.train))


if __name__ == "__main__":
    main()
