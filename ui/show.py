"""Small display helpers shared by pages: crisp digit grids and reading a clicked map point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import streamlit as st

from mnist_core.plots import enlarge


def digit_row(images: np.ndarray, captions: Sequence[str], factor: int = 3, slots: int | None = None) -> None:
    """Digits in one row of equal columns, each with a caption of its own (may hold two lines)."""
    columns = st.columns(slots or max(len(images), 1))
    for column, image, caption in zip(columns, enlarge(images, factor), captions, strict=False):
        column.image(image)
        column.caption(caption)


def montage(images: np.ndarray, cols: int = 8, factor: int = 2, gap: int = 4,
            flagged: np.ndarray | None = None) -> np.ndarray:
    """Tile digits into one RGB picture: a compact grid that fits beside the controls on a projector.

    Args:
        images: (N, H, W) digits, uint8 or float in [0, 1].
        cols: digits per row.
        factor: each pixel becomes a factor x factor block.
        gap: pixels between digits (grey); a flagged digit's gap is drawn red around it.
        flagged: (N,) bool: digits to frame in red.
    Returns:
        (rows * (H * factor + gap) + gap, cols * (W * factor + gap) + gap, 3) uint8.
    """
    big = enlarge(images, factor)
    n, h, w = big.shape
    rows = -(-n // cols)
    out = np.full((rows * (h + gap) + gap, cols * (w + gap) + gap, 3), 200, np.uint8)
    for k in range(n):
        top, left = gap + (k // cols) * (h + gap), gap + (k % cols) * (w + gap)
        if flagged is not None and flagged[k]:
            out[top - gap: top + h + gap, left - gap: left + w + gap] = (214, 39, 40)
        out[top: top + h, left: left + w] = big[k][..., None]
    return out


def picked_index(event: Any) -> int | None:
    """The image index (the point's customdata) of the last point clicked on a map, or None."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in reversed(points or []):
        data = point.get("customdata")
        if isinstance(data, list):  # plotly sends a list when customdata has a second dimension
            data = data[0] if data else None
        if data is not None:
            return int(data)
    return None
