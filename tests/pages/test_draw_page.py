"""The Draw page with drawings injected through session state (the canvas needs a browser)."""

import numpy as np
import pytest

from mnist_core.synth import DIGIT_STROKES, digit_image, place, render, scribble
from tests.pages.test_smoke import app, errors
from ui import keys
from ui.draw_ui import DRAWING_OVERRIDE


def metric(at, label):
    return next((m.value for m in at.metric if m.label == label), None)


def test_sure_prediction_says_so():
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(2)})
    assert metric(at, "Prediction") == "2"
    assert any("That's a **2**" in s.value for s in at.success)


def test_a_scribble_is_not_given_a_plain_answer():
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: scribble(np.random.default_rng(3))})
    assert not at.exception
    assert not at.success, "a scribble must not get a confident answer"
    assert any("Not sure" in w.value or "doesn't look like a digit" in w.value for w in at.warning)


def _dot():
    """A tap on the canvas: one round dot (a QA pass found it shown as a large "4")."""
    return render([[(140, 100)]], (280, 280), 20)


def test_a_dot_shows_no_digit_and_is_not_saved_under_the_models_guess():
    from mnist_core.handwriting import HandwritingStore

    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: _dot()})
    assert not at.exception
    assert any("doesn't look like a digit" in w.value for w in at.warning)
    assert metric(at, "Prediction") == "?"  # no digit in large type above "doesn't look like a digit"
    assert at.selectbox[0].value is None  # the label is not the model's guess
    at.button(key="FormSubmitter:save-drawing-Save with label").click().run()
    assert not at.exception and HandwritingStore().list() == []
    assert any("Choose which digit" in w.value for w in at.warning)
    at.selectbox[0].set_value(0)
    at.button(key="FormSubmitter:save-drawing-Save with label").click().run()
    assert [sample.label for sample in HandwritingStore().list()] == [0]  # a teacher may still file it


def _painted_over():
    """A canvas scribbled over edge to edge, black slivers left at its sides (as a QA pass drew it): read
    as anything, the slivers look like a 1, and the solid block like one too."""
    img = np.full((280, 280, 4), 255, np.uint8)
    img[10:270, :10, :3] = 0
    img[:265, 268:, :3] = 0
    return img


def test_a_canvas_painted_over_is_not_a_digit():
    """It got 'That's a 1.' at 100%."""
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: _painted_over()})
    assert not at.exception and not at.success
    assert metric(at, "Prediction") == "?"
    assert any("the ink covers most of the canvas" in w.value for w in at.warning)
    assert at.selectbox[0].value is None  # not saved under a guess either


def test_switching_a_step_off_changes_what_the_model_sees():
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(1, pen=4)})
    before = at.session_state[keys.LAST_DRAWING].copy()
    at.toggle(key="w_draw_fix").set_value(False).run()
    after = at.session_state[keys.LAST_DRAWING]
    assert after.sum() < 0.7 * before.sum()  # without the pen fix the thin stroke fades
    at.segmented_control(key="w_draw_view").set_value("why").run()
    assert at.session_state["draw_fix"] is False  # kept while the toggles are hidden
    assert not errors(at)


@pytest.mark.parametrize("view", ["why", "pixels", "sees"])
def test_every_view_renders(view, mnist):
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(8)})
    at.segmented_control(key="w_draw_view").set_value(view).run()
    assert not at.exception and not errors(at)
    if view == "why":
        shown = captions(at)
        assert any("Grad-CAM" in c for c in shown) and sum("feature maps" in c for c in shown) == 2
        assert sum(c.startswith("8 (") for c in shown) >= 6  # most nearest training digits are 8s
        # among how many it looked (QA: a sixth of the training set, unsaid)
        assert any("most similar**, among 10,000 of the 60,000" in m.value for m in at.markdown)
    if view == "pixels":  # the numbers' scale is on the page, and how to read one (no axes, no toolbar)
        import json

        figure = json.loads(at.get("plotly_chart")[0].proto.spec)
        assert figure["data"][0]["showscale"] and figure["data"][0]["zmax"] == 1.0
        assert json.loads(at.get("plotly_chart")[0].proto.config) == {"displayModeBar": False}
        assert any("0 is black, 1 is white" in c.value for c in at.caption)


def captions(at) -> list[str]:
    return [img.caption for el in at.get("image") for img in el.proto.imgs]


def test_number_mode_reads_a_number():
    strokes = place(DIGIT_STROKES[4], 40, 40, 100, 190) + place(DIGIT_STROKES[2], 300, 40, 100, 190)
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: render(strokes, (280, 560), 18)})
    at.toggle[0].set_value(True).run()
    assert metric(at, "Number") == "42"
    assert metric(at, "Prediction") is None


def test_an_unreadable_drawing_gives_a_message_not_a_traceback():
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: np.full((28, 28), np.nan)})
    assert not at.exception
    assert any("NaN" in e.value for e in at.error)


def test_save_with_label_stores_the_drawing_and_clears_the_canvas():
    from mnist_core.handwriting import HandwritingStore

    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(4)})
    at.selectbox[0].set_value(9)
    at.button(key="FormSubmitter:save-drawing-Save with label").click().run()
    assert not at.exception
    (sample,) = HandwritingStore().list()
    assert sample.label == 9 and sample.raw_png.startswith(b"\x89PNG") and sample.model_input.shape == (28, 28)
    assert DRAWING_OVERRIDE not in at.session_state  # cleared for the next drawing


COLD_PROBE = """
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=120)
at.run()
at.switch_page("app_pages/draw.py").run()
assert not at.exception, at.exception
print("INFO:", " | ".join(i.value for i in at.info))
import threading  # let the background load finish: a daemon thread inside an import at exit can crash it
for thread in threading.enumerate():
    if thread.name == "model-preload":
        thread.join(60)
"""


def test_a_fresh_server_shows_draw_without_waiting_for_the_model(lab_home):
    """Nothing drawn yet and the model not loaded: the page says it is loading instead of waiting
    for TensorFlow (a fresh interpreter, so no other test has loaded the model already)."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    env = {**os.environ, "MNIST_LAB_PRELOAD": "0"}  # no preload from the home page's first view
    out = subprocess.run([sys.executable, "-c", COLD_PROBE.format(app=str(REPO / "app.py"))], cwd=REPO,
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "The prediction appears here" in out.stdout and "still loading" in out.stdout, out.stdout


def test_the_answer_sends_no_files_and_the_bars_show_the_probabilities():
    """Per stroke the chart and the step pictures go inline (no Plotly figure, no media files to fetch)."""
    import base64
    import xml.etree.ElementTree as ET

    from ui.draw_ui import BAR

    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(5)})
    assert metric(at, "Prediction") == "5" and not at.get("plotly_chart")
    urls = [img.url for el in at.get("image") for img in el.proto.imgs]
    assert urls and all(u.startswith("data:image/") for u in urls)
    html = " ".join(h.proto.body for h in at.get("html"))
    assert html.count("data:image/png;base64,") == 6  # the six steps of "What the model sees"
    svg = ET.fromstring(base64.b64decode(next(u for u in urls if u.startswith("data:image/svg")).split(",", 1)[1]))
    bars = [r for r in svg.iter() if r.tag.endswith("rect")]
    assert len(bars) == 10 and [i for i, r in enumerate(bars) if r.get("fill") == BAR] == [5]
    heights = [float(r.get("height")) for r in bars]
    assert heights[5] == max(heights) > 100
    # the same in words for a screen reader (the picture had no name)
    alt = next(img.alt for el in at.get("image") for img in el.proto.imgs if img.url.startswith("data:image/svg"))
    assert alt.startswith("Probability of each digit: 5: 100%") and alt.endswith("every other digit under 1%"), alt


def test_the_chart_in_words_lists_the_likely_digits_first():
    from ui.draw_ui import probability_words

    p = np.zeros(10)
    p[[1, 7, 4]] = [0.30, 0.62, 0.08]
    assert probability_words(p) == "Probability of each digit: 7: 62%, 1: 30%, 4: 8%; every other digit under 1%"
    # five likely digits: four named, and the rest is not said to be under 1%
    five = np.array([0.3, 0.2, 0.2, 0.15, 0.15, 0, 0, 0, 0, 0])
    assert probability_words(five) == ("Probability of each digit: 0: 30%, 1: 20%, 2: 20%, 3: 15%; "
                                       "every other digit 15% or less")


def test_each_session_is_answered_by_its_own_model():
    """The class's model is an untrained one; a browser that chose the shipped model (?model=default)
    still gets the shipped model's answers, each through that model's own ONNX export."""
    from mnist_core.card import ModelCard
    from mnist_core.models import build_model
    from mnist_core.store import ModelStore

    store = ModelStore()
    store.save(build_model("mlp"), "untrained", ModelCard("untrained", architecture="mlp"))
    store.activate("untrained")
    class_session = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(7)})
    assert any("untrained" in c.value for c in class_session.caption)
    assert not class_session.success  # an untrained model is not sure of anything
    own_choice = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(7), keys.SESSION_MODEL: "default"})
    assert metric(own_choice, "Prediction") == "7"
    assert any("That's a **7**" in s.value for s in own_choice.success)
    assert any("default" in c.value and "this browser's choice" in c.value for c in own_choice.caption)


def test_two_digits_people_often_confuse_are_named_instead_of_a_plain_answer(tmp_path):
    """A stored model that always answers "7 at 52%, 1 at 46%" (a zero kernel and a bias of log
    probabilities): the page must say which two digits it is torn between, and why people confuse them."""
    import keras
    from streamlit.testing.v1 import AppTest

    from mnist_core.card import ModelCard
    from mnist_core.store import ModelStore
    from tests.conftest import REPO

    probabilities = np.full(10, 0.002)
    probabilities[[7, 1]] = [0.52, 0.46]
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros",
                                                 bias_initializer=keras.initializers.Constant(np.log(probabilities)))])
    ModelStore().save(model, "torn", ModelCard("torn", architecture="torn"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state[DRAWING_OVERRIDE] = digit_image(7)
    at.query_params["model"] = "torn"  # this browser uses that model
    at.run()
    at.switch_page("app_pages/draw.py").run()
    assert not errors(at), errors(at)
    assert metric(at, "Prediction") == "7"
    assert any(w.value.startswith("7 or 1? Many people write 1 with a flag and cross their 7s.") for w in at.warning)
    assert not at.success  # no plain "That's a 7"


def test_each_step_has_its_switch_and_a_caption_that_follows_it():
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(4)})

    def shown() -> str:
        return " ".join(h.proto.body for h in at.get("html"))

    assert "Cropped to the ink" in shown() and "Pen set to MNIST" in shown()
    assert [t.label for t in at.toggle if t.key and t.key.startswith("w_draw_") and t.key != "w_draw_number"] == [
        "Drop specks", "Crop", "Fix pen", "Keep shape", "Centre by mass"]  # in the order of the pictures
    at.toggle(key="w_draw_crop").set_value(False).run()
    assert "Not cropped: the whole canvas" in shown() and "Cropped to the ink" not in shown()
    at.toggle(key="w_draw_fix").set_value(False).run()
    assert "Your pen, as drawn" in shown()


def test_the_chosen_view_stays_chosen_after_clear():
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(4)})
    at.segmented_control(key="w_draw_view").set_value("pixels").run()
    next(b for b in at.button if b.label == "Clear").click().run()
    assert not [m for m in at.metric if m.label == "Prediction"]  # cleared: no drawing, no views
    at.session_state[DRAWING_OVERRIDE] = digit_image(7)  # the next drawing
    at.run()
    assert at.segmented_control(key="w_draw_view").value == "pixels"


def test_a_shared_link_opens_the_same_view_and_the_address_follows_the_switches():
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state[DRAWING_OVERRIDE] = digit_image(4)
    for name, value in {"page": "draw", "view": "pixels", "crop": "0", "pen": "33", "number": "zzz"}.items():
        at.query_params[name] = value
    at.run()
    assert not errors(at), errors(at)
    assert at.segmented_control(key="w_draw_view").value == "pixels" and at.slider(key="w_draw_pen").value == 33
    assert at.session_state["draw_crop"] is False and at.toggle(key="w_draw_number").value is False  # zzz: ignored
    at.segmented_control(key="w_draw_view").set_value("sees").run()
    assert not at.toggle(key="w_draw_crop").value  # the step switch shows the link's setting
    at.toggle(key="w_draw_crop").set_value(True).run()
    assert "crop" not in at.query_params and at.query_params["pen"] in ("33", ["33"])  # defaults left out


def test_presenter_mode_hides_the_controls_named_in_the_link_and_keeps_their_values():
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO
    from ui.draw_ui import pen_for

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state[DRAWING_OVERRIDE] = digit_image(4)
    for name, value in {"present": "1", "page": "draw", "view": "pixels", "crop": "0", "pen": "36",
                        "hide": "view,steps,number"}.items():
        at.query_params[name] = value
    at.run()
    assert not errors(at), errors(at)
    keys_shown = {w.key for w in [*at.segmented_control, *at.toggle, *at.slider]}
    assert not keys_shown & {"w_draw_view", "w_draw_crop", "w_draw_number", "w_draw_pen"}
    assert at.session_state["draw_view"] == "pixels" and at.session_state["draw_crop"] is False  # still apply
    assert at.session_state["draw_pen"] == 36 and pen_for(36, 400) == 51  # no slider: the link's pen, scaled
    assert metric(at, "Prediction") == "4"
    shown = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    shown.session_state[DRAWING_OVERRIDE] = digit_image(4)
    for name, value in {"present": "1", "page": "draw", "view": "sees"}.items():
        shown.query_params[name] = value
    shown.run()
    assert shown.segmented_control(key="w_draw_view") and shown.toggle(key="w_draw_crop")  # nothing hidden unasked
    assert "Switch a step off" in html_text(shown)
    # the steps' pictures shown, their switches hidden: no line asking to use them
    no_switches = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    no_switches.session_state[DRAWING_OVERRIDE] = digit_image(4)
    for name, value in {"present": "1", "page": "draw", "view": "sees", "hide": "steps"}.items():
        no_switches.query_params[name] = value
    no_switches.run()
    assert not [t for t in no_switches.toggle if t.key.startswith("w_draw_") and t.key != "w_draw_number"]
    assert "How your drawing becomes" in html_text(no_switches)
    assert "Switch a step off" not in html_text(no_switches)


def html_text(at) -> str:
    """The text of the page's st.html elements."""
    return " ".join(e.proto.body for e in at.get("html"))


def test_the_share_box_links_to_this_view_plain_and_for_a_projector():
    """Share this view: two links with the page's current settings; the projector's hides the pen."""
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(5)})
    at.toggle(key="w_draw_crop").set_value(False).run()
    at.segmented_control(key="w_draw_view").set_value("pixels").run()
    assert not [m for m in at.markdown if "/draw?" in m.value]  # nothing sent until asked for
    assert at.toggle(key="share:draw").label == "Share this view"  # no icon code for a screen reader to read
    at.toggle(key="share:draw").set_value(True).run()
    text = "\n".join(m.value for m in at.markdown)
    links = [line for line in text.splitlines() if "/draw?" in line]
    assert [link.split("?", 1)[1] for link in links] == ["view=pixels&crop=0", "present=1&view=pixels&crop=0&hide=pen"]
    assert not errors(at)


@pytest.mark.parametrize("view, turns", [("sees", 3), ("pixels", 2)])
def test_a_strokes_work_takes_turns_with_other_sessions_and_a_held_turn_does_not_stop_it(monkeypatch, caplog, view,
                                                                                         turns):
    """Draw's canvas, answer and step pictures each wait for a turn (ui/runtime.one_at_a_time); the Pixels
    view and saving do not. With the turn held by a session that never lets go, the page still answers,
    each turn after its wait."""
    from ui import runtime

    monkeypatch.setattr(runtime, "TURN_WAIT_S", 0.2)
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(3)})
    at.segmented_control(key="w_draw_view").set_value(view).run()
    assert runtime._TURN.acquire(timeout=5)  # another session's turn, stuck
    try:
        with caplog.at_level("WARNING", logger="ui.runtime"):
            at.run()
    finally:
        runtime._TURN.release()
    assert not errors(at)
    assert [m.value for m in at.metric if m.label == "Prediction"] == ["3"]
    assert caplog.text.count("running anyway") == turns


@pytest.mark.parametrize("page", ["draw", None])
def test_a_link_naming_a_model_that_does_not_exist_says_so_and_drops_it(page):
    """The README's classroom link (?present=1&page=draw&model=...) with a mistyped model: the warning
    was lost in the jump to the page, and the address kept naming a model the class did not see."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for name, value in {"present": "1", "model": "nosuch", **({"page": page} if page else {})}.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    assert any("Model from the URL not used" in t.value and "nosuch" in t.value for t in at.toast), \
        [t.value for t in at.toast]
    assert "model" not in at.query_params and at.query_params.get("present") in ("1", ["1"])


def test_a_link_with_an_unknown_page_or_present_value_says_so_and_drops_it():
    """?present=1&page=nosuch and ?present=2 were silent, and stayed in the address."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for name, value in {"present": "1", "page": "nosuch", "model": "nosuch"}.items():
        at.query_params[name] = value
    at.run()
    notes = [t.value for t in at.toast]
    assert any("There is no page 'nosuch': the pages are home, draw," in n for n in notes), notes
    assert any("Model from the URL not used" in n for n in notes), notes  # both said, not the last one only
    assert "page" not in at.query_params and "model" not in at.query_params
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params["present"] = "2"
    at.run()
    assert any("Ignored ?present=2" in t.value for t in at.toast) and "present" not in at.query_params
    assert not [b for b in at.button if b.label == "Leave presenter mode"]  # not presenting
