"""The model store: .keras files with JSON metadata cards in a folder outside the repository.

Every write is atomic (a temporary file in the same folder, fsync, then rename), so a crash or kill
during a save never leaves a half-written model or card in place of a good one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .card import ModelCard, new_card
from .errors import ModelError, StoreError
from .models import MAX_MODEL_BYTES, load_model
from .paths import DEFAULT_MODEL_PATH, models_dir

if TYPE_CHECKING:  # pragma: no cover
    import keras

DEFAULT_NAME = "default"
RESERVED_NAMES = frozenset({DEFAULT_NAME, "active"})  # the shipped model; the pointer file's stem
# Letters and digits of any alphabet ('modèle', 'μοντέλο', '模型', 'मॉडल'), '_', '.' and '-'; no spaces, no
# marks that format or hide text (bidi overrides, zero-width joiners are not word characters).
MAX_NAME_CHARS = 64
_INVISIBLE_MARKS = re.compile("[\u034f\u180b-\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef]")  # joiners, variants


def is_word_char(c: str) -> bool:
    """A letter or digit of any alphabet, '_', or a mark written on a letter: most Indic words and voweled
    Arabic need them (Hindi 'मॉडल', Tamil 'தமிழ்', Arabic 'نَموذَج'); not the invisible ones."""
    return c.isalnum() or c == "_" or (unicodedata.category(c) in ("Mn", "Mc") and not _INVISIBLE_MARKS.match(c))


def _valid_name(name: str) -> bool:
    return (0 < len(name) <= MAX_NAME_CHARS and name[0].isalnum()
            and all(is_word_char(c) or c in ".-" for c in name))
MAX_NAME_BYTES = 160  # in UTF-8: with '-9999', a temporary file's prefix and suffix, under the 255 of a file name


def safe_name(name: str) -> str:
    """A model or export name a user typed, refused unless it is a plain file name (no paths).

    Names are compared in Unicode's composed form (NFC), so an 'é' typed as 'e' + an accent is the same
    name as a typed 'é'."""
    name = unicodedata.normalize("NFC", str(name).strip())
    if not _valid_name(name) or ".." in name or len(name.encode()) > MAX_NAME_BYTES:
        raise StoreError(
            f"{name!r} is not a valid name: use 1-64 letters (of any alphabet), digits, '-', '_' or '.', "
            "starting with a letter or digit."
        )
    return name


@contextlib.contextmanager
def temp_beside(final: Path) -> Iterator[Path]:
    """Yield a fresh temporary path in `final`'s folder (same suffix, hidden); it is removed afterwards."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
    finally:
        tmp_path.unlink(missing_ok=True)


def _make_durable(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())
    os.chmod(path, 0o644)  # mkstemp makes 0600 files; data files are normally world-readable


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final` (same suffix); on success fsync it and rename it over `final`."""
    with temp_beside(final) as tmp:
        yield tmp
        _make_durable(tmp)
        os.replace(tmp, final)
        _fsync_dir(final.parent)


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


def write_card(path: Path, card: ModelCard) -> None:
    atomic_write_text(path, json.dumps(card.to_dict(), indent=2, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def save_model_atomic(model: keras.Model, path: Path, card: ModelCard | None = None) -> None:
    """Save `model` to `path` (.keras), its ONNX export (.onnx, for predicting without TensorFlow) and
    its card (.json) beside it, each atomically."""
    from .export import onnx_path, try_write_onnx

    path = Path(path)
    if path.suffix != ".keras":
        raise StoreError(f"{path.name}: a model is saved as a .keras file")
    try:
        with atomic_path(path) as tmp:
            plain = _inference_copy(model)
            plain.save(tmp)
            # the export goes in first: it names the .keras it was made from (by hash), so until the
            # .keras is renamed too the pair does not match and readers use Keras, never a wrong model
            with temp_beside(onnx_path(path)) as onnx_tmp:
                if try_write_onnx(plain, onnx_tmp, tmp):
                    _make_durable(onnx_tmp)
                    os.replace(onnx_tmp, onnx_path(path))
                else:
                    onnx_path(path).unlink(missing_ok=True)  # an export of what was there before
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


# ---------------------------------------------------------------------------------------------
# The store


@dataclass(frozen=True)
class StoredModel:
    name: str
    path: Path
    card: ModelCard
    is_default: bool = False


def read_card(model_path: Path) -> ModelCard:
    """The card beside a model; an empty one (just the name) when missing or unreadable."""
    model_path = Path(model_path)
    try:
        data = json.loads(model_path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return ModelCard.from_dict(data if isinstance(data, dict) else {}, name=model_path.stem)


class ModelStore:
    """Stored models in one folder, plus the shipped default (read-only, never deleted), and the
    pointer to the model the whole class uses (the *active* model). The only owner of both."""

    POINTER = "active.json"  # {"name": "..."} in the folder; absent = the shipped default

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else models_dir()

    def default(self) -> StoredModel:
        return StoredModel(DEFAULT_NAME, DEFAULT_MODEL_PATH, replace(read_card(DEFAULT_MODEL_PATH), name=DEFAULT_NAME),
                           is_default=True)

    def list(self) -> list[StoredModel]:
        """The default first, then stored models, newest first."""
        stored = []
        if self.folder.is_dir():
            files = sorted(self.folder.glob("*.keras"), key=lambda p: p.stat().st_mtime, reverse=True)
            stored = [self._stored(p) for p in files if not p.name.startswith(".")]
        return [self.default(), *stored]

    def _stored(self, path: Path) -> StoredModel:
        card = read_card(path)
        return StoredModel(path.stem, path, replace(card, name=path.stem))

    def path_of(self, name: str) -> Path:
        if name == DEFAULT_NAME:
            return DEFAULT_MODEL_PATH
        return self.folder / f"{safe_name(name)}.keras"

    def get(self, name: str) -> StoredModel:
        if name == DEFAULT_NAME:
            return self.default()
        path = self.path_of(name)
        if not path.is_file():
            raise StoreError(f"no stored model named {name!r}")
        return self._stored(path)

    def save(self, model: keras.Model, name: str, card: ModelCard) -> StoredModel:
        """Store `model` under `name`, replacing a stored model of that name."""
        name = self._allowed(name)
        save_model_atomic(model, self.folder / f"{name}.keras", replace(card, name=name))
        return self.get(name)

    def add(self, model: keras.Model, base: str, card: ModelCard) -> StoredModel:
        """Store `model` under a new name made from `base` (base, base-2, ...), never replacing one.

        The name is claimed by a hard link of the finished file, which fails if the name exists, so two
        models added at the same moment under the same base both survive.
        """
        from .export import try_write_onnx

        base = self._base(base)
        try:
            with temp_beside(self.folder / f"{base}.keras") as tmp, temp_beside(self.folder / f"{base}.onnx") as onnx:
                plain = _inference_copy(model)
                plain.save(tmp)
                _make_durable(tmp)
                exported = try_write_onnx(plain, onnx, tmp)  # before the name is claimed: no model without it
                if exported:
                    _make_durable(onnx)
                name = self._link_free_name(tmp, base)
                if exported:
                    os.replace(onnx, self.folder / f"{name}.onnx")
                _fsync_dir(self.folder)
            write_card(self.folder / f"{name}.json", replace(card, name=name))
        except OSError as err:
            raise StoreError(f"could not save the model to the store: {err.strerror or err}") from err
        return self.get(name)

    def _link_free_name(self, file: Path, base: str) -> str:
        for i in range(1, 10_000):
            name = base if i == 1 else f"{base[:56]}-{i}"
            if name.lower() in RESERVED_NAMES:
                continue
            try:
                os.link(file, self.folder / f"{name}.keras")
                return name
            except FileExistsError:
                continue
        raise StoreError(f"no free name left for {base!r}")  # pragma: no cover - ten thousand of one name

    def unique_name(self, base: str) -> str:
        """The first free name made from `base` (a hint: `add` claims a name safely)."""
        base = self._base(base)
        name, i = base, 2
        while (self.folder / f"{name}.keras").exists() or name.lower() in RESERVED_NAMES:
            name, i = f"{base[:56]}-{i}", i + 1
        return name

    @staticmethod
    def _base(base: str) -> str:
        """A valid name (safe_name) made from any text: a file's stem, a run's name."""
        kept = "".join(c if is_word_char(c) or c in ".-" else "\0" for c in unicodedata.normalize("NFC", str(base)))
        name = re.sub(r"\.{2,}", ".", re.sub("\0+", "-", kept))
        while name and not name[0].isalnum():  # it starts with a letter or a digit
            name = name[1:]
        name = name[:56]
        while len(name.encode()) > MAX_NAME_BYTES - 5:  # room for '-9999'
            name = name[:-1]
        return name.rstrip("-.") or "model"

    @staticmethod
    def _allowed(name: str) -> str:
        name = safe_name(name)
        if name.lower() in RESERVED_NAMES:
            raise StoreError(f"{name!r} is a reserved name; choose another")
        return name

    def check_writable(self) -> None:
        """Raise StoreError unless a model can be saved here now (checked before a long run starts)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with temp_beside(self.folder / "write-check.keras") as tmp:
                tmp.write_bytes(b"\0" * 65536)
        except OSError as err:
            why = "the disk is full" if err.errno == 28 else "it is read-only or not ours" if err.errno in (13, 30) \
                else (err.strerror or str(err))
            raise StoreError(f"the model store cannot be written ({why}): a trained model could not be saved. "
                             "Ask the person who runs the server to check MNIST_LAB_HOME.") from err

    # -- the active model ------------------------------------------------------------------------
    def active_name(self) -> str:
        """The model the class uses; the shipped default when none was chosen or it is gone."""
        try:
            data = json.loads((self.folder / self.POINTER).read_text(encoding="utf-8"))
            name = data.get("name") or Path(data["path"]).stem  # {"path": ...}: written by earlier versions
            return self.get(str(name)).name
        except (OSError, ValueError, KeyError, TypeError, AttributeError, StoreError):
            return DEFAULT_NAME

    def active(self) -> StoredModel:
        return self.get(self.active_name())

    def activate(self, name: str) -> None:
        """Make `name` the model the class uses ('default' returns to the shipped model)."""
        if name == DEFAULT_NAME:
            (self.folder / self.POINTER).unlink(missing_ok=True)
            return
        stored = self.get(name)
        load_model(stored.path)  # refuse to activate a model that does not load
        atomic_write_text(self.folder / self.POINTER, json.dumps({"name": stored.name}))

    def rename(self, name: str, new: str) -> StoredModel:
        """Give stored model `name` the name `new` (its card and ONNX export go with it; the class's active
        model stays the same model). Refused if `new` is taken, reserved or not a plain name."""
        if name == DEFAULT_NAME:
            raise StoreError("the shipped default model cannot be renamed")
        new = self._allowed(new)
        stored = self.get(name)
        if new == stored.name:
            return stored
        was_active = self.active_name() == stored.name
        moved = []
        try:
            for suffix in (".keras", ".onnx", ".json"):  # a hard link claims each new name or fails: no overwrite
                old_file = stored.path.with_suffix(suffix)
                if old_file.exists():
                    os.link(old_file, self.folder / f"{new}{suffix}")
                    moved.append(suffix)
        except FileExistsError:
            for suffix in moved:
                (self.folder / f"{new}{suffix}").unlink(missing_ok=True)
            raise StoreError(f"there is already a model named {new!r}; choose another name") from None
        except OSError as err:
            for suffix in moved:
                (self.folder / f"{new}{suffix}").unlink(missing_ok=True)
            raise StoreError(f"{name} could not be renamed: {err.strerror or err}") from err
        renamed = self.get(new)
        if renamed.path.with_suffix(".json").exists():
            write_card(renamed.path.with_suffix(".json"), replace(renamed.card, name=new))
        if was_active:
            atomic_write_text(self.folder / self.POINTER, json.dumps({"name": new}))
        for suffix in moved:
            stored.path.with_suffix(suffix).unlink(missing_ok=True)
        return self.get(new)

    def delete(self, name: str) -> None:
        if name == DEFAULT_NAME:
            raise StoreError("the shipped default model cannot be deleted")
        stored = self.get(name)
        if self.active_name() == name:
            self.activate(DEFAULT_NAME)
        stored.path.unlink(missing_ok=True)
        stored.path.with_suffix(".onnx").unlink(missing_ok=True)
        stored.path.with_suffix(".json").unlink(missing_ok=True)

    def import_upload(self, data: bytes, filename: str) -> StoredModel:
        """Check an uploaded .keras file (size, archive, cost per image, safe_mode load, shapes) and store
        it under a new name; every refusal names the user's file (mnist_core/uploads.py)."""
        from . import uploads

        name = uploads.display_name(filename)
        if len(data) > MAX_MODEL_BYTES:
            raise ModelError(f"{name}: {len(data) / 2**20:.0f} MB is over the {MAX_MODEL_BYTES // 2**20} MB limit")
        model = uploads.load_upload(data, filename)  # raises ModelError naming the user's file
        card = new_card(model, name=Path(name).stem, source=f"uploaded as {name}")
        return self.add(model, Path(name).stem, card)
