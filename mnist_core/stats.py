"""Dataset statistics, vectorised with numpy. Pure functions of arrays; no Keras, no UI."""

from __future__ import annotations

import numpy as np


def label_counts(labels: np.ndarray) -> np.ndarray:
    """(10,) number of images of each digit."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)[:10]


def imbalance_sentence(counts: np.ndarray) -> str:
    """Say in words how uneven the labels are: the most and least common digit and their ratio."""
    counts = np.asarray(counts)
    most, least = int(np.argmax(counts)), int(np.argmin(counts))
    share = counts / max(counts.sum(), 1)
    ratio = counts[most] / max(counts[least], 1)
    return (
        f"The most common digit is {most} ({share[most]:.1%} of images), the least common {least} "
        f"({share[least]:.1%}): {ratio:.2f} times fewer. A uniform split would give 10.0% each, "
        f"so MNIST is {'nearly balanced' if ratio < 1.3 else 'noticeably imbalanced'}."
    )
