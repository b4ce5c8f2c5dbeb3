"""Uploaded models that cannot hurt the server: every attack of issue 13, refused before Keras reads it.

The cost estimate is checked against Keras itself (parameters and output shapes of real models); the
attacks are the issue's own, built by tests/bombs.py; memory is measured with tracemalloc (the refusal
happens before TensorFlow is involved, so Python's allocations are all there is).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import tomllib
import tracemalloc
from pathlib import Path

import pytest

from mnist_core.card import new_card
from mnist_core.errors import ModelError
from mnist_core.models import ARCHITECTURES, MAX_MODEL_BYTES, build_model
from mnist_core.store import ModelStore
from mnist_core.uploads import (
    MAX_FLOPS,
    MAX_LAYER_OUTPUT_BYTES,
    MAX_PARAMETERS,
    REFERENCE,
    check_archive,
    check_keras_bytes,
    check_keras_file,
    display_name,
    estimate_cost,
    load_upload,
)
from tests import bombs
from tests.conftest import REPO

MB = 2**20


@pytest.fixture(scope="module")
def valid() -> bytes:
    return bombs.keras_bytes(bombs.tiny_model())


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch) -> Path:
    """The system temporary folder, for this test only: what an upload leaves there is visible."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def config_of(data: bytes) -> dict:
    return json.loads(dict(bombs.members_of(data))["config.json"])


def refused(data: bytes, filename: str, match: str, private_tmp: Path | None = None) -> str:
    """load_upload refuses; returns the message after checking it names the file and no server path."""
    with pytest.raises(ModelError, match=match) as info:
        load_upload(data, filename)
    message = str(info.value)
    assert message.startswith(display_name(filename)), message
    assert tempfile.gettempdir() not in message and "/tmp" not in message and str(REPO) not in message
    if private_tmp is not None:
        assert list(private_tmp.iterdir()) == [], "the upload left files in the temporary folder"
    return message


def peak_bytes(fn) -> int:
    """Peak Python memory (bytes) while fn() runs, refusal included."""
    tracemalloc.start()
    try:
        fn()
    except ModelError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# -- the cost estimate against Keras ------------------------------------------------------------------


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_the_apps_own_architectures_pass_with_a_wide_margin(arch):
    model = build_model(arch)
    cost = check_keras_bytes(bombs.keras_bytes(model), f"{arch}.keras")
    assert cost.parameters == model.count_params()  # the oracle: Keras's own count
    assert cost.parameters * 30 <= MAX_PARAMETERS
    assert cost.flops * 25 <= MAX_FLOPS and cost.largest_output_bytes * 20 <= MAX_LAYER_OUTPUT_BYTES


def test_the_reference_figures_are_the_shipped_models():
    cost = check_keras_file(REPO / "assets" / "default_model.keras")
    assert {k: getattr(cost, k) for k in REFERENCE} == REFERENCE


def zoo():
    """Models using every kind of layer the estimate knows, as a student might build them."""
    import keras
    from keras import layers as L  # noqa: N812

    inp = keras.Input((28, 28, 1))
    a = L.Conv2D(8, 3, strides=2, padding="same", dilation_rate=1)(inp)
    b = L.SeparableConv2D(8, 5, padding="same", strides=2, depth_multiplier=2)(inp)
    merged = L.Concatenate()([a, b])
    x = L.Add()([L.DepthwiseConv2D(3, padding="same")(merged), merged])
    x = L.Conv2DTranspose(4, 3, strides=2, padding="valid")(x)
    x = L.ZeroPadding2D(((1, 2), (0, 3)))(x)
    x = L.Cropping2D(2)(x)
    x = L.AveragePooling2D(3, strides=2, padding="same")(x)
    x = L.LayerNormalization()(x)
    x = L.PReLU(shared_axes=[1, 2])(x)
    inner = keras.Sequential([L.Conv2D(6, 3, dilation_rate=2, padding="valid"), L.BatchNormalization()])
    x = inner(L.Resizing(20, 20)(x))
    x = L.GlobalMaxPooling2D()(x)
    x = L.Dense(10, activation="softmax")(L.Dropout(0.1)(x))
    functional = keras.Model(inp, x)

    sequence = keras.Sequential([
        keras.Input((28, 28, 1)),
        L.RandomRotation(0.1),
        L.Reshape((28, 28)),
        L.Permute((2, 1)),
        L.Bidirectional(L.GRU(12, return_sequences=True)),
        L.SimpleRNN(7),
        L.RepeatVector(3),
        L.LSTM(5),
        L.Dense(10, activation="softmax"),
    ])
    pools = keras.Sequential([
        keras.Input((28, 28)),
        L.Conv1D(8, 5, padding="causal"),
        L.MaxPooling1D(3),
        L.UpSampling1D(2),
        L.Conv1DTranspose(4, 3, strides=2),
        L.GlobalAveragePooling1D(),
        L.Dense(10, activation="softmax"),
    ])
    return {"functional": functional, "sequence": sequence, "pools": pools}


@pytest.mark.parametrize("kind", ["functional", "sequence", "pools"])
def test_the_estimate_matches_keras_on_every_layer_kind(kind):
    import numpy as np

    model = zoo()[kind]
    cost = estimate_cost(config_of(bombs.keras_bytes(model)), f"{kind}.keras")
    assert cost.parameters == model.count_params()
    assert model(np.zeros((1, *model.inputs[0].shape[1:]), np.float32)).shape == (1, 10)


def test_every_layer_output_shape_matches_keras():
    """Layer by layer: the largest output the estimate reports is the largest Keras makes."""
    import math

    model = zoo()["functional"]
    cost = estimate_cost(config_of(bombs.keras_bytes(model)), "zoo.keras")
    largest = max(math.prod(layer.output.shape[1:]) for layer in model.layers) * 4
    assert cost.largest_output_bytes == largest


# -- the attacks of issue 13 --------------------------------------------------------------------------


def test_the_upsampling_model_is_refused_before_building(private_tmp):
    data = bombs.upsampling_bomb()
    assert len(data) < 40_000
    message = refused(data, "tiny.keras", "1400x1400x1 numbers", private_tmp)
    assert "Refused before building it" in message
    assert peak_bytes(lambda: load_upload(data, "tiny.keras")) < 2 * MB


def test_a_config_padded_to_one_gib_is_refused_unread(valid, private_tmp):
    data = bombs.padded_config_bomb(valid)
    assert len(data) < 1.2 * MB
    refused(data, "padded.keras", r"config.json' unpacks to 1,02\d MB .* limit for it is 1.0 MB", private_tmp)
    assert peak_bytes(lambda: load_upload(data, "padded.keras")) < 2 * MB


@pytest.mark.parametrize("prefix, match", [("junk", "unexpected file 'junk0.bin'"),
                                           ("assets/junk", "assets/junk0.bin' unpacks to 250 MB")])
def test_eight_members_of_250_mib_are_refused_and_write_nothing(valid, private_tmp, prefix, match):
    data = bombs.extra_members_bomb(valid, prefix=prefix)
    assert len(data) < 2.5 * MB
    refused(data, "extra.keras", match, private_tmp)
    assert peak_bytes(lambda: load_upload(data, "extra.keras")) < 2 * MB


def test_a_file_named_active_keras_does_not_touch_the_active_model(valid):
    store = ModelStore()
    mine = store.add(build_model("mlp"), "mine", new_card(build_model("mlp"), name="mine"))
    store.activate(mine.name)
    model = load_upload(valid, "active.keras")
    card = new_card(model, name="active", source="uploaded as active.keras")
    stored = store.add(model, Path("active.keras").stem, card)
    assert stored.name not in ("active", "default")
    assert store.active_name() == "mine"
    store.activate(stored.name)
    card = stored.path.with_suffix(".json").read_text()
    assert str(store.folder) not in card and tempfile.gettempdir() not in card
    assert store.active_name() == stored.name


def test_two_models_uploaded_under_one_name_at_once_both_survive(valid):
    import keras

    other = bombs.keras_bytes(keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                                keras.layers.Dense(16), keras.layers.Dense(10, activation="softmax")]))
    store, names, errors = ModelStore(), [], []
    start = threading.Barrier(2)

    def upload(data: bytes) -> None:
        try:
            model = load_upload(data, "same.keras")
            start.wait()
            names.append(store.add(model, "same", new_card(model, name="same")).name)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=upload, args=(d,)) for d in (valid, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(names) == ["same", "same-2"]
    assert sorted(store.get(n).card.parameters for n in names) == [7850, 12730]


@pytest.mark.parametrize("member", ["../evil.json", "/etc/cron.d/evil", "assets/../../evil", "C:\\evil",
                                    "assets//x", "assets/\x01x"])
def test_names_that_leave_the_archive_are_refused(valid, member, private_tmp):
    data = bombs.zip_bytes([*bombs.members_of(valid), (member, b"x")])
    refused(data, "escape.keras", "points outside the archive", private_tmp)


@pytest.mark.parametrize("member, content, match", [
    ("assets/inner.zip", b"PK\x03\x04" + bytes(100), "holds another archive"),
    ("assets/data.bin", b"PK\x03\x04" + bytes(100), "another archive inside it"),
    ("assets/data.gz", b"\x1f\x8b" + bytes(100), "holds another archive"),
])
def test_nested_archives_are_refused(valid, member, content, match):
    refused(bombs.zip_bytes([*bombs.members_of(valid), (member, content)]), "nested.keras", match)


def test_weights_that_are_not_hdf5_and_missing_members(valid):
    members = dict(bombs.members_of(valid))
    refused(bombs.zip_bytes([(n, b"PK\x03\x04 zip" if n == "model.weights.h5" else d) for n, d in members.items()]),
            "w.keras", "not an HDF5 file")
    refused(bombs.zip_bytes([(n, d) for n, d in members.items() if n != "config.json"]), "c.keras", "no config.json")
    refused(bombs.zip_bytes([*members.items(), *members.items()]), "twice.keras", "twice")
    many = [*members.items(), *((f"assets/{i}.txt", b"x") for i in range(40))]
    refused(bombs.zip_bytes(many), "many.keras", "lists 43 files")


def test_configs_that_are_not_models(valid):
    members = dict(bombs.members_of(valid))

    def with_config(text: bytes) -> bytes:
        return bombs.zip_bytes([(n, text if n == "config.json" else d) for n, d in members.items()])

    refused(with_config(b"[" * 200_000), "deep.keras", "nests too deeply")
    refused(with_config(b"{not json"), "bad.keras", "not valid JSON")
    refused(with_config(b'{"class_name": "Sequential"}'), "empty.keras", "without layers")
    config = config_of(valid)
    config["config"]["layers"].insert(1, {"class_name": "Embedding", "config": {"input_dim": 10, "output_dim": 4}})
    refused(with_config(json.dumps(config).encode()), "emb.keras", "uses a Embedding layer")
    config = config_of(valid)
    config["config"]["layers"][1:1] = [{"class_name": "Dropout", "config": {"rate": 0.1}}] * 500
    refused(with_config(json.dumps(config).encode()), "long.keras", "more than 400 layers")
    config = config_of(valid)
    config["config"]["layers"].insert(1, {"class_name": "Dense", "config": {"units": 10**9}})
    refused(with_config(json.dumps(config).encode()), "wide.keras", "more than 10,000,000 parameters")


def test_a_lambda_layer_and_a_wrong_input_are_refused_before_keras(valid):
    import keras

    lam = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Flatten(),
                            keras.layers.Dense(10, activation="softmax")])
    refused(bombs.keras_bytes(lam), "lambda.keras", "refused for safety")
    rgb = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                            keras.layers.Dense(10, activation="softmax")])
    refused(bombs.keras_bytes(rgb), "rgb.keras", r"input of shape \(32, 32, 3\)")


def test_a_costly_but_honest_design_is_refused_by_its_operations():
    import keras

    big = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(64, 3, padding="same"),
                            *[keras.layers.Conv2D(64, 5, padding="same") for _ in range(12)],
                            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10, activation="softmax")])
    refused(bombs.keras_bytes(big), "big.keras", "million operations per image")


def test_keras_errors_name_the_users_file_and_no_temporary_path(valid, private_tmp):
    members = dict(bombs.members_of(valid))
    broken = bombs.zip_bytes([(n, b"\x89HDF\r\n\x1a\n" + bytes(200) if n == "model.weights.h5" else d)
                              for n, d in members.items()])
    message = refused(broken, "../../home/teacher/My model (2).keras", "cannot be loaded as a Keras model", private_tmp)
    assert message.startswith("My model (2).keras: ")
    assert "mnist-lab-upload" not in message


def test_a_valid_upload_loads_and_leaves_no_temporary_file(valid, private_tmp):
    model = load_upload(valid, "fine.keras")
    assert model.count_params() == 7850
    assert list(private_tmp.iterdir()) == []


def test_size_limits_match_everywhere(valid):
    refused(valid + bytes(MAX_MODEL_BYTES), "huge.keras", f"over the {MAX_MODEL_BYTES // MB} MB limit")
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_MODEL_BYTES // MB, "the uploader's limit is the app's"
    refused(b"hello", "notes.txt", "must be a .keras file")
    refused(b"hello", "fake.keras", "not a .keras file")
    refused(b"PK\x03\x04 torn", "torn.keras", "zip archive is damaged")


@pytest.mark.parametrize("filename, shown", [
    ("../../etc/passwd.keras", "passwd.keras"),
    ("C:\\Users\\me\\net.keras", "net.keras"),
    ("[click](http://x.y)/.keras", "upload.keras"),  # an extension and no name
    ("[click](http://x.y).keras", "x.y).keras"),
    ("[click](x.y) <b>.keras", "_click_(x.y) _b_.keras"),
    ("", "upload.keras"),
    ("a" * 300 + ".keras", "a" * 73 + "\u2026.keras"),  # 80 characters, the extension kept
    ("MODEL.KERAS", "MODEL.keras"),
    ("model.keras.exe", "model.keras.exe"),
    ("modèle élève.KERAS", "modèle élève.keras"),  # letters of any alphabet are kept
    ("模型\u202egpj.keras", "模型_gpj.keras"),  # a right-to-left override would show 'keras.jpg'
    ("हिंदी मॉडल.keras", "हिंदी मॉडल.keras"),  # vowel signs kept (QA: stored as 'ह__द_-म_डल')
])
def test_display_names(filename, shown):
    assert display_name(filename) == shown


def test_check_archive_reads_a_file_on_disk(tmp_path, valid):
    path = tmp_path / "m.keras"
    path.write_bytes(valid)
    assert check_archive(path, path.name)["class_name"] == "Sequential"
    os.chmod(path, 0o644)
    assert check_keras_file(path).parameters == 7850


@pytest.mark.parametrize("claimed, match", [(None, "lists 60,000 files in 3,"), (3, "lists 3 files in 3,")])
def test_a_zip_directory_of_sixty_thousand_entries_is_refused_unread(private_tmp, claimed, match):
    many = bombs.zip_bytes([(f"assets/{i}", b"") for i in range(60_000)], claimed_count=claimed)
    assert len(many) < 8 * MB
    refused(many, "dir.keras", f"its zip directory {match}", private_tmp)
    assert peak_bytes(lambda: load_upload(many, "dir.keras")) < 2 * MB


def test_random_damage_gives_a_model_error_or_a_clean_pass(valid):
    """A thousand corrupted copies of a valid file: never anything but ModelError (or acceptance)."""
    import random

    rng = random.Random(13)
    outcomes = {"refused": 0, "passed": 0}
    for _ in range(1000):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data))]
        try:
            check_keras_bytes(bytes(data), "fuzz.keras")
            outcomes["passed"] += 1
        except ModelError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == 1000


def test_random_configs_give_a_model_error_or_a_cost():
    """Configs with values swapped for the wrong kinds: the estimate refuses, it never crashes."""
    import copy
    import random

    rng = random.Random(7)
    base = config_of(bombs.keras_bytes(zoo()["functional"]))
    junk = [None, -1, 0, 10**12, "x", [], {}, [1, "a"], {"class_name": "__keras_tensor__"}, 2.5, True]

    def nodes(value):
        if isinstance(value, dict):
            for key in list(value):
                yield value, key
                yield from nodes(value[key])
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield value, i
                yield from nodes(item)

    for _ in range(400):
        config = copy.deepcopy(base)
        places = list(nodes(config))
        for _ in range(rng.randint(1, 4)):
            parent, key = rng.choice(places)
            parent[key] = rng.choice(junk)
        try:
            estimate_cost(config, "fuzz.keras")
        except ModelError:
            pass
