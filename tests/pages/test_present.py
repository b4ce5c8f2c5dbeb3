"""Presenter mode and settings in the URL."""

import re

from mnist_core.card import ModelCard
from mnist_core.models import build_model
from mnist_core.store import ModelStore
from mnist_core.synth import digit_image
from tests.pages.test_smoke import REPO
from ui import keys
from ui.draw_ui import DRAWING_OVERRIDE


def run_with_query(query: dict, **state):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def test_present_and_page_in_the_url_open_draw_in_presenter_mode():
    at = run_with_query({"present": "1", "page": "draw"}, **{DRAWING_OVERRIDE: digit_image(5)})
    assert not at.exception
    assert at.session_state[keys.PRESENT] is True
    assert next(m.value for m in at.metric if m.label == "Prediction") == "5"
    assert not [s for s in at.slider if s.label == "Pen width"]  # fewer controls for a demo
    assert [b for b in at.button if b.label == "Default model"]


def test_model_in_the_url_changes_only_this_session(lab_home):
    store = ModelStore()
    store.save(build_model("mlp"), "untrained", ModelCard("untrained", architecture="mlp"))
    at = run_with_query({"model": "untrained"})
    assert at.session_state[keys.SESSION_MODEL] == "untrained"
    assert store.active_name() == "default"  # the server-wide choice is untouched


def test_unknown_or_hostile_model_name_is_refused_politely():
    for name in ("nope", "../../etc/passwd"):
        at = run_with_query({"model": name})
        assert not at.exception
        assert keys.SESSION_MODEL not in at.session_state


def test_shipped_model_button_resets_the_session_model(lab_home):
    store = ModelStore()
    store.save(build_model("mlp"), "other", ModelCard("other", architecture="mlp"))
    at = run_with_query({"present": "1", "page": "draw", "model": "other"}, **{DRAWING_OVERRIDE: digit_image(5)})
    assert at.session_state[keys.SESSION_MODEL] == "other"
    next(b for b in at.button if b.label == "Default model").click().run()
    assert at.session_state[keys.SESSION_MODEL] == "default"
    assert next(m.value for m in at.metric if m.label == "Prediction") == "5"


def test_presenter_mode_stays_in_the_address_on_every_page_and_can_be_left():
    at = run_with_query({"present": "1", "page": "explore"})
    assert not at.exception and at.query_params["present"] == "1"
    at.query_params.clear()  # Streamlit drops the query when another page is opened
    at.switch_page("app_pages/augment.py").run()
    assert at.session_state[keys.PRESENT] is True
    assert at.query_params["present"] == "1"  # put back: a reload (a new session) still presents
    leave = next(b for b in at.button if b.label == "Leave presenter mode")
    leave.click().run()
    assert at.session_state[keys.PRESENT] is False and "present" not in at.query_params
    assert not [b for b in at.button if b.label == "Leave presenter mode"]


def test_no_way_out_is_shown_outside_presenter_mode():
    at = run_with_query({})
    assert not at.exception
    assert not [b for b in at.button if b.label == "Leave presenter mode"] and "present" not in at.query_params


def test_present_0_in_a_link_leaves_presenter_mode():
    """README: `present=1` (or `0` to leave it)."""
    at = run_with_query({"present": "1", "page": "draw"}, **{DRAWING_OVERRIDE: digit_image(5)})
    assert at.session_state[keys.PRESENT] is True
    at.query_params["present"] = "0"
    at.run()
    assert not at.exception
    assert at.session_state[keys.PRESENT] is False
    assert [s for s in at.slider if s.label == "Pen width"]  # the full page's controls are back
    assert not [b for b in at.button if b.label == "Default model"]


def test_the_models_table_fits_a_tablet_and_the_chosen_model_says_where_it_came_from_and_when():
    """With origin and date, the table was wider than a tablet's page (beside the sidebar, or in presenter
    mode's large type): they are under the chosen model instead."""
    for query in ({"present": "1", "page": "models"}, {"page": "models"}):
        at = run_with_query(query)
        assert not at.exception
        assert list(at.dataframe[0].value.columns) == ["active", "name", "test accuracy", "architecture",
                                                       "parameters", "epochs", "training"]
        assert any(re.match(r"Origin: command line · saved \d\d [A-Z][a-z]{2} 20\d\d, \d\d:\d\d \S+$", c.value)
                   for c in at.caption), [c.value for c in at.caption]


def test_models_and_drawings_say_their_time_in_the_same_zone(monkeypatch):
    """QA with a server in Auckland: a drawing said '08 Dec, 12:53' (the server's time) and a model saved
    four minutes before it '2026-12-07 23:49' (UTC, unsaid): it looked a day older. Both in the
    server's zone now, and the model's line names it."""
    import time

    from ui.show import when

    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        assert when("2026-12-07T23:49:00+00:00", zone=True) == "08 Dec 2026, 12:49 NZDT"
        assert when("2026-12-07T23:53:00+00:00") == "08 Dec, 12:53"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_an_empty_handwriting_page_says_once_where_students_save(lab_home):
    """In presenter mode, Our handwriting said 'students save from their own screens' twice: in its
    caption and again in the 'No drawings saved yet' note under it."""
    at = run_with_query({"present": "1", "page": "handwriting"})
    text = [e.value for e in [*at.caption, *at.info, *at.markdown]]
    assert any("No drawings saved yet" in t for t in text), text
    assert sum("own screens" in t for t in text) == 1, text
    # with drawings, the caption says it (there is no empty note then)
    from mnist_core.handwriting import HandwritingStore
    from mnist_core.preprocess import prepare

    HandwritingStore().add(3, None, prepare(digit_image(3)))
    at = run_with_query({"present": "1", "page": "handwriting"})
    text = [e.value for e in [*at.caption, *at.info, *at.markdown]]
    assert sum("own screens" in t for t in text) == 1 and any("own screens" in c.value for c in at.caption), text
