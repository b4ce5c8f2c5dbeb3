"""The "Our handwriting" page, run by AppTest against a real store in the test's own MNIST_LAB_HOME."""

import sqlite3

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.handwriting import HandwritingStore
from mnist_core.preprocess import prepare
from mnist_core.synth import digit_image
from tests.conftest import REPO

PAGE = "app_pages/handwriting.py"


def app() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    return at.switch_page(PAGE).run()


def problems(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]


def fill(store: HandwritingStore, labels: list[int]) -> list[int]:
    """Save synthetic drawings of `labels` (drawn as those digits), oldest first; returns their ids."""
    return [store.add(d, None, prepare(digit_image(d))) for d in labels]


def shown_ids(at: AppTest) -> list[int]:
    """Sample ids in the gallery, from the keys of their digit selectboxes (label-<id>-<label>)."""
    return [int(s.key.split("-")[1]) for s in at.selectbox if s.key and s.key.startswith("label-")]


def test_an_empty_store_shows_a_hint():
    at = app()
    assert not problems(at)
    assert any("Save with label" in i.value for i in at.info)
    assert shown_ids(at) == []


def test_the_gallery_shows_the_saved_drawings_newest_first():
    ids = fill(HandwritingStore(), [1, 7, 7])
    at = app()
    assert not problems(at)
    assert shown_ids(at) == ids[::-1]
    assert [at.selectbox(key=f"label-{i}-{d}").value for i, d in zip(ids, [1, 7, 7], strict=True)] == [1, 7, 7]
    captions = [c for image in at.image for c in image.captions]
    assert [c.split(" ")[0] for c in captions] == [f"#{i}" for i in ids[::-1]]
    assert at.button_group(key="digit_filter").options[:3] == ["All (3)", "0 (0)", "1 (1)"]


def test_filter_by_digit_and_paging():
    store = HandwritingStore()
    sevens = fill(store, [7] * 14)
    ones = fill(store, [1, 1])
    at = app()
    assert shown_ids(at) == (sevens + ones)[::-1][:12]
    at.pagination[0].select(2).run()
    assert shown_ids(at) == sevens[:4][::-1]
    at.button_group(key="digit_filter").set_value(1).run()
    assert shown_ids(at) == ones[::-1] and not at.pagination


def test_relabel_through_the_selectbox():
    store = HandwritingStore()
    first, second = fill(store, [2, 5])
    at = app()
    at.selectbox(key=f"label-{first}-2").set_value(8).run()
    assert not problems(at)
    assert store.get(first).label == 8 and store.get(second).label == 5
    assert at.selectbox(key=f"label-{first}-8").value == 8
    assert any("now labelled 8" in t.value for t in at.toast)
    assert list(store.counts()[[2, 5, 8]]) == [0, 1, 1]


def test_delete_asks_first_then_deletes():
    store = HandwritingStore()
    keep, gone = fill(store, [3, 4])
    at = app()
    assert any("for good" in m.value for m in at.markdown), "the popover asks before deleting"
    assert len(store) == 2  # opening the page deleted nothing
    at.button(key=f"delete-{gone}").click().run()
    assert not problems(at)
    assert [s.id for s in store.list()] == [keep] and shown_ids(at) == [keep]


def test_deleting_the_last_drawing_of_the_chosen_digit_goes_back_to_all():
    """With '4 (1)' chosen, deleting that 4 left '4 (0)' chosen over an empty page, without a word."""
    store = HandwritingStore()
    keep, gone = fill(store, [3, 4])
    at = app()
    at.button_group(key="digit_filter").set_value(4).run()
    assert shown_ids(at) == [gone]
    at.button(key=f"delete-{gone}").click().run()
    assert not problems(at)
    assert at.button_group(key="digit_filter").value == "all" and shown_ids(at) == [keep]
    # the confirmation belongs to its drawing: the one now in the deleted one's place is not asked open
    assert delete_menus(at) == [f"delete-menu-{keep}"]


def delete_menus(at) -> list[str]:
    """The keys of the drawings' Delete popovers (a popover's key is its identity: its open state)."""
    found = []

    def walk(node):
        if getattr(node, "type", None) == "popover" and node.proto.popover.label == "Delete":
            found.append("delete-menu-" + node.proto.id.rsplit("delete-menu-", 1)[-1])  # unkeyed: a hash
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at._tree)
    return found


def test_a_busy_database_shows_an_error_in_place_and_the_page_goes_on(monkeypatch):
    import mnist_core.handwriting

    monkeypatch.setattr(mnist_core.handwriting, "DEFAULT_TIMEOUT", 0.2)  # the page's store gives up quickly
    store = HandwritingStore()
    first, _ = fill(store, [2, 5])
    at = app()
    other = sqlite3.connect(store.path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # another program is writing
        at.selectbox(key=f"label-{first}-2").set_value(8).run()
    finally:
        other.rollback()
        other.close()
    assert not at.exception
    assert any("busy" in e.value for e in at.error)
    assert any(h.value == "Export" for h in at.subheader), "the rest of the page still renders"
    assert store.get(first).label == 2


def test_accuracy_with_the_active_model_matches_the_model_called_directly():
    from mnist_core.card import ModelCard
    from mnist_core.evaluate import evaluate
    from mnist_core.models import build_model, load_model
    from mnist_core.store import ModelStore

    models = ModelStore()
    models.save(build_model("mlp"), "untrained-mlp", ModelCard("untrained-mlp", architecture="mlp"))
    models.activate("untrained-mlp")  # the page checks whatever model Draw uses
    store = HandwritingStore()
    fill(store, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 7])
    at = app()
    at.toggle(key="check_accuracy").set_value(True).run()
    assert not problems(at)
    x, y = store.arrays()
    oracle = evaluate(load_model(models.get("untrained-mlp").path), x, y)  # its own copy of the model
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accuracy"] == f"{oracle.accuracy:.1%}"
    assert metrics["Drawings checked"] == "12"
    assert metrics["Misread"] == str(int((oracle.predicted != y).sum()))
    table = at.dataframe[0].value
    np.testing.assert_array_equal(table["Drawings"], np.bincount(y, minlength=10))
    np.testing.assert_allclose(table["Recall"], oracle.recall * 100)  # every digit has drawings here
    wrong = np.flatnonzero(oracle.predicted != y)[::-1]  # newest first
    ids = np.array([s.id for s in store.list()][::-1])
    assert [c.value.split(" ")[0] for c in at.caption if "sure" in c.value] == [f"#{ids[i]}" for i in wrong]
    assert [m.value for m in at.markdown if " read as " in m.value] == [
        f"**{y[i]}** read as **{oracle.predicted[i]}**" for i in wrong
    ]


@pytest.mark.parametrize("garbage", [b"\x00" * 4096, b"this is not a database" * 300])
def test_a_damaged_database_shows_an_error_and_keeps_the_file(lab_home, garbage):
    path = lab_home / "handwriting.sqlite"
    path.write_bytes(garbage)
    at = app()
    assert not at.exception
    assert any("damaged" in e.value and path.name in e.value and str(path) not in e.value for e in at.error)
    assert path.read_bytes() == garbage
    at.button[0].click().run()  # keep the damaged file aside, start afresh
    assert not at.exception
    aside = list(lab_home.glob("handwriting.sqlite.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    assert any("Save with label" in i.value for i in at.info)
