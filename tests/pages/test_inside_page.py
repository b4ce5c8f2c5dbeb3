"""The "Inside the network" page in AppTest: every view, every architecture, settings in the URL, presenter mode."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.card import ModelCard
from mnist_core.models import build_model
from mnist_core.preprocess import prepare
from mnist_core.store import ModelStore
from mnist_core.synth import digit_image
from tests.conftest import REPO
from tests.pages.test_smoke import errors
from ui import keys

PAGE = "app_pages/inside.py"
VIEWS = ["layers", "unit", "why", "break"]


def inside(query: dict | None = None, **state) -> AppTest:
    """The app opened on this page with `query` in the URL (as a shared link would)."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return at.switch_page(PAGE).run()


def drawn(digit: int = 7) -> dict:
    return {keys.LAST_DRAWING: prepare(digit_image(digit))}


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def check_lines(at) -> list[str]:
    return [m.value for m in at.markdown if "Keras's own output" in m.value]


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_renders_the_drawing(view, mnist):
    at = inside({"view": view}, **drawn(7))
    assert not at.exception and not errors(at), errors(at)
    assert "answer: **7**" in markdown(at) and "for your drawing" in markdown(at)


def test_every_layer_view_walks_through_all_layers():
    at = inside(**drawn(3))
    assert len(at.selectbox(key="w_inside_layer").options) == 8  # seven conv blocks and the softmax output
    for number in range(1, 9):
        at.selectbox(key="w_inside_layer").set_value(number).run()
        assert not at.exception and not errors(at), (number, errors(at))
        assert f"**Layer {number} of 8**" in markdown(at)
    assert at.query_params["layer"] == "8"
    assert "logit" in markdown(at) and at.dataframe  # the softmax step: logits -> probabilities


def test_one_unit_shows_its_computation_equal_to_keras():
    at = inside({"view": "unit", "layer": "3", "map": "5", "row": "2", "col": "4"}, **drawn(7))
    text = markdown(at)
    assert "row 2, column 4 of map 5" in text and "Batch norm" in text and "ReLU" in text
    (line,) = check_lines(at)
    assert ":green[:material/check_circle:]" in line  # the recomputed value equals Keras's own
    at.number_input(key="w_inside_row").set_value(6).run()
    assert "row 6, column 4 of map 5" in markdown(at)
    assert at.query_params["row"] == "6"


def test_a_unit_not_chosen_is_the_strongest_pixel_of_the_strongest_map():
    at = inside({"view": "unit"}, **drawn(1))
    state = {name: at.session_state[f"inside_{name}"] for name in ("map", "row", "col")}
    assert all(v >= 0 for v in state.values())
    value = float(check_lines(at)[0].split("**")[-2])
    assert value > 0  # not a dark corner


@pytest.mark.parametrize("arch", ["mlp", "simple_cnn", "row_lstm"])
def test_other_architectures_in_their_own_terms(arch, mnist):
    ModelStore().save(build_model(arch), arch.replace("_", "-"), ModelCard(arch, architecture=arch))
    for view in VIEWS:
        at = inside({"model": arch.replace("_", "-"), "view": view}, **drawn(2))
        assert not at.exception and not errors(at), (view, errors(at))
        if view == "unit":
            assert check_lines(at) or arch == "row_lstm"
    at = inside({"model": arch.replace("_", "-"), "view": "unit", "layer": "2"}, **drawn(2))
    text = markdown(at)
    expected = {"mlp": "Unit", "simple_cnn": "Max of these 4 numbers", "row_lstm": "logit"}[arch]
    assert expected in text, text
    if arch == "row_lstm":
        at = inside({"model": "row-lstm", "view": "unit", "layer": "1", "map": "9"}, **drawn(2))
        assert "Unit 9 after row 27" in markdown(at) and check_lines(at)  # the last step is Keras's output


def test_without_a_drawing_a_test_digit_is_shown(mnist):
    at = inside({"test": "3"})
    assert f"test digit #3 (a {mnist.y_test[3]})" in markdown(at)
    assert at.segmented_control(key="w_inside_src").value == "test"
    assert [link for link in at.get("page_link") if "Draw one" in link.proto.label]


def test_without_a_drawing_or_the_dataset_a_computer_drawn_digit(monkeypatch, tmp_path):
    from ui.cache import mnist

    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "nowhere"))
    mnist.clear()
    try:
        at = inside({"view": "break", "test": "4", "break": "zero", "blayer": "8"})
    finally:
        mnist.clear()
    assert not at.exception and not errors(at), errors(at)
    assert "computer-drawn 4" in markdown(at)
    assert any("MNIST test set" in i.value for i in at.info)  # accuracy needs the dataset: said, not crashed


def test_url_settings_are_applied_and_bad_ones_ignored():
    at = inside({"view": "why", "method": "occlusion", "patch": "8", "fill": "black", "layer": "abc"}, **drawn(7))
    assert not at.exception and not errors(at)
    text = markdown(at)
    assert "8x8 black square" in text and "Grad-CAM is read" not in text
    assert "inside_layer" not in at.session_state  # layer=abc was ignored
    assert any("layer=abc" in t.value for t in at.toast)
    assert at.query_params["patch"] == "8" and "layer" not in at.query_params


def test_a_link_asking_for_more_than_there_is_gets_the_nearest_and_a_note():
    at = inside({"view": "layers", "layer": "99", "map": "500"}, **drawn(7))
    assert not at.exception and not errors(at)
    assert "**Layer 8 of 8**" in markdown(at) and at.query_params["layer"] == "8"
    notes = [t.value for t in at.toast]
    assert any("no layer 99 here (8 layers): showing layer 8" in n for n in notes), notes
    at = inside({"view": "layers", "layer": "2", "map": "500"}, **drawn(7))
    assert any("no map 500 here (32 in this layer)" in t.value for t in at.toast)
    at = inside({"view": "break", "break": "drop", "blayer": "99", "amount": "10"}, **drawn(7))
    notes = [t.value for t in at.toast]
    assert any("no layer to break 99 here" in n for n in notes) and any("no amount 10 here (at most 1)" in n
                                                                        for n in notes), notes
    assert at.slider[0].value == 1.0
    quiet = inside({"view": "layers", "layer": "3"}, **drawn(7))
    assert not quiet.toast  # a link that fits says nothing
    at = inside({"view": "unit", "layer": "2", "row": "99", "col": "99"}, **drawn(7))
    assert not at.exception and not errors(at)
    assert any("no pixel (row 99, column 99)" in t.value and "showing the strongest" in t.value
               for t in at.toast), [t.value for t in at.toast]
    assert at.query_params.get("row") != "99" and at.query_params.get("col") != "99"

def test_presenter_mode_hides_the_controls_named_in_the_link():
    query = {"present": "1", "view": "unit", "layer": "2", "map": "3", "hide": "layer,unit,src,view"}
    at = inside(query, **drawn(7))
    assert not at.exception and not errors(at)
    assert not at.selectbox and not at.number_input and not at.segmented_control
    assert "of map 3" in markdown(at) and "**Layer 2 of 8**" in markdown(at)  # the link's values still apply
    shown = inside({"present": "1", "view": "unit"}, **drawn(7))
    assert shown.selectbox and shown.number_input  # nothing hidden unless asked
    ignored = inside({"view": "unit", "hide": "layer"}, **drawn(7))
    assert ignored.selectbox  # hide= is for presenter mode only


def test_break_it_on_a_copy_and_reset(mnist):
    from mnist_core.paths import DEFAULT_MODEL_PATH
    from mnist_core.predict import MODELS

    shared = MODELS.get(DEFAULT_MODEL_PATH)
    before = [np.array(w) for w in shared.get_weights()]
    at = inside({"view": "break", "break": "zero", "blayer": "8"}, **drawn(7))
    accuracy = next(m for m in at.metric if m.label.startswith("Accuracy"))
    assert float(accuracy.value.rstrip("%")) < 15
    assert any("chance" in c.value for c in at.caption)
    box = at.session_state["inside_sandbox"]
    assert box.source is shared and box.model is not shared and box.damage is not None
    at.button(key=next(b.key for b in at.button if b.label == "Reset")).click().run()
    assert "break" not in at.query_params and box.damage is None
    accuracy = next(m for m in at.metric if m.label.startswith("Accuracy"))
    assert float(accuracy.value.rstrip("%")) > 98
    for a, b in zip(shared.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)  # the model every session shares was never written to


def test_occlusion_is_computed_once_per_drawing(monkeypatch):
    import mnist_core.explain as explain
    from ui.inside_ui import _occlusion

    calls = []
    real = explain.occlusion
    monkeypatch.setattr(explain, "occlusion", lambda *a, **k: calls.append(1) or real(*a, **k))
    _occlusion.clear()
    at = inside({"view": "why", "method": "occlusion"}, **drawn(4))
    at.run()
    at.segmented_control(key="w_inside_method").set_value("both").run()
    assert len(calls) == 1
    at.session_state[keys.LAST_DRAWING] = prepare(digit_image(5))
    at.run()
    assert len(calls) == 2


JARGON = ["filter", "feature map", "stride", "bias", "ReLU", "batch norm", "pool", "dense", "logit", "softmax",
          "gradient", "Grad-CAM", "occlusion", "saliency"]


def test_the_words_the_page_uses_are_explained_on_it():
    """A learner met 'batch norm', '26x26x32', 'p(7)' and 'gradients' with no words for them: the page's
    glossary names every such term its own text uses, each layer and view walked through."""
    from ui.inside_ui import GLOSSARY

    texts = []
    at = inside(**drawn(7))
    for number in range(1, 9):
        at.selectbox(key="w_inside_layer").set_value(number).run()
        texts.append(markdown(at))
    for view in ("unit", "why"):
        at = inside({"view": view}, **drawn(7))
        texts.append(markdown(at) + " ".join(c.value for c in at.caption))
    page = " ".join(texts).lower()
    used = [term for term in JARGON if term.lower() in page]
    assert {"batch norm", "ReLU", "Grad-CAM", "logit", "stride", "gradient"} <= set(used), used  # the test sees
    glossary = " ".join(GLOSSARY).lower()
    assert [term for term in used if term.lower() not in glossary] == []
    assert any(e.label == "What the words mean" for e in at.expander)
    shown = next(e for e in at.expander if e.label == "What the words mean")
    assert all(f"**{term}**" in shown.markdown[0].value for term in GLOSSARY)


def test_a_map_can_be_zoomed_from_the_keyboard():
    """'Click a map to zoom in' was the only way: typing its number does the same (a keyboard user, a
    screen reader), turns the grid's page to it and goes into the address."""
    at = inside({"view": "layers", "layer": "2"}, **drawn(7))
    at.number_input(key="w_inside_zoom_map").set_value(21).run()
    assert not errors(at), errors(at)
    assert at.query_params["map"] == "21"
    assert any(c.value.startswith("Maps 16–23 of 32") for c in at.caption), [c.value for c in at.caption]
    assert at.number_input(key="w_inside_zoom_map").value == 21
    # the label says which numbers there are: a number past the last is refused without a word
    assert at.number_input(key="w_inside_zoom_map").label == "Zoom on map (0-31)"
