import numpy as np
import pytest

from mnist_core.errors import ModelError
from mnist_core.models import ARCHITECTURES, build_model, check_model_file, load_model


def test_shipped_default_loads_with_the_promised_shapes(default_model):
    out = np.asarray(default_model(np.zeros((3, 28, 28, 1), np.float32), training=False))
    assert out.shape == (3, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_architecture_builds_with_mnist_shapes(name):
    model = build_model(name)
    assert tuple(model.inputs[0].shape[1:]) == (28, 28, 1)
    out = np.asarray(model(np.zeros((2, 28, 28, 1), np.float32)))
    assert out.shape == (2, 10)


def test_unknown_architecture():
    with pytest.raises(ModelError, match="unknown architecture"):
        build_model("resnet9000")


def test_file_that_is_not_a_model(tmp_path):
    bad = tmp_path / "notes.keras"
    bad.write_text("hello")
    with pytest.raises(ModelError, match="not a .keras file"):
        load_model(bad)
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "missing.keras")
    h5 = tmp_path / "model.h5"
    h5.write_bytes(b"\x89HDF")
    with pytest.raises(ModelError, match=".keras file"):
        check_model_file(h5)


def test_zip_that_is_not_a_model(tmp_path):
    import zipfile

    path = tmp_path / "fake.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a model")
    with pytest.raises(ModelError, match="unexpected file .hello.txt."):
        load_model(path)


def test_wrong_shapes_are_refused(tmp_path):
    import keras

    wrong_in = keras.Sequential(
        [keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    )
    wrong_in.save(tmp_path / "in.keras")
    with pytest.raises(ModelError, match="input of shape"):
        load_model(tmp_path / "in.keras")
    wrong_out = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(5, activation="softmax")]
    )
    wrong_out.save(tmp_path / "out.keras")
    with pytest.raises(ModelError, match="10 probabilities"):
        load_model(tmp_path / "out.keras")
    logits = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    logits.save(tmp_path / "logits.keras")
    with pytest.raises(ModelError, match="softmax"):
        load_model(tmp_path / "logits.keras")


def test_lambda_layers_are_refused_by_safe_mode(tmp_path):
    import keras

    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Lambda(lambda x: x * 2),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ModelError, match="refused for safety"):
        load_model(tmp_path / "lambda.keras")


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    import mnist_core.models as models

    monkeypatch.setattr(models, "MAX_MODEL_BYTES", 1000)
    path = tmp_path / "big.keras"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 2000)
    with pytest.raises(ModelError, match="limit"):
        load_model(path)
