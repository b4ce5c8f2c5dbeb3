"""Draw a digit and see what the model predicts, and what it sees."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnist_core.plots import image_heatmap, probability_bars
from mnist_core.predict import classify
from ui import keys
from ui.cache import active_model
from ui.guard import friendly_errors

CANVAS = 280  # pixels; 10x MNIST's 28

st.title("✏️ Draw a digit")

# Canvas
left, right = st.columns([1, 1.3], gap="large")
with left:
    stroke = st.slider("Pen width", 8, 40, 20, help="Thicker or thinner strokes: the app normalises either.")
    canvas_key = st.session_state.setdefault(keys.CANVAS_KEY, 0)
    result = st_canvas(
        stroke_width=stroke,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=CANVAS,
        width=CANVAS,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"canvas-{canvas_key}",
    )
    if st.button("Clear", icon="🧹"):
        st.session_state[keys.CANVAS_KEY] = canvas_key + 1
        st.session_state.pop(keys.DRAWING_OVERRIDE, None)
        st.rerun()

image = st.session_state.get(keys.DRAWING_OVERRIDE)
if image is None:
    image = result.image_data

# Predict
with right, friendly_errors("The prediction"):
    prediction = None if image is None else classify(image, active_model())
    if prediction is None:
        st.info("Draw a digit (0-9) on the black square with your mouse or finger. The prediction appears here.")
    else:
        st.session_state[keys.LAST_DRAWING] = prediction.model_input
        c1, c2 = st.columns(2)
        c1.metric("Prediction", str(prediction.digit))
        c2.metric("Confidence", f"{prediction.confidence:.0%}")
        st.plotly_chart(probability_bars(prediction.probabilities), width="stretch")
        st.plotly_chart(image_heatmap(prediction.model_input, "What the model sees (28x28)", height=260),
                        width="stretch")
