"""Small display helpers shared by pages: crisp digit grids, reading a clicked map point, a saved time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import streamlit as st

from mnist_core.plots import enlarge


def when(created: str, zone: bool = False) -> str:
    """A stored time (ISO, UTC) in the server's time zone, the classroom computer's: '22 Nov, 08:33';
    with `zone`, '22 Nov 2026, 08:33 CET'. Drawings and models both say it so (models said UTC)."""
    local = dt.datetime.fromisoformat(created).astimezone()
    return local.strftime("%d %b %Y, %H:%M %Z") if zone else local.strftime("%d %b, %H:%M")


def plural(n: int, word: str) -> str:
    """'1 epoch', '3 epochs': QA read 'Finished 1 epochs' and '(1 saved drawings)'."""
    return f"{n:,} {word if n == 1 else word + 's'}"


def sure(p: float) -> str:
    """How sure a model was, as a percentage that says 100% only when it was: a wrong answer at 99.8%
    read '100%', certainty it did not have (QA). '>99%' and '<1%' at the ends."""
    text = f"{p:.0%}"
    return ">99%" if text == "100%" and p < 1 else "<1%" if text == "0%" and p > 0 else text


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


def clicked_customdata(event: Any) -> list[float] | None:
    """The customdata of the last clicked point that carries some, as a list of numbers (Plotly sends a
    number, or a list when customdata has a second dimension), or None: nothing clicked, or not a point
    of ours. `event`: a chart's selection state (st.plotly_chart's return value or its session state)."""
    try:
        points = event["selection"]["points"] or []
    except (KeyError, TypeError, AttributeError):
        return None
    for point in reversed(points):
        data = point.get("customdata") if isinstance(point, dict) else None
        if data is None:
            continue
        data = data if isinstance(data, list) else [data]
        numbers = bool(data) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in data)
        return data if numbers else None
    return None


def picked_index(event: Any) -> int | None:
    """The image index (the point's customdata) of the last point clicked on a map, or None."""
    data = clicked_customdata(event)
    return int(data[0]) if data else None
