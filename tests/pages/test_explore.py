"""The Explore page under AppTest: every tab, its widgets, and no TensorFlow unless asked for."""

import base64
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO
from tests.pages.test_smoke import app, errors
from ui.explore_ui import EXPLORE_TAB
from ui.show import picked_index


def n_points(spec: dict) -> int:
    """Points across a figure's traces (plotly sends numpy arrays base64-encoded)."""
    total = 0
    for trace in spec["data"]:
        x = trace["x"]
        total += np.frombuffer(base64.b64decode(x["bdata"]), x["dtype"]).size if isinstance(x, dict) else len(x)
    return total


def explore(tab: str, **state):
    at = app("app_pages/explore.py", **{EXPLORE_TAB: tab, **state})
    assert not at.exception, at.exception
    assert not errors(at)
    return at


def chart_titles(at) -> list[str]:
    titles = []
    for chart in at.get("plotly_chart"):
        layout = json.loads(chart.proto.spec)["layout"]
        titles.append((layout.get("title") or {}).get("text", ""))
    return titles


def test_overview_states_sizes_and_imbalance(mnist):
    at = explore("Overview")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training images"] == "60,000" and metrics["Test images"] == "10,000"
    assert any("most common digit is 1" in m.value for m in at.markdown)


def test_pixels_tab_switches_between_mean_and_std_and_features(mnist):
    at = explore("Pixels")
    assert any("pure black" in t for t in chart_titles(at))
    assert len(at.get("plotly_chart")) == 4  # histogram, mean grid, inked map, feature boxes
    at.radio(key="explore_stat").set_value("std").run()
    at.selectbox(key="explore_box").set_value("holes").run()
    assert not at.exception and not errors(at)
    assert "Holes by digit" in chart_titles(at)
    assert any("Black: the pixel is the same in every image" in c.value for c in at.caption)
    assert at.query_params["stat"] == "std" and at.query_params["box"] == "holes"


def grid(at) -> dict:
    """The gallery's thumbnails: their image indices (customdata) and their captions."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    spec = next(s for s in specs if s["data"][0]["type"] == "image")
    points = spec["data"][1]["customdata"]
    if isinstance(points, dict):
        points = np.frombuffer(base64.b64decode(points["bdata"]), points["dtype"]).tolist()
    return {"indices": [int(i) for i in points], "captions": [a["text"] for a in spec["layout"]["annotations"]]}


def test_gallery_shows_the_thinnest_ones_first_with_plain_captions(mnist):
    at = explore("Gallery")
    at.selectbox(key="gallery_digit").set_value(1)
    at.selectbox(key="gallery_feature").set_value("thickness")
    at.selectbox(key="gallery_order").set_value("ascending")
    at.run()
    assert not at.exception and not errors(at)
    shown = grid(at)
    assert len(shown["indices"]) == 40 and all(mnist.y_train[i] == 1 for i in shown["indices"])
    values = [float(c.split("pen ")[1].split(" px")[0]) for c in shown["captions"]]
    assert all(c.startswith("1: pen ") for c in shown["captions"]) and values == sorted(values)
    digits = int(mnist.y_train.tolist().count(1))
    assert any(f"{digits:,} digits match. Under each: its label and its thickness" in c.value for c in at.caption)
    assert any("Click a digit in the gallery" in i.value for i in at.info)  # nothing open yet
    at.number_input(key="gallery_open").set_value(shown["indices"][0]).run()  # what a click on it does
    assert "labelled 1" in chart_titles(at)[-1]
    assert at.query_params["digit"] == "1" and at.query_params["open"] == str(shown["indices"][0])


def test_the_full_range_holds_every_digit(mnist):
    at = explore("Gallery")
    assert any(c.value.startswith("60,000 digits match") for c in at.caption)  # no digit lost to rounding


def test_gallery_range_and_paging(mnist):
    at = explore("Gallery")
    at.selectbox(key="gallery_digit").set_value(7)
    at.selectbox(key="gallery_feature").set_value("slant")
    at.selectbox(key="gallery_order").set_value("descending")
    at.run()
    slider = at.slider(key="gallery_range")
    at.slider(key="gallery_range").set_value((30.0, slider.value[1])).run()
    assert not errors(at)
    found = next(int(c.value.split(" digits match")[0].replace(",", "")) for c in at.caption
                 if "digits match" in c.value)
    assert 0 < found < 6265  # some, not all, of the 7s lean more than 30 degrees
    slants = [float(c.split(": ")[1].split("° right")[0]) for c in grid(at)["captions"]]
    assert all(s >= 30 for s in slants) and slants == sorted(slants, reverse=True)
    assert at.query_params["range"].startswith("30~")
    at.number_input(key="gallery_page").set_value(2).run()
    assert at.query_params["pg"] == "2"
    at.selectbox(key="gallery_feature").set_value("ink").run()  # another feature: its whole range, page 1
    assert "range" not in at.query_params and "pg" not in at.query_params


def test_the_human_confirmed_label_errors_are_marked_and_opened(mnist):
    from mnist_core.label_errors import MNIST_TEST_LABEL_ERRORS

    at = explore("Gallery", explore_split="test", gallery_show="errors")
    shown = grid(at)
    assert sorted(shown["indices"]) == sorted(MNIST_TEST_LABEL_ERRORS)
    assert all(mnist.y_test[i] == e.given for i, e in MNIST_TEST_LABEL_ERRORS.items())
    at.number_input(key="gallery_open").set_value(947).run()
    assert any("Label error" in w.value and "a 9 (5 of 5), not an 8" in w.value for w in at.warning)


def test_flagging_digits_and_downloading_them_as_csv(mnist):
    at = explore("Gallery", explore_split="test", gallery_open=947)
    next(b for b in at.button if b.label == "Flag as suspicious").click().run()
    at.number_input(key="gallery_open").set_value(12).run()
    next(b for b in at.button if b.label == "Flag as suspicious").click().run()
    assert at.session_state["explore_flags"]["test"] == {12, 947}
    assert at.get("download_button")  # "Download 2 flagged"
    at.selectbox(key="gallery_show").set_value("flagged").run()
    assert sorted(grid(at)["indices"]) == [12, 947]
    next(b for b in at.button if b.label == "Unflag").click().run()
    assert at.session_state["explore_flags"]["test"] == {947}


def open_link(query: dict):
    """Explore opened from a shared link: the app with the query, then the page with it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.run()
    at.switch_page("app_pages/explore.py")
    at.query_params.update(query)
    return at.run()


def test_a_shared_link_opens_the_same_gallery(mnist):
    query = {"tab": "Gallery", "split": "test", "digit": "4", "feature": "holes", "order": "descending",
             "open": "2130", "pg": "2"}
    at = open_link(query)
    assert not at.exception and not errors(at)
    assert at.session_state["explore_split"] == "test" and at.selectbox(key="gallery_digit").value == 4
    assert at.number_input(key="gallery_page").value == 2 and at.number_input(key="gallery_open").value == 2130
    assert all(mnist.y_test[i] == 4 for i in grid(at)["indices"])
    assert any("Label error" in w.value for w in at.warning)  # 2130 is one of the 15


def test_a_link_to_a_page_past_the_last_opens_the_first_and_says_so(mnist):
    at = open_link({"tab": "Gallery", "split": "test", "digit": "4", "pg": "400"})
    assert not at.exception and not errors(at)
    pages = int(at.number_input(key="gallery_page").label.rsplit(" ", 1)[-1].replace(",", ""))
    assert pages < 400 and at.number_input(key="gallery_page").value == 1
    assert any(f"There is no page 400 here (only {pages}): showing page 1" in t.value for t in at.toast)


def test_a_link_to_a_digit_past_the_last_of_its_set_says_so(mnist):
    at = open_link({"tab": "Gallery", "split": "test", "open": "59999"})
    assert not at.exception and not errors(at)
    assert at.number_input(key="gallery_open").value is None and "open" not in at.query_params
    assert any("There is no digit #59,999 in the test set (#0 to #9,999): none is open" in t.value
               for t in at.toast), [t.value for t in at.toast]

def test_map_tab_draws_the_pca_map_of_the_chosen_split(mnist):
    at = explore("Map", explore_split="test")
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    assert n_points(spec) == 10_000
    assert any("Click a point" in i.value for i in at.info)


def test_tsne_waits_for_the_button_then_draws(mnist, monkeypatch):
    import mnist_core.embed as embed

    at = explore("Map")
    at.radio(key="explore_map").set_value("tsne").run()
    assert not at.get("plotly_chart") and any("t-SNE" in i.value for i in at.info)
    # the page's wiring is under test here; t-SNE itself (slow) is tested in tests/core/test_embed.py
    monkeypatch.setattr(embed, "_compute_tsne", lambda x, seed: (x[:, :2] * 10).astype(np.float32))
    at.select_slider[0].set_value(1000)
    at.button[0].click().run()
    assert not at.exception and not errors(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert n_points(spec) == 1000


def test_picked_index_reads_the_clicked_point():
    assert picked_index(None) is None
    assert picked_index({"selection": {"points": []}}) is None
    event = {"selection": {"points": [{"customdata": 5}, {"customdata": [42], "x": 1.0}]}}
    assert picked_index(event) == 42


@pytest.mark.slow
def test_hard_examples_after_the_button(mnist, default_model):
    at = explore("Hard examples", explore_split="test")
    assert not at.image  # nothing scored before the button
    at.slider[0].set_value(3)
    at.button[0].click().run()
    assert not at.exception and not errors(at)
    assert len(at.image) == 30  # 3 per digit
    rows = [m.value for m in at.markdown if m.value.startswith("**Labelled")]
    assert rows == [f"**Labelled {d}**" for d in range(10)]
    captions = [c.value for c in at.caption if c.value.startswith("#")]
    assert len(captions) == 30
    for d in range(10):
        for caption in captions[3 * d: 3 * d + 3]:
            index = int(caption.split()[0].lstrip("#"))
            assert mnist.y_test[index] == d and caption.split("\n")[1].startswith(f"{d} → ")
    assert any("gets" in c.value and "wrong" in c.value for c in at.caption)


TF_PROBE = """
import sys
from streamlit.testing.v1 import AppTest
for tab in ["Overview", "Pixels", "Gallery", "Map", "Hard examples"]:
    at = AppTest.from_file({app!r}, default_timeout=120)
    at.session_state["tab"] = tab
    at.run()
    at.switch_page("app_pages/explore.py").run()
    assert not at.exception, at.exception
print("TF_LOADED" if {{"tensorflow", "keras"}} & set(sys.modules) else "TF_ABSENT")
"""


def test_the_explore_page_never_imports_tensorflow(mnist, lab_home):
    """A fresh interpreter, so imports made by other tests cannot hide one made by the page."""
    code = TF_PROBE.format(app=str(REPO / "app.py"))
    # without the app's background preload of the Draw page's model (MNIST_LAB_PRELOAD=0), which
    # would import TensorFlow on the first page view whatever the page
    env = {**os.environ, "MNIST_LAB_PRELOAD": "0"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                         env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "TF_ABSENT" in out.stdout, out.stdout


@pytest.mark.parametrize("query, state", [
    ({"tab": "Map", "map": "tsne", "n": "1000"}, {"explore_map": "tsne", "explore_tsne": 1000}),
    ({"tab": "Hard examples", "k": "9"}, {"explore_k": 9}),
    ({"tab": "Gallery", "range": "40~60"}, {"gallery_range": (40, 60)}),  # of the default feature, ink
])
def test_a_shared_link_opens_the_map_hard_examples_and_a_gallery_range(mnist, query, state):
    """The README's Explore link settings `map`, `n`, `k` and `range` are read back from the address."""
    at = open_link(query)
    assert not at.exception and not errors(at)
    for key, value in state.items():
        shown = at.session_state[key]
        assert (tuple(shown) if isinstance(value, tuple) else shown) == value, (key, shown)
    for name, value in query.items():  # and written back: the link still says it
        assert at.query_params[name] in (value, [value]), (name, at.query_params.get(name))
