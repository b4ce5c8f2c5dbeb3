"""Evaluation: accuracy, per-class precision / recall / F1 and the confusion matrix (numpy only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import keras


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    confusion: np.ndarray  # (10, 10) int: rows = true label, columns = predicted
    precision: np.ndarray  # (10,)
    recall: np.ndarray  # (10,)
    f1: np.ndarray  # (10,)
    support: np.ndarray  # (10,) true examples per class
    predicted: np.ndarray  # (N,) predicted labels
    probabilities: np.ndarray  # (N, 10)

    def summary(self) -> dict[str, object]:
        return {
            "accuracy": round(self.accuracy, 5),
            "per_class": {
                str(d): {"precision": round(float(self.precision[d]), 4), "recall": round(float(self.recall[d]), 4),
                         "f1": round(float(self.f1[d]), 4), "support": int(self.support[d])}
                for d in range(10)
            },
        }


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n: int = 10) -> np.ndarray:
    """(n, n) counts, rows = true, columns = predicted."""
    return np.bincount(np.asarray(y_true, int) * n + np.asarray(y_pred, int), minlength=n * n).reshape(n, n)


def scores(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall and F1 from a confusion matrix (0 where undefined)."""
    tp = np.diag(confusion).astype(float)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return precision, recall, f1


def evaluate_probabilities(probs: np.ndarray, y_true: np.ndarray) -> Evaluation:
    """Evaluation from (N, 10) probabilities and (N,) true labels."""
    y_true = np.asarray(y_true, int)
    y_pred = probs.argmax(axis=1)
    cm = confusion_matrix(y_true, y_pred)
    precision, recall, f1 = scores(cm)
    acc = float((y_pred == y_true).mean()) if len(y_true) else 0.0
    return Evaluation(acc, cm, precision, recall, f1, cm.sum(axis=1), y_pred, probs)


def predict_all(model: keras.Model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """(N, 28, 28) uint8 or float images -> (N, 10) probabilities, in batches."""
    x = np.asarray(x)
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    out = [
        np.asarray(model(x[i : i + batch_size].reshape(-1, 28, 28, 1).astype(np.float32) / scale, training=False))
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0, 10), np.float32)


def evaluate(model: keras.Model, x: np.ndarray, y: np.ndarray) -> Evaluation:
    """Evaluate `model` on images `x` with labels `y`."""
    return evaluate_probabilities(predict_all(model, x), y)


def mistakes(ev: Evaluation, y_true: np.ndarray, true: int | None = None, predicted: int | None = None,
             limit: int | None = None) -> np.ndarray:
    """Indices of misread examples, the most confident mistakes first.

    Args:
        ev: an evaluation on (x, y_true).
        true, predicted: keep only this true digit and/or this predicted digit (a confusion-matrix cell).
        limit: at most this many.
    """
    y_true = np.asarray(y_true, int)
    wrong = ev.predicted != y_true
    if true is not None:
        wrong &= y_true == true
    if predicted is not None:
        wrong &= ev.predicted == predicted
    idx = np.flatnonzero(wrong)
    confidence = ev.probabilities[idx, ev.predicted[idx]]
    idx = idx[np.argsort(-confidence, kind="stable")]
    return idx[:limit] if limit is not None else idx


def agreement(a: Evaluation, b: Evaluation, y_true: np.ndarray) -> dict[str, int]:
    """How two models' answers on the same examples relate: both right, only one right, both wrong."""
    y_true = np.asarray(y_true, int)
    ra, rb = a.predicted == y_true, b.predicted == y_true
    return {"both_right": int((ra & rb).sum()), "only_first": int((ra & ~rb).sum()),
            "only_second": int((~ra & rb).sum()), "both_wrong": int((~ra & ~rb).sum()),
            "disagree": int((a.predicted != b.predicted).sum())}
