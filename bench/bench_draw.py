"""Drawn-digit benchmark and classify() speed. Prints figures; asserts nothing.

    MNIST_DATA_DIR=../shared/mnist python bench/bench_draw.py [--model PATH] [--n 3000]

1. MNIST test accuracy of the model (its own 28x28 inputs).
2. The drawn path: MNIST test digits re-drawn as canvas drawings at random size (30-95% of the
   canvas height), place and pen width (6-40 px on 280 px), with a stray speck one time in ten,
   then normalised by preprocess.prepare: accuracy overall and by size and pen.
3. The same drawings scanned as small grayscale bitmaps, dark on light (16, 32, 64 px).
4. Our own digit templates drawn at random sizes, places and pens.
5. classify() of one 280x280 canvas image: median and p95 latency, the model loaded once, through
   its ONNX export (ONNX Runtime, what Draw uses) and through Keras (a traced tf.function, what Draw
   used before), interleaved call by call so both see the same machine load. --speed runs only this.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.data import load_mnist  # noqa: E402
from mnist_core.evaluate import evaluate  # noqa: E402
from mnist_core.models import load_model  # noqa: E402
from mnist_core.predict import classify, probabilities  # noqa: E402
from mnist_core.preprocess import prepare  # noqa: E402
from mnist_core.store import ModelStore  # noqa: E402
from mnist_core.synth import STYLE_VARIANTS, digit_image, place, redraw, render, scan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None, help="a .keras file (default: the active model)")
    parser.add_argument("--n", type=int, default=3000, help="drawn digits")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--speed", action="store_true", help="only the classify() timing")
    args = parser.parse_args()

    model = load_model(args.model or ModelStore().active().path)
    if args.speed:
        speed(model, args.model or ModelStore().active().path)
        return
    data = load_mnist()
    print(f"model: {args.model or 'active'} ({model.count_params():,} parameters)")
    print(f"MNIST test accuracy: {evaluate(model, data.x_test, data.y_test).accuracy:.4%}")

    # The drawn path
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(data.x_test), size=args.n, replace=False)
    heights, pens, drawings = [], [], []
    for i in pick:
        h, p = rng.uniform(0.3, 0.95), rng.uniform(6, 40)
        heights.append(h)
        pens.append(p)
        drawings.append(redraw(data.x_test[i], rng, height=(h, h), pen=(p, p)))
    labels = data.y_test[pick]
    t = time.perf_counter()
    inputs = np.stack([prepare(d) for d in drawings])
    prep_ms = (time.perf_counter() - t) / len(drawings) * 1000
    right = probabilities(model, inputs).argmax(1) == labels
    print(f"\ndrawn digits: {right.mean():.2%} of {len(right)} (prepare {prep_ms:.1f} ms each)")
    heights, pens = np.array(heights), np.array(pens)
    for lo, hi in ((0.3, 0.5), (0.5, 0.75), (0.75, 0.95)):
        sel = (heights >= lo) & (heights < hi)
        print(f"  height {lo:.0%}-{hi:.0%} of canvas: {right[sel].mean():.2%} ({sel.sum()})")
    for lo, hi in ((6, 12), (12, 25), (25, 40)):
        sel = (pens >= lo) & (pens < hi)
        print(f"  pen {lo}-{hi} px: {right[sel].mean():.2%} ({sel.sum()})")
    wrong = np.flatnonzero(~right)
    confusions = {}
    preds = probabilities(model, inputs).argmax(1)
    for k in wrong:
        confusions[(int(labels[k]), int(preds[k]))] = confusions.get((int(labels[k]), int(preds[k])), 0) + 1
    top = sorted(confusions.items(), key=lambda kv: -kv[1])[:6]
    print("  most common mistakes (true->predicted: count):", ", ".join(f"{a}->{b}: {c}" for (a, b), c in top))

    # Scans of other sizes
    for side in (16, 32, 64):
        scans = np.stack([prepare(scan(d, side)) for d in drawings[:1000]])
        acc = (probabilities(model, scans).argmax(1) == labels[:1000]).mean()
        print(f"scanned at {side}x{side}: {acc:.2%} of 1000")

    # Our templates at random sizes, places and pens
    tpl_right = []
    for _ in range(500):
        d = int(rng.integers(0, 10))
        h = rng.uniform(0.3, 0.95) * 280
        w = h * rng.uniform(0.45, 0.7)
        box = (rng.uniform(0, 280 - w), rng.uniform(0, 280 - h), w, h)
        pred = classify(digit_image(d, pen=float(rng.uniform(8, 40)), box=box), model)
        tpl_right.append(pred.digit == d)
    print(f"templates at random size/place/pen: {np.mean(tpl_right):.2%} of 500")
    for name, (digit, strokes) in STYLE_VARIANTS.items():
        right = []
        for _ in range(40):
            h = rng.uniform(0.35, 0.9) * 280
            w = h * rng.uniform(0.45, 0.7)
            box = (rng.uniform(0, 280 - w), rng.uniform(0, 280 - h), w, h)
            img = render(place(strokes, *box), (280, 280), float(rng.uniform(8, 36)))
            right.append(classify(img, model).digit == digit)
        print(f"  style '{name}': {np.mean(right):.0%} of 40")

    speed(model, args.model or ModelStore().active().path)


def speed(model, path) -> None:
    """classify() of one canvas image through ONNX Runtime and through Keras, interleaved."""
    from bench.procstats import load_average
    from mnist_core.export import load_onnx

    onnx = load_onnx(path)
    canvases = [digit_image(d % 10, pen=20) for d in range(50)]
    times: dict[str, list[float]] = {"ONNX Runtime": [], "Keras": []}
    models = {"ONNX Runtime": onnx, "Keras": model}
    for m in models.values():
        classify(canvases[0], m)  # warm up
    for _ in range(4):
        for img in canvases:
            for name, m in models.items():
                t = time.perf_counter()
                classify(img, m)
                times[name].append((time.perf_counter() - t) * 1000)
    x = prepare(canvases[0])[None]  # (1, 28, 28): one drawing as the model reads it
    print(f"\nclassify() of a 280x280 canvas (load average {load_average()}):")
    for name, ts in times.items():
        ts.sort()
        t = time.perf_counter()
        for _ in range(200):
            probabilities(models[name], x)
        model_ms = (time.perf_counter() - t) / 200 * 1000
        print(f"  {name:13s} median {statistics.median(ts):.2f} ms, p95 {ts[int(len(ts) * 0.95)]:.2f} ms over "
              f"{len(ts)} calls (the model alone: {model_ms:.2f} ms per image)")


if __name__ == "__main__":
    main()
