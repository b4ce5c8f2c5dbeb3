"""Leftovers of a killed process, removed when the app starts (app.py calls `clean_once`).

What a kill -9 (or a power cut) can leave, and what happens to it:

- `.NAME.<random>.tmp.keras` and `.NAME.<random>.tmp.json` in the models folder: a model or card that
  was being saved (store.temp_beside; the stored file itself is untouched). Removed.
- `.handwriting.sqlite.<random>.tmp` (and its -journal/-wal/-shm) beside the handwriting database: a
  new collection that was being made (handwriting.HandwritingStore._create). Removed.
- `mnist-lab-upload-*` folders in the system's temporary folder: an upload that was being checked
  (uploads.load_upload). Removed.

A leftover is removed only when it is older than `min_age_s`: another server sharing the same home
may be writing a young one right now. `clean_once` looks again once that age has passed, so what a
kill just before a restart left goes too.

Never touched: the handwriting database's own `-wal`, `-shm` and `-journal` files. After a kill they
hold committed drawings (WAL) or what SQLite needs to roll a half-done write back (journal), and
SQLite replays or rolls them back itself the next time the database is opened; deleting them would
lose drawings or damage the file. Nor files set aside (`*.damaged-*`), nor anything else.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

from .paths import handwriting_db_path, models_dir
from .uploads import UPLOAD_TMP_PREFIX

log = logging.getLogger("mnist_lab")

MIN_AGE_S = 300.0  # a save or an upload check takes seconds; five minutes old is abandoned

_MODEL_TMP = re.compile(r"^\..+\.[A-Za-z0-9_]{6,}\.tmp\.(keras|json)$")  # tempfile.mkstemp's random part
_once_lock = threading.Lock()
_started = False
_timer: threading.Timer | None = None  # the second look, once young leftovers are old enough


def _db_tmp(db: Path) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(db.name)}\.[A-Za-z0-9_]{{6,}}\.tmp(-journal|-wal|-shm)?$")


def _old(path: Path, now: float, min_age_s: float) -> bool:
    try:
        return now - path.lstat().st_mtime >= min_age_s
    except OSError:
        return False


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        return True
    except OSError as err:  # a read-only home: nothing to do about it here
        log.warning("could not remove the leftover %s: %s", path, err.strerror or err)
        return False


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:  # no such folder yet, or not readable
        return []


def clean_leftovers(min_age_s: float = MIN_AGE_S, models: Path | None = None, database: Path | None = None,
                    tmp: Path | None = None) -> list[str]:
    """Remove the leftovers described above that are older than `min_age_s` seconds.

    Args:
        models, database, tmp: the models folder, the handwriting database file and the system's
            temporary folder (defaults: the app's settings and tempfile.gettempdir()).
    Returns:
        The names (no folders) of what was removed, for a log line.
    """
    models = Path(models) if models is not None else models_dir()
    database = Path(database) if database is not None else handwriting_db_path()
    tmp = Path(tmp) if tmp is not None else Path(tempfile.gettempdir())
    now = time.time()
    candidates = [p for p in _entries(models) if _MODEL_TMP.match(p.name) and p.is_file()]
    pattern = _db_tmp(database)
    candidates += [p for p in _entries(database.parent) if pattern.match(p.name) and p.is_file()]
    candidates += [p for p in _entries(tmp) if p.name.startswith(UPLOAD_TMP_PREFIX) and p.is_dir()]
    removed = [p.name for p in candidates if _old(p, now, min_age_s) and _remove(p)]
    if removed:
        log.info("removed %d leftover temporary file(s) of an interrupted save: %s", len(removed), ", ".join(removed))
    return removed


def clean_once(min_age_s: float = MIN_AGE_S) -> None:
    """Clean now, and once more when today's young leftovers are old enough; later calls do nothing.

    Cheap (a few folder listings); never raises: the app starts whatever happens here.
    """
    global _started, _timer
    with _once_lock:
        if _started:
            return
        _started = True

    def safely() -> None:
        try:
            clean_leftovers(min_age_s)
        except Exception:  # noqa: BLE001 - housekeeping must never stop the app
            log.exception("cleaning leftover temporary files failed")

    safely()
    _timer = threading.Timer(min_age_s + 1, safely)
    _timer.daemon = True
    _timer.start()
