"""The Augment page under AppTest: controls change the copies, guard rails speak up, every digit source works."""

import pytest

from mnist_core.preprocess import prepare
from mnist_core.synth import digit_image
from tests.conftest import REPO
from tests.pages.test_smoke import app, errors
from ui import keys
from ui.augment_ui import AUGMENT_INDEX, AUGMENT_SEED


def augment_page(**state):
    at = app("app_pages/augment.py", **state)
    assert not at.exception, at.exception
    assert not errors(at)
    return at


def grid_url(at) -> str:
    """The media URL of the grid of copies (the last image; it changes when the pixels do)."""
    return at.image[-1].value[0]


def summary(at) -> str:
    return next(c.value for c in at.caption if "Settings:" in c.value)


def test_default_preview_shows_the_original_and_32_copies(mnist):
    at = augment_page()
    assert len(at.image) == 2  # the original and the grid
    assert at.image[0].captions == ["original: #0, labelled 5"]
    assert "32 copies in" in summary(at)
    assert "rotation 12" in summary(at) and "seed 0" in summary(at)
    assert not at.warning


def test_moving_a_slider_changes_the_copies_and_flags_risky_settings(mnist):
    at = augment_page()
    before = grid_url(at)
    at.slider(key="aug_rotation").set_value(30).run()
    assert grid_url(at) != before and "rotation 30" in summary(at)
    assert not at.warning
    at.slider(key="aug_rotation").set_value(55).run()
    at.slider(key="aug_shift").set_value(0.3).run()
    assert not errors(at)
    warning = at.warning[0].value
    assert "rotation past 45" in warning and "shift past 0.2" in warning
    assert "lost most of their ink" in warning


def test_switches_add_and_remove_transforms(mnist):
    at = augment_page()
    at.toggle(key="aug_on_elastic").set_value(True).run()
    at.toggle(key="aug_on_blur").set_value(True).run()
    at.slider(key="aug_blur").set_value(3.0).run()  # wider than Keras's own blur allows
    assert not errors(at) and "elastic 1" in summary(at) and "blur 3" in summary(at)
    for name in ("rotation", "shift", "zoom", "shear", "thickness", "elastic", "blur"):
        at.toggle(key=f"aug_on_{name}").set_value(False)
    at.run()
    assert "no augmentation" in summary(at) and "Ink kept: 100% to 100%" in summary(at)


def test_resample_and_fewer_copies(mnist):
    at = augment_page()
    before = grid_url(at)
    at.button[0].click().run()  # Resample
    assert at.session_state[AUGMENT_SEED] == 1 and "seed 1" in summary(at)
    assert grid_url(at) != before
    at.select_slider[0].set_value(16).run()
    assert "16 copies in" in summary(at)


def test_digit_by_index_and_by_label(mnist):
    at = augment_page()
    at.number_input(key=AUGMENT_INDEX).set_value(7).run()
    assert at.image[0].captions == [f"original: #7, labelled {mnist.y_train[7]}"]
    at.radio(key="aug_source").set_value("label").run()
    at.selectbox(key="aug_label").set_value(7).run()
    at.number_input(key="aug_nth").set_value(3).run()
    third_seven = [i for i, y in enumerate(mnist.y_train) if y == 7][2]
    assert at.image[0].captions == [f"original: #{third_seven}, labelled 7"]


def test_a_random_digit(mnist):
    at = augment_page()
    at.radio(key="aug_source").set_value("random").run()
    next(b for b in at.button if b.label == "Another one").click().run()
    index = at.session_state[AUGMENT_INDEX]
    assert 0 <= index < 60_000
    assert at.image[0].captions == [f"original: #{index}, labelled {mnist.y_train[index]}"]


@pytest.mark.parametrize("has_drawing", [False, True])
def test_my_drawing(mnist, has_drawing):
    state = {keys.LAST_DRAWING: prepare(digit_image(7))} if has_drawing else {}
    at = augment_page(**state)
    at.radio(key="aug_source").set_value("drawing").run()
    assert not at.exception and not errors(at)
    if has_drawing:
        assert at.image[0].captions == ["original: your drawing"] and len(at.image) == 2
    else:
        assert any("Draw something on the Draw page first" in i.value for i in at.info)
        assert not at.image


def test_without_the_dataset_the_page_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "nowhere"))
    from ui.cache import mnist

    mnist.clear()
    try:
        at = app("app_pages/augment.py")
    finally:
        mnist.clear()
    assert not at.exception
    assert any("could not be loaded" in e.value for e in at.error)


def test_each_transform_says_what_it_does_and_the_maxima_are_sensible(mnist):
    from mnist_core.augment import AugmentConfig
    from ui.augment_ui import HELP

    at = augment_page()
    captions = [c.value for c in at.caption]
    assert all(HELP[name] in captions for name in AugmentConfig.LIMITS)  # visible, not only in a tooltip
    assert at.slider(key="aug_rotation").max == 60  # not 180: a 6 turned upside down is a 9
    assert not [c for c in captions if "Config" in c]  # no developer words


def run_with_query(query: dict):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.run()
    at.switch_page("app_pages/augment.py")
    at.query_params.update(query)
    return at.run()


def test_a_link_opens_the_same_preview_and_the_url_follows_the_controls(mnist):
    at = run_with_query({"rotation": "30", "shear": "0", "digit": "7", "seed": "4", "copies": "16"})
    assert not at.exception and not errors(at)
    assert at.slider(key="aug_rotation").value == 30 and at.toggle(key="aug_on_shear").value is False
    assert at.image[0].captions == [f"original: #7, labelled {mnist.y_train[7]}"]
    assert "16 copies in" in summary(at) and "seed 4" in summary(at) and "shear" not in summary(at)
    at.slider(key="aug_rotation").set_value(20).run()
    assert at.query_params["rotation"] == "20" and at.query_params["shear"] == "0"
    assert "zoom" not in at.query_params  # still the page's starting recipe: left out


def test_a_link_with_a_value_out_of_range_is_ignored(mnist):
    at = run_with_query({"rotation": "180", "digit": "99999"})
    assert not at.exception and not errors(at)
    assert at.slider(key="aug_rotation").value == 12 and at.number_input(key=AUGMENT_INDEX).value == 0


def test_a_link_past_the_last_digit_of_a_label_opens_the_last_and_says_so(mnist):
    """?src=label&label=5&nth=7000: MNIST has 5,421 fives; the link's number was dropped without a word."""
    fives = int((mnist.y_train == 5).sum())
    at = run_with_query({"src": "label", "label": "5", "nth": "7000"})
    assert not at.exception and not errors(at)
    assert at.number_input(key="aug_nth").value == fives
    assert any(f"There is no 5 number 7000 here (only {fives:,}): showing 5 number {fives}" in t.value
               for t in at.toast), [t.value for t in at.toast]


def test_every_setting_at_its_most_gets_a_short_honest_warning(mnist):
    """Every slider at its maximum: the warning listed all ten limits (six lines on a projector, the copies
    pushed off the screen) and said '0% of the copies lost most of their ink' of copies that were all
    speckle: noise adds ink, so ink kept cannot tell a lost digit there."""
    from streamlit.testing.v1 import AppTest

    from mnist_core.augment import AugmentConfig

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for name, (_, most, _) in AugmentConfig.LIMITS.items():
        at.query_params[name] = str(most)
    at.run()
    at = at.switch_page("app_pages/augment.py").run()
    assert not errors(at) and not at.exception
    warning = at.warning[0].value
    assert warning.startswith("**Risky: 10 settings past their marks.**"), warning
    assert "judge the copies by eye" in warning and "lost most of their ink" not in warning
    assert len(warning) < 130, warning  # about two lines in its column
    assert "noise adds ink" in summary(at)
