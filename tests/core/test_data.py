import gzip
import os
import re

import numpy as np
import pytest

from mnist_core.data import load_mnist, parse_idx_images, parse_idx_labels
from mnist_core.errors import DatasetError
from tests.conftest import idx_images, idx_labels, write_idx_set
from tests.core.test_handwriting_safety import PERMISSIONS_APPLY


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


# -- hostile and unreadable files (issue 13) ---------------------------------------------------------


def _peak(fn) -> tuple[int, Exception | None]:
    """Peak Python memory (bytes) while fn() runs, and the error it raised."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        raised = None
    except Exception as err:  # noqa: BLE001 - returned to the test
        raised = err
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, raised


@pytest.mark.parametrize("honest_header, message", [
    (True, r"header says 1,369,5\d\d images \(1,024 MB unpacked\).*nothing more of it was read"),
    (False, "holds more data than its header says"),
])
def test_a_1_mb_gz_that_unpacks_to_1_gib_is_refused_with_little_memory(tmp_path, honest_header, message):
    from tests.bombs import idx_gzip_bomb

    write_idx_set(tmp_path)
    bomb = idx_gzip_bomb(honest_header=honest_header)
    assert len(bomb) < 1.2 * 2**20
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(bomb)
    peak, err = _peak(lambda: load_mnist(tmp_path))
    assert isinstance(err, DatasetError) and re.search(message, str(err)), err
    assert str(err).startswith("train-images-idx3-ubyte.gz: ") and str(tmp_path) not in str(err)
    assert peak < 2**20, f"{peak / 2**20:.1f} MB to refuse it"


def test_an_uncompressed_file_longer_than_its_header_is_refused_unread(tmp_path):
    write_idx_set(tmp_path, gz=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    with open(path, "ab") as fh:
        fh.truncate(2**30)  # a sparse gigabyte of trailing bytes
    peak, err = _peak(lambda: load_mnist(tmp_path))
    assert isinstance(err, DatasetError) and "has trailing bytes" in str(err) and peak < 2**20


def _npz_with(tmp_path, key: str, member: bytes):
    import zipfile

    written = write_idx_set(tmp_path / "idx")
    path = tmp_path / "mnist.npz"
    np.savez(path, **written)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[f"{key}.npy"] = member
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    return path


@pytest.mark.parametrize("shape, message", [
    ((10**12, 28, 28), "claims 1,000,000,000,000 items"),
    ((2**62, 28, 28), "claims"),
    ((600, 28, 28), "should hold 470,400 bytes of data"),
    ((60, 28, 29), r"expected uint8 \(N, 28, 28\)"),
])
def test_an_npz_header_with_a_huge_or_wrong_shape_is_refused_before_allocating(tmp_path, shape, message):
    from tests.bombs import npy_header

    _npz_with(tmp_path, "x_train", npy_header(shape))
    peak, err = _peak(lambda: load_mnist(tmp_path))
    assert isinstance(err, DatasetError) and re.search(message, str(err)), err
    assert str(err).startswith("mnist.npz: ") and peak < 2**20


def test_an_npz_with_a_damaged_header_is_a_dataset_error(tmp_path):
    _npz_with(tmp_path, "y_test", b"\x93NUMPY\x01\x00\x10\x00{'descr': nonsense")
    with pytest.raises(DatasetError, match="mnist.npz: the header of y_test is damaged"):
        load_mnist(tmp_path)
    _npz_with(tmp_path, "y_test", b"\x93NUMPY\x09\x00")
    with pytest.raises(DatasetError, match="mnist.npz: the header of y_test is damaged"):
        load_mnist(tmp_path)


def test_symbolic_link_loops_are_named(tmp_path):
    folder = tmp_path / "mnist"
    write_idx_set(folder)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    (folder / "train-labels-idx1-ubyte.gz").symlink_to(folder / "train-labels-idx1-ubyte.gz")
    with pytest.raises(DatasetError, match="train-labels-idx1-ubyte.gz: cannot be read: .*symbolic link .* loop"):
        load_mnist(folder)
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(DatasetError, match="^The MNIST folder 'a': cannot be read: it is a symbolic link") as info:
        load_mnist(tmp_path / "a")
    assert str(tmp_path) not in str(info.value)
    (tmp_path / "loop.npz").symlink_to(tmp_path / "loop.npz")
    with pytest.raises(DatasetError, match="^loop.npz: cannot be read: .*loop"):
        load_mnist(tmp_path / "loop.npz")


def test_permission_denied_is_named_not_raised(tmp_path, monkeypatch):
    """Root reads everything, so the refusal of the system is simulated where it happens (os.stat, open)."""
    import builtins
    import errno

    folder = tmp_path / "mnist"
    write_idx_set(folder)
    real_stat, real_open = os.stat, builtins.open

    def stat(path, *args, **kwargs):
        if str(path).startswith(f"{folder}/"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    with pytest.raises(DatasetError, match="^train-images-idx3-ubyte.gz: cannot be read: permission denied") as info:
        load_mnist(folder)
    assert str(tmp_path) not in str(info.value)
    monkeypatch.setattr(os, "stat", real_stat)

    def deny(path, *args, **kwargs):
        if str(path).endswith("t10k-labels-idx1-ubyte.gz"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    with pytest.raises(DatasetError, match="^t10k-labels-idx1-ubyte.gz: cannot be read: permission denied"):
        load_mnist(folder)


@pytest.mark.skipif(not PERMISSIONS_APPLY, reason="root reads files whatever their permissions")
def test_an_unreadable_folder_and_file_for_real(tmp_path):
    folder = tmp_path / "mnist"
    write_idx_set(folder)
    (folder / "train-images-idx3-ubyte.gz").chmod(0)
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz: cannot be read: permission denied"):
        load_mnist(folder)
    folder.chmod(0)
    try:
        with pytest.raises(DatasetError, match="^The MNIST folder 'mnist': cannot be read: permission denied"):
            load_mnist(folder)
    finally:
        folder.chmod(0o755)


def test_messages_name_files_not_server_paths(tmp_path):
    with pytest.raises(DatasetError) as info:
        load_mnist(tmp_path / "deep" / "inside" / "nope")
    assert "'nope'" in str(info.value) and str(tmp_path) not in str(info.value)
    written = write_idx_set(tmp_path / "ok")
    data = load_mnist(tmp_path / "ok")
    assert str(tmp_path) not in data.source and data.path == str(tmp_path / "ok")
    np.savez(tmp_path / "ok2.npz", **written)
    assert load_mnist(tmp_path / "ok2.npz").source == "ok2.npz"


def test_random_damage_gives_a_dataset_error_or_the_data(tmp_path):
    """Hundreds of corrupted copies of the gzipped IDX files and of mnist.npz: never anything but DatasetError."""
    import random

    rng = random.Random(3)
    written = write_idx_set(tmp_path / "good")
    np.savez_compressed(tmp_path / "good.npz", **written)
    originals = {p.name: p.read_bytes() for p in (tmp_path / "good").iterdir()}
    npz = (tmp_path / "good.npz").read_bytes()
    for trial in range(300):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        victim = rng.choice([*originals, "mnist.npz"])
        data = bytearray(npz if victim == "mnist.npz" else originals[victim])
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data))]
        if victim == "mnist.npz":
            (folder / "mnist.npz").write_bytes(bytes(data))
        else:
            for name, payload in originals.items():
                (folder / name).write_bytes(bytes(data) if name == victim else payload)
        try:
            load_mnist(folder)
        except DatasetError as err:
            assert str(tmp_path) not in str(err)
