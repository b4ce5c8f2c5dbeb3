"""From a drawing to class probabilities, fast enough to run after every stroke."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import ModelError
from .export import OnnxModel, load_onnx, onnx_path
from .models import load_model
from .preprocess import PrepOptions, PrepSteps, prepare_steps
from .segment import Segment, segment

if TYPE_CHECKING:  # pragma: no cover
    import keras

    Predictor = OnnxModel | keras.Model  # a stored model's ONNX export (no TensorFlow), or a Keras model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    digit: int
    probabilities: np.ndarray  # (10,) float32, sums to 1
    model_input: np.ndarray  # (28, 28) float32 in [0, 1]: what the model saw
    steps: PrepSteps | None = None  # every normalisation step, for "what the model sees"

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.digit])


class ModelCache:
    """Models loaded for inference, once per file version, shared read-only by every session of the
    server. The one owner of "is this model loaded". Thread-safe.

    Two kinds per stored model: `predictor(path)` answers drawings (ONNX Runtime on the .onnx file
    beside the .keras, no TensorFlow; Keras when there is none), `get(path)` is the Keras model itself
    (Grad-CAM, feature maps, nearest neighbours, evaluation pages).
    """

    def __init__(self) -> None:
        self._models: dict[tuple, Predictor] = {}
        self._lock = threading.Lock()
        self._loading: dict[tuple, threading.Lock] = {}  # one lock per file version being loaded
        self._threads: dict[tuple, threading.Thread] = {}

    @staticmethod
    def _key(kind: str, path: Path) -> tuple:
        key: tuple = (kind, str(path.resolve()), _mtime(path))
        if kind == "predictor":  # a new or replaced export beside the same .keras is a new version
            key += (_mtime(onnx_path(path)),)
        return key

    def is_loaded(self, path: str | Path) -> bool:
        """Whether get(path) would return at once (this file version's Keras model is loaded and traced)."""
        with self._lock:
            return self._key("keras", Path(path)) in self._models

    def is_ready(self, path: str | Path) -> bool:
        """Whether predictor(path) would return at once."""
        with self._lock:
            return self._key("predictor", Path(path)) in self._models

    def get(self, path: str | Path) -> keras.Model:
        """The Keras model in `path`, loaded (and its inference pass traced) on first use. Imports TensorFlow."""
        return self._once(self._key("keras", Path(path)), lambda: _load_keras(Path(path)))

    def predictor(self, path: str | Path) -> Predictor:
        """What answers drawings for the model in `path`: its ONNX export run by ONNX Runtime, or the
        Keras model when the export is missing, stale or does not load (said once in the log)."""
        path = Path(path)
        return self._once(self._key("predictor", path), lambda: self._load_predictor(path))

    def _load_predictor(self, path: Path) -> Predictor:
        return _onnx_else(path, self.get)

    def _once(self, key: tuple, load) -> Predictor:
        with self._lock:
            model = self._models.get(key)
            loading = self._loading.setdefault(key, threading.Lock())
        if model is not None:
            return model
        with loading:  # one load per file: a page asking while a background load runs waits for it
            with self._lock:
                model = self._models.get(key)
            if model is None:
                model = load()
                with self._lock:
                    model = self._models.setdefault(key, model)
                # TensorFlow, Keras and the model are ~10^6 long-lived objects: move them out of the
                # collector's way, or every automatic full collection holds the GIL for ~0.25 s
                # (measured on a server answering 20 students)
                gc.freeze()
        return model

    def preload(self, path: str | Path) -> None:
        """Start loading the predictor of `path` in a daemon thread; no-op if loaded or loading.

        With its ONNX export that takes ~0.2 s; without, TensorFlow and the Keras model (~2-5 s). The
        thread then classifies one made-up stroke, so that the first drawing finds the preprocessing's
        SciPy imported and the predictor warm: a fresh server's first visitor draws meanwhile."""
        _freeze_tensorflow_once()
        path = Path(path)
        key = self._key("predictor", path)
        with self._lock:
            thread = self._threads.get(key)
            if key in self._models or (thread is not None and thread.is_alive()):
                return

            def load() -> None:
                try:
                    classify(WARM_UP_STROKE, self.predictor(path))
                except Exception:  # noqa: BLE001, S110 - the page that needs it loads it again and says why
                    pass

            self._threads[key] = thread = threading.Thread(target=load, name="model-preload", daemon=True)
        thread.start()


WARM_UP_STROKE = np.zeros((56, 56), np.uint8)  # a "1" on a small gray canvas (see ModelCache.preload)
WARM_UP_STROKE[8:48, 26:31] = 255

_tensorflow_frozen = False


def _freeze_tensorflow_once() -> None:
    """Once a page has imported TensorFlow (Train counts parameters with it), move its ~10^6 objects out
    of the collector's way, as a model load does: Draw no longer loads TensorFlow, so no load would."""
    global _tensorflow_frozen
    if not _tensorflow_frozen and "tensorflow" in sys.modules:
        _tensorflow_frozen = True
        gc.freeze()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _load_keras(path: Path) -> keras.Model:
    model = load_model(path)
    probabilities(model, np.zeros((1, 28, 28), np.float32))  # trace the pass now, not on a click
    return model


MODELS = ModelCache()  # this process's inference models
_compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its compiled forward pass
_compiled_lock = threading.Lock()


def _forward(model: keras.Model):
    """The model's inference pass as a tf.function, traced once per model (any batch size).

    Measured on the 2-core machine for one image: model.predict(x) ~100 ms, model(x) ~5-11 ms,
    this ~1 ms, since the Python of every Keras layer runs once, at tracing, not on every call.
    """
    with _compiled_lock:
        fn = _compiled.get(model)
        if fn is None:
            import tensorflow as tf

            def infer(x):
                return model(x, training=False)

            fn = tf.function(infer, input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)], autograph=False)
            _compiled[model] = fn
        return fn


def probabilities(model: Predictor, batch: np.ndarray) -> np.ndarray:
    """(N, 28, 28) or (N, 28, 28, 1) inputs -> (N, 10) probabilities, from an ONNX export (ONNX Runtime)
    or a Keras model called directly (never `model.predict`, which costs ~100x more for one image)."""
    if isinstance(model, OnnxModel):
        return model.probabilities(batch)
    if not callable(model):
        raise TypeError(f"expected a Keras model, got {type(model).__name__}")
    x = np.asarray(batch, dtype=np.float32).reshape(-1, 28, 28, 1)
    return np.asarray(_forward(model)(x), dtype=np.float32)


def active_model() -> Predictor:
    """What answers for the model the class uses (the store's active model), from this process's cache."""
    from .store import ModelStore

    return MODELS.predictor(ModelStore().active().path)


def load_predictor(path: str | Path) -> Predictor:
    """A fresh predictor for one model file (its ONNX export, else Keras), not shared: for one-off work
    such as calibrating a model from the command line."""
    return _onnx_else(path, load_model)


def _onnx_else(path: str | Path, keras_loader) -> Predictor:
    """The model's ONNX export, else `keras_loader(path)` with the reason in the log (once per load)."""
    try:
        return load_onnx(path)
    except ModelError as err:
        log.warning("%s; predicting with Keras (TensorFlow) instead", err)
    except ImportError as err:  # onnxruntime not installed
        log.warning("ONNX Runtime is not available (%s); predicting with Keras (TensorFlow) instead", err)
    return keras_loader(path)


def classify(image: np.ndarray, model: Predictor | None = None,
             options: PrepOptions = PrepOptions()) -> Prediction | None:
    """Classify one drawing.

    Args:
        image: canvas RGBA (H, W, 4) uint8 or a grayscale (H, W) image (see preprocess.to_ink).
        model: a loaded model (OnnxModel or Keras); None uses the class's active model (loaded once, shared).
        options: which normalisation steps to run.
    Returns:
        The Prediction, or None when the image holds no ink.
    Raises:
        ValueError: the image cannot be read.
    """
    steps = prepare_steps(image, options)
    if steps is None:
        return None
    probs = probabilities(model if model is not None else active_model(), steps.model_input[None])[0]
    return Prediction(int(np.argmax(probs)), probs, steps.model_input, steps)


@dataclass(frozen=True)
class NumberReading:
    digits: list[Prediction]  # left to right
    segments: list[Segment]  # where each digit is in the drawing

    @property
    def text(self) -> str:
        return "".join(str(p.digit) for p in self.digits)


def read_number(
    image: np.ndarray, model: Predictor | None = None, options: PrepOptions = PrepOptions()
) -> NumberReading | None:
    """Read a drawing of several digits side by side ("2026"): segment, normalise each, one model call.

    Returns None when the image holds no ink. Raises ValueError when it cannot be read.
    """
    pairs = [(seg, prepare_steps(seg.ink, options)) for seg in segment(image, options.paper)]
    pairs = [(seg, steps) for seg, steps in pairs if steps is not None]
    if not pairs:
        return None
    batch = np.stack([steps.model_input for _, steps in pairs])
    probs = probabilities(model if model is not None else active_model(), batch)
    digits = [
        Prediction(int(np.argmax(p)), p, steps.model_input, steps) for p, (_, steps) in zip(probs, pairs, strict=True)
    ]
    return NumberReading(digits, [seg for seg, _ in pairs])
