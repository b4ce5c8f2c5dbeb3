import gzip

import numpy as np
import pytest

from mnist_core.data import load_mnist, parse_idx_images, parse_idx_labels
from mnist_core.errors import DatasetError
from tests.conftest import idx_images, idx_labels, write_idx_set


@pytest.mark.parametrize("gz", [True, False])
def test_reads_idx_files_gzipped_or_not(tmp_path, gz):
    written = write_idx_set(tmp_path, gz=gz)
    data = load_mnist(tmp_path)
    for key, arr in written.items():
        got = getattr(data, key)
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arr)


def test_reads_npz_without_pickle(tmp_path):
    written = write_idx_set(tmp_path / "idx")
    np.savez(tmp_path / "mnist.npz", **written)
    data = load_mnist(tmp_path)
    np.testing.assert_array_equal(data.x_test, written["x_test"])


def test_pickled_npz_is_refused(tmp_path):
    written = write_idx_set(tmp_path / "idx")
    np.savez(tmp_path / "mnist.npz", **{**written, "y_train": np.array([object()] * 20, dtype=object)})
    with pytest.raises(DatasetError, match="pickled"):
        load_mnist(tmp_path)


def test_explicit_dir_wins_over_environment(tmp_path, monkeypatch):
    write_idx_set(tmp_path / "a", n_train=12)
    write_idx_set(tmp_path / "b", n_train=14)
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "b"))
    assert len(load_mnist(tmp_path / "a").x_train) == 12
    assert len(load_mnist().x_train) == 14


def test_keras_cache_npz_is_found(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    (tmp_path / "keras" / "datasets").mkdir(parents=True)
    written = write_idx_set(tmp_path / "idx")
    np.savez(tmp_path / "keras" / "datasets" / "mnist.npz", **written)
    np.testing.assert_array_equal(load_mnist().y_train, written["y_train"])


def test_nothing_found_without_download_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    with pytest.raises(DatasetError, match="MNIST_DATA_DIR"):
        load_mnist(download=False)


def _corrupt(tmp_path, name, payload, gz=True):
    write_idx_set(tmp_path)
    path = tmp_path / f"{name}.gz"
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


@pytest.mark.parametrize(
    "name, payload, message",
    [
        ("train-images-idx3-ubyte", idx_images(np.zeros((20, 28, 28)), magic=1234), "magic"),
        ("train-labels-idx1-ubyte", idx_labels(np.zeros(20), magic=2051), "magic"),
        ("train-images-idx3-ubyte", idx_images(np.zeros((20, 28, 28)))[:-100], "truncated"),
        ("train-labels-idx1-ubyte", idx_labels(np.zeros(20))[:-3], "truncated"),
        ("train-images-idx3-ubyte", idx_images(np.zeros((20, 32, 32))), "32x32"),
        ("train-labels-idx1-ubyte", idx_labels(np.full(20, 11)), "outside 0-9"),
        ("train-labels-idx1-ubyte", idx_labels(np.zeros(19)), "19 labels"),
        ("t10k-images-idx3-ubyte", b"\x00\x00", "too short"),
    ],
)
def test_damaged_files_name_the_file_and_the_problem(tmp_path, name, payload, message):
    _corrupt(tmp_path, name, payload)
    with pytest.raises(DatasetError, match=message) as info:
        load_mnist(tmp_path)
    assert name in str(info.value) or "labels" in str(info.value)


def test_not_gzip_and_truncated_gzip(tmp_path):
    path = _corrupt(tmp_path, "train-images-idx3-ubyte", b"plain bytes", gz=False)
    with pytest.raises(DatasetError, match="not a gzip file"):
        load_mnist(tmp_path)
    path.write_bytes(gzip.compress(idx_images(np.zeros((20, 28, 28))))[:-20])
    with pytest.raises(DatasetError, match="damaged or truncated"):
        load_mnist(tmp_path)


def test_missing_file_and_missing_folder(tmp_path):
    write_idx_set(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="missing t10k-labels"):
        load_mnist(tmp_path)
    with pytest.raises(DatasetError, match="no such folder"):
        load_mnist(tmp_path / "nope")


def test_parsers_on_bytes():
    x = np.arange(2 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(2, 28, 28)
    np.testing.assert_array_equal(parse_idx_images(idx_images(x)), x)
    np.testing.assert_array_equal(parse_idx_labels(idx_labels(np.array([3, 9]))), [3, 9])


@pytest.mark.mnist
def test_real_mnist_matches_its_published_counts(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.y_train.shape == (60000,) and mnist.y_test.dtype == np.uint8
    assert np.bincount(mnist.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert mnist.x_train.max() == 255 and mnist.x_train.min() == 0
