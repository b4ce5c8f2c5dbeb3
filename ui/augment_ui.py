"""Widget groups of the Augment page: each draws a few widgets and returns plain values."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_core.augment import DRAWING_AUGMENT, AugmentConfig
from mnist_core.data import MnistData
from ui import keys

# setting -> (label, strength when first switched on, slider step, number format)
CONTROLS = {
    "rotation": ("Rotation (degrees)", 15.0, 1.0, "%.0f°"),
    "shift": ("Shift (share of the side)", 0.1, 0.01, "%.2f"),
    "zoom": ("Zoom in/out (share)", 0.12, 0.01, "%.2f"),
    "shear": ("Shear (slant)", 0.25, 0.05, "%.2f"),
    "elastic": ("Elastic distortion", 1.0, 0.1, "%.1f"),
    "thickness": ("Stroke thickness", 1.0, 0.1, "%.1f"),
    "noise": ("Noise (std)", 0.1, 0.01, "%.2f"),
    "blur": ("Blur (sigma, pixels)", 1.0, 0.1, "%.1f"),
    "erasing": ("Erasing (probability)", 0.3, 0.05, "%.2f"),
    "contrast": ("Contrast (share)", 0.3, 0.05, "%.2f"),
}
SOURCES = ["By index", "At random", "By label", "My drawing"]


def _bump_seed() -> None:
    st.session_state[keys.AUGMENT_SEED] = int(st.session_state.get(keys.AUGMENT_SEED, 0)) + 1


def augment_options_ui() -> AugmentConfig:
    """A switch per transform (with its strength once on), a seed and "Resample": one AugmentConfig."""
    values = {}
    for name, (label, typical, step, fmt) in CONTROLS.items():
        low, high, _ = AugmentConfig.LIMITS[name]
        default = float(getattr(DRAWING_AUGMENT, name)) or typical
        if st.toggle(label, value=bool(getattr(DRAWING_AUGMENT, name)), key=f"aug_on_{name}"):
            values[name] = st.slider(label, low, high, default, step=step, format=fmt, key=f"aug_{name}",
                                     label_visibility="collapsed")
    st.session_state.setdefault(keys.AUGMENT_SEED, 0)
    left, right = st.columns([1, 1.2], vertical_alignment="bottom")
    seed = left.number_input("Seed", 0, 1_000_000, step=1, key=keys.AUGMENT_SEED)
    right.button("Resample", on_click=_bump_seed, width="stretch", help="A new seed: new random copies")
    return AugmentConfig(**values, seed=int(seed))


def _random_index(n: int) -> None:
    st.session_state[keys.AUGMENT_INDEX] = int(np.random.default_rng().integers(n))


def digit_source_ui(data: MnistData) -> tuple[np.ndarray | None, str]:
    """Which digit to augment: by index, at random, by label, or the last drawing from the Draw page.

    Returns:
        (image, caption): a (28, 28) uint8 or float image, or None (with a hint) when there is none.
    """
    n = len(data.x_train)
    source = st.radio("Digit", SOURCES, horizontal=True, key="aug_source", label_visibility="collapsed")
    st.session_state.setdefault(keys.AUGMENT_INDEX, 0)
    if source == "My drawing":
        drawing = st.session_state.get(keys.LAST_DRAWING)
        if drawing is None:
            return None, "Draw something on the Draw page first: your last drawing shows up here."
        return np.asarray(drawing, dtype=np.float32), "your drawing"
    if source == "By label":
        left, right = st.columns(2)
        digit = left.selectbox("Label", range(10), key="aug_label")
        of_digit = np.flatnonzero(data.y_train == digit)
        k = right.number_input(f"Which one (of {len(of_digit):,})", 1, len(of_digit), 1, key=f"aug_nth_{digit}")
        index = int(of_digit[k - 1])
    else:
        left, right = st.columns([1.3, 1], vertical_alignment="bottom")
        index = int(left.number_input("Training digit #", 0, n - 1, key=keys.AUGMENT_INDEX,
                                      disabled=source == "At random"))
        if source == "At random":
            right.button("Another one", on_click=_random_index, args=(n,), width="stretch")
    return data.x_train[index], f"#{index}, labelled {data.y_train[index]}"
