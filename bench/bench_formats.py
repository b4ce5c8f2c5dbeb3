"""Digits in the formats other people's data comes in: per format, the model's accuracy on MNIST test
digits given that way through preprocess.prepare, and the share prepare found empty. Prints figures;
asserts nothing.

    MNIST_DATA_DIR=../shared/mnist python bench/bench_formats.py [--model PATH] [--n 2000]

Formats: 8-bit as MNIST stores them, black and white (0/1, bool), floats in [0, 1] and in [0, 255],
16-bit, dark ink on white paper, 0-16 counts (how 8x8 digit sets store them; at 8x8 and at 28x28),
signed [-1, 1] at 16x16 (ink +1 or -1), cropped tight to the ink (no margin), and stretched to fill
a 16x16 box and binarised as Semeion's scans are (light or dark ink, no margin); with lines at the
edges, as digits cut out of forms and notebooks come: inside a box (1-px line; 2-px with dark ink),
three sides of a box, on ruled paper (grey lines above and below, on a wider page), underlined.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.paths import DEFAULT_MODEL_PATH  # noqa: E402
from mnist_core.preprocess import bounding_box, prepare  # noqa: E402


def _resized(a: np.ndarray, side: int) -> np.ndarray:
    """(28, 28) uint8 -> (side, side) float64 0-255, area-averaged."""
    img = Image.fromarray(np.asarray(a, np.float32), mode="F")
    return np.asarray(img.resize((side, side), Image.Resampling.BOX), np.float64)


def _tight(a: np.ndarray) -> np.ndarray:
    """Cropped to the ink's box, as the normaliser crops it."""
    return a[bounding_box(a / 255.0)]


def _stretched(a: np.ndarray) -> np.ndarray:
    """Semeion-like: cropped to the ink, stretched to fill 16x16, thresholded; ink 255 on 0, no margin."""
    return (_resized(_tight(a), 16) > 115).astype(np.uint8) * 255


def _boxed(a: np.ndarray, sides: str = "tblr", width: int = 1) -> np.ndarray:
    """A line of `width` pixels along each of the `sides` (t, b, l, r) of the 28x28 image."""
    a = np.array(a, np.uint8)
    for side, lines in {"t": np.s_[:width], "b": np.s_[-width:], "l": np.s_[:, :width], "r": np.s_[:, -width:]}.items():
        if side in sides:
            a[lines] = 255
    return a


def _ruled(a: np.ndarray) -> np.ndarray:
    """On a 36-pixel-wide page between two grey ruled lines (rows 1 and 26), which the digit may touch."""
    page = np.zeros((28, 36), np.uint8)
    page[:, 4:32] = a
    page[[1, 26]] = np.maximum(page[[1, 26]], 200)
    return page


def _underlined(a: np.ndarray) -> np.ndarray:
    """A line across the image one pixel above its bottom edge (a digit that reaches it touches it)."""
    a = np.array(a, np.uint8)
    a[-2] = 255
    return a


FORMATS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "8-bit (MNIST's own)": lambda a: a,
    "black and white 0/1": lambda a: (a > 127).astype(np.uint8),
    "bool": lambda a: a > 127,
    "float [0, 1]": lambda a: a / 255.0,
    "float [0, 255]": lambda a: a.astype(np.float64),
    "16-bit": lambda a: a.astype(np.uint16) * 257,
    "dark ink on white": lambda a: 255 - a,
    "0-16 counts, 8x8": lambda a: np.round(_resized(a, 8) / 255 * 16),
    "0-16 counts, 28x28": lambda a: np.round(a / 255 * 16),
    "signed [-1, 1], ink +1, 16x16": lambda a: _resized(a, 16) / 255 * 2 - 1,
    "signed [-1, 1], ink -1, 16x16": lambda a: 1 - _resized(a, 16) / 255 * 2,
    "cropped tight": _tight,
    "cropped tight, dark ink": lambda a: 255 - _tight(a),
    "stretched 16x16 scan": _stretched,
    "stretched 16x16 scan, dark ink": lambda a: 255 - _stretched(a),
    "in a box (1-px line)": _boxed,
    "in a box (2-px line), dark ink": lambda a: 255 - _boxed(a, width=2),
    "three sides of a box": lambda a: _boxed(a, "tlr"),
    "on ruled paper": _ruled,
    "underlined": _underlined,
}


def measure(predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray,
            formats: dict[str, Callable[[np.ndarray], np.ndarray]] | None = None) -> dict[str, tuple[float, float]]:
    """format -> (accuracy, share found empty), for `formats` (default: all of FORMATS); `predict`:
    (N, 28, 28) inputs -> (N, 10) probabilities. An empty result counts as wrong."""
    out = {}
    for name, given in (FORMATS if formats is None else formats).items():
        prepared = [prepare(given(a)) for a in x]
        empty = np.array([p is None for p in prepared])
        inputs = np.stack([np.zeros((28, 28), np.float32) if p is None else p for p in prepared])
        right = (predict(inputs).argmax(axis=1) == y) & ~empty
        out[name] = (float(right.mean()), float(empty.mean()))
    return out


def main() -> None:
    from mnist_core.data import load_mnist
    from mnist_core.models import load_model
    from mnist_core.predict import probabilities

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(DEFAULT_MODEL_PATH), help="a .keras file (default: the shipped model)")
    parser.add_argument("--n", type=int, default=2000, help="MNIST test digits (the first n)")
    args = parser.parse_args()

    start = time.perf_counter()
    model = load_model(args.model)
    data = load_mnist()
    x, y = data.x_test[: args.n], data.y_test[: args.n]
    print(f"model: {args.model}; the first {len(x)} MNIST test digits in each format\n")
    print(f"{'format':<34}{'right':>8}{'empty':>8}")
    for name, (right, empty) in measure(lambda inputs: probabilities(model, inputs), x, y).items():
        print(f"{name:<34}{100 * right:7.2f}%{100 * empty:7.1f}%")
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
