import json

import pytest

from mnist_core.card import ModelCard
from mnist_core.errors import ModelError, StoreError
from mnist_core.models import build_model
from mnist_core.paths import DEFAULT_MODEL_PATH
from mnist_core.store import ModelStore, atomic_write_text, safe_name


@pytest.fixture
def store(lab_home):
    return ModelStore()


@pytest.fixture(scope="module")
def small_model():
    return build_model("mlp")


def test_round_trip_list_activate_delete(store, small_model):
    saved = store.save(small_model, "my-mlp", ModelCard("anything", architecture="mlp", description="x"))
    assert saved.path.is_file() and saved.card.description == "x" and saved.card.name == "my-mlp"
    names = [m.name for m in store.list()]
    assert names[0] == "default" and "my-mlp" in names
    store.activate("my-mlp")
    assert store.active_name() == "my-mlp" and store.active().path == saved.path
    assert json.loads((store.folder / "active.json").read_text()) == {"name": "my-mlp"}  # no server path
    store.delete("my-mlp")
    assert store.active_name() == "default" and store.active().path == DEFAULT_MODEL_PATH
    assert [m.name for m in store.list()] == ["default"]


@pytest.mark.parametrize("name", ["default", "active", "Active"])
def test_reserved_names_cannot_be_saved_over(store, small_model, name):
    with pytest.raises(StoreError, match="reserved"):
        store.save(small_model, name, ModelCard(name))
    assert store.add(small_model, name, ModelCard(name)).name == f"{name}-2"  # a new model gets another name
    assert not (store.folder / "active.json").exists() and store.active_name() == "default"


def test_default_cannot_be_deleted(store):
    with pytest.raises(StoreError, match="cannot be deleted"):
        store.delete("default")
    assert DEFAULT_MODEL_PATH.is_file()


def test_two_models_added_under_one_name_at_once_both_survive(store, small_model):
    import threading

    names, barrier = [], threading.Barrier(4)

    def add(i):
        barrier.wait()
        names.append(store.add(small_model, "same", ModelCard("same", description=f"#{i}")).name)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(names) == ["same", "same-2", "same-3", "same-4"]
    assert sorted(store.get(n).card.description for n in names) == ["#0", "#1", "#2", "#3"]


@pytest.mark.parametrize("base", ["模型 ü", "__-_", "_x", "-.-a..b..", "a" * 80 + "_", "...", "<b>bold</b> **md** $x$"])
def test_any_upload_or_run_name_becomes_a_name_the_store_can_find_and_delete(store, small_model, base):
    """An upload named '模型 ü.keras' was stored as '__-_', which get() and delete() refuse: a model no
    one could use or delete."""
    saved = store.add(small_model, base, ModelCard("x", architecture="mlp"))
    assert safe_name(saved.name) == saved.name and store.get(saved.name).path == saved.path
    store.activate(saved.name)
    store.delete(saved.name)
    assert [m.name for m in store.list()] == ["default"] and not list(store.folder.glob(f"{saved.name}.*"))


@pytest.mark.parametrize("name", ["../evil", "a/b", "", "..", ".hidden", "x" * 70, "name with space"])
def test_names_cannot_escape_the_folder(name):
    with pytest.raises(StoreError):
        safe_name(name)


@pytest.mark.parametrize("name, kept", [("modèle", "modèle"), ("μοντέλο", "μοντέλο"), ("模型-2", "模型-2"),
                                        ("e\u0301le\u0300ve", "élève"), ("١٢", "١٢"),
                                        # vowel signs and marks on letters (QA: refused)
                                        ("मॉडल", "मॉडल"), ("தமிழ்", "தமிழ்"), ("نَموذَج", "نَموذَج")])
def test_names_may_be_written_in_any_alphabet(name, kept):
    """Letters of any alphabet are letters; an accent typed apart from its letter (as macOS sends file
    names) makes the same name as the composed letter."""
    assert safe_name(name) == kept


@pytest.mark.parametrize("name", ["a\u202eb", "a\u200db", "\u0301x", "_x", "x y", "\U00020000" * 41, "a\ufe0f",
                                  "a\u034fb", "\U0001f600"])
def test_names_refuse_hidden_marks_and_names_too_long_for_a_file(name):
    """A right-to-left override or a zero-width joiner hides what a name says; 41 four-byte letters
    make a file name too long for the disk with the store's suffixes."""
    with pytest.raises(StoreError, match="not a valid name"):
        safe_name(name)


def test_a_long_name_in_four_byte_letters_becomes_one_the_store_can_save(store, small_model):
    saved = store.add(small_model, "\U00020000" * 70, ModelCard("x", architecture="mlp"))
    again = store.add(small_model, "\U00020000" * 70, ModelCard("x", architecture="mlp"))
    assert saved.name != again.name and again.name.endswith("-2")
    assert safe_name(saved.name) == saved.name and store.get(again.name).path.is_file()


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
    assert store.active_name() == "default" and store.active().path == DEFAULT_MODEL_PATH
    (store.folder / "active.json").write_text(json.dumps({"path": str(store.folder / "gone.keras")}))
    assert store.active().path == DEFAULT_MODEL_PATH
    store.save(small_model, "older", ModelCard("older"))  # a pointer written by an earlier version
    (store.folder / "active.json").write_text(json.dumps({"path": str(store.folder / "older.keras")}))
    assert store.active_name() == "older"


def test_upload_of_a_real_model_is_stored(store, small_model, tmp_path):
    small_model.save(tmp_path / "mine.keras")
    stored = store.import_upload((tmp_path / "mine.keras").read_bytes(), "mine.keras")
    assert stored.name == "mine" and "uploaded" in stored.card.source
    again = store.import_upload((tmp_path / "mine.keras").read_bytes(), "mine.keras")
    assert again.name == "mine-2"
    # a capital extension, a name too long to show whole: stored, not refused as "not a .keras file"
    assert store.import_upload((tmp_path / "mine.keras").read_bytes(), "MINE.KERAS").name == "MINE"
    long = store.import_upload((tmp_path / "mine.keras").read_bytes(), "x" * 200 + ".keras")
    assert long.name.startswith("xxxx") and safe_name(long.name) == long.name


@pytest.mark.parametrize("payload, message", [(b"hello", "not a .keras file"), (b"", "not a .keras file")])
def test_upload_that_is_not_a_model_is_refused(store, payload, message):
    with pytest.raises(ModelError, match=message):
        store.import_upload(payload, "x.keras")
    assert [m.name for m in store.list()] == ["default"]


def test_card_fields_of_the_shipped_default():
    card = ModelStore().default().card
    for key in ("architecture", "parameters", "train_config", "augment", "seed", "training_seconds", "created",
                "versions", "command", "calibration"):
        assert getattr(card, key) not in (None, "", {}), key
    assert card.test_accuracy >= 0.992 and len(card.per_class("f1")) == 10 and not card.extra


def test_the_shipped_default_was_trained_by_the_best_preset_as_the_readme_says():
    from mnist_core.train_config import PRESETS, TrainConfig
    from tests.conftest import REPO

    card = ModelStore().default().card
    assert TrainConfig.from_dict(card.train_config) == PRESETS["best"]  # world mix, epochs, augmentation...
    assert card.command == "python -m mnist_core train --preset best --out assets/default_model.keras"
    assert card.command in (REPO / "README.md").read_text()
    assert f"{card.test_accuracy:.2%}" in (REPO / "README.md").read_text()  # the figure the README gives


# ---------------------------------------------------------------------------------------------
# Saves that die half-way, uploads that are refused, cards of trained models


def _saved(store, name, arch="mlp"):
    model = build_model(arch)
    store.save(model, name, ModelCard(name, architecture=arch))
    return model


def kill_a_save_half_way(path, arch: str = "mlp", truncate: bool = False) -> int:
    """Start a real process that saves a new `arch` model over `path` (through save_model_atomic), SIGKILL it
    while it writes (its new file cut to half when `truncate`), and return its exit code."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO

    cut = "    with open(path, 'r+b') as fh:\n        fh.truncate(Path(path).stat().st_size // 2)\n" if truncate else ""
    script = f"""
import time
from pathlib import Path
from mnist_core.models import build_model
from mnist_core.card import ModelCard
from mnist_core.store import save_model_atomic
model = build_model({arch!r})
real_save = model.save
def slow_save(path, *a, **k):
    real_save(path, *a, **k)
{cut}    print("writing", flush=True)
    time.sleep(60)
model.save = slow_save
save_model_atomic(model, Path({str(path)!r}), ModelCard("killed", architecture={arch!r}))
"""
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    return proc.returncode


def test_a_save_killed_half_way_leaves_the_previous_model_loadable(store, tmp_path):
    """A real process is SIGKILLed while it writes a new version over a stored model."""
    import signal

    from mnist_core.models import load_model

    old = _saved(store, "precious")
    old_bytes = store.get("precious").path.read_bytes()
    code = kill_a_save_half_way(store.get("precious").path, arch="simple_cnn", truncate=True)
    assert code == -signal.SIGKILL
    stored = store.get("precious")
    assert stored.path.read_bytes() == old_bytes and stored.card.architecture == "mlp"
    assert load_model(stored.path).count_params() == old.count_params()
    assert [m.name for m in store.list()] == ["default", "precious"]  # the leftover temp file is not listed


def test_a_save_that_fails_half_way_keeps_the_old_file_and_cleans_up(store, monkeypatch):
    from mnist_core.models import load_model

    old = _saved(store, "keep-me")
    new = build_model("simple_cnn")

    def broken_save(path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(new, "save", broken_save)
    with pytest.raises(StoreError, match="No space left on device"):
        store.save(new, "keep-me", ModelCard("keep-me", architecture="simple_cnn"))
    assert load_model(store.get("keep-me").path).count_params() == old.count_params()
    assert store.get("keep-me").card.architecture == "mlp"
    # the old model's ONNX export stays too, and still belongs to the old model
    assert sorted(p.name for p in store.folder.iterdir()) == ["keep-me.json", "keep-me.keras", "keep-me.onnx"]


def _keras_bytes(tmp_path, model, name="m.keras"):
    model.save(tmp_path / name)
    return (tmp_path / name).read_bytes()


def test_upload_refusals_are_clear_and_store_nothing(store, tmp_path, monkeypatch):
    import keras

    import mnist_core.store as store_module

    def seq(*layers, shape=(28, 28, 1)):
        return keras.Sequential([keras.Input(shape), *layers])

    cases = {
        "lambda.keras": (seq(keras.layers.Lambda(lambda x: x * 2), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")), "refused for safety"),
        "rgb.keras": (seq(keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax"), shape=(32, 32, 3)),
                      "input of shape"),
        "five.keras": (seq(keras.layers.Flatten(), keras.layers.Dense(5, activation="softmax")), "10 probabilities"),
        "logits.keras": (seq(keras.layers.Flatten(), keras.layers.Dense(10)), "softmax"),
    }
    for filename, (model, message) in cases.items():
        with pytest.raises(ModelError, match=message):
            store.import_upload(_keras_bytes(tmp_path, model, filename), filename)
    monkeypatch.setattr(store_module, "MAX_MODEL_BYTES", 1000)
    with pytest.raises(ModelError, match="over the"):
        store.import_upload(_keras_bytes(tmp_path, build_model("mlp")), "big.keras")
    assert [m.name for m in store.list()] == ["default"]
    assert not store.folder.exists() or not list(store.folder.glob("*.keras"))


def test_rename_keeps_the_model_its_card_its_export_and_the_class_choice(store, small_model):
    saved = store.save(small_model, "first-try", ModelCard("first-try", architecture="mlp", description="mine"))
    assert saved.path.with_suffix(".onnx").exists()  # the export written with it
    store.activate("first-try")
    before = saved.path.read_bytes()
    renamed = store.rename("first-try", "good-one")
    assert renamed.name == "good-one" and renamed.card.name == "good-one" and renamed.card.description == "mine"
    assert renamed.path.read_bytes() == before and not saved.path.exists()
    assert renamed.path.with_suffix(".onnx").exists() and not saved.path.with_suffix(".onnx").exists()
    assert store.active_name() == "good-one"  # the class still uses the same model
    assert [m.name for m in store.list()] == ["default", "good-one"]


@pytest.mark.parametrize("new, message", [("taken", "already a model named"), ("default", "reserved"),
                                          ("../x", "not a valid name")])
def test_rename_refuses_a_taken_reserved_or_unsafe_name_and_changes_nothing(store, small_model, new, message):
    store.save(small_model, "mine", ModelCard("mine"))
    store.save(small_model, "taken", ModelCard("taken", description="keep"))
    with pytest.raises(StoreError, match=message):
        store.rename("mine", new)
    assert sorted(m.name for m in store.list()) == ["default", "mine", "taken"]
    assert store.get("taken").card.description == "keep"
    with pytest.raises(StoreError, match="cannot be renamed"):
        store.rename("default", "other")


def test_mnist_models_dir_is_where_models_are_stored(tmp_path, monkeypatch, lab_home, small_model):
    """README: MNIST_MODELS_DIR overrides $MNIST_LAB_HOME/models for stored models."""
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "class-models"))
    saved = ModelStore().save(small_model, "elsewhere", ModelCard("elsewhere", architecture="mlp"))
    assert saved.path.parent == tmp_path / "class-models" and saved.path.is_file()
    assert not (lab_home / "models" / saved.path.name).exists()
    assert [m.name for m in ModelStore().list()] == ["default", "elsewhere"]  # and found there again
