"""The ONNX export beside every stored model, and predicting with it (ONNX Runtime) instead of Keras."""

import logging
import threading

import numpy as np
import pytest

from mnist_core.card import ModelCard
from mnist_core.errors import ModelError
from mnist_core.export import (
    ExportError,
    OnnxModel,
    export_beside,
    file_sha256,
    load_onnx,
    onnx_path,
)
from mnist_core.models import build_model, load_model
from mnist_core.paths import DEFAULT_MODEL_PATH
from mnist_core.predict import ModelCache, classify, probabilities
from mnist_core.store import ModelStore, save_model_atomic
from mnist_core.synth import digit_image

REGENERATE = "python -m mnist_core export assets/default_model.keras"


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models")


def test_the_shipped_export_is_the_shipped_model():
    """Retraining the shipped model without exporting it again would leave Draw on TensorFlow."""
    assert onnx_path(DEFAULT_MODEL_PATH).is_file(), f"run: {REGENERATE}"
    assert load_onnx(DEFAULT_MODEL_PATH).source_sha256 == file_sha256(DEFAULT_MODEL_PATH), f"stale: run {REGENERATE}"


def test_onnx_agrees_with_keras_on_mnist_test_digits(mnist, default_model):
    """The oracle: the Keras model itself, on 2,000 real test digits."""
    onnx = load_onnx(DEFAULT_MODEL_PATH)
    x = (mnist.x_test[:2000].astype(np.float32) / 255.0)[..., None]
    keras_p, onnx_p = probabilities(default_model, x), probabilities(onnx, x)
    assert onnx_p.shape == (2000, 10) and onnx_p.dtype == np.float32
    assert (onnx_p.argmax(1) == keras_p.argmax(1)).all()
    assert np.abs(onnx_p - keras_p).max() < 1e-4
    assert (onnx_p.argmax(1) == mnist.y_test[:2000]).mean() > 0.99


@pytest.mark.parametrize("digit", [0, 3, 7, 8])
def test_a_drawing_gets_the_same_answer_from_both(default_model, digit):
    onnx = load_onnx(DEFAULT_MODEL_PATH)
    by_onnx, by_keras = classify(digit_image(digit), onnx), classify(digit_image(digit), default_model)
    assert by_onnx.digit == by_keras.digit == digit
    np.testing.assert_allclose(by_onnx.probabilities, by_keras.probabilities, atol=1e-5)


@pytest.mark.parametrize("architecture", ["mlp", "simple_cnn", "row_lstm"])
def test_every_architecture_is_stored_with_a_matching_export(store, architecture):
    model = build_model(architecture)  # never called: the export calls it first (Keras needs that)
    stored = store.add(model, architecture, ModelCard(architecture))
    assert onnx_path(stored.path).is_file()
    x = np.random.default_rng(1).random((5, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(probabilities(load_onnx(stored.path), x),
                               probabilities(load_model(stored.path), x), atol=1e-5)


def test_save_replaces_the_export_with_the_new_models_and_delete_removes_it(store):
    first = store.save(build_model("mlp"), "mine", ModelCard("mine"))
    before = load_onnx(first.path).source_sha256
    second = store.save(build_model("simple_cnn"), "mine", ModelCard("mine"))
    assert load_onnx(second.path).source_sha256 == file_sha256(second.path) != before
    store.delete("mine")
    assert not list(store.folder.iterdir())


def test_a_stale_export_is_refused_and_the_cache_falls_back_to_keras(store, caplog):
    """The .keras replaced behind the store's back (or a crash between the two renames): the export
    no longer names it, so answers come from Keras, and the log says why."""
    stored = store.save(build_model("mlp"), "swapped", ModelCard("swapped"))
    build_model("simple_cnn").save(stored.path)  # a different model under the same name, no new export
    with pytest.raises(ModelError, match="stale"):
        load_onnx(stored.path)
    with caplog.at_level(logging.WARNING):
        predictor = ModelCache().predictor(stored.path)
    assert not isinstance(predictor, OnnxModel) and predictor.name == "simple_cnn"
    assert any("stale" in r.getMessage() and "Keras" in r.getMessage() for r in caplog.records)


def test_a_model_that_cannot_be_exported_is_stored_without_and_answers_with_keras(store, monkeypatch, caplog):
    import mnist_core.export as export

    def refuse(model, *args, **kwargs):
        raise ExportError(f"cannot export {model.name} to ONNX: an unknown layer")

    monkeypatch.setattr(export, "write_onnx", refuse)
    with caplog.at_level(logging.WARNING):
        stored = store.add(build_model("mlp"), "plain", ModelCard("plain"))
        save_model_atomic(build_model("mlp"), store.folder / "file.keras")
    assert sorted(p.name for p in store.folder.iterdir()) == ["file.keras", "plain.json", "plain.keras"]
    assert sum("stored without an ONNX export" in r.getMessage() for r in caplog.records) == 2
    with caplog.at_level(logging.WARNING):
        predictor = ModelCache().predictor(stored.path)
    assert not isinstance(predictor, OnnxModel)
    assert any("no ONNX export" in r.getMessage() for r in caplog.records)
    assert classify(digit_image(1), predictor) is not None


def test_a_broken_export_file_falls_back_to_keras(store, caplog):
    stored = store.save(build_model("mlp"), "broken", ModelCard("broken"))
    onnx_path(stored.path).write_bytes(b"not an onnx file")
    with caplog.at_level(logging.WARNING):
        assert not isinstance(ModelCache().predictor(stored.path), OnnxModel)
    assert any("ONNX Runtime" in r.getMessage() for r in caplog.records)


def test_each_file_is_loaded_once_for_all_threads_and_a_new_export_is_picked_up(store, monkeypatch):
    import mnist_core.predict as predict

    stored = store.save(build_model("mlp"), "shared", ModelCard("shared"))
    loads = []
    real = predict.load_onnx
    monkeypatch.setattr(predict, "load_onnx", lambda path: loads.append(path) or real(path))
    cache, got = ModelCache(), []
    threads = [threading.Thread(target=lambda: got.append(cache.predictor(stored.path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and all(p is got[0] for p in got) and isinstance(got[0], OnnxModel)
    assert cache.is_ready(stored.path) and not cache.is_loaded(stored.path)  # TensorFlow never needed
    export_beside(stored.path)  # a new export file (same model): a new file version
    assert cache.predictor(stored.path) is not got[0] and len(loads) == 2


def test_the_cli_writes_the_export(tmp_path):
    from mnist_core.__main__ import main

    path = tmp_path / "m.keras"
    build_model("mlp").save(path)
    assert main(["export", str(path)]) == 0
    assert load_onnx(path).source_sha256 == file_sha256(path)
    assert main(["export", str(tmp_path / "missing.keras")]) == 2  # a readable error, no traceback


def test_calibration_through_the_export_fits_the_same_thresholds(mnist, default_model):
    """calibrate() predicts with whatever it is given: load_predictor hands it the ONNX export."""
    from mnist_core.calibrate import calibrate
    from mnist_core.predict import load_predictor

    predictor = load_predictor(DEFAULT_MODEL_PATH)
    assert isinstance(predictor, OnnxModel)
    by_onnx = calibrate(predictor, mnist.x_test, mnist.y_test, n_digits=150, n_other=15)
    by_keras = calibrate(default_model, mnist.x_test, mnist.y_test, n_digits=150, n_other=15)
    assert by_onnx.sure_at == pytest.approx(by_keras.sure_at, abs=1e-3)
    assert by_onnx.digit_at == pytest.approx(by_keras.digit_at, abs=1e-3)
