"""Inside the network: every layer on one digit, one unit computed with its real numbers, why the model
answered as it did (Grad-CAM and occlusion), and a private copy of the model to break.

Every setting is in the URL (a teacher's link opens the same view); see README, "In the classroom".
"""

import streamlit as st

from mnist_core import inside
from mnist_core.predict import probabilities
from ui import inside_ui as ui
from ui import session_model
from ui.guard import friendly_errors

head = ui.header("Inside the network")
ui.read_url()

# The digit and the model
ready = False
with friendly_errors("Inside the network"):
    x, about = ui.digit_source_ui(head.source)
    stored = session_model.stored()
    model = session_model.keras_model(stored)
    stages = inside.stages(model)  # conv + batch norm + ReLU is one stage, as learners count layers
    acts = inside.trace(model, x)  # every layer's output for this digit, in one call
    probs = probabilities(model, x[None])[0]
    ui.answer_ui(head, x, about, probs, stored.name)
    view = ui.view_ui(head)
    ui.glossary_ui()
    ready = True
if not ready:  # the error and what to do about it are on the page already
    st.stop()

# The view
with friendly_errors("This view"):
    if view == "layers":
        stage, beside = ui.layer_ui(stages)
        ui.layer_view(model, stage, acts, x, beside)
    elif view == "unit":
        stage, beside = ui.layer_ui(stages)
        ui.unit_view(model, stage, acts, x, beside)
    elif view == "why":
        ui.why_view(model, stored, stages, x, int(probs.argmax()))
    elif view == "break":
        ui.break_view(model, stored, stages, x, probs)

ui.write_url()  # the address bar is a link to this view
ui.share_ui()
