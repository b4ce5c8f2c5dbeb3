"""Our class's handwriting: labelled drawings in a local SQLite database, outside the repository.

Each sample keeps the label, the time (UTC), the 28x28 model input and, optionally, the raw canvas PNG.
The set is reviewed and exported from the "Our handwriting" page, evaluated against the active model,
and fine-tuned on by the training code.

Safety:
- one connection per method call (Streamlit runs each session's script in its own thread);
- WAL journal, so readers never wait for a writer; every write is one transaction (all or nothing);
- a damaged, foreign, newer or locked database raises StoreError saying what is wrong and what to do.
  The app never overwrites, repairs or deletes such a file: `set_aside` renames it (keeping every byte)
  only when a person asks for a fresh collection.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import operator
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError, StoreError
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
    """The database file is not a readable SQLite database (or its contents are inconsistent)."""

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


# ---------------------------------------------------------------------------------------------
# The store


class HandwritingStore:
    """Labelled drawings in one SQLite file; safe to use from several threads and processes.

    Args:
        path: the database file; default paths.handwriting_db_path(). Its folder is created.
        timeout: seconds to wait for another writer before raising StoreError (database locked);
            default DEFAULT_TIMEOUT.
    Raises:
        StoreError: the file cannot be opened, is damaged (DamagedDatabaseError), is not a handwriting
            database, was written by a newer version of the app, or is locked.
    """

    def __init__(self, path: Path | None = None, timeout: float | None = None):
        self.path = Path(path) if path is not None else handwriting_db_path()
        self.timeout = float(DEFAULT_TIMEOUT if timeout is None else timeout)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"Cannot create the folder for the handwriting database {self.path.parent}: "
                             f"{err.strerror or err}") from err
        self._open_schema()

    # -- connections and errors ----------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection in autocommit mode (transactions are explicit), closed afterwards."""
        con = None
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a write takes the write
            # lock up front (no deadlock between two readers upgrading) and commits as one unit.
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
        with self._connect() as con, self._transaction(con):
            yield con

    def _explain(self, err: sqlite3.Error) -> StoreError:
        """A StoreError that says what is wrong with the database file and what to do about it."""
        code = (getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF
        where = f"The handwriting database {self.path}"
        if code in (_BUSY, _LOCKED):
            return StoreError(
                f"{where} is busy: another program or page is writing to it ({err}). Nothing was changed; "
                "wait a moment and try again, or close the other program (e.g. an open `sqlite3` shell)."
            )
        if code in (_CORRUPT, _NOTADB):
            return DamagedDatabaseError(
                f"{where} is damaged and cannot be read ({err}). The app has not changed it. Copy the file "
                "somewhere safe (`sqlite3 FILE .recover` may rescue its drawings), then move it away or set "
                "MNIST_HANDWRITING_DB to another file to start a new collection.",
                self.path,
            )
        if code == _READONLY:
            return StoreError(f"{where} is read-only ({err}); check the file's permissions.")
        if code == _FULL:
            return StoreError(f"{where} cannot grow: the disk is full ({err}). Free some space and try again.")
        if code == _CANTOPEN:
            return StoreError(f"{where} cannot be opened ({err}); check that the path is a writable file.")
        if code == _IOERR:
            return StoreError(f"{where} could not be read or written ({err}); check the disk and permissions.")
        return StoreError(f"{where}: {err}")

    def _open_schema(self) -> None:
        """Create the tables in a new (empty) file; refuse a damaged, foreign or newer one untouched.

        Serialised per file in this process: every Streamlit session opens the store, and switching
        a new file to WAL needs the database to itself (SQLite answers "locked" without waiting).
        """
        with _OPENING_LOCK, self._connect() as con:
            if self._is_empty(con):  # fails with "file is not a database" on a damaged file
                with self._transaction(con):
                    if self._is_empty(con):  # again under the write lock: another thread may have won
                        for statement in _SCHEMA:
                            con.execute(statement)
            version = self._check_ours(con)
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

    @staticmethod
    def _is_empty(con: sqlite3.Connection) -> bool:
        return con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0

    def _check_ours(self, con: sqlite3.Connection) -> int:
        """The schema version; StoreError when the file is another program's database or a newer one."""
        names = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"schema_version", "samples"} <= names:
            raise StoreError(
                f"{self.path} is an SQLite database but not a handwriting collection (its tables: "
                f"{', '.join(sorted(names)) or 'none'}). The app leaves it alone; set MNIST_HANDWRITING_DB "
                "to another file."
            )
        row = con.execute("SELECT MAX(version) FROM schema_version").fetchone()
        version = int(row[0]) if row and row[0] is not None else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The handwriting database {self.path} was written by a newer version of the app (schema "
                f"{version}, this app reads up to {SCHEMA_VERSION}); update the app to open it."
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
                f"Drawing #{sample_id} in the handwriting database {self.path} is damaged (its image has "
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


def set_aside(path: Path) -> Path:
    """Rename a damaged database (and its -wal / -shm files) to `<name>.damaged-<UTC time>`; returns the new path.

    Nothing is deleted or rewritten: the bytes stay on disk for recovery, and the next HandwritingStore
    on `path` starts an empty collection.
    """
    path = Path(path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    with _aside_lock:
        target = path.with_name(f"{path.name}.damaged-{stamp}")
        n = 2
        while target.exists():
            target, n = path.with_name(f"{path.name}.damaged-{stamp}-{n}"), n + 1
        try:
            path.rename(target)
            for suffix in ("-wal", "-shm"):
                side = path.with_name(path.name + suffix)
                if side.exists():
                    side.rename(target.with_name(target.name + suffix))
        except OSError as err:
            raise StoreError(f"Could not move {path} aside: {err.strerror or err}") from err
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
