"""Hard and suspicious examples: the images a model finds least believable, per digit.

A high loss means the model gives the label a low probability. Among those are digits that are
just badly written, and some whose label is probably wrong: candidates for a human to look at.
Imports no Keras itself; the caller passes a loaded model.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .evaluate import predict_all
from .paths import cache_dir

if TYPE_CHECKING:  # pragma: no cover
    import keras

log = logging.getLogger("mnist_lab.hard")

EPS = 1e-7  # probabilities are clipped here, so a loss is at most -log(EPS), about 16


@dataclass(frozen=True)
class Scores:
    """What a model makes of every image of a split."""

    probabilities: np.ndarray  # (N, 10) float32
    losses: np.ndarray  # (N,) float32: cross-entropy of the true label, -log p(label)

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """(N,) the probability of the predicted digit."""
        return self.probabilities.max(axis=1)


def losses(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-image cross-entropy loss.

    Args:
        probabilities: (N, 10) rows that sum to 1.
        labels: (N,) true digits.
    Returns:
        (N,) float32: -log p(true label), with p clipped to [EPS, 1].
    """
    p, y = np.asarray(probabilities), np.asarray(labels, dtype=np.int64)
    if p.ndim != 2 or p.shape[0] != len(y):
        raise ValueError(f"{p.shape} probabilities do not fit {len(y)} labels")
    return (-np.log(np.clip(p[np.arange(len(y)), y], EPS, 1.0))).astype(np.float32)


def hardest_per_digit(loss: np.ndarray, labels: np.ndarray, k: int = 5) -> list[np.ndarray]:
    """The k highest-loss images of each digit, hardest first.

    Args:
        loss: (N,) per-image loss.
        labels: (N,) true digits.
        k: how many per digit.
    Returns:
        Ten int64 index arrays (digit 0 first), each of length min(k, images of that digit).
    """
    loss, labels = np.asarray(loss), np.asarray(labels)
    out = []
    for d in range(10):
        of_digit = np.flatnonzero(labels == d)
        order = np.argsort(-loss[of_digit], kind="stable")[:k]
        out.append(of_digit[order])
    return out


def model_file_id(path: str | Path) -> str:
    """A short id of a model file's contents (a retrained model gets a new id)."""
    path = Path(path)
    digest = hashlib.blake2b(path.read_bytes(), digest_size=8).hexdigest()
    return f"{path.stem}-{digest}"


def score_images(model: keras.Model, images: np.ndarray, labels: np.ndarray, model_id: str | None = None) -> Scores:
    """Run the model over every image once and keep what it makes of each.

    Args:
        model: a loaded model (N, 28, 28, 1) -> (N, 10) probabilities.
        images: (N, 28, 28) uint8 or float in [0, 1].
        labels: (N,) true digits.
        model_id: when given (see model_file_id), the probabilities are cached on disk under it and
            the images' contents, so the next call for the same model and images is instant.
    Returns:
        Scores.
    """
    path = _cache_path(model_id, images, labels) if model_id else None
    probs = _read_cached(path, len(labels)) if path else None
    if probs is None:
        probs = predict_all(model, images).astype(np.float32)
        if path:
            _write_cached(path, probs)
    return Scores(probs, losses(probs, labels))


def _cache_path(model_id: str, images: np.ndarray, labels: np.ndarray) -> Path:
    h = hashlib.blake2b(digest_size=8)
    h.update(np.ascontiguousarray(images).tobytes())
    h.update(np.ascontiguousarray(labels).tobytes())
    return cache_dir() / f"scores-{model_id}-{h.hexdigest()}.npy"


def _read_cached(path: Path, n: int) -> np.ndarray | None:
    try:
        probs = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        if path.exists():
            log.warning("ignoring unreadable scores cache %s: %s", path, err)
        return None
    return probs if probs.shape == (n, 10) and np.isfinite(probs).all() else None


def _write_cached(path: Path, probs: np.ndarray) -> None:
    from .store import atomic_path

    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, probs)
    except OSError as err:
        log.warning("could not cache the model's scores at %s: %s", path, err)
