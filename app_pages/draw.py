"""Draw a digit (or a whole number) and see what the model predicts, what it sees, and why."""

import streamlit as st

from mnist_core.calibrate import NOT_A_DIGIT, Calibration
from ui import auth, flash, session_model
from ui.auth import Action
from ui.draw_ui import (
    DRAW,
    VIEWS,
    answer_verdict,
    canvas_support_ui,
    canvas_ui,
    current_options,
    model_caption,
    number_ui,
    phone_answer_ui,
    pixels_ui,
    probability_ui,
    remember_drawing,
    save_ui,
    steps_ui,
    verdict_ui,
    why_ui,
)
from ui.guard import friendly_errors
from ui.present import presenting, use_model
from ui.runtime import one_at_a_time

CANVAS = 400 if presenting() else 280  # pixels; a bigger canvas for the projector

# in presenter mode a row that wraps if it must (BASE_CSS 'wrap-', PRESENT_CSS): in columns of fixed shares, a
# tablet standing up cut the switch and the button ('A whole num...', 'Default m...')
with st.container(key="wrap-draw-head") if presenting() else st.container():
    head, mode, *reset = st.columns([2.4, 1.4, 1.2] if presenting() else [2, 1.4], vertical_alignment="center")
head.title("Draw a digit")
DRAW.read_url()  # a link's settings win on the first run of a visit
number_mode = DRAW.widget("number", mode.toggle, "A whole number", help="Write several digits side by side, e.g. 2026.")
if presenting() and reset[0].button("Default model", icon=":material/undo:",
                                    help="Use the model that comes with the app, named default"):
    use_model("default")


# A stroke, a view switch or a step toggle reruns only this fragment: the canvas, the answer and the
# views inside the model. The rest of the app (navigation, sidebar, title) is not redrawn per stroke.
@st.fragment
def drawing_and_answer(number_mode: bool) -> None:
    flash.show()  # "Saved as a 7": saving reruns only this fragment
    # Canvas and prediction
    left, right = st.columns([1, 1.25] if not number_mode else [1.6, 1], gap="large")
    # The bounded work of a stroke runs in turns with other sessions' (one_at_a_time: a class lifting
    # their pens at once gets its answers sooner, one by one); loading a model and the heavier views do not.
    with left, one_at_a_time():
        # a phone's answer line, above the canvas (filled below: before the first stroke, where it will be)
        phone_answer = None if number_mode else st.container(key="phone-answer")
        image = canvas_ui(CANVAS * 2 if number_mode else CANVAS, CANVAS)
    # imported once the canvas is on its way to the browser (light: SciPy, which the preprocessing needs,
    # is imported by the model's background load or by the first drawing, not by the first page view)
    from mnist_core.predict import classify

    options = current_options()
    stored = session_model.stored()
    prediction, verdict = None, None

    with right, friendly_errors("The prediction"):
        model_caption(stored)
        # Nothing drawn yet and the model not loaded (a fresh server): do not wait for it here; it loads
        # in the background (its ONNX export: a fraction of a second) and the first stroke waits for it.
        cold = image is None and not session_model.ready(stored)
        if cold:
            session_model.preload(stored.path)
        model = None if cold else session_model.model(stored)
        with one_at_a_time():  # the model is loaded: the rest is short
            if number_mode:
                if image is None:
                    st.info("Write a number with the digits side by side, e.g. 2026.")
                else:
                    number_ui(image, model, options)
            else:
                prediction = None if image is None else classify(image, model, options)
                if prediction is None:
                    with phone_answer:
                        phone_answer_ui(None, None)
                    st.info("Draw a digit (0-9) on the black square with your mouse or finger. The prediction appears "
                            "here." + (" The first one may take a moment: the model is still loading." if cold else ""))
                else:
                    remember_drawing(prediction)
                    verdict = answer_verdict(prediction, Calibration.from_card(stored.card.to_dict()))
                    with phone_answer:
                        phone_answer_ui(prediction, verdict)
                    verdict_ui(prediction, verdict)
                    probability_ui(prediction.probabilities)
        # after the turn: saving writes to the class's database, which another session may hold a moment
        if prediction is not None and not presenting() and auth.can(Action.SAVE_DRAWING):
            save_ui(image, prediction, guess=verdict != NOT_A_DIGIT)

    # Look inside
    if prediction is not None:
        view = DRAW.widget("view", st.segmented_control, "Look inside", list(VIEWS), format_func=VIEWS.get)
        with friendly_errors("This view"):
            if view == "sees":
                with one_at_a_time():
                    steps_ui(prediction, options)
            elif view == "why":
                why_ui(stored, prediction)
            elif view == "pixels":
                pixels_ui(prediction)
        st.page_link("app_pages/inside.py", label="Follow this drawing through the network",
                     icon=":material/neurology:", query_params={"src": "drawing"},
                     help="Every layer's output, and one unit's sums, on this drawing")
        DRAW.share_ui("/draw", note="(with the reader's own drawing)", presenter_hide="pen")
    DRAW.write_url()  # the address bar is a link to this view


drawing_and_answer(number_mode)
canvas_support_ui(CANVAS * 2 if number_mode else CANVAS, CANVAS)
