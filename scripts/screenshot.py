"""Screenshot pages of the running app in headless Chromium, drawing a digit on /draw first.

    MNIST_DATA_DIR=../shared/mnist python scripts/screenshot.py OUT_DIR [draw explore ...] \
        [--size 1280x720,1024x768,390x844] [--present]

A page may carry its own query: `explore?tab=Gallery`. Sizes narrower than 600 px get a phone's
context (touch, mobile viewport). Each picture is named PAGE[-present]-WIDTHxHEIGHT.png.
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
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=180_000)
    page.wait_for_timeout(700)


def draw_on(page, digit: int) -> None:
    """Draw `digit` on /draw; once more if the first strokes got no answer (a clipped canvas may miss them)."""
    page.get_by_text("The prediction appears here").wait_for(timeout=120_000)
    canvas_box(page)
    settle(page)
    for _ in range(2):
        draw_digit(page, digit)
        try:
            wait_for_metric(page, "Prediction", str(digit))
            break
        except Exception:  # noqa: BLE001 - screenshot what is there anyway
            print("no prediction shown after drawing", file=sys.stderr)
    settle(page)


def address(url: str, name: str, present: bool) -> str:
    """The page's address; in presenter mode ?present=1 is added to the page's own query."""
    path, _, query = name.partition("?")
    if present:
        query = "&".join(q for q in ("present=1", query) if q)
    return f"{url}/{path}" + (f"?{query}" if query else "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("pages", nargs="*", default=["", "draw", "explore", "augment", "train", "evaluate"])
    parser.add_argument("--size", default="1280x720", help="one size or several, comma-separated")
    parser.add_argument("--present", action="store_true", help="open every page in presenter mode")
    parser.add_argument("--digit", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="the whole page, not just the viewport")
    parser.add_argument("--scroll", type=int, default=0, help="scroll the page down this many pixels first")
    parser.add_argument("--view", help="on /draw, open this 'Look inside' view first (e.g. Why)")
    parser.add_argument("--home", type=Path, help="serve this MNIST_LAB_HOME (e.g. one with saved drawings) "
                        "instead of a new empty one")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as empty, running_app(args.home or Path(empty)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        for size in args.size.split(","):
            width, height = map(int, size.split("x"))
            phone = width < 600
            context = browser.new_context(viewport={"width": width, "height": height}, has_touch=phone,
                                          is_mobile=phone, device_scale_factor=1)
            page = context.new_page()
            for name in args.pages:
                page.goto(address(url, name, args.present))
                settle(page)
                if name.startswith("draw"):
                    draw_on(page, args.digit)
                    if args.view:
                        page.get_by_text(args.view, exact=True).first.click()
                        settle(page)
                if args.scroll:
                    page.mouse.move(width * 0.6, height * 0.5)
                    page.mouse.wheel(0, args.scroll)
                    settle(page)
                stem = name.replace("?", "_").replace("=", "-").replace("&", "_") or "home"
                path = out / f"{stem}{'-present' if args.present else ''}-{width}x{height}.png"
                if args.full:  # Streamlit scrolls inside its main element: grow the window to the page instead
                    tall = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
                    page.set_viewport_size({"width": width, "height": max(height, min(int(tall), 8000))})
                    settle(page)
                page.screenshot(path=str(path))
                if args.full:
                    page.set_viewport_size({"width": width, "height": height})
                print(path, flush=True)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
