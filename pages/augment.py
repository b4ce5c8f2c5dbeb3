"""Preview data augmentation on real digits."""

import numpy as np
import streamlit as st

from mnist_core.augment import DRAWING_AUGMENT, AugmentConfig, augment
from ui.cache import mnist
from ui.guard import friendly_errors

st.title("🎛️ Augmentation preview")
st.write("Training sees randomly transformed copies of each digit, so it learns what stays the same.")

with friendly_errors("The augmentation preview"):
    data = mnist()

    # Settings
    c1, c2, c3, c4 = st.columns(4)
    index = c1.number_input("Training digit #", 0, len(data.x_train) - 1, 0)
    rotation = c2.slider("Rotation (degrees)", 0.0, 90.0, float(DRAWING_AUGMENT.rotation))
    shift = c3.slider("Shift (share of side)", 0.0, 0.5, float(DRAWING_AUGMENT.shift))
    zoom = c4.slider("Zoom", 0.0, 0.9, float(DRAWING_AUGMENT.zoom))
    config = AugmentConfig(rotation=rotation, shift=shift, zoom=zoom, seed=0)

    # Preview
    digit = data.x_train[index]
    variants = augment(np.repeat(digit[None], 16, axis=0), config)
    st.image([digit] + list(variants), width=84, caption=[f"original ({data.y_train[index]})"] + [""] * 16,
             clamp=True)
