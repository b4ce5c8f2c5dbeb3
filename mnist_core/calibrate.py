"""When to say "not sure" or "that doesn't look like a digit": thresholds measured on data.

The top probability of a prediction is compared with two thresholds fitted on drawings:
- `digit_at`: below it the drawing does not look like a digit. Set so that only 1% of correctly
  read drawn digits fall below it; we report how many non-digit scribbles it catches.
- `sure_at`: at or above it the answer is given plainly. The lowest threshold at which drawn
  digits are read right at least 99.5% of the time; between the two the app says "not sure".
Drawn digits are MNIST test digits re-drawn as canvas drawings (synth.redraw), never training data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
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
    """n digits re-drawn as canvas drawings and normalised: ((n, 28, 28) float32, (n,) labels)."""
    from .preprocess import prepare
    from .synth import redraw

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(x), size=min(n, len(x)), replace=False)
    inputs = np.stack([prepare(redraw(x[i], rng)) for i in pick])
    return inputs, np.asarray(y)[pick]


def non_digit_set(n: int, seed: int = 1, kinds: tuple[str, ...] | None = None) -> np.ndarray:
    """n normalised non-digit scribbles of the given kinds (default: all): (n, 28, 28) float32."""
    from .preprocess import prepare
    from .synth import SCRIBBLE_KINDS, scribble

    rng = np.random.default_rng(seed)
    return np.stack([prepare(scribble(rng, kinds=kinds or SCRIBBLE_KINDS)) for _ in range(n)])


def calibrate(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray, n_digits: int = 2000,
              n_other: int = 300, seed: int = 0) -> Calibration:
    """Fit thresholds for `model` on re-drawn MNIST test digits and synthetic non-digits."""
    from .predict import probabilities
    from .synth import SCRIBBLE_KINDS, TRAINING_SCRIBBLES

    x, y = drawn_set(x_test, y_test, n_digits, seed)
    cal = fit(probabilities(model, x), y, probabilities(model, non_digit_set(n_other, seed + 1)))
    unseen = tuple(k for k in SCRIBBLE_KINDS if k not in TRAINING_SCRIBBLES)  # never shown in training
    top = probabilities(model, non_digit_set(max(n_other // 3, 1), seed + 2, unseen)).max(axis=1)
    cal.measured["unseen_kinds"] = list(unseen)
    cal.measured["unseen_non_digits_not_sure_or_caught"] = round(float((top < cal.sure_at).mean()), 4)
    return cal
