"""How fast the Explore page's data work is. Prints figures; asserts nothing.

    MNIST_DATA_DIR=../shared/mnist python bench/bench_explore.py [--tsne 3000] [--model]

Times, on this machine: loading MNIST from the gzipped IDX files (target <= 2 s); every statistic
(pixel stats, per-image features of all 70,000 images, the PCA map); the t-SNE map (computed once,
then read from the disk cache; only with --tsne N, since the first computation takes minutes);
scoring a split with the active model (--model); and each Explore tab's server-side rerun under
Streamlit's AppTest once its statistics are cached (target <= 1 s), which includes building and
serialising the figures but not the browser drawing them.
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
os.environ.setdefault("MNIST_LAB_HOME", tempfile.mkdtemp(prefix="bench-explore-"))

import numpy as np  # noqa: E402

from mnist_core import embed, stats  # noqa: E402
from mnist_core.data import load_mnist  # noqa: E402


def timed(label: str, fn, repeat: int = 3):
    """Run fn `repeat` times; print the median and best; return the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    print(f"{label:<52} median {statistics.median(times):7.3f} s   best {min(times):7.3f} s   (n={repeat})")
    return result


def tabs_under_apptest(split: str = "train") -> None:
    from streamlit.testing.v1 import AppTest

    for tab in ["Overview", "Pixels", "Gallery", "Map"]:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=600)
        at.session_state["tab"] = tab
        at.session_state["explore_split"] = split
        at.run()
        start = time.perf_counter()
        at.switch_page("app_pages/explore.py").run()
        first = time.perf_counter() - start
        assert not at.exception, at.exception
        reruns = []
        for _ in range(3):
            start = time.perf_counter()
            at.run()
            reruns.append(time.perf_counter() - start)
        print(f"tab {tab:<16} first run {first:7.3f} s   rerun median {statistics.median(reruns):6.3f} s   "
              f"best {min(reruns):6.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tsne", type=int, default=0, help="also time a t-SNE map of this many images")
    parser.add_argument("--model", action="store_true", help="also time scoring the test split with the model")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    data = timed("load MNIST from gzipped IDX (70,000 images)", load_mnist)
    x_all = np.concatenate([data.x_train, data.x_test])
    y_all = np.concatenate([data.y_train, data.y_test])

    timed("pixel_stats, train (60,000)", lambda: stats.pixel_stats(data.x_train, data.y_train))
    timed("pixel_stats, all 70,000", lambda: stats.pixel_stats(x_all, y_all))
    features = timed("image_features, all 70,000", lambda: stats.image_features(x_all))
    timed("feature_quantiles, one feature by digit (70,000)", lambda: stats.feature_quantiles(features["slant"], y_all))
    timed("select_images: the most slanted 7s (70,000)",
          lambda: stats.select_images(y_all, features, 7, "slant", order="descending"))
    timed("pca_map, train (fit on 20,000, project 60,000)", lambda: embed.pca_map(data.x_train))
    timed("pca_map, all 70,000", lambda: embed.pca_map(x_all))

    if args.tsne:
        timed(f"t-SNE of {args.tsne:,} training images, first time", lambda: embed.tsne_map(data.x_train, args.tsne),
              repeat=1)
        timed(f"t-SNE of {args.tsne:,}, from the disk cache", lambda: embed.tsne_map(data.x_train, args.tsne))

    if args.model:
        from mnist_core.hard import model_file_id, score_images
        from mnist_core.predict import MODELS
        from mnist_core.store import ModelStore

        active = ModelStore().active().path
        model = timed("load the active model (imports TensorFlow)", lambda: MODELS.get(active), repeat=1)
        model_id = model_file_id(active)
        timed("score the 10,000 test images, first time",
              lambda: score_images(model, data.x_test, data.y_test, model_id), repeat=1)
        timed("score the 10,000 test images, from the disk cache",
              lambda: score_images(model, data.x_test, data.y_test, model_id))

    tabs_under_apptest()


if __name__ == "__main__":
    main()
