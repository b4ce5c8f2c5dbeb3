"""The ONNX file beside a stored model: written with the .keras, read by ONNX Runtime without TensorFlow.

Every stored model `name.keras` gets `name.onnx` (Keras 3's `model.export(format="onnx")`, which runs
tf2onnx). The drawing path predicts with it through ONNX Runtime: importing that takes ~0.1 s and one
image ~0.2 ms, where TensorFlow takes ~2 s to import and several hundred MB. The ONNX file records the
SHA-256 of the .keras it was made from; a file that does not match (the .keras was replaced, a crash
between the two renames) is refused and the caller falls back to Keras, so an answer never comes from
another model than the one chosen.

    python -m mnist_core export assets/default_model.keras   # (re)write assets/default_model.onnx
"""

from __future__ import annotations

import hashlib
import logging
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    import keras

log = logging.getLogger(__name__)

SOURCE_KEY = "keras_sha256"  # ONNX metadata: the SHA-256 of the .keras file it was exported from
TOLERANCE = 1e-4  # largest difference from Keras's probabilities an export may have
_EXPORT_LOCK = threading.Lock()  # tf2onnx keeps global state (its logging, graph rewriting)


class ExportError(ModelError):
    """A model could not be exported to ONNX (an unsupported layer, a converter failure)."""


def onnx_path(model_path: str | Path) -> Path:
    """Where the ONNX file of a .keras model lives: beside it, same name."""
    return Path(model_path).with_suffix(".onnx")


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file (a 1.4 MB model: ~2 ms)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Writing (TensorFlow + tf2onnx: only where models are saved)


def write_onnx(model: keras.Model, dest: str | Path, source_sha256: str) -> None:
    """Export `model` to ONNX at `dest`, recording the .keras file's SHA-256, and check it agrees.

    Args:
        model: a float32 Keras model mapping (N, 28, 28, 1) or (N, 28, 28) to (N, 10) probabilities.
        dest: the file to write (callers pass a temporary path and rename it: see store.atomic_path).
        source_sha256: file_sha256 of the .keras file saved from the same model.
    Raises:
        ExportError: the converter failed, or ONNX Runtime's outputs differ from Keras's by more
            than TOLERANCE on test inputs.
    """
    import onnx

    dest = Path(dest)
    shape = (2, *[int(d) for d in model.inputs[0].shape[1:]]) if getattr(model, "inputs", None) else (2, 28, 28, 1)
    probe = np.random.default_rng(0).random((8, *shape[1:]), dtype=np.float32)
    try:
        expected = np.asarray(model(probe, training=False))  # also marks the model as called: export needs it
        with _EXPORT_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf2onnx and Keras's numpy-2 patch warn about deprecations
            logging.getLogger("tf2onnx").setLevel(logging.ERROR)
            model.export(str(dest), format="onnx", verbose=False)
        proto = onnx.load(str(dest))
    except Exception as err:  # noqa: BLE001 - the converter raises many types
        reason = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
        raise ExportError(f"cannot export {model.name} to ONNX: {reason}") from err
    entry = proto.metadata_props.add()
    entry.key, entry.value = SOURCE_KEY, source_sha256
    onnx.save(proto, str(dest))
    got = OnnxModel(dest).probabilities(probe)
    diff = float(np.max(np.abs(got - expected)))
    if not diff < TOLERANCE:
        raise ExportError(f"the ONNX export of {model.name} differs from Keras by {diff:.2g} (more than {TOLERANCE})")


def try_write_onnx(model: keras.Model, dest: str | Path, keras_file: str | Path) -> bool:
    """write_onnx for a model just saved as `keras_file`; False, and a log line, when it cannot be
    exported (a layer tf2onnx does not know, no converter installed): the model is then stored
    without an export and answers through Keras."""
    try:
        write_onnx(model, dest, file_sha256(keras_file))
        return True
    except (ExportError, ImportError) as err:
        log.warning("%s: stored without an ONNX export (%s)", Path(keras_file).name, err)
        return False


def export_beside(model_path: str | Path, model: keras.Model | None = None) -> Path:
    """Write (atomically) the ONNX file beside the .keras file `model_path`; loads the model unless given.

    For the command line (`python -m mnist_core export`) and models stored before exports existed.
    Raises ModelError / ExportError.
    """
    from .models import load_model
    from .store import atomic_path

    model_path = Path(model_path)
    model = model if model is not None else load_model(model_path)
    with atomic_path(onnx_path(model_path)) as tmp:
        write_onnx(model, tmp, file_sha256(model_path))
    return onnx_path(model_path)


# ---------------------------------------------------------------------------------------------
# Reading (ONNX Runtime only: the drawing path)


class OnnxModel:
    """A model's ONNX file run by ONNX Runtime: (N, 28, 28[, 1]) float32 -> (N, 10) probabilities.

    Read-only once made; ONNX Runtime's `run` may be called from many threads at once (every session
    of the server shares one instance).
    """

    def __init__(self, path: str | Path, expect_sha256: str | None = None):
        import onnxruntime as ort

        self.path = Path(path)
        options = ort.SessionOptions()
        # One thread per call, and no spinning: on a 2-core server many sessions predict at once, and
        # ONNX Runtime's default pool would spin its threads between calls, taking CPU from the others.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only
        try:
            self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # noqa: BLE001 - ONNX Runtime raises its own types for bad files
            raise ModelError(f"{self.path.name}: cannot be loaded by ONNX Runtime: {str(err)[:300]}") from err
        meta = self._session.get_modelmeta().custom_metadata_map
        self.source_sha256 = meta.get(SOURCE_KEY, "")
        if expect_sha256 is not None and self.source_sha256 != expect_sha256:
            raise ModelError(f"{self.path.name}: was exported from another version of the model (stale export)")
        (inp,) = self._session.get_inputs()
        self._input = inp.name
        self._shape = (-1, 28, 28) if len(inp.shape) == 3 else (-1, 28, 28, 1)
        self.name = self.path.stem

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (N, 28, 28, 1) inputs in [0, 1] -> (N, 10) float32 probabilities."""
        x = np.ascontiguousarray(batch, dtype=np.float32).reshape(self._shape)
        return self._session.run(None, {self._input: x})[0]

    def __repr__(self) -> str:
        return f"OnnxModel({str(self.path)!r})"


def load_onnx(model_path: str | Path) -> OnnxModel:
    """The ONNX Runtime model beside the .keras file `model_path`, checked to be exported from it.

    Raises ModelError when the ONNX file is missing, unreadable or stale (made from another .keras).
    """
    model_path = Path(model_path)
    path = onnx_path(model_path)
    if not path.is_file():
        raise ModelError(f"{model_path.name}: has no ONNX export beside it ({path.name})")
    return OnnxModel(path, expect_sha256=file_sha256(model_path))


# ---------------------------------------------------------------------------------------------
# Taking a model elsewhere: how to make it again


def retrain_command(card, parent_path: str | Path | None = None) -> tuple[str, list[str]]:
    """The command line that makes this model again, and the settings it cannot say.

    A CLI run's card has its command. For a model trained in the app the command is rebuilt from
    its TrainConfig (the nearest preset plus flags); a fine-tune's from its FinetuneConfig.

    Args:
        card: the model's ModelCard.
        parent_path: where the parent model's .keras file is (fine-tunes, --init); its name otherwise.
    Returns:
        (command, notes): `command` is "" when the card does not say how the model was made (an
        upload); `notes` lists the settings the command line has no flag for, as "name=value".
    """
    from .finetune import FinetuneConfig
    from .train_config import PRESETS, TrainConfig

    if card.command:
        return card.command, []
    out = f"{card.name}.keras"
    parent = str(parent_path or (f"{card.parent.name}.keras" if card.parent else ""))
    if card.finetune:
        fc = FinetuneConfig(**{k: v for k, v in card.finetune.items() if k in FinetuneConfig.__dataclass_fields__})
        flags = {"--mode": fc.mode, "--source": fc.source, "--digits": _digits(fc.digits), "--subset": fc.subset,
                 "--replay": fc.replay, "--epochs": fc.epochs, "--batch-size": fc.batch_size,
                 "--learning-rate": fc.learning_rate, "--seed": fc.seed}
        default = FinetuneConfig()
        notes = [f"{k}={getattr(fc, k)}" for k in ("holdout", "optimizer", "validation_split", "augment")
                 if getattr(fc, k) != getattr(default, k)]
        return _command(["finetune", parent, "--out", out], flags), notes
    if not card.train_config:
        return "", []
    config = TrainConfig.from_dict(card.train_config)
    preset = min(PRESETS, key=lambda name: sum(a != b for a, b in zip(_values(PRESETS[name]), _values(config),
                                                                        strict=True)))
    base = PRESETS[preset]
    cli = {"architecture": "--architecture", "epochs": "--epochs", "batch_size": "--batch-size",
           "learning_rate": "--learning-rate", "train_subset": "--subset", "validation_split": "--validation-split",
           "outliers": "--outliers", "seed": "--seed"}
    flags = {flag: getattr(config, f) for f, flag in cli.items() if getattr(config, f) != getattr(base, f)}
    if config.digits != base.digits:
        flags["--digits"] = _digits(config.digits)
    no_augment = config.augment != base.augment and config.augment == type(config.augment)()
    notes = [f"{field}={getattr(config, field)}" for field in ("optimizer", "schedule", "label_smoothing", "precision")
             if getattr(config, field) != getattr(base, field)]
    if config.augment != base.augment and not no_augment:
        notes.append(f"augment={config.augment.to_dict()}")
    head = ["train", "--preset", preset, "--out", out] + (["--init", parent] if card.parent else [])
    return _command(head + (["--no-augment"] if no_augment else []), flags), notes


def _values(config) -> list:
    return [getattr(config, f) for f in config.__dataclass_fields__]


def _digits(digits: tuple[int, ...]) -> str | None:
    return ",".join(map(str, digits)) if digits else None


def _command(head: list[str], flags: dict) -> str:
    import shlex

    words = ["python", "-m", "mnist_core", *head]
    for flag, value in flags.items():
        if value is not None:
            words += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return " ".join(shlex.quote(w) for w in words)
