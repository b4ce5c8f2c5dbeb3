"""Our class's handwriting: labelled drawings in a local SQLite database, outside the repository.

Each sample keeps the label, the time (UTC), the 28x28 model input and, optionally, the raw canvas PNG.
The set is reviewed and exported from the "Our handwriting" page, evaluated against the active model,
and fine-tuned on by the training code.

Safety:
- one connection per method call (Streamlit runs each session's script in its own thread);
- WAL journal, so readers never wait for a writer; every write is one transaction (all or nothing);
- a new collection is made under a temporary name and linked into place: the file is never half made,
  so an empty (0-byte) file is somebody else's accident, and is reported, not silently reused;
- every opening runs `PRAGMA quick_check` (once per change of the file): a damaged database raises
  DamagedDatabaseError before anything reads or writes it, and is never written to. The app never
  overwrites, repairs or deletes such a file: `set_aside` renames it (keeping every byte) only when
  the teacher asks for a fresh collection;
- a database the app may not write (a read-only home, file or disk) opens read-only: everything can
  be viewed, and each change raises ReadOnlyError saying why;
- a foreign, newer or locked database raises StoreError saying what is wrong and what to do.
Messages name the file (handwriting.sqlite), never its folder: every student can read them.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import operator
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError, ReadOnlyError, StoreError, is_read_only, os_error_reason, shown_path
from .evaluate import Evaluation, evaluate_probabilities
from .paths import handwriting_db_path

if TYPE_CHECKING:  # pragma: no cover
    import keras

SCHEMA_VERSION = 1
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 2 * 1024 * 1024  # a 280x280 canvas PNG is ~5-20 KB; refuse anything absurd
SIDE = 28
PIXEL_BYTES = SIDE * SIDE * 4  # model input stored as 784 little-endian float32
_OPENING_LOCK = threading.Lock()  # see HandwritingStore._open_schema
DEFAULT_TIMEOUT = 5.0  # seconds to wait for another writer before saying the database is locked
TMP_SUFFIX = ".tmp"  # a new collection is made as .NAME.<random>.tmp beside the database, then linked
NEARLY_FULL = 16 * 2**20  # bytes free below which a failed write is put down to a full disk
_CHECKED: dict[str, tuple] = {}  # path -> identity of the file when quick_check last passed (this process)
_CHECKED_LOCK = threading.Lock()

_SCHEMA = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    f"INSERT INTO schema_version (version) VALUES ({SCHEMA_VERSION})",
    """CREATE TABLE samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused, so 'newest first' is 'id descending'
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        created TEXT NOT NULL,                  -- ISO 8601, UTC
        model_input BLOB NOT NULL,              -- (28, 28) float32 little-endian, values in [0, 1]
        raw_png BLOB                            -- the canvas as drawn, or NULL
    )""",
    "CREATE INDEX samples_by_label ON samples (label, id)",
]
# Future schema changes: MIGRATIONS[n] upgrades version n to n + 1 (a list of SQL statements).
MIGRATIONS: dict[int, list[str]] = {}

# SQLite primary result codes (err.sqlite_errorcode & 0xFF)
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


class DamagedDatabaseError(StoreError):
    """The database file is not a readable SQLite database, is empty, or its pages are inconsistent."""

    def __init__(self, message: str, path: Path):
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Sample:
    id: int
    label: int
    created: str  # ISO time, UTC
    model_input: np.ndarray  # (28, 28) float32 in [0, 1], read-only
    raw_png: bytes | None  # the canvas image as PNG, may be None


# ---------------------------------------------------------------------------------------------
# Validation


def check_label(label: object) -> int:
    """A digit label 0-9 as a plain int; ValueError otherwise."""
    if isinstance(label, bool | np.bool_):
        raise InputError(f"The label must be a digit 0-9, not {label!r}")
    try:
        value = operator.index(label)
    except TypeError:
        raise InputError(f"The label must be a whole number 0-9, not {label!r}") from None
    if not 0 <= value <= 9:
        raise InputError(f"The label must be a digit 0-9, not {value}")
    return value


def check_model_input(model_input: object) -> np.ndarray:
    """(28, 28) finite values in [0, 1] -> C-contiguous float32; ValueError otherwise."""
    x = np.asarray(model_input)
    if x.shape != (SIDE, SIDE):
        raise InputError(f"The model input must be a 28x28 image, got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise InputError(f"The model input must hold numbers, got {x.dtype}")
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise InputError("the model input holds NaN or infinite values")
    if x.min() < 0 or x.max() > 1:
        raise InputError(
            f"The model input must be in [0, 1], got {x.min():g} to {x.max():g} (divide 0-255 images by 255)"
        )
    return np.ascontiguousarray(x)


def check_png(raw_png: object) -> bytes | None:
    """PNG bytes (signature checked, at most MAX_PNG_BYTES) or None; ValueError otherwise."""
    if raw_png is None:
        return None
    if not isinstance(raw_png, bytes | bytearray | memoryview):
        raise InputError(f"The drawing must be PNG bytes or None, not {type(raw_png).__name__}")
    data = bytes(raw_png)
    if len(data) > MAX_PNG_BYTES:
        raise InputError(f"The drawing is {len(data) / 2**20:.1f} MB; the limit is {MAX_PNG_BYTES // 2**20} MB")
    if not data.startswith(PNG_SIGNATURE):
        raise InputError("the drawing is not a PNG image (its first bytes are not the PNG signature)")
    return data


def _check_id(sample_id: object) -> int:
    if isinstance(sample_id, bool | np.bool_):
        raise InputError(f"A sample id is a whole number, not {sample_id!r}")
    try:
        return operator.index(sample_id)
    except TypeError:
        raise InputError(f"A sample id is a whole number, not {sample_id!r}") from None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _since(seconds: float) -> str:
    """The `created` stamp `seconds` ago (stamps compare as text: one format, UTC)."""
    if not (isinstance(seconds, (int, float)) and 0 < seconds < 10 * 365 * 86400):
        raise InputError(f"a time span must be a positive number of seconds, got {seconds!r}")
    return (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# The store


def _identity(path: Path) -> tuple:
    """What changes when anyone writes the database: the file's and its WAL journal's inode, size, time."""
    parts = []
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            st = os.stat(file)
            parts.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            parts.append(None)
    return tuple(parts)


def _remember_checked(path: Path, unless_changed_from: tuple | None = None) -> None:
    """Note the file as sound in its present state: after a quick_check passed, or after our own write
    (`unless_changed_from`: its identity before the write, which must be the one last checked)."""
    with _CHECKED_LOCK:
        if unless_changed_from is None or _CHECKED.get(str(path)) == unless_changed_from:
            _CHECKED[str(path)] = _identity(path)


class HandwritingStore:
    """Labelled drawings in one SQLite file; safe to use from several threads and processes.

    Args:
        path: the database file; default paths.handwriting_db_path(). Its folder is created.
        timeout: seconds to wait for another writer before raising StoreError (database locked);
            default DEFAULT_TIMEOUT.
    Attributes:
        read_only: why changes are refused (a read-only folder, file or disk), or None when they are not.
    Raises:
        DamagedDatabaseError: the file is damaged or empty (0 bytes); nothing was written to it.
        ReadOnlyError: there is no collection yet, and none can be made here.
        StoreError: the file cannot be opened, is not a handwriting database, was written by a newer
            version of the app, or is locked.
    """

    def __init__(self, path: Path | None = None, timeout: float | None = None):
        self.path = Path(path) if path is not None else handwriting_db_path()
        self.timeout = float(DEFAULT_TIMEOUT if timeout is None else timeout)
        self.read_only: str | None = None
        self._immutable = False  # read-only and its folder too: SQLite may not even make its -shm file
        self.name = shown_path(self.path)
        if self._size() is None:
            self._create()
        elif self._size() == 0:
            raise self._empty()
        self.read_only = self._why_read_only()
        self._open_schema()

    # -- the file ---------------------------------------------------------------------------------

    @property
    def where(self) -> str:
        """The collection as messages name it."""
        return f"The class's saved drawings ({self.name})"

    def _size(self) -> int | None:
        """The file's size, or None when there is none; StoreError when the system will not say."""
        try:
            return os.stat(self.path).st_size
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as err:  # a symbolic link loop, a folder the app may not enter
            raise StoreError(f"{self.where} cannot be opened: {os_error_reason(err)}. Ask the teacher to check "
                             "MNIST_HANDWRITING_DB / MNIST_LAB_HOME.") from err

    def _empty(self) -> DamagedDatabaseError:
        wal = self.path.with_name(self.path.name + "-wal")
        journal = f" Its journal ({wal.name}) is kept beside it." if wal.exists() else ""
        return DamagedDatabaseError(
            f"The file of the class's saved drawings, {self.name}, is an empty file (0 bytes): a full disk or a "
            f"crash may have cut it short, so the drawings it held are not in it.{journal} The app has not "
            "changed it and saves nothing into it. The teacher can set it aside (it is kept, renamed) to start "
            "a new collection.",
            self.path,
        )

    def _why_read_only(self) -> str | None:
        folder = self.path.parent
        if not os.access(self.path, os.W_OK):
            return "the file is read-only"
        if not os.access(folder, os.W_OK | os.X_OK):
            return "its folder is read-only"
        return None

    def _create(self) -> None:
        """A new, empty collection: made under a temporary name beside the final one and linked into place,
        so no one ever opens a half-made file (and a 0-byte file at the name is never the app's doing)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=TMP_SUFFIX, dir=self.path.parent)
        except OSError as err:
            cls = ReadOnlyError if is_read_only(err) else StoreError
            raise cls(f"No drawings have been saved yet, and none can be: the folder for {self.name} cannot be "
                      f"written ({os_error_reason(err)}). Ask the teacher to make MNIST_LAB_HOME writable or set "
                      "MNIST_HANDWRITING_DB to a writable file.") from err
        os.close(fd)
        tmp = Path(name)
        try:
            con = sqlite3.connect(tmp, isolation_level=None)
            try:
                with self._transaction(con):
                    for statement in _SCHEMA:
                        con.execute(statement)
                con.execute("PRAGMA journal_mode = WAL")  # persistent: recorded in the file's header
            finally:
                con.close()
            os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; SQLite's own are world-readable
            try:
                os.link(tmp, self.path)  # fails if the name exists: a session that got there first wins
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links: rename, unless someone made it meanwhile
                if not self.path.exists():
                    os.replace(tmp, self.path)
        except sqlite3.Error as err:
            raise self._explain(err) from err
        except OSError as err:
            raise StoreError(f"{self.where} could not be created: {os_error_reason(err)}.") from err
        finally:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{tmp}{suffix}")

    # -- connections and errors ----------------------------------------------------------------

    def _uri(self) -> str:
        mode = "immutable=1" if self._immutable else "mode=ro"
        return f"file:{urllib.parse.quote(str(self.path))}?{mode}"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection in autocommit mode (transactions are explicit), closed afterwards."""
        con = None
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a write takes the write
            # lock up front (no deadlock between two readers upgrading) and commits as one unit.
            if self.read_only:
                con = sqlite3.connect(self._uri(), uri=True, timeout=self.timeout, isolation_level=None)
            else:
                con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            yield con
        except sqlite3.Error as err:
            raise self._explain(err) from err
        finally:
            if con is not None:
                con.close()

    @staticmethod
    @contextlib.contextmanager
    def _transaction(con: sqlite3.Connection) -> Iterator[None]:
        """BEGIN IMMEDIATE (take the write lock now) ... COMMIT, or ROLLBACK on any error."""
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            con.rollback()
            raise
        con.commit()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A connection inside one write transaction: all of the block's changes land, or none."""
        if self.read_only:
            raise self._read_only_error()
        before = _identity(self.path)
        with self._connect() as con, self._transaction(con):
            yield con
        _remember_checked(self.path, unless_changed_from=before)  # our own change: as sound as before

    def read_only_notice(self, detail: str = "") -> str:
        """Why nothing can be changed, in one message (for a page to show once)."""
        why = self.read_only or "the file or its folder is read-only"
        return (f"{self.where} can be viewed but not changed here: {why}{detail}. Nothing was saved or changed. "
                "Ask the teacher to make MNIST_LAB_HOME writable or to set MNIST_HANDWRITING_DB to a writable file.")

    def _read_only_error(self, detail: str = "") -> ReadOnlyError:
        return ReadOnlyError(self.read_only_notice(detail))

    def _explain(self, err: sqlite3.Error) -> StoreError:
        """A StoreError that says what is wrong with the database file and what to do about it."""
        code = (getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF
        where = self.where
        if code in (_BUSY, _LOCKED):
            return StoreError(
                f"{where} are busy: another program or page is writing to them. Nothing was changed; wait a "
                "moment and try again, or close the other program (e.g. an open `sqlite3` shell)."
            )
        if code in (_CORRUPT, _NOTADB):
            return DamagedDatabaseError(
                f"{where} are damaged and cannot be read ({err}). The app has not changed the file and saves "
                "nothing into it. The teacher can set it aside (it is kept, renamed, beside the original; "
                "`sqlite3 FILE .recover` may rescue its drawings) to start a new collection.",
                self.path,
            )
        if code == _READONLY:
            return self._read_only_error()
        if code == _FULL or (code == _IOERR and self._disk_nearly_full()):
            return StoreError(f"{where} cannot grow: the disk is full. Nothing was saved; free some space on the "
                              "server's disk and try again.")
        if code == _CANTOPEN:
            return StoreError(f"{where} cannot be opened: MNIST_HANDWRITING_DB must name a file in a folder the "
                              "app may read and write.")
        if code == _IOERR:
            name = getattr(err, "sqlite_errorname", "") or "SQLITE_IOERR"
            return StoreError(f"{where} could not be read or written: the disk reported an error ({name}). "
                              "Nothing was changed; try again, and check the server's disk if it keeps happening.")
        return StoreError(f"{where}: {err}")

    def _disk_nearly_full(self) -> bool:
        try:
            return shutil.disk_usage(self.path.parent).free < NEARLY_FULL
        except OSError:
            return False

    def _open_schema(self) -> None:
        """Check the file (ours, sound, not newer), create the tables in an empty database; never write to a
        damaged, foreign or newer one.

        Serialised per file in this process: every Streamlit session opens the store, and switching
        a new file to WAL needs the database to itself (SQLite answers "locked" without waiting).
        """
        try:
            self._open_checked()
        except StoreError as err:
            if not self.read_only or self._immutable or isinstance(err, DamagedDatabaseError):
                raise
            self._immutable = True  # a read-only folder: SQLite cannot make the -shm file a reader needs
            self._open_checked()

    def _open_checked(self) -> None:
        with _OPENING_LOCK, self._connect() as con:
            if self._is_empty(con):  # fails with "file is not a database" on a damaged file
                if self.read_only:
                    raise self._read_only_error(" (and it holds no collection yet)")
                with self._transaction(con):
                    if self._is_empty(con):  # again under the write lock: another thread may have won
                        for statement in _SCHEMA:
                            con.execute(statement)
            self._check_sound(con)
            version = self._check_ours(con)
            if self.read_only:
                if version < SCHEMA_VERSION:
                    raise self._read_only_error(" (and it needs an upgrade the app cannot write)")
                return
            if version < SCHEMA_VERSION:
                self._migrate(con, version)
            for attempt in range(50):  # another process may hold the file for a moment
                try:
                    if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                        con.execute("PRAGMA journal_mode = WAL")  # persistent: set once per file
                    break
                except sqlite3.OperationalError:
                    if attempt == 49:
                        raise
                    time.sleep(0.1)

    def _check_sound(self, con: sqlite3.Connection) -> None:
        """PRAGMA quick_check, once per change of the file in this process (~25 ms for 3,000 drawings)."""
        if _CHECKED.get(str(self.path)) == _identity(self.path):
            return
        rows = [row[0] for row in con.execute("PRAGMA quick_check(3)").fetchall()]
        if rows != ["ok"]:
            problem = " ".join(str(rows[0]).replace("*** in database main ***", "").split())[:160] if rows else "?"
            raise DamagedDatabaseError(
                f"{self.where} are damaged: SQLite's check of the file found inconsistent pages ({problem}). "
                "The app has not changed the file and saves nothing into it. The teacher can set it aside (it "
                "is kept, renamed, beside the original; `sqlite3 FILE .recover` may rescue most drawings) to "
                "start a new collection.",
                self.path,
            )
        _remember_checked(self.path)

    @staticmethod
    def _is_empty(con: sqlite3.Connection) -> bool:
        return con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0

    def _check_ours(self, con: sqlite3.Connection) -> int:
        """The schema version; StoreError when the file is another program's database or a newer one."""
        names = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"schema_version", "samples"} <= names:
            raise StoreError(
                f"{self.name} is an SQLite database but not a handwriting collection (its tables: "
                f"{', '.join(sorted(names)) or 'none'}). The app leaves it alone; the teacher can set "
                "MNIST_HANDWRITING_DB to another file."
            )
        row = con.execute("SELECT MAX(version) FROM schema_version").fetchone()
        version = int(row[0]) if row and row[0] is not None else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.where} were written by a newer version of the app (schema {version}, this app reads up "
                f"to {SCHEMA_VERSION}); update the app to open them."
            )
        return version

    def _migrate(self, con: sqlite3.Connection, version: int) -> None:
        """Upgrade an older schema in one transaction (MIGRATIONS is empty while there is only version 1)."""
        with self._transaction(con):
            for v in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[v]:
                    con.execute(statement)
            con.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    # -- rows ------------------------------------------------------------------------------------

    def _sample(self, row: tuple) -> Sample:
        sample_id, label, created, blob, png = row
        if not isinstance(blob, bytes) or len(blob) != PIXEL_BYTES:
            raise StoreError(
                f"Drawing #{sample_id} in {self.name} is damaged (its image has "
                f"{len(blob or b'')} bytes, expected {PIXEL_BYTES}); the file was edited outside the app."
            )
        x = np.frombuffer(blob, dtype="<f4").reshape(SIDE, SIDE).astype(np.float32, copy=False)
        return Sample(int(sample_id), int(label), str(created), x, None if png is None else bytes(png))

    _COLUMNS = "id, label, created, model_input, raw_png"

    # -- public API --------------------------------------------------------------------------------

    def add(self, label: int, raw_png: bytes | None, model_input: np.ndarray) -> int:
        """Save one labelled drawing; returns its id.

        Args:
            label: the digit the person meant, 0-9.
            raw_png: the canvas as PNG bytes, or None.
            model_input: (28, 28) values in [0, 1], what the model reads.
        Raises:
            ValueError: an input is invalid (nothing is saved). StoreError: the database cannot be written.
        """
        label, png, x = check_label(label), check_png(raw_png), check_model_input(model_input)
        blob = x.astype("<f4").tobytes()
        with self._write() as con:
            cur = con.execute("INSERT INTO samples (label, created, model_input, raw_png) VALUES (?, ?, ?, ?)",
                              (label, _now(), blob, png))
            return int(cur.lastrowid)

    def list(self, label: int | None = None, limit: int | None = None, offset: int = 0) -> list[Sample]:
        """Samples newest first, optionally only one label, `limit` of them after skipping `offset`."""
        where, params = ("WHERE label = ?", [check_label(label)]) if label is not None else ("", [])
        limit = None if limit is None else operator.index(limit)
        offset = operator.index(offset)
        if (limit is not None and limit < 0) or offset < 0:
            raise InputError(f"Limit and offset cannot be negative (got {limit}, {offset})")
        params += [-1 if limit is None else limit, offset]  # LIMIT -1: no limit
        with self._connect() as con:
            rows = con.execute(f"SELECT {self._COLUMNS} FROM samples {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                               params).fetchall()
        return [self._sample(row) for row in rows]

    def get(self, sample_id: int) -> Sample:
        """One sample; StoreError when there is none with this id."""
        with self._connect() as con:
            row = con.execute(f"SELECT {self._COLUMNS} FROM samples WHERE id = ?", (_check_id(sample_id),)).fetchone()
        if row is None:
            raise StoreError(f"There is no saved drawing #{sample_id} (it may have been deleted)")
        return self._sample(row)

    def relabel(self, sample_id: int, label: int) -> None:
        """Change a sample's label; StoreError when there is none with this id."""
        sample_id, label = _check_id(sample_id), check_label(label)
        with self._write() as con:
            if con.execute("UPDATE samples SET label = ? WHERE id = ?", (label, sample_id)).rowcount != 1:
                raise StoreError(f"There is no saved drawing #{sample_id} (it may have been deleted)")

    def delete(self, sample_id: int) -> None:
        """Delete a sample; StoreError when there is none with this id."""
        sample_id = _check_id(sample_id)
        with self._write() as con:
            if con.execute("DELETE FROM samples WHERE id = ?", (sample_id,)).rowcount != 1:
                raise StoreError(f"There is no saved drawing #{sample_id} (it may have been deleted)")

    def count_since(self, seconds: float) -> int:
        """How many samples were saved in the last `seconds`."""
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM samples WHERE created >= ?",
                                   (_since(seconds),)).fetchone()[0])

    def delete_since(self, seconds: float) -> int:
        """Delete the samples saved in the last `seconds` (a flood of scribbles, a careless minute); returns
        how many were deleted."""
        with self._write() as con:
            return int(con.execute("DELETE FROM samples WHERE created >= ?", (_since(seconds),)).rowcount)

    def counts(self) -> np.ndarray:
        """(10,) int64: how many samples of each digit."""
        counts = np.zeros(10, dtype=np.int64)
        with self._connect() as con:
            for label, n in con.execute("SELECT label, COUNT(*) FROM samples GROUP BY label"):
                if 0 <= label <= 9:
                    counts[label] = n
        return counts

    def __len__(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM samples").fetchone()[0])

    def snapshot(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every sample from one consistent read, oldest first.

        Returns:
            ids (N,) int64, x (N, 28, 28) float32 in [0, 1], y (N,) uint8, created (N,) str.
        """
        with self._connect() as con:
            rows = con.execute("SELECT id, label, created, model_input FROM samples ORDER BY id").fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        y = np.array([r[1] for r in rows], dtype=np.uint8)
        created = np.array([r[2] for r in rows], dtype=str)
        x = np.empty((len(rows), SIDE, SIDE), dtype=np.float32)
        for i, row in enumerate(rows):
            x[i] = self._sample((*row, None)).model_input
        return ids, x, y, created

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """x (N, 28, 28) float32 in [0, 1] and y (N,) uint8, oldest first: ready for training."""
        _, x, y, _ = self.snapshot()
        return x, y

    def export_npz(self) -> bytes:
        """A compressed .npz with x, y, ids and created (no pickled objects: loads with allow_pickle=False)."""
        ids, x, y, created = self.snapshot()
        buffer = io.BytesIO()
        np.savez_compressed(buffer, x=x, y=y, ids=ids, created=created.astype("<U32"))
        return buffer.getvalue()

    def export_csv(self) -> bytes:
        """UTF-8 CSV, one row per sample (oldest first): id, label, created, pixel_0 ... pixel_783 (0-255)."""
        ids, x, y, created = self.snapshot()
        pixels = np.rint(x.reshape(len(x), SIDE * SIDE) * 255).astype(np.uint8)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["id", "label", "created", *(f"pixel_{i}" for i in range(SIDE * SIDE))])
        for i in range(len(ids)):
            writer.writerow([int(ids[i]), int(y[i]), created[i], *pixels[i].tolist()])
        return text.getvalue().encode("utf-8")


_aside_lock = threading.Lock()


def set_aside(path: Path, only_if_damaged: bool = True) -> Path:
    """Rename a damaged database (and its -wal / -shm / -journal files) to `<name>.damaged-<UTC time>`.

    Nothing is deleted or rewritten: the bytes stay on disk for recovery, and the next HandwritingStore
    on `path` starts an empty collection. Returns the new path.

    Args:
        only_if_damaged: check first that the file is still damaged (a button pressed on a page shown
            before someone else set it aside must not move the new, healthy collection).
    Raises:
        StoreError: nothing is there any more, the file opens fine, or it cannot be renamed.
    """
    path = Path(path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    with _aside_lock:
        if not path.exists():
            raise StoreError(f"{path.name} is not there any more: it has been set aside already.")
        if only_if_damaged:
            try:
                HandwritingStore(path)
            except DamagedDatabaseError:
                pass
            else:
                raise StoreError(f"{path.name} opens fine now, so it was not set aside.")
        target = path.with_name(f"{path.name}.damaged-{stamp}")
        n = 2
        while target.exists():
            target, n = path.with_name(f"{path.name}.damaged-{stamp}-{n}"), n + 1
        try:
            path.rename(target)
            for suffix in ("-wal", "-shm", "-journal"):
                side = path.with_name(path.name + suffix)
                if side.exists():
                    side.rename(target.with_name(target.name + suffix))
        except OSError as err:
            raise StoreError(f"Could not set {path.name} aside: {os_error_reason(err)}. Nothing was deleted.") from err
    return target


# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class HandwritingEvaluation(Evaluation):
    ids: np.ndarray  # (N,) sample ids, in the order of `predicted` and `probabilities`
    labels: np.ndarray  # (N,) the labels people gave


def evaluate_handwriting(model: keras.Model, store: HandwritingStore,
                         batch_size: int = 512) -> HandwritingEvaluation | None:
    """Evaluate `model` on every saved drawing; None when there are none.

    Returns:
        An Evaluation (accuracy, per-digit recall, confusion...) plus the sample ids and labels, so the
        page can show the misread drawings.
    """
    from .predict import probabilities  # imports Keras only when someone evaluates

    ids, x, y, _ = store.snapshot()
    if len(ids) == 0:
        return None
    probs = np.concatenate([probabilities(model, x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
    base = evaluate_probabilities(probs, y)
    return HandwritingEvaluation(**vars(base), ids=ids, labels=y.astype(np.int64))
