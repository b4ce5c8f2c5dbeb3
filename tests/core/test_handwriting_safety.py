"""The class's handwriting store fails safe (issue 13): damaged, empty, read-only, full, killed mid-write.

Root reads and writes whatever the permissions say, and these tests may run as root: a read-only
home is then simulated where the store asks (os.access, the temporary file it creates); the
read-only SQLite connections, errors and refusals that follow are real. With an ordinary user the
same cases also run for real (chmod).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mnist_core.handwriting as hw
from mnist_core.errors import ReadOnlyError, StoreError
from mnist_core.handwriting import DamagedDatabaseError, HandwritingStore, set_aside
from tests.conftest import REPO
from tests.core.test_handwriting import png_of, some_input


def _permissions_apply() -> bool:
    """Whether this process obeys file permissions (root, unless run without CAP_DAC_OVERRIDE, does not)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe"
        probe.write_bytes(b"x")
        probe.chmod(0)
        try:
            probe.open("rb").close()
        except PermissionError:
            return True
        return False


PERMISSIONS_APPLY = _permissions_apply()


def filled(path, n: int = 60) -> HandwritingStore:
    store = HandwritingStore(path)
    for i in range(n):
        store.add(i % 10, png_of(some_input(i) > 0.97), some_input(i))
    with sqlite3.connect(path) as con:  # everything into the main file, as after a clean shutdown
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store


def damage_middle_pages(path, pages: int = 3) -> bytes:
    data = bytearray(path.read_bytes())
    middle = len(data) // 4096 // 2
    data[middle * 4096 : (middle + pages) * 4096] = np.random.default_rng(1).integers(0, 256, pages * 4096,
                                                                                        dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return bytes(data)


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# -- damaged in its middle pages ------------------------------------------------------------------------


def test_a_database_damaged_in_its_middle_pages_is_refused_at_once_and_never_written(lab_home):
    path = lab_home / "handwriting.sqlite"
    filled(path)
    damaged = damage_middle_pages(path)
    with sqlite3.connect(path) as con:  # what fooled the app before: counting still works
        assert con.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == 60
    for attempt in range(2):  # the Draw page's save opens the store each time
        with pytest.raises(DamagedDatabaseError, match="damaged: SQLite's check of the file found") as info:
            HandwritingStore(path).add(1, None, some_input(attempt))
        assert "handwriting.sqlite" in str(info.value) and str(lab_home) not in str(info.value)
        assert "\n" not in str(info.value)
    assert path.read_bytes() == damaged, "the damaged file was written to"
    aside = set_aside(path)
    assert aside.read_bytes() == damaged and not path.exists()
    fresh = HandwritingStore(path)
    assert len(fresh) == 0 and fresh.add(3, None, some_input(3)) == 1


def test_a_damage_made_after_a_check_is_found_at_the_next_opening(lab_home):
    path = lab_home / "handwriting.sqlite"
    filled(path)
    HandwritingStore(path)  # checked and remembered
    damage_middle_pages(path)  # someone else changes the file: its size/time change
    with pytest.raises(DamagedDatabaseError):
        HandwritingStore(path)


def test_set_aside_refuses_a_healthy_or_missing_file(lab_home):
    path = lab_home / "handwriting.sqlite"
    HandwritingStore(path).add(1, None, some_input(1))
    with pytest.raises(StoreError, match="opens fine now, so it was not set aside"):
        set_aside(path)
    assert len(HandwritingStore(path)) == 1
    with pytest.raises(StoreError, match="not there any more"):
        set_aside(lab_home / "gone.sqlite")


# -- an empty file ------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_wal", [False, True])
def test_a_0_byte_file_is_reported_not_reused(lab_home, with_wal):
    path = lab_home / "handwriting.sqlite"
    path.write_bytes(b"")
    wal = lab_home / "handwriting.sqlite-wal"
    if with_wal:
        wal.write_bytes(b"journal bytes")
    with pytest.raises(DamagedDatabaseError, match=r"an empty file \(0 bytes\)") as info:
        HandwritingStore(path)
    assert ("handwriting.sqlite-wal" in str(info.value)) == with_wal
    assert path.read_bytes() == b"" and (not with_wal or wal.read_bytes() == b"journal bytes")
    aside = set_aside(path)
    assert aside.read_bytes() == b"" and (not with_wal or aside.with_name(aside.name + "-wal").exists())
    assert len(HandwritingStore(path)) == 0


def test_a_new_collection_is_never_seen_half_made(lab_home, monkeypatch):
    """Created under a temporary name and linked into place: an opening that interrupts it sees nothing."""
    path = lab_home / "new.sqlite"
    seen = []
    real_link = os.link

    def link(src, dst):
        seen.append(path.exists())  # what another session would see just before the file appears
        real_link(src, dst)

    monkeypatch.setattr(os, "link", link)
    store = HandwritingStore(path)
    assert seen == [False] and len(store) == 0
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert leftovers(lab_home) == [], "the temporary file is gone"
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_a_creation_killed_half_way_leaves_no_database_and_only_a_temporary_file(lab_home):
    """kill -9 while the new collection is being made: the real name never holds a half-made file."""
    script = f"""
import os, sqlite3, time, sys
import mnist_core.handwriting as hw
real = os.link
def slow(src, dst):
    print("made", flush=True)
    time.sleep(60)
os.link = slow
hw.HandwritingStore({str(lab_home / 'handwriting.sqlite')!r})
"""
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "made"
        proc.kill()
        proc.wait(30)
    finally:
        proc.kill()
    assert not (lab_home / "handwriting.sqlite").exists()
    assert [n for n in leftovers(lab_home) if n.endswith(".tmp")] != []
    assert len(HandwritingStore()) == 0  # the next start makes a new one; housekeeping removes the leftover


# -- a read-only home -------------------------------------------------------------------------------------


@pytest.fixture
def read_only_home(lab_home, monkeypatch):
    """A home the app may not write: os.access says so, and creating a file there fails as it would."""
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and str(path).startswith(str(lab_home)):
            return False
        return real_access(path, mode, *args, **kwargs)

    def mkstemp(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(hw.tempfile, "mkstemp", mkstemp)
    return lab_home


def test_a_read_only_home_keeps_every_drawing_viewable_and_says_why_nothing_can_change(lab_home, monkeypatch,
                                                                                       request):
    path = lab_home / "handwriting.sqlite"
    ids = [HandwritingStore(path).add(d, png_of(some_input(d)), some_input(d)) for d in (1, 7, 7)]
    before = path.read_bytes()
    request.getfixturevalue("read_only_home")
    store = HandwritingStore(path)
    assert store.read_only == "the file is read-only"
    assert [s.id for s in store.list()] == ids[::-1] and list(store.counts()[[1, 7]]) == [1, 2]
    assert len(store.export_npz()) > 0 and store.export_csv().count(b"\n") == 4 and store.get(ids[0]).label == 1
    for change in (lambda: store.add(2, None, some_input(2)), lambda: store.relabel(ids[0], 3),
                   lambda: store.delete(ids[1])):
        with pytest.raises(ReadOnlyError, match=r"can be viewed but not changed here: the file is read-only\. "
                                                "Nothing was saved or changed"):
            change()
    assert path.read_bytes() == before and len(store) == 3


def test_a_read_only_home_without_a_collection_says_so_once(read_only_home):
    with pytest.raises(ReadOnlyError, match="No drawings have been saved yet, and none can be: .*read-only") as info:
        HandwritingStore()
    assert str(read_only_home) not in str(info.value)


@pytest.mark.skipif(not PERMISSIONS_APPLY, reason="root writes whatever the permissions say")
def test_a_read_only_folder_for_real(lab_home):
    path = lab_home / "handwriting.sqlite"
    HandwritingStore(path).add(4, None, some_input(4))
    lab_home.chmod(0o555)  # no -shm can be made: SQLite needs the immutable read-only mode
    try:
        store = HandwritingStore(path)
        assert store.read_only and [s.label for s in store.list()] == [4]
        with pytest.raises(ReadOnlyError):
            store.add(5, None, some_input(5))
    finally:
        lab_home.chmod(0o755)


def test_a_real_sqlite_read_only_error_is_explained(lab_home):
    store = HandwritingStore()
    con = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as info:
        con.execute("INSERT INTO samples (label, created, model_input) VALUES (1, 'now', x'00')")
    con.close()
    err = store._explain(info.value)
    assert isinstance(err, ReadOnlyError) and "can be viewed but not changed" in str(err)


# -- a full disk --------------------------------------------------------------------------------------------


def test_a_full_disk_says_the_disk_is_full_and_keeps_what_was_saved(lab_home, monkeypatch):
    """SQLite's own "database or disk is full" (a page limit makes it real), then an I/O error on a full disk."""
    store = HandwritingStore()
    first = store.add(1, None, some_input(1))
    pages = sqlite3.connect(store.path).execute("PRAGMA page_count").fetchone()[0]
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        con = real_connect(*args, **kwargs)
        con.execute(f"PRAGMA max_page_count = {pages}")
        return con

    monkeypatch.setattr(hw.sqlite3, "connect", connect)
    with pytest.raises(StoreError, match="cannot grow: the disk is full. Nothing was saved") as info:
        for i in range(50):
            store.add(2, png_of(some_input(i)), some_input(i))
    assert "I/O" not in str(info.value) and "permission" not in str(info.value)
    monkeypatch.setattr(hw.sqlite3, "connect", real_connect)
    assert store.get(first).label == 1

    io_error = sqlite3.OperationalError("disk I/O error")
    io_error.sqlite_errorcode, io_error.sqlite_errorname = 778, "SQLITE_IOERR_WRITE"
    monkeypatch.setattr(hw.shutil, "disk_usage", lambda _: type("U", (), {"free": 4096})())
    assert "the disk is full" in str(store._explain(io_error))
    monkeypatch.setattr(hw.shutil, "disk_usage", lambda _: type("U", (), {"free": 10**12})())
    message = str(store._explain(io_error))
    assert "the disk reported an error (SQLITE_IOERR_WRITE)" in message and "permission" not in message


# -- paths in messages -------------------------------------------------------------------------------------


def test_no_message_names_the_servers_folders(lab_home):
    path = lab_home / "handwriting.sqlite"
    path.write_bytes(b"garbage" * 1000)
    messages = []
    for attempt in (lambda: HandwritingStore(path), lambda: set_aside(path, only_if_damaged=False)):
        try:
            attempt()
        except StoreError as err:
            messages.append(str(err))
    with sqlite3.connect(lab_home / "other.sqlite") as con:
        con.execute("CREATE TABLE grades (x)")
    with pytest.raises(StoreError) as info:
        HandwritingStore(lab_home / "other.sqlite")
    messages.append(str(info.value))
    assert messages and all(str(lab_home) not in m for m in messages), messages
