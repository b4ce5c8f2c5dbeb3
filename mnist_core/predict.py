"""From a drawing to class probabilities, fast enough to run after every stroke."""

from __future__ import annotations

import gc
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .models import load_model
from .preprocess import PrepOptions, PrepSteps, prepare_steps
from .segment import Segment, segment

if TYPE_CHECKING:  # pragma: no cover
    import keras


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
    """Models loaded for inference, once per (file, modification time), shared read-only by every
    session of the server. The one owner of "is this model loaded". Thread-safe."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, float], keras.Model] = {}
        self._lock = threading.Lock()
        self._loading: dict[tuple[str, float], threading.Lock] = {}  # one lock per file being loaded
        self._threads: dict[tuple[str, float], threading.Thread] = {}

    @staticmethod
    def _key(path: Path) -> tuple[str, float]:
        return str(path.resolve()), path.stat().st_mtime if path.exists() else 0.0

    def is_loaded(self, path: str | Path) -> bool:
        """Whether get(path) would return at once (this file version is loaded and traced)."""
        with self._lock:
            return self._key(Path(path)) in self._models

    def get(self, path: str | Path) -> keras.Model:
        """The model in `path`, loaded (and its inference pass traced) on first use."""
        path = Path(path)
        key = self._key(path)
        with self._lock:
            model = self._models.get(key)
            loading = self._loading.setdefault(key, threading.Lock())
        if model is not None:
            return model
        with loading:  # one load per file: a page asking while a background load runs waits for it
            with self._lock:
                model = self._models.get(key)
            if model is None:
                model = load_model(path)
                probabilities(model, np.zeros((1, 28, 28), np.float32))  # trace the pass now, not on a click
                with self._lock:
                    model = self._models.setdefault(key, model)
                # TensorFlow, Keras and the model are ~10^6 long-lived objects: move them out of the
                # collector's way, or every automatic full collection holds the GIL for ~0.25 s
                # (measured on a server answering 20 students)
                gc.freeze()
        return model

    def preload(self, path: str | Path) -> None:
        """Start loading `path` in a daemon thread (~2-5 s on a cold server); no-op if loaded or loading."""
        path = Path(path)
        key = self._key(path)
        with self._lock:
            thread = self._threads.get(key)
            if key in self._models or (thread is not None and thread.is_alive()):
                return

            def load() -> None:
                try:
                    self.get(path)
                except Exception:  # noqa: BLE001, S110 - the page that needs it loads it again and says why
                    pass

            self._threads[key] = thread = threading.Thread(target=load, name="model-preload", daemon=True)
        thread.start()


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


def probabilities(model: keras.Model, batch: np.ndarray) -> np.ndarray:
    """(N, 28, 28) or (N, 28, 28, 1) inputs -> (N, 10) probabilities, calling the model directly
    (never `model.predict`, which costs ~100x more for one image)."""
    if not callable(model):
        raise TypeError(f"expected a Keras model, got {type(model).__name__}")
    x = np.asarray(batch, dtype=np.float32).reshape(-1, 28, 28, 1)
    return np.asarray(_forward(model)(x), dtype=np.float32)


def active_model() -> keras.Model:
    """The model the class uses (the store's active model), from this process's cache."""
    from .store import ModelStore

    return MODELS.get(ModelStore().active().path)


def classify(image: np.ndarray, model: keras.Model | None = None,
             options: PrepOptions = PrepOptions()) -> Prediction | None:
    """Classify one drawing.

    Args:
        image: canvas RGBA (H, W, 4) uint8 or a grayscale (H, W) image (see preprocess.to_ink).
        model: a loaded model; None uses the class's active model (loaded once, shared).
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
    image: np.ndarray, model: keras.Model | None = None, options: PrepOptions = PrepOptions()
) -> NumberReading | None:
    """Read a drawing of several digits side by side ("2026"): segment, normalise each, one model call.

    Returns None when the image holds no ink. Raises ValueError when it cannot be read.
    """
    pairs = [(seg, prepare_steps(seg.ink, options)) for seg in segment(image)]
    pairs = [(seg, steps) for seg, steps in pairs if steps is not None]
    if not pairs:
        return None
    batch = np.stack([steps.model_input for _, steps in pairs])
    probs = probabilities(model if model is not None else active_model(), batch)
    digits = [
        Prediction(int(np.argmax(p)), p, steps.model_input, steps) for p, (_, steps) in zip(probs, pairs, strict=True)
    ]
    return NumberReading(digits, [seg for seg, _ in pairs])
