import json

import numpy as np
import pytest

from mnist_core.errors import ModelError, StoreError
from mnist_core.models import active_model_path, build_model
from mnist_core.paths import DEFAULT_MODEL_PATH
from mnist_core.store import ModelStore, atomic_write_text, safe_name


@pytest.fixture
def store(lab_home):
    return ModelStore()


@pytest.fixture(scope="module")
def small_model():
    return build_model("mlp")


def test_round_trip_list_activate_delete(store, small_model):
    saved = store.save(small_model, "my-mlp", {"architecture": "mlp", "note": "x"})
    assert saved.path.is_file() and saved.card["note"] == "x" and saved.card["name"] == "my-mlp"
    names = [m.name for m in store.list()]
    assert names[0] == "default" and "my-mlp" in names
    store.activate("my-mlp")
    assert store.active_name() == "my-mlp" and active_model_path() == saved.path
    store.delete("my-mlp")
    assert store.active_name() == "default" and active_model_path() == DEFAULT_MODEL_PATH
    assert [m.name for m in store.list()] == ["default"]


def test_default_cannot_be_deleted_or_overwritten(store, small_model):
    with pytest.raises(StoreError, match="cannot be deleted"):
        store.delete("default")
    with pytest.raises(StoreError, match="shipped model"):
        store.save(small_model, "default", {})
    assert DEFAULT_MODEL_PATH.is_file()


@pytest.mark.parametrize("name", ["../evil", "a/b", "", "..", ".hidden", "x" * 70, "name with space"])
def test_names_cannot_escape_the_folder(name):
    with pytest.raises(StoreError):
        safe_name(name)


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "card.json"
    atomic_write_text(target, "old")

    class BoomError(Exception):
        pass

    with pytest.raises(BoomError):
        from mnist_core.store import atomic_path

        with atomic_path(target) as tmp:
            tmp.write_text("half-writ")
            raise BoomError
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_damaged_active_pointer_falls_back_to_default(store, small_model):
    store.folder.mkdir(parents=True, exist_ok=True)
    (store.folder / "active.json").write_text("{not json")
    assert store.active_name() == "default" and active_model_path() == DEFAULT_MODEL_PATH
    (store.folder / "active.json").write_text(json.dumps({"path": str(store.folder / "gone.keras")}))
    assert active_model_path() == DEFAULT_MODEL_PATH


def test_upload_of_a_real_model_is_stored(store, small_model, tmp_path):
    small_model.save(tmp_path / "mine.keras")
    stored = store.import_upload((tmp_path / "mine.keras").read_bytes(), "mine.keras")
    assert stored.name == "mine" and "uploaded" in stored.card["source"]
    again = store.import_upload((tmp_path / "mine.keras").read_bytes(), "mine.keras")
    assert again.name == "mine-2"


@pytest.mark.parametrize("payload, message", [(b"hello", "not a .keras file"), (b"", "not a .keras file")])
def test_upload_that_is_not_a_model_is_refused(store, payload, message):
    with pytest.raises(ModelError, match=message):
        store.import_upload(payload, "x.keras")
    assert [m.name for m in store.list()] == ["default"]


def test_card_fields_of_the_shipped_default():
    card = ModelStore().default().card
    for key in ("architecture", "parameters", "train_config", "augment", "seed", "metrics", "training_seconds",
                "created", "versions", "command"):
        assert key in card, key
    assert card["metrics"]["test_accuracy"] >= 0.992
    assert np.isclose(sum(1 for _ in card["metrics"]["per_class"]), 10)
