"""How long one Augment preview takes: 32 copies of a digit for a given config. Prints figures.

    MNIST_DATA_DIR=../shared/mnist python bench/bench_augment.py [--copies 32] [--repeat 10] [--browser]

A slider move on the Augment page builds a new Keras pipeline for the new config and runs it once
on the copies, then measures their ink and tiles them. That is timed here for the default recipe,
each transform alone, and everything at once (target <= 200 ms for 32 copies); with --browser, also
the time from a key press on the rotation slider to the new grid in Chromium against a real server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MNIST_LAB_HOME", tempfile.mkdtemp(prefix="bench-augment-"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from mnist_core.augment import DRAWING_AUGMENT, AugmentConfig, augment, ink_kept  # noqa: E402
from mnist_core.data import load_mnist  # noqa: E402
from ui.augment_ui import CONTROLS  # noqa: E402
from ui.show import montage  # noqa: E402


def preview(image: np.ndarray, config: AugmentConfig, copies: int) -> np.ndarray:
    """What the page computes after a slider move (without Streamlit)."""
    variants = augment(np.repeat(image[None], copies, axis=0), config)
    kept = ink_kept(image, variants)
    return montage(variants, flagged=kept < 0.5)


def time_config(label: str, image: np.ndarray, config: AugmentConfig, copies: int, repeat: int) -> None:
    preview(image, config, copies)  # the first call of a transform pays one-off set-up
    times = []
    for seed in range(repeat):  # a new seed each time: a new pipeline, as after a slider move
        cfg = AugmentConfig.from_dict({**config.to_dict(), "seed": seed + 1})
        start = time.perf_counter()
        preview(image, cfg, copies)
        times.append(time.perf_counter() - start)
    print(f"{label:<28} median {statistics.median(times) * 1000:6.0f} ms   best {min(times) * 1000:6.0f} ms   "
          f"worst {max(times) * 1000:6.0f} ms")


GRID = '[data-testid="stMain"] [data-testid="stImage"] img'
NEW_GRID = """([sel, old]) => { const imgs = document.querySelectorAll(sel);
    return imgs.length > 0 && imgs[imgs.length - 1].src !== old; }"""


def in_browser(repeat: int) -> None:
    """Slider key press -> a new grid in Chromium, against a real `streamlit run` server."""
    from browser import browser_page, running_app

    with running_app() as url, browser_page() as page:
        page.goto(f"{url}/augment")
        page.locator(GRID).last.wait_for(timeout=120_000)
        thumb = page.locator('.st-key-aug_rotation input[type="range"]')
        thumb.focus()
        times, server = [], []
        for k in range(repeat + 1):
            old = page.locator(GRID).last.get_attribute("src")
            start = time.perf_counter()
            page.keyboard.press("ArrowRight" if k % 2 == 0 else "ArrowLeft")
            page.wait_for_function(NEW_GRID, arg=[GRID, old], timeout=60_000)
            if k:  # the first change pays the page's one-off set-up
                times.append(time.perf_counter() - start)
                caption = page.get_by_text(" copies in ").last.inner_text()  # "32 copies in 41 ms. ..."
                server.append(float(caption.split(" copies in ")[1].split(" ms")[0]) / 1000)
        print(f"{'browser: key press -> new grid':<28} median {statistics.median(times) * 1000:6.0f} ms   "
              f"best {min(times) * 1000:6.0f} ms   worst {max(times) * 1000:6.0f} ms   (default recipe)")
        print(f"{'  of which augmenting on the server':<28} median {statistics.median(server) * 1000:6.0f} ms   "
              f"best {min(server) * 1000:6.0f} ms   worst {max(server) * 1000:6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--browser", action="store_true", help="also time slider -> new grid in Chromium")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {args.copies} copies")
    image = load_mnist().x_train[0]
    time_config("default recipe", image, DRAWING_AUGMENT, args.copies, args.repeat)
    for name, (_, typical, _, _) in CONTROLS.items():
        time_config(f"{name} alone", image, AugmentConfig(**{name: typical}), args.copies, args.repeat)
    everything = AugmentConfig(**{name: typical for name, (_, typical, _, _) in CONTROLS.items()})
    time_config("all ten at once", image, everything, args.copies, args.repeat)
    if args.browser:
        in_browser(args.repeat)


if __name__ == "__main__":
    main()
