"""When to say "not sure" or "that doesn't look like a digit": thresholds measured on data.

The top probability of a prediction is compared with two thresholds fitted on drawings:
- `digit_at`: below it the drawing does not look like a digit. Set so that only 1% of correctly
  read drawn digits fall below it; we report how many non-digit scribbles it catches.
- `sure_at`: at or above it the answer is given plainly. The lowest threshold at which drawn
  digits are read right at least 99.5% of the time; between the two the app says "not sure".
Drawn digits are MNIST test digits re-drawn as canvas drawings (synth.redraw), never training data.
Those drawings and the non-digits do not depend on the model: they are made once and cached on disk.

`ambiguity` says in words when the two best answers are digits people's handwriting makes look alike.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import keras

SURE = "sure"
UNSURE = "unsure"
NOT_A_DIGIT = "not_a_digit"


@dataclass(frozen=True)
class Calibration:
    sure_at: float = 0.90  # defaults for a model that has not been calibrated
    digit_at: float = 0.50
    measured: dict[str, Any] = field(default_factory=dict)  # what the thresholds were fitted on

    def verdict(self, probabilities: np.ndarray) -> str:
        top = float(np.max(probabilities))
        if top < self.digit_at:
            return NOT_A_DIGIT
        return SURE if top >= self.sure_at else UNSURE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> Calibration:
        data = card.get("calibration") or {}
        try:
            return cls(float(data["sure_at"]), float(data["digit_at"]), dict(data.get("measured", {})))
        except (KeyError, TypeError, ValueError):
            return cls()


def fit(digit_probs: np.ndarray, digit_labels: np.ndarray, other_probs: np.ndarray,
        precision: float = 0.995, keep_digits: float = 0.99) -> Calibration:
    """Fit both thresholds from (N, 10) probabilities of drawn digits and (M, 10) of non-digits."""
    top = digit_probs.max(axis=1)
    right = digit_probs.argmax(axis=1) == np.asarray(digit_labels)
    digit_at = float(np.quantile(top[right], 1.0 - keep_digits)) if right.any() else 0.5
    # lowest threshold whose answers above it are right at least `precision` of the time
    order = np.argsort(-top)
    running = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(running >= precision)
    sure_at = float(top[order][ok[-1]]) if ok.size else 1.0
    sure_at = max(sure_at, digit_at)
    other_top = other_probs.max(axis=1)
    measured = {
        "drawn_digits": int(len(top)),
        "drawn_accuracy": round(float(right.mean()), 4),
        "non_digits": int(len(other_top)),
        "non_digits_caught": round(float((other_top < digit_at).mean()), 4) if len(other_top) else None,
        "non_digits_not_sure_or_caught": round(float((other_top < sure_at).mean()), 4) if len(other_top) else None,
        "digits_answered_plainly": round(float((top >= sure_at).mean()), 4),
        "accuracy_when_sure": round(float(right[top >= sure_at].mean()), 4) if (top >= sure_at).any() else None,
    }
    return Calibration(round(sure_at, 4), round(digit_at, 4), measured)


def drawn_set(x: np.ndarray, y: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n digits re-drawn as canvas drawings and normalised: ((n, 28, 28) float32, (n,) labels).

    Cached on disk (see `cached_inputs`): re-drawing 2000 digits takes ~12 s, reading them back ~10 ms.
    """
    from .preprocess import prepare
    from .synth import redraw

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(x), size=min(n, len(x)), replace=False)
    inputs = cached_inputs(("drawn", n, seed, _digest(x), _digest(y)),
                           lambda: np.stack([prepare(redraw(x[i], rng)) for i in pick]).astype(np.float32))
    return inputs, np.asarray(y)[pick]


def non_digit_set(n: int, seed: int = 1, kinds: tuple[str, ...] | None = None) -> np.ndarray:
    """n normalised non-digit scribbles of the given kinds (default: all): (n, 28, 28) float32 (cached)."""
    from .preprocess import prepare
    from .synth import SCRIBBLE_KINDS, scribble

    kinds = tuple(kinds or SCRIBBLE_KINDS)
    rng = np.random.default_rng(seed)
    return cached_inputs(("non_digits", n, seed, kinds),
                         lambda: np.stack([prepare(scribble(rng, kinds=kinds)) for _ in range(n)]).astype(np.float32))


def _digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    return hashlib.blake2b(a.tobytes(), digest_size=12).hexdigest() + str(a.shape) + str(a.dtype)


@functools.cache
def _code_digest(modules: tuple[str, ...]) -> str:
    """The code of these mnist_core modules: a change to it makes older cached inputs stale.

    Read once per process, so that a process keys what it makes by the code it runs, even if the
    files are edited while it runs.
    """
    import importlib

    h = hashlib.blake2b(digest_size=12)
    for name in modules:
        h.update(Path(importlib.import_module(f"mnist_core.{name}").__file__).read_bytes())
    return h.hexdigest()


def cached_inputs(key: tuple, make: Callable[[], Any], code: tuple[str, ...] = ("synth", "preprocess")) -> Any:
    """`make()`'s array (or tuple of arrays), kept in the app's cache folder under a name made of `key`
    and the source of the `code` modules that make it (mnist_core.synth and .preprocess by default).
    A failure to read or write the cache only costs the time of making the arrays again.
    """
    from .paths import cache_dir

    name = hashlib.blake2b(repr((key, _code_digest(code))).encode(), digest_size=12).hexdigest()
    path = cache_dir() / "inputs" / f"{name}.npz"
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = [saved[f"a{i}"] for i in range(len(saved.files))]
        return arrays[0] if len(arrays) == 1 else tuple(arrays)
    except (OSError, ValueError, KeyError):
        pass
    out = make()
    arrays = list(out) if isinstance(out, tuple) else [out]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **{f"a{i}": np.asarray(a) for i, a in enumerate(arrays)})
        os.replace(tmp, path)
    except OSError:
        pass
    return out


def calibrate(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray, n_digits: int = 2000,
              n_other: int = 300, seed: int = 0) -> Calibration:
    """Fit thresholds for `model` on re-drawn MNIST test digits and synthetic non-digits."""
    from .predict import probabilities
    from .synth import HELD_OUT_SCRIBBLES

    x, y = drawn_set(x_test, y_test, n_digits, seed)
    cal = fit(probabilities(model, x), y, probabilities(model, non_digit_set(n_other, seed + 1)))
    unseen = HELD_OUT_SCRIBBLES  # never shown in training
    top = probabilities(model, non_digit_set(max(n_other // 3, 1), seed + 2, unseen)).max(axis=1)
    cal.measured["unseen_kinds"] = list(unseen)
    cal.measured["unseen_non_digits_not_sure_or_caught"] = round(float((top < cal.sure_at).mean()), 4)
    return cal


# Digits that people's handwriting makes look alike, with what tells them apart (said when the model
# hesitates between them).
CONFUSABLE_PAIRS: dict[frozenset[int], str] = {
    frozenset({1, 7}): "Many people write 1 with a flag and cross their 7s.",
    frozenset({1, 4}): "A 1 with a long flag can look like an open 4.",
    frozenset({4, 9}): "A 4 closed at the top looks like a 9; an open top says 4.",
    frozenset({3, 5}): "A 5 has a flat top with a corner; a 3 is round at the top.",
    frozenset({5, 6}): "A 6 closes its loop at the bottom; a 5 leaves it open.",
    frozenset({2, 7}): "A 7 with a curved stem looks like a 2; a 2 usually has a flat base.",
    frozenset({3, 9}): "A 9 closes its loop at the top; a 3 is open on the left.",
    frozenset({3, 8}): "An 8 closes both loops; a 3 is open on the left.",
    frozenset({8, 9}): "A 9 has an open tail under its loop; an 8 closes a second loop.",
    frozenset({0, 6}): "A 6 has a stem rising above its loop; a 0 is one closed loop.",
    frozenset({4, 6}): "A 4 written in one stroke can look like a 6; a 6's loop is at the bottom.",
    frozenset({7, 9}): "A 9 has a closed loop at the top; a 7 a straight bar.",
}


def ambiguity(probabilities: np.ndarray, close: float = 0.25) -> str | None:
    """A short message when the two best answers are a known confusable pair and close, else None.

    Args:
        probabilities: (10,) class probabilities of one drawing.
        close: the runner-up counts as close when it has at least this share of the best's probability.
    Returns:
        e.g. "1 or 7? Many people write 1 with a flag and cross their 7s." (best answer first), or None.
    """
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if p.shape != (10,) or not np.isfinite(p).all():
        raise ValueError(f"expected 10 finite probabilities, got shape {p.shape}")
    best, second = (int(i) for i in np.argsort(-p, kind="stable")[:2])
    if p[best] <= 0 or p[second] < close * p[best]:
        return None
    hint = CONFUSABLE_PAIRS.get(frozenset({best, second}))
    return f"{best} or {second}? {hint}" if hint else None
