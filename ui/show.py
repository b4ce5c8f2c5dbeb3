"""Small display helpers shared by pages: crisp digit grids and reading a clicked map point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import streamlit as st


def enlarge(images: np.ndarray, factor: int = 3) -> np.ndarray:
    """(..., H, W) -> (..., H*factor, W*factor) uint8, each pixel a factor x factor block.

    Browsers blur a 28x28 image scaled up; blocks keep the pixels visible on a projector.
    Float images are read as [0, 1].
    """
    x = np.asarray(images)
    if x.dtype != np.uint8:
        x = (np.clip(x, 0.0, 1.0) * 255).round().astype(np.uint8)
    return np.repeat(np.repeat(x, factor, axis=-2), factor, axis=-1)


def digit_grid(images: np.ndarray, captions: Sequence[str] | None = None, factor: int = 3) -> None:
    """Show digits side by side (wrapping), each enlarged with crisp pixels."""
    if len(images) == 0:
        return
    st.image(list(enlarge(images, factor)), caption=list(captions) if captions is not None else None)


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
