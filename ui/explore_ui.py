"""Widget groups of the Explore page: each draws a few widgets and returns plain values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnist_core.stats import FEATURES

EXPLORE_TAB = "tab"  # str: the open Explore tab (also the ?tab= query parameter)
EXPLORE_HARD = "explore_hard"  # bool: the hard-examples view was asked for (it loads the model)
ORDERS = {"smallest first": "ascending", "largest first": "descending", "dataset order": "index"}
INTEGER_FEATURES = {"width", "height", "pieces", "holes"}


@dataclass(frozen=True)
class GalleryQuery:
    digit: int | None  # None: every digit
    feature: str
    low: float
    high: float
    order: str  # "ascending", "descending" or "index"


def feature_label(name: str) -> str:
    return FEATURES[name][0]


def gallery_query_ui(features: dict[str, np.ndarray], labels: np.ndarray) -> GalleryQuery:
    """Which digits the gallery shows: a label, a feature range and an order (e.g. the thinnest 1s)."""
    c1, c2, c3, c4 = st.columns([0.8, 1.1, 1.1, 2.4], vertical_alignment="bottom")
    digit = c1.selectbox("Digit", ["any", *range(10)], key="gallery_digit")
    feature = c2.selectbox("Feature", list(FEATURES), format_func=str.capitalize, key="gallery_feature",
                           help="\n".join(f"- **{name}**: {feature_label(name)}" for name in FEATURES))
    order = c3.selectbox("Order", list(ORDERS), key="gallery_order")
    digit = None if digit == "any" else int(digit)
    values = features[feature] if digit is None else features[feature][labels == digit]
    low, high = float(values.min()), float(values.max())
    if feature in INTEGER_FEATURES:
        low, high = int(low), int(high)
    if high > low:
        step = 1 if feature in INTEGER_FEATURES else round((high - low) / 100, 3) or 0.01
        low, high = c4.slider(f"Keep {feature} between", low, high, (low, high), step=step,
                              key=f"gallery_range_{feature}_{digit}")
    return GalleryQuery(digit, feature, float(low), float(high), ORDERS[order])
