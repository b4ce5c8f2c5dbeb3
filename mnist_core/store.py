"""The model store: .keras files with JSON metadata cards in a folder outside the repository.

Every write is atomic (a temporary file in the same folder, fsync, then rename), so a crash or kill
during a save never leaves a half-written model or card in place of a good one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelError, StoreError
from .models import ACTIVE_POINTER, MAX_MODEL_BYTES, check_model_shapes, load_model
from .paths import DEFAULT_CARD_PATH, DEFAULT_MODEL_PATH, models_dir

if TYPE_CHECKING:  # pragma: no cover
    import keras

DEFAULT_NAME = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def safe_name(name: str) -> str:
    """A model or export name a user typed, refused unless it is a plain file name (no paths)."""
    name = str(name).strip()
    if not _NAME.match(name) or ".." in name:
        raise StoreError(
            f"{name!r} is not a valid name: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit."
        )
    return name


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final` (same suffix); on success fsync it and rename it over `final`."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600 files; data files are normally world-readable
        os.replace(tmp_path, final)
        _fsync_dir(final.parent)
    finally:
        tmp_path.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_card(path: Path, card: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(card, indent=2, sort_keys=False, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def save_model_atomic(model: keras.Model, path: Path, card: dict[str, Any] | None = None) -> None:
    """Save `model` to `path` (.keras) and its card beside it (.json), each atomically."""
    path = Path(path)
    if path.suffix != ".keras":
        raise StoreError(f"{path.name}: a model is saved as a .keras file")
    try:
        with atomic_path(path) as tmp:
            _inference_copy(model).save(tmp)
        if card is not None:
            write_card(path.with_suffix(".json"), card)
    except OSError as err:
        raise StoreError(f"could not save the model to {path.parent}: {err.strerror or err}") from err


def _inference_copy(model: keras.Model) -> keras.Model:
    """The model without its training state (optimizer, loss, metrics): what is stored is for
    inference and fine-tuning, loads with plain Keras, and is smaller."""
    if not getattr(model, "compiled", False):
        return model
    import keras

    plain = keras.models.clone_model(model)
    plain.set_weights(model.get_weights())
    return plain


def library_versions() -> dict[str, str]:
    import keras
    import numpy
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "numpy": numpy.__version__}


def make_card(model: keras.Model, **fields: Any) -> dict[str, Any]:
    """A metadata card: architecture, parameters, time, library versions, plus the given fields."""
    return {
        "name": fields.pop("name", model.name),
        "architecture": fields.pop("architecture", model.name),
        "parameters": int(model.count_params()),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": library_versions(),
        **fields,
    }


# ---------------------------------------------------------------------------------------------
# The store


@dataclass(frozen=True)
class StoredModel:
    name: str
    path: Path
    card: dict[str, Any]
    is_default: bool = False


def read_card(model_path: Path) -> dict[str, Any]:
    """The card beside a model, or {} when missing or unreadable (the model stays usable)."""
    try:
        card = json.loads(model_path.with_suffix(".json").read_text(encoding="utf-8"))
        return card if isinstance(card, dict) else {}
    except (OSError, ValueError):
        return {}


class ModelStore:
    """Stored models in one folder, plus the shipped default (read-only, never deleted)."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else models_dir()

    def default(self) -> StoredModel:
        return StoredModel(DEFAULT_NAME, DEFAULT_MODEL_PATH, read_card(DEFAULT_MODEL_PATH), is_default=True)

    def list(self) -> list[StoredModel]:
        """The default first, then stored models, newest first."""
        stored = []
        if self.folder.is_dir():
            files = sorted(self.folder.glob("*.keras"), key=lambda p: p.stat().st_mtime, reverse=True)
            stored = [StoredModel(p.stem, p, read_card(p)) for p in files if not p.name.startswith(".")]
        return [self.default(), *stored]

    def path_of(self, name: str) -> Path:
        if name == DEFAULT_NAME:
            return DEFAULT_MODEL_PATH
        return self.folder / f"{safe_name(name)}.keras"

    def get(self, name: str) -> StoredModel:
        path = self.path_of(name)
        if not path.is_file():
            raise StoreError(f"no stored model named {name!r}")
        return StoredModel(name, path, read_card(path), is_default=name == DEFAULT_NAME)

    def save(self, model: keras.Model, name: str, card: dict[str, Any]) -> StoredModel:
        name = safe_name(name)
        if name == DEFAULT_NAME:
            raise StoreError("'default' is the shipped model's name; choose another")
        path = self.folder / f"{name}.keras"
        save_model_atomic(model, path, {**card, "name": name})
        return self.get(name)

    def unique_name(self, base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-.") or "model"
        name, i = base[:56], 2
        while (self.folder / f"{name}.keras").exists() or name == DEFAULT_NAME:
            name, i = f"{base[:56]}-{i}", i + 1
        return name

    def active_name(self) -> str:
        try:
            chosen = Path(json.loads((self.folder / ACTIVE_POINTER).read_text())["path"])
        except (OSError, ValueError, KeyError, TypeError):
            return DEFAULT_NAME
        return chosen.stem if chosen.is_file() and chosen.parent == self.folder else DEFAULT_NAME

    def activate(self, name: str) -> None:
        """Make `name` the model Draw uses ('default' returns to the shipped model)."""
        if name == DEFAULT_NAME:
            (self.folder / ACTIVE_POINTER).unlink(missing_ok=True)
            return
        stored = self.get(name)
        load_model(stored.path)  # refuse to activate a model that does not load
        atomic_write_text(self.folder / ACTIVE_POINTER, json.dumps({"path": str(stored.path)}))

    def delete(self, name: str) -> None:
        if name == DEFAULT_NAME:
            raise StoreError("the shipped default model cannot be deleted")
        stored = self.get(name)
        if self.active_name() == name:
            self.activate(DEFAULT_NAME)
        stored.path.unlink(missing_ok=True)
        stored.path.with_suffix(".json").unlink(missing_ok=True)

    def import_upload(self, data: bytes, filename: str) -> StoredModel:
        """Check an uploaded .keras file (size, safe_mode load, shapes) and store it."""
        if len(data) > MAX_MODEL_BYTES:
            raise ModelError(f"{filename}: {len(data) / 2**20:.0f} MB is over the {MAX_MODEL_BYTES // 2**20} MB limit")
        name = self.unique_name(Path(filename).stem)
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir) / "upload.keras"
            tmp.write_bytes(data)
            model = load_model(tmp)  # raises ModelError with the reason
            check_model_shapes(model, filename)
            card = make_card(model, name=name, source=f"uploaded as {Path(filename).name}")
            return self.save(model, name, card)


def default_card() -> dict[str, Any]:
    return read_card(DEFAULT_CARD_PATH.with_suffix(".keras"))


def training_card(result: Any, config: Any, evaluation: Any, name: str, **extra: Any) -> dict[str, Any]:
    """The card of a freshly trained model: its TrainConfig, AugmentConfig, metrics and history.

    Args:
        result: train.TrainResult; config: train.TrainConfig; evaluation: evaluate.Evaluation on MNIST test.
        extra: more fields (command, parent, description, ...).
    """
    from .models import ARCHITECTURES

    known = ARCHITECTURES.get(config.architecture)
    description = extra.pop("description", None) or (known.description if known else "a Keras model")
    return make_card(
        result.model,
        name=name,
        architecture=config.architecture if known else result.model.name,
        description=description,
        train_config=config.to_dict(),
        augment=config.augment.to_dict(),
        seed=config.seed,
        metrics={"test_accuracy": evaluation.accuracy, **evaluation.summary()},
        history=result.history,
        training_seconds=round(result.seconds, 1),
        precision=result.precision,
        best_epoch=result.best_epoch,
        stopped_early=result.stopped_early,
        **{"parent": None, **extra},
    )
