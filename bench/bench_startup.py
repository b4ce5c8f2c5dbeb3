"""Start-up time and server memory. Prints figures.

    MNIST_DATA_DIR=../shared/mnist python bench/bench_startup.py [--idle 10] [--pages draw] [--repo DIR]

For each page: a fresh server, then the time from the first visit until the page is usable (its
script finished running, and for /draw the canvas is there); on /draw a 7 is drawn at once and we
time its answer and read the server's memory right after it (the process, and with its children).
Then, on one server: resident memory with the model loaded, and the memory each extra idle browser
session adds. --repo DIR serves another checkout (e.g. the commit before a change) the same way.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.procstats import load_average, rss_mb, server_pid  # noqa: E402
from tests.e2e.helpers import CANVAS, draw_digit, wait_for_metric_or_none  # noqa: E402
from tests.e2e.server import CHROMIUM_FLAGS, REPO, chromium_path, running_app  # noqa: E402

PAGES = ["", "draw", "explore", "augment", "train"]
IDLE = "() => document.querySelector('[data-testid=stApp]') && !document.querySelector('[data-testid=stStatusWidget]')"


def usable(page, name: str) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE, timeout=120_000)
    if name == "draw":
        page.locator(CANVAS).first.wait_for(state="visible", timeout=120_000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=int, default=10, help="extra idle sessions for the memory figure")
    parser.add_argument("--pages", nargs="*", default=PAGES, help="pages to open on a fresh server ('' = Home)")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout of the app to serve (default: this one)")
    parser.add_argument("--no-home", action="store_true", help="skip the Home-then-Draw and memory parts")
    args = parser.parse_args()
    repo = args.repo.resolve()
    print(f"app: {repo}; load average {load_average()}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        for name in args.pages:
            with tempfile.TemporaryDirectory() as home, running_app(Path(home), repo=repo) as url:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                t = time.perf_counter()
                page.goto(f"{url}/{name}")
                if name == "draw":  # the canvas takes strokes before the model is ready
                    page.locator(CANVAS).first.wait_for(state="visible", timeout=120_000)
                    took = time.perf_counter() - t
                    print(f"fresh server, first visit to /draw: canvas ready to draw on in {took:.2f} s")
                usable(page, name)
                what = "the page finished (its script idle)" if name == "draw" else "usable"
                print(f"fresh server, first visit to /{name}: {what} in {time.perf_counter() - t:.2f} s")
                if name == "draw":  # draw at once: the first answer waits for the model still loading
                    draw_digit(page, 7)
                    up = time.perf_counter()
                    shown = wait_for_metric_or_none(page, "Prediction", "7", timeout=60_000)
                    print(
                        f"fresh server, a 7 drawn at once on /draw: {shown!r} answered {time.perf_counter() - t:.2f} s "
                        f"after the first visit began ({time.perf_counter() - up:.2f} s after the mouse-up)"
                    )
                    pid = server_pid(url)
                    print(f"server memory right after that answer: {rss_mb(pid, tree=False):.0f} MB "
                          f"({rss_mb(pid):.0f} MB with its child processes)")
                page.close()
        if args.no_home:
            browser.close()
            return
        # a class usually lands on Home first: its first view starts loading the model in the background
        with tempfile.TemporaryDirectory() as home, running_app(Path(home), repo=repo) as url:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url)
            usable(page, "")
            page.wait_for_timeout(3000)  # the teacher talks for a few seconds
            t = time.perf_counter()
            page.locator('[data-testid="stSidebarNav"] a', has_text="Draw").first.click()
            usable(page, "draw")
            print(f"fresh server, Home first, then Draw 3 s later: Draw ready in {time.perf_counter() - t:.2f} s")
            page.close()

        with tempfile.TemporaryDirectory() as home, running_app(Path(home), repo=repo) as url:
            pid = server_pid(url)
            print(f"server idle after start: {rss_mb(pid):.0f} MB")
            page = browser.new_page()
            page.goto(f"{url}/draw")
            usable(page, "draw")
            base = rss_mb(pid)
            print(f"server with the model loaded (one session on /draw): {base:.0f} MB")
            for _ in range(args.idle):
                ctx = browser.new_context()
                p = ctx.new_page()
                p.goto(f"{url}/draw")
                usable(p, "draw")
            time.sleep(2)
            after = rss_mb(pid)
            print(f"{args.idle} more idle sessions: {after:.0f} MB, {(after - base) / args.idle:.1f} MB per session")
        browser.close()


if __name__ == "__main__":
    main()
