"""The model card: one typed record of what a stored model is, how it was made and how it scores.

Saved as JSON beside each .keras file. `ModelCard.from_dict` reads any card this app ever wrote
(unknown fields are kept in `extra`), so old stores keep working; readers use the properties here
instead of digging in nested dicts.
"""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import keras


@dataclass(frozen=True)
class ParentRef:
    """The model a fine-tune (or a CLI run with --init) started from."""

    name: str  # its store name, or its file name
    test_accuracy: float | None = None
    command: str = ""  # how the parent itself was made, when known

    @classmethod
    def from_value(cls, value: Any) -> ParentRef | None:
        """A parent as older cards stored it: a name, or a dict with file/command/test_accuracy."""
        if not value:
            return None
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, dict):
            name = value.get("name") or value.get("file") or "?"
            acc = value.get("test_accuracy")
            return cls(
                str(name), float(acc) if isinstance(acc, (int, float)) else None, str(value.get("command") or "")
            )
        return cls(str(value))


@dataclass(frozen=True)
class ModelCard:
    """What is known about a stored model. Every field but `name` may be missing on an uploaded one."""

    name: str
    architecture: str = ""  # a name of models.ARCHITECTURES, or the Keras model's own name
    description: str = ""
    parameters: int | None = None
    created: str = ""  # ISO time, UTC
    versions: dict[str, str] = field(default_factory=dict)  # python, tensorflow, keras, numpy
    source: str = ""  # "Train page", "command line", "uploaded as x.keras", ...
    command: str = ""  # the command line that made it (CLI runs)
    train_config: dict[str, Any] | None = None  # TrainConfig.to_dict()
    augment: dict[str, Any] | None = None  # AugmentConfig.to_dict()
    seed: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)  # MNIST test: test_accuracy, per_class
    history: list[dict[str, float]] = field(default_factory=list)  # one row per epoch
    training_seconds: float | None = None
    precision: str = ""
    best_epoch: int | None = None
    stopped_early: bool = False
    parent: ParentRef | None = None
    finetune: dict[str, Any] | None = None  # FinetuneConfig.to_dict()
    before: dict[str, float | None] | None = None  # fine-tuning: accuracy before and after
    after: dict[str, float | None] | None = None
    images: int | None = None  # images fine-tuned on
    handwriting_held_out: int | None = None
    calibration: dict[str, Any] | None = None  # calibrate.Calibration.to_dict()
    extra: dict[str, Any] = field(default_factory=dict)  # fields this version does not know

    # -- reading -------------------------------------------------------------------------------
    @property
    def test_accuracy(self) -> float | None:
        value = self.metrics.get("test_accuracy", self.metrics.get("accuracy"))
        return float(value) if isinstance(value, (int, float)) else None

    def per_class(self, metric: str = "f1") -> list[float] | None:
        """The 10 per-digit scores on MNIST test (precision, recall or f1), when measured."""
        per = self.metrics.get("per_class")
        try:
            return [float(per[str(d)][metric]) for d in range(10)]
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def epochs_run(self) -> int | None:
        """Epochs actually trained (a stopped run counts its partial epoch), else the planned number."""
        if self.history:
            return len(self.history)
        planned = (self.train_config or {}).get("epochs")
        return int(planned) if isinstance(planned, int) else None

    @property
    def origin(self) -> str:
        """Where the model comes from, in a few words."""
        if self.parent is not None:
            return f"fine-tuned from {self.parent.name}"
        if self.source:
            return self.source
        return "command line" if self.command else "Train page" if self.train_config else "unknown"

    # -- writing -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("extra", "parent")}
        out["parent"] = asdict(self.parent) if self.parent is not None else None
        return {**self.extra, **out}

    @classmethod
    def from_dict(cls, data: dict[str, Any], name: str = "") -> ModelCard:
        """A card from its JSON (tolerant: wrong types fall back to the defaults)."""
        data = dict(data) if isinstance(data, dict) else {}
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {"name": str(data.pop("name", "") or name)}
        values["parent"] = ParentRef.from_value(data.pop("parent", None))
        extra = {}
        for key, value in data.items():
            if key in known and key not in ("extra", "name", "parent"):
                values[key] = value
            else:
                extra[key] = value
        card = cls(**values, extra=extra)
        return card._sane()

    def _sane(self) -> ModelCard:
        """Replace values of the wrong type (a hand-edited or foreign card) by the field's default."""
        fixes: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            kind = {"metrics": dict, "versions": dict, "history": list, "extra": dict}.get(f.name)
            if kind is not None and not isinstance(value, kind):
                fixes[f.name] = kind()
            elif f.name in (
                "architecture",
                "description",
                "created",
                "source",
                "command",
                "precision",
            ) and not isinstance(value, str):
                fixes[f.name] = str(value) if value is not None else ""
            elif f.name == "parameters" and value is not None and not isinstance(value, int):
                fixes[f.name] = None
        return replace(self, **fixes) if fixes else self


def new_card(model: keras.Model, name: str, **values: Any) -> ModelCard:
    """The card of a model made now: its parameter count, the time and library versions, plus `values`."""
    return ModelCard(
        name=name,
        architecture=values.pop("architecture", model.name),
        parameters=int(model.count_params()),
        created=now(),
        versions=library_versions(),
        **values,
    )


def library_versions() -> dict[str, str]:
    """The versions that matter to load and re-run a model (imports TensorFlow)."""
    import keras
    import numpy
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
    }


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
