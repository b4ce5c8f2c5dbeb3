"""The class's handwriting store: real SQLite files in each test's own MNIST_LAB_HOME."""

import csv
import datetime as dt
import io
import sqlite3
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from mnist_core.errors import InputError, StoreError
from mnist_core.handwriting import (
    MAX_PNG_BYTES,
    PNG_SIGNATURE,
    DamagedDatabaseError,
    HandwritingStore,
    evaluate_handwriting,
    set_aside,
)
from tests.conftest import REPO


def png_of(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image * 255, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def some_input(seed: int) -> np.ndarray:
    """(28, 28) float32 in [0, 1], different for every seed."""
    return np.random.default_rng(seed).random((28, 28), dtype=np.float32)


@pytest.fixture
def store(lab_home):
    return HandwritingStore()


@pytest.fixture
def filled(store):
    """12 samples with labels 0, 1, 2, 0, 1, 2, ...; returns (store, ids oldest first)."""
    ids = [store.add(i % 3, png_of(some_input(i)) if i % 2 else None, some_input(i)) for i in range(12)]
    return store, ids


def test_default_path_is_in_the_lab_home_and_configurable(lab_home, tmp_path, monkeypatch):
    assert HandwritingStore().path == lab_home / "handwriting.sqlite"
    assert (lab_home / "handwriting.sqlite").is_file()
    monkeypatch.setenv("MNIST_HANDWRITING_DB", str(tmp_path / "new" / "folder" / "ours.sqlite"))
    store = HandwritingStore()
    assert store.path == tmp_path / "new" / "folder" / "ours.sqlite" and store.path.is_file()
    assert len(store) == 0


def test_round_trip(store):
    x, png = some_input(1), png_of(some_input(1))
    sample_id = store.add(7, png, x)
    sample = store.get(sample_id)
    assert (sample.id, sample.label, sample.raw_png) == (sample_id, 7, png)
    assert sample.model_input.dtype == np.float32 and sample.model_input.shape == (28, 28)
    np.testing.assert_array_equal(sample.model_input, x)
    created = dt.datetime.fromisoformat(sample.created)
    assert created.utcoffset() == dt.timedelta(0)
    assert store.get(store.add(0, None, np.zeros((28, 28)))).raw_png is None


def test_a_new_store_on_the_same_file_sees_the_samples(store):
    sample_id = store.add(4, None, some_input(4))
    again = HandwritingStore(store.path)
    assert len(again) == 1 and again.get(sample_id).label == 4


def test_list_is_newest_first_with_filter_and_paging(filled):
    store, ids = filled
    listed = store.list()
    assert [s.id for s in listed] == ids[::-1]
    np.testing.assert_array_equal(listed[-1].model_input, some_input(0))
    ones = store.list(label=1)
    assert [s.id for s in ones] == [ids[i] for i in range(12) if i % 3 == 1][::-1]
    assert all(s.label == 1 for s in ones)
    pages = [store.list(limit=5, offset=o) for o in (0, 5, 10)]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [s.id for p in pages for s in p] == ids[::-1]
    assert [s.id for s in store.list(label=2, limit=2, offset=1)] == [ids[8], ids[5]]
    assert store.list(offset=100) == [] and store.list(label=9) == []
    assert store.list(limit=0) == []


def test_relabel(filled):
    store, ids = filled
    before = store.counts()
    store.relabel(ids[0], 9)
    assert store.get(ids[0]).label == 9
    assert list(store.counts() - before) == [-1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    np.testing.assert_array_equal(store.get(ids[0]).model_input, some_input(0))  # only the label changed
    with pytest.raises(StoreError, match="no saved drawing"):
        store.relabel(10_000, 3)
    with pytest.raises(ValueError, match="0-9"):
        store.relabel(ids[1], 10)
    assert store.get(ids[1]).label == 1


def test_delete(filled):
    store, ids = filled
    store.delete(ids[3])
    assert len(store) == 11 and ids[3] not in [s.id for s in store.list()]
    with pytest.raises(StoreError, match="no saved drawing"):
        store.get(ids[3])
    with pytest.raises(StoreError, match="no saved drawing"):
        store.delete(ids[3])
    assert store.add(5, None, some_input(99)) > max(ids), "ids are never reused"


def test_counts_and_len(filled):
    store, ids = filled
    store.add(9, None, some_input(50))
    labels = [i % 3 for i in range(12)] + [9]
    np.testing.assert_array_equal(store.counts(), np.bincount(labels, minlength=10))
    assert store.counts().shape == (10,) and len(store) == 13


def test_arrays_are_oldest_first(filled):
    store, ids = filled
    x, y = store.arrays()
    assert x.shape == (12, 28, 28) and x.dtype == np.float32
    assert y.shape == (12,) and y.dtype == np.uint8
    np.testing.assert_array_equal(x, np.stack([some_input(i) for i in range(12)]))
    np.testing.assert_array_equal(y, [i % 3 for i in range(12)])


def test_arrays_of_an_empty_store(store):
    x, y = store.arrays()
    assert x.shape == (0, 28, 28) and x.dtype == np.float32 and y.shape == (0,) and y.dtype == np.uint8


def test_export_npz_loads_without_pickle(filled):
    store, ids = filled
    with np.load(io.BytesIO(store.export_npz()), allow_pickle=False) as npz:
        assert set(npz.files) == {"x", "y", "ids", "created"}
        x, y = store.arrays()
        np.testing.assert_array_equal(npz["x"], x)
        np.testing.assert_array_equal(npz["y"], y)
        np.testing.assert_array_equal(npz["ids"], ids)
        assert list(npz["created"]) == [s.created for s in store.list()][::-1]


def test_export_csv(filled):
    store, ids = filled
    rows = list(csv.reader(io.StringIO(store.export_csv().decode("utf-8"))))
    header, body = rows[0], rows[1:]
    assert len(header) == 787 and header[:4] == ["id", "label", "created", "pixel_0"] and header[-1] == "pixel_783"
    assert len(body) == 12 and all(len(r) == 787 for r in body)
    assert [int(r[0]) for r in body] == ids and [int(r[1]) for r in body] == [i % 3 for i in range(12)]
    pixels = np.array([[int(v) for v in r[3:]] for r in body])
    assert pixels.min() >= 0 and pixels.max() <= 255
    expected = np.rint(np.stack([some_input(i) for i in range(12)]).reshape(12, -1) * 255)
    np.testing.assert_array_equal(pixels, expected)


def test_exports_of_an_empty_store(store):
    assert len(list(csv.reader(io.StringIO(store.export_csv().decode())))) == 1
    with np.load(io.BytesIO(store.export_npz()), allow_pickle=False) as npz:
        assert npz["x"].shape == (0, 28, 28)


@pytest.mark.parametrize(
    ("label", "raw_png", "model_input", "message"),
    [
        (-1, None, np.zeros((28, 28)), "0-9"),
        (10, None, np.zeros((28, 28)), "0-9"),
        (3.0, None, np.zeros((28, 28)), "whole number"),
        ("3", None, np.zeros((28, 28)), "whole number"),
        (True, None, np.zeros((28, 28)), "digit"),
        (3, None, np.zeros((28, 27)), "28x28"),
        (3, None, np.zeros(784), "28x28"),
        (3, None, np.full((28, 28), np.nan), "NaN"),
        (3, None, np.full((28, 28), np.inf), "NaN or infinite"),
        (3, None, np.full((28, 28), 255.0), r"\[0, 1\]"),
        (3, None, np.full((28, 28), -0.5), r"\[0, 1\]"),
        (3, None, np.full((28, 28), "a"), "numbers"),
        (3, b"GIF89a....", np.zeros((28, 28)), "not a PNG"),
        (3, "a string", np.zeros((28, 28)), "PNG bytes"),
        (3, PNG_SIGNATURE + bytes(MAX_PNG_BYTES), np.zeros((28, 28)), "limit"),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_saved(store, label, raw_png, model_input, message):
    with pytest.raises(ValueError, match=message):
        store.add(label, raw_png, model_input)
    assert len(store) == 0


def test_numpy_labels_and_inputs_are_accepted(store):
    sample_id = store.add(np.uint8(6), bytearray(png_of(some_input(2))), some_input(2).astype(np.float64))
    sample = store.get(sample_id)
    assert sample.label == 6 and type(sample.label) is int and sample.model_input.dtype == np.float32


@pytest.mark.parametrize("kind", ["garbage", "truncated"])
def test_a_damaged_database_is_refused_and_left_untouched(lab_home, kind):
    path = lab_home / "handwriting.sqlite"
    if kind == "garbage":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    else:
        store = HandwritingStore(path)
        for i in range(40):
            store.add(i % 10, png_of(some_input(i)), some_input(i))
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    damaged = path.read_bytes()
    with pytest.raises(DamagedDatabaseError, match="damaged") as info:
        store = HandwritingStore()
        store.list(), store.arrays(), store.add(1, None, some_input(0))  # whichever step meets the damage
    assert path.name in str(info.value) and str(path.parent) not in str(info.value) and info.value.path == path
    assert path.read_bytes() == damaged, "the damaged file was changed"
    assert isinstance(info.value, StoreError)


def test_set_aside_keeps_the_damaged_bytes_and_frees_the_path(lab_home):
    path = lab_home / "handwriting.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        HandwritingStore()
    aside = set_aside(path)
    assert aside.read_bytes() == b"not a database at all" * 100 and ".damaged-" in aside.name
    assert not path.exists()
    assert len(HandwritingStore()) == 0 and aside.exists()


def test_another_programs_database_is_refused_untouched(lab_home):
    path = lab_home / "handwriting.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE grades (name TEXT, mark INTEGER)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a handwriting collection.*grades"):
        HandwritingStore()
    assert path.read_bytes() == before


def test_a_database_from_a_newer_app_is_refused(store):
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="newer version"):
        HandwritingStore(store.path)


def test_a_locked_database_gives_a_clear_error_and_loses_nothing(lab_home):
    store = HandwritingStore(timeout=0.1)
    first = store.add(1, None, some_input(1))
    other = sqlite3.connect(store.path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError, match="busy.*try again"):
            store.add(2, None, some_input(2))
        with pytest.raises(StoreError, match="busy"):
            store.relabel(first, 5)
        assert [s.id for s in store.list()] == [first], "readers still read while a writer holds the lock (WAL)"
    finally:
        other.rollback()
        other.close()
    store.add(3, None, some_input(3))
    assert [s.label for s in store.list()] == [3, 1]


def test_concurrent_adds_from_threads_all_land(lab_home):
    path = lab_home / "shared.sqlite"
    n_threads, per_thread = 6, 15
    ids: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(n_threads)

    def worker(t: int) -> None:
        try:
            start.wait()
            store = HandwritingStore(path)  # like a Streamlit session: its own store object, same file
            for i in range(per_thread):
                ids.append(store.add((t + i) % 10, None, some_input(t * 100 + i)))
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = HandwritingStore(path)
    assert len(store) == n_threads * per_thread == len(set(ids))
    assert sorted(s.id for s in store.list()) == sorted(ids)
    expected = np.bincount([(t + i) % 10 for t in range(n_threads) for i in range(per_thread)], minlength=10)
    np.testing.assert_array_equal(store.counts(), expected)


def test_evaluate_handwriting_against_the_model_called_directly(store):
    from mnist_core.evaluate import evaluate
    from mnist_core.models import build_model

    assert evaluate_handwriting(build_model("mlp"), store) is None
    model = build_model("mlp")
    for i in range(20):
        store.add(i % 10, None, some_input(i))
    x, y = store.arrays()
    oracle = evaluate(model, x, y)
    result = evaluate_handwriting(model, store, batch_size=7)  # several batches
    assert result.accuracy == pytest.approx(oracle.accuracy)
    np.testing.assert_array_equal(result.predicted, oracle.predicted)
    np.testing.assert_array_equal(result.confusion, oracle.confusion)
    ids = np.array([s.id for s in store.list()][::-1])
    np.testing.assert_array_equal(result.ids, ids)
    np.testing.assert_array_equal(result.labels, y)


def test_the_store_does_not_import_tensorflow_or_streamlit():
    code = ("import sys, mnist_core.handwriting; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_drawings_of_the_last_minutes_are_counted_and_deleted_together(filled):
    store, ids = filled
    with sqlite3.connect(store.path) as con:  # the first four were saved an hour ago
        con.executemany("UPDATE samples SET created = ? WHERE id = ?",
                        [((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(timespec="seconds"), i)
                         for i in ids[:4]])
    assert store.count_since(300) == 8 and store.count_since(2 * 3600) == 12
    assert store.delete_since(300) == 8
    assert sorted(s.id for s in store.list()) == ids[:4] and store.count_since(300) == 0
    for bad in (0, -5, float("nan"), "300", 1e12):
        with pytest.raises(InputError):
            store.delete_since(bad)
    assert len(store) == 4
