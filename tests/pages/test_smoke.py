"""Every page renders without an exception (AppTest runs the real scripts, no browser)."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.synth import digit_image
from tests.conftest import REPO
from ui import keys
from ui.draw_ui import DRAWING_OVERRIDE
from ui.nav import PAGES as NAV_PAGES

PAGES = [p.file for p in NAV_PAGES]  # every page of the app's navigation


def app(page: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_error(page, mnist):
    at = app(page)
    assert not at.exception, at.exception
    assert not errors(at)
    assert at.title, "every page has a title"


def test_draw_empty_canvas_shows_a_hint_and_no_prediction():
    at = app("app_pages/draw.py")
    assert not at.exception
    assert [m for m in at.metric if m.label == "Prediction"] == []
    assert any("Draw a digit" in i.value for i in at.info)


@pytest.mark.parametrize("digit", [1, 7])
def test_draw_with_a_drawing_shows_the_prediction(digit):
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(digit)})
    assert not at.exception
    metric = next(m for m in at.metric if m.label == "Prediction")
    assert metric.value == str(digit)
    assert isinstance(at.session_state[keys.LAST_DRAWING], np.ndarray)


def test_draw_works_without_the_dataset(monkeypatch, tmp_path):
    from ui.cache import mnist

    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "nowhere"))
    mnist.clear()  # else an earlier test's dataset, cached for the server, would hide a page that needs it
    try:
        at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(3)})
    finally:
        mnist.clear()
    assert not at.exception and not errors(at), errors(at)
    assert next(m for m in at.metric if m.label == "Prediction").value == "3"


def test_explore_without_the_dataset_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "nowhere"))
    from ui.cache import mnist

    mnist.clear()
    at = app("app_pages/explore.py")
    mnist.clear()
    assert not at.exception
    assert any("could not be loaded" in e.value for e in at.error)
    assert any("MNIST_DATA_DIR" in i.value for i in at.info)


def _charts(at: AppTest) -> list[dict]:
    import json

    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_a_swipe_over_a_chart_scrolls_the_page(mnist):
    """QA on a phone: a finger swiping over a chart panned or zoomed it (Plotly's default drag), and a
    chart as wide as the screen left no room to scroll. Every chart is still (dragmode false: hover and
    clicks stay), except Explore's map, made to be zoomed. (A chart that can be clicked gets 'pan' from
    Streamlit in the browser: its axes are fixed, tests/e2e/test_touch_browser.py.)"""
    seen = []
    views = [("app_pages/evaluate.py", {}, {}), ("app_pages/train.py", {}, {}), ("app_pages/inside.py", {}, {}),
             ("app_pages/draw.py", {"view": "pixels"}, {DRAWING_OVERRIDE: digit_image(3)})]
    views += [("app_pages/explore.py", {"tab": tab}, {}) for tab in ("Overview", "Pixels", "Map")]
    for page, query, state in views:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
        for key, value in state.items():
            at.session_state[key] = value
        at.query_params.update(query)
        at.run()
        at.switch_page(page).run()
        assert not at.exception, at.exception
        seen += [(page, query.get("tab"), spec["data"][0]["type"], spec["layout"].get("dragmode"))
                 for spec in _charts(at)]
    the_map = [s for s in seen if s[1] == "Map" and s[2].startswith("scatter")]
    assert len(seen) >= 12 and len(the_map) == 1 and the_map[0][3] == "zoom", seen
    assert all(s[3] is False for s in seen if s not in the_map), seen


def test_a_short_list_opens_as_a_picker_not_a_keyboard(mnist):
    """QA on a phone: 'It really is a' (ten digits) focused a text box, and a phone's keyboard would cover
    the list. Selects of a few fixed choices take no typing (Streamlit's filter_mode=None: FILTER_MODE_NONE,
    3); a list of the class's models still can be searched by typing."""
    from streamlit.proto.SelectWidgetFilterMode_pb2 import FILTER_MODE_NONE

    modes = {}
    for page, state in (("app_pages/draw.py", {DRAWING_OVERRIDE: digit_image(3)}), ("app_pages/train.py", {}),
                        ("app_pages/models.py", {})):
        at = app(page, **state)
        modes |= {s.label: s.proto.filter_mode for s in at.selectbox}
    fixed = ["It really is a", "Architecture", "Optimizer", "LR schedule"]
    assert all(modes[label] == FILTER_MODE_NONE for label in fixed), modes
    assert modes["Model"] != FILTER_MODE_NONE  # the class's models: typing finds one among many
