"""Leftovers of a killed save are removed at start-up; nothing that holds saved work ever is."""

from __future__ import annotations

import os
import time

from mnist_core import housekeeping
from mnist_core.card import ModelCard
from mnist_core.handwriting import HandwritingStore
from mnist_core.models import build_model, load_model
from mnist_core.paths import handwriting_db_path, models_dir
from mnist_core.store import ModelStore
from tests.core.test_handwriting import some_input
from tests.core.test_store import kill_a_save_half_way


def age(path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_model_save_killed_with_sigkill_leaves_a_leftover_that_start_up_removes(lab_home):
    store = ModelStore()
    store.save(build_model("mlp"), "precious", ModelCard("precious", architecture="mlp"))
    before = store.get("precious").path.read_bytes()
    kill_a_save_half_way(store.get("precious").path)
    leftover = [p for p in models_dir().iterdir() if p.name.startswith(".precious.")]
    assert len(leftover) == 1 and leftover[0].name.endswith(".tmp.keras")
    assert housekeeping.clean_leftovers() == [], "a young leftover may be another server's save in progress"
    age(leftover[0], 3600)
    assert housekeeping.clean_leftovers() == [leftover[0].name]
    assert sorted(p.name for p in models_dir().iterdir()) == ["precious.json", "precious.keras", "precious.onnx"]
    assert store.get("precious").path.read_bytes() == before and load_model(store.get("precious").path)


def test_only_the_apps_own_temporary_files_go(lab_home, tmp_path):
    models, db, tmp = models_dir(), handwriting_db_path(), tmp_path / "system-tmp"
    models.mkdir(parents=True)
    tmp.mkdir()
    store = HandwritingStore(db)
    store.add(3, None, some_input(3))
    wal, shm = db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")
    con_keeps_wal = __import__("sqlite3").connect(db)  # an open reader keeps -wal and -shm in place
    con_keeps_wal.execute("SELECT 1 FROM samples").fetchall()
    store.add(4, None, some_input(4))
    doomed = [models / ".mine.k2j4l1x8.tmp.keras", models / ".active.abc123_9.tmp.json",
              db.with_name(f".{db.name}.q1w2e3r4.tmp"), db.with_name(f".{db.name}.q1w2e3r4.tmp-journal"),
              tmp / "mnist-lab-upload-x8y7z6"]
    kept = [models / "mine.keras", models / ".hidden-notes.txt", models / ".mine.tmp.keras",
            db.with_name(db.name + ".damaged-20260101T000000Z"), db.with_name(db.name + "-journal"),
            tmp / "mnist-lab-notes.txt", tmp / "tmpabcdef"]
    for path in doomed + kept:
        if path.name.startswith("mnist-lab-upload-") or path.name == "tmpabcdef":
            path.mkdir()
            (path / "x.keras").write_bytes(b"PK")
        else:
            path.write_bytes(b"x")
    for path in [*doomed, *kept, wal, shm, db]:
        age(path, 3600)
    removed = housekeeping.clean_leftovers(models=models, database=db, tmp=tmp)
    assert sorted(removed) == sorted(p.name for p in doomed)
    assert not any(p.exists() for p in doomed) and all(p.exists() for p in kept)
    assert wal.exists() and shm.exists(), "SQLite's journal files hold saved drawings: never removed"
    con_keeps_wal.close()
    assert [s.label for s in HandwritingStore(db).list()] == [4, 3]


def test_clean_once_runs_once_and_never_raises(monkeypatch, lab_home):
    calls = []
    monkeypatch.setattr(housekeeping, "_started", False)
    monkeypatch.setattr(housekeeping, "clean_leftovers", lambda *a: calls.append(a) or 1 / 0)
    housekeeping.clean_once(min_age_s=3600)
    housekeeping.clean_once(min_age_s=3600)
    housekeeping._timer.cancel()
    assert len(calls) == 1
