"""The world's handwriting: per-digit accuracy where MNIST's styles are not the only ones. Prints figures;
asserts nothing.

    MNIST_DATA_DIR=../shared/mnist python bench/bench_world.py [--model PATH ...] [--n-drawn 3000] [--n-style 300]

With several models, their probabilities are averaged (an ensemble; the first model's card gives the
"not sure" thresholds).

Rows (columns: digits 0-9 and overall):
- MNIST test: the model's own 28x28 inputs.
- re-drawn MNIST: MNIST test digits re-drawn as canvas drawings (synth.redraw), then preprocess.prepare.
- Semeion: 1,593 digits of ~80 Italian writers (../shared/handwriting-dev), each 16x16 bitmap fed through
  preprocess.prepare as a grayscale image with ink = 255, as its README says. A validation set: never trained on.
- MNIST test as scans: MNIST test digits as binarised, stretched low-resolution scans (styles.scan_like),
  then the same scans with no margin: their ink touches the edges of the image, as Semeion's does.
- each generated style (mnist_core.styles) drawn from random streams that training never uses, and
  all of them as scans.
Then, per non-digit kind, the share answered plainly ("That's a 7") by the model card's calibration,
and the share called "not a digit"; kinds marked "held out" are never shown in training.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.calibrate import NOT_A_DIGIT, SURE, Calibration, cached_inputs, drawn_set  # noqa: E402
from mnist_core.paths import DEFAULT_MODEL_PATH  # noqa: E402
from mnist_core.preprocess import prepare  # noqa: E402
from mnist_core.styles import STYLES, scan_set, style_set  # noqa: E402
from mnist_core.synth import HELD_OUT_SCRIBBLES, SCRIBBLE_KINDS, scribble  # noqa: E402

SEMEION = REPO.parent / "shared" / "handwriting-dev" / "semeion.data"
BENCH_SEED = 123  # never a training seed


def load_semeion(path: Path = SEMEION) -> tuple[np.ndarray, np.ndarray]:
    """Semeion's digits as (N, 16, 16) uint8 (ink 255 on 0) and (N,) labels."""
    raw = np.loadtxt(path)
    if raw.ndim != 2 or raw.shape[1] != 266:
        raise ValueError(f"{path}: expected 266 numbers a line (256 pixels, 10 one-hot labels), got {raw.shape}")
    return (raw[:, :256].reshape(-1, 16, 16) * 255).astype(np.uint8), raw[:, 256:].argmax(axis=1)


def per_digit(pred: np.ndarray, y: np.ndarray) -> list[float | None]:
    """Accuracy for digits 0-9 (None where there are none), then overall."""
    right = np.asarray(pred) == np.asarray(y)
    return [float(right[y == d].mean()) if (y == d).any() else None for d in range(10)] + [float(right.mean())]


def world_sets(x_test: np.ndarray, y_test: np.ndarray, n_drawn: int = 3000, n_style: int = 300,
               n_scan: int = 3000, semeion: Path = SEMEION) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every digit set of the table: name -> ((N, 28, 28) float32 model inputs, (N,) labels)."""
    sets = {"MNIST test": (x_test.astype(np.float32) / 255.0, y_test)}
    sets["re-drawn MNIST"] = drawn_set(x_test, y_test, n_drawn, seed=BENCH_SEED)
    if semeion.exists():
        sx, sy = load_semeion(semeion)
        key = ("semeion", hashlib.md5(semeion.read_bytes()).hexdigest())
        sets["Semeion"] = (cached_inputs(key, lambda: np.stack([prepare(a) for a in sx])), sy)
    else:
        print(f"(Semeion not found at {semeion}: its row is left out)")

    scans, pick = cached_inputs(("mnist scans", n_scan, BENCH_SEED),
                                lambda: scan_set(x_test, n_scan, seed=BENCH_SEED, held_out=True),
                                code=("styles", "preprocess"))
    sets["MNIST test as scans"] = (scans / 255.0, y_test[pick])
    tight, pick = cached_inputs(("mnist scans, no margin", n_scan, BENCH_SEED),
                                lambda: scan_set(x_test, n_scan, seed=BENCH_SEED, held_out=True, margin=0),
                                code=("styles", "preprocess"))
    sets["... with no margin"] = (tight / 255.0, y_test[pick])
    for name in STYLES:
        x = cached_inputs(("style", name, n_style, BENCH_SEED),
                          lambda name=name: style_set([name], n_style, seed=BENCH_SEED, held_out=True)[0],
                          code=("styles", "preprocess"))
        sets[f"style: {name}"] = (x / 255.0, np.full(n_style, STYLES[name][0]))
    names = list(STYLES)
    n_all = n_style * len(names) // 4
    x = cached_inputs(("styles as scans", n_all, BENCH_SEED),
                      lambda: style_set(names, n_all, seed=BENCH_SEED + 1, scan_share=1.0, held_out=True)[0],
                      code=("styles", "preprocess"))
    sets["styles as scans"] = (x / 255.0, np.array([STYLES[names[i % len(names)]][0] for i in range(n_all)]))
    return sets


def non_digit_sets(n: int = 100) -> dict[str, np.ndarray]:
    """kind -> (n, 28, 28) float32 inputs, from seeds training never uses."""
    out = {}
    for k, kind in enumerate(SCRIBBLE_KINDS):
        def make(kind=kind, k=k):
            rng = np.random.default_rng([BENCH_SEED, k])
            return np.stack([prepare(scribble(rng, kinds=(kind,))) for _ in range(n)])

        out[kind] = cached_inputs(("bench non-digits", kind, n, BENCH_SEED), make)
    return out


def averaged(models: list) -> Callable[[np.ndarray], np.ndarray]:
    """(N, 28, 28) inputs -> (N, 10): the models' probabilities, averaged when there are several."""
    from mnist_core.predict import probabilities

    return lambda x: np.mean([probabilities(m, x) for m in models], axis=0)


def measure(predict: Callable[[np.ndarray], np.ndarray], x_test: np.ndarray, y_test: np.ndarray,
            calibration: Calibration, n_other: int = 100, **sizes) -> dict:
    """Accuracy per set and digit, and per non-digit kind the shares answered plainly and called not a digit.
    `predict`: (N, 28, 28) inputs -> (N, 10) probabilities (see `averaged`); `n_other`: samples of each
    non-digit kind; `sizes`: world_sets' n_drawn, n_style, n_scan and semeion."""
    rows, confusions = {}, {}
    for name, (x, y) in world_sets(x_test, y_test, **sizes).items():
        pred = predict(x).argmax(axis=1)
        rows[name] = per_digit(pred, y)
        confusions[name] = Counter((int(a), int(b)) for a, b in zip(y, pred, strict=True) if a != b).most_common(6)
    others = {}
    for kind, x in non_digit_sets(n_other).items():
        verdicts = [calibration.verdict(p) for p in predict(x)]
        others[kind] = (verdicts.count(SURE) / len(verdicts), verdicts.count(NOT_A_DIGIT) / len(verdicts))
    return {"rows": rows, "confusions": confusions, "non_digits": others}


def print_table(result: dict) -> None:
    rows = result["rows"]
    print(f"{'accuracy %':<26}" + "".join(f"{d:>7}" for d in range(10)) + f"{'all':>8}")
    for name, values in rows.items():
        cells = "".join(f"{'':>7}" if v is None else f"{100 * v:7.2f}" for v in values[:10])
        print(f"{name:<26}{cells}{100 * values[10]:8.2f}")
    style_rows = [v[10] for k, v in rows.items() if k.startswith("style: ")]
    if style_rows:
        print(f"{'generated styles: worst':<26}{'':>70}{100 * min(style_rows):8.2f}")
    for name in ("Semeion", "re-drawn MNIST", "styles as scans"):
        if result["confusions"].get(name):
            print(f"{name} mistakes (true->read: count): "
                  + ", ".join(f"{a}->{b}: {c}" for (a, b), c in result["confusions"][name]))
    print(f"\n{'non-digit kind':<16}{'answered plainly':>18}{'not a digit':>13}")
    for group, kinds in (("training", [k for k in SCRIBBLE_KINDS if k not in HELD_OUT_SCRIBBLES]),
                         ("held out", list(HELD_OUT_SCRIBBLES))):
        for kind in kinds:
            plain, nad = result["non_digits"][kind]
            print(f"{kind:<16}{100 * plain:17.0f}%{100 * nad:12.0f}%   {group}")
        plain = np.mean([result["non_digits"][k][0] for k in kinds])
        print(f"{'all ' + group:<16}{100 * plain:17.1f}%")


def main() -> None:
    from mnist_core.data import load_mnist
    from mnist_core.models import load_model
    from mnist_core.store import read_card

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", nargs="+", default=[str(DEFAULT_MODEL_PATH)],
                        help="a .keras file (default: the shipped model); several: their average")
    parser.add_argument("--n-drawn", type=int, default=3000, help="re-drawn MNIST test digits")
    parser.add_argument("--n-style", type=int, default=300, help="held-out samples of each generated style")
    parser.add_argument("--n-scan", type=int, default=3000, help="MNIST test digits made into scans")
    parser.add_argument("--n-other", type=int, default=100, help="samples of each non-digit kind")
    parser.add_argument("--semeion", default=str(SEMEION))
    args = parser.parse_args()

    start = time.perf_counter()
    models = [load_model(path) for path in args.model]
    calibration = Calibration.from_card(read_card(Path(args.model[0])).to_dict())
    data = load_mnist()
    print(f"model: {' + '.join(args.model)} ({models[0].count_params():,} parameters"
          f"{f'; the {len(models)} averaged' if len(models) > 1 else ''}); "
          f"calibration: sure at {calibration.sure_at:.3f}, a digit at {calibration.digit_at:.3f}\n")
    result = measure(averaged(models), data.x_test, data.y_test, calibration, n_drawn=args.n_drawn,
                     n_style=args.n_style, n_scan=args.n_scan, n_other=args.n_other, semeion=Path(args.semeion))
    print_table(result)
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
