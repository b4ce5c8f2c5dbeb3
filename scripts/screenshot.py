"""Screenshot pages of the running app in headless Chromium, drawing a digit on /draw first.

    MNIST_DATA_DIR=../shared/mnist python scripts/screenshot.py OUT_DIR [draw explore ...] [--size 1280x720]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.helpers import canvas_box, draw_digit, wait_for_metric  # noqa: E402
from tests.e2e.server import CHROMIUM_FLAGS, chromium_path, running_app  # noqa: E402


def settle(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_timeout(800)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
    page.wait_for_timeout(700)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("pages", nargs="*", default=["", "draw", "explore", "augment", "train"])
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--digit", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="the whole page, not just the viewport")
    parser.add_argument("--scroll", type=int, default=0, help="scroll the page down this many pixels first")
    parser.add_argument("--view", help="on /draw, open this 'Look inside' view first (e.g. Why)")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, running_app(Path(home)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        for name in args.pages:
            page.goto(f"{url}/{name}")
            settle(page)
            if name.startswith("draw"):
                page.get_by_text("The prediction appears here").wait_for(timeout=120_000)
                canvas_box(page)
                draw_digit(page, args.digit)
                wait_for_metric(page, "Prediction", str(args.digit))
                settle(page)
                if args.view:
                    page.get_by_text(args.view, exact=True).first.click()
                    settle(page)
            if args.scroll:
                page.mouse.move(width * 0.6, height * 0.5)
                page.mouse.wheel(0, args.scroll)
                settle(page)
            path = out / f"{name.replace('?', '_').replace('=', '-') or 'home'}.png"
            page.screenshot(path=str(path), full_page=args.full)
            print(path)
        browser.close()


if __name__ == "__main__":
    main()
