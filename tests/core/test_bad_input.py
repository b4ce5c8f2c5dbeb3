"""Bad input of every kind ends in a clear, specific message (more cases live beside each module's tests)."""

import gzip
import struct

import numpy as np
import pytest

from mnist_core.augment import AugmentConfig
from mnist_core.data import load_mnist
from mnist_core.errors import ConfigError, DatasetError, ModelError, StoreError
from mnist_core.models import load_model
from mnist_core.predict import classify
from mnist_core.preprocess import prepare
from mnist_core.store import ModelStore
from mnist_core.train_config import TrainConfig
from tests.conftest import write_idx_set


def test_forged_header_claiming_a_billion_images_is_refused_without_allocating(tmp_path):
    write_idx_set(tmp_path)
    forged = struct.pack(">IIII", 2051, 1_000_000_000, 28, 28) + bytes(28 * 28 * 3)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(forged))
    with pytest.raises(DatasetError, match="header says 1,000,000,000 images"):
        load_mnist(tmp_path)


def test_labels_file_where_images_are_expected(tmp_path):
    write_idx_set(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes((tmp_path / "train-labels-idx1-ubyte.gz").read_bytes())
    with pytest.raises(DatasetError, match="wrong magic number 2049"):
        load_mnist(tmp_path)


def test_empty_and_directory_in_place_of_a_file(tmp_path):
    write_idx_set(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    with pytest.raises(DatasetError, match="not a gzip file"):
        load_mnist(tmp_path)


def test_npz_with_wrong_dtype_or_missing_arrays(tmp_path):
    written = write_idx_set(tmp_path / "idx")
    np.savez(tmp_path / "mnist.npz", **{**written, "x_train": written["x_train"].astype(np.float64)})
    with pytest.raises(DatasetError, match="expected uint8"):
        load_mnist(tmp_path)
    np.savez(tmp_path / "mnist.npz", x_train=written["x_train"])
    with pytest.raises(DatasetError, match="missing arrays"):
        load_mnist(tmp_path)
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DatasetError, match="not a readable .npz"):
        load_mnist(tmp_path)


@pytest.mark.parametrize(
    "image",
    [
        np.full((280, 280, 4), 255, np.uint8),  # all ink, opaque
        np.zeros((0, 0), np.uint8),  # nothing at all
        np.full((64, 64), -5.0),  # negative values
        np.zeros((64, 64), bool),  # boolean, blank
    ],
    ids=["all-ink", "zero-size", "negative", "bool-blank"],
)
def test_degenerate_images_never_crash(image):
    try:
        out = prepare(image)
    except ValueError as err:  # a readable reason is fine
        assert str(err)
    else:
        assert out is None or (out.shape == (28, 28) and np.isfinite(out).all())


def test_infinite_values_and_wrong_channel_count():
    with pytest.raises(ValueError, match="NaN or infinite"):
        prepare(np.full((28, 28), np.inf))
    with pytest.raises(ValueError, match="shape"):
        prepare(np.zeros((28, 28, 5)))


def test_a_list_instead_of_an_array_works():
    img = np.zeros((40, 40))
    img[10:30, 18:22] = 1
    assert prepare(img.tolist()).shape == (28, 28)


def test_classify_with_something_that_is_not_a_model():
    with pytest.raises((TypeError, AttributeError, ValueError)):
        classify(np.eye(28), model="not a model")


def test_model_file_that_is_a_text_file_renamed(tmp_path):
    path = tmp_path / "model.keras"
    path.write_text("import os; os.system('rm -rf /')")
    with pytest.raises(ModelError, match="not a .keras file"):
        load_model(path)


def test_upload_named_to_escape_the_folder_is_stored_under_a_safe_name(tmp_path, lab_home):
    from mnist_core.models import build_model

    build_model("mlp").save(tmp_path / "m.keras")
    stored = ModelStore().import_upload((tmp_path / "m.keras").read_bytes(), "../../etc/passwd.keras")
    assert stored.path.parent == ModelStore().folder and ".." not in stored.name


@pytest.mark.parametrize(
    "settings",
    [{"epochs": 10**6}, {"batch_size": -1}, {"learning_rate": float("nan")}, {"schedule": "wild"},
     {"label_smoothing": 0.9}, {"epochs": 2.5}],
    ids=["epochs-huge", "batch-negative", "lr-nan", "schedule-unknown", "smoothing", "epochs-float"],
)
def test_absurd_training_settings(settings):
    with pytest.raises(ConfigError):
        TrainConfig(**settings)


def test_absurd_augmentation():
    with pytest.raises(ConfigError, match="zoom"):
        AugmentConfig(zoom=5)
    with pytest.raises(ConfigError, match="seed"):
        AugmentConfig(seed=-1)


def test_unknown_stored_model():
    with pytest.raises(StoreError, match="no stored model"):
        ModelStore().get("never-saved")
