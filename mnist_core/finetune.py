"""Fine-tuning a stored model: a new head on frozen features, or everything at a lower learning rate.

Data is MNIST (optionally only some digits: pretrain on 0-4, fine-tune on 5-9), or the class's saved
handwriting mixed with MNIST "replay" so the model does not forget MNIST. Accuracy is measured before
and after, on MNIST test (all digits and the chosen ones) and on held-out handwriting.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .augment import AugmentConfig
from .errors import ConfigError, ModelError
from .progress import TrainingProgress
from .train_config import CUSTOM, OPTIMIZERS, TrainConfig, check_digits
from .train_data import select_digits

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .train import TrainResult

MODES = {
    "head": "Freeze the feature layers and train a new classifier head",
    "all": "Unfreeze every layer and train it all at a lower learning rate",
}
SOURCES = {
    "mnist": "MNIST training digits (optionally only some digits)",
    "handwriting": "Our saved handwriting, mixed with MNIST replay so it does not forget",
}
HEAD_NAME = "new_head"
MIN_HOLDOUT = 8  # with fewer handwriting samples, all are used for training and none held out


@dataclass(frozen=True)
class FinetuneConfig:
    """How to fine-tune; saved in the fine-tuned model's card next to its parent's name."""

    mode: str = "head"  # head | all
    source: str = "mnist"  # mnist | handwriting
    digits: tuple[int, ...] = ()  # MNIST digits to fine-tune on; () = all ten
    subset: int = 6000  # MNIST images to use (first N of the chosen digits; 0 = all)
    replay: int = 3000  # with handwriting: MNIST images mixed in so the model keeps MNIST
    holdout: float = 0.25  # with handwriting: share kept aside to measure before/after
    epochs: int = 3
    batch_size: int = 64
    optimizer: str = "adam"
    learning_rate: float | None = None  # None: 1e-2 for a new head (a linear layer), 1e-4 when all is unfrozen
    validation_split: float = 0.1
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"fine-tuning mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.source not in SOURCES:
            raise ConfigError(f"fine-tuning data must be one of {', '.join(SOURCES)}, got {self.source!r}")
        if not isinstance(self.subset, int) or not (self.subset == 0 or 100 <= self.subset <= 60000):
            raise ConfigError(f"MNIST images must be 0 (all) or 100-60000, got {self.subset!r}")
        if not isinstance(self.replay, int) or not 0 <= self.replay <= 60000:
            raise ConfigError(f"MNIST replay must be 0-60000 images, got {self.replay!r}")
        if not isinstance(self.holdout, (int, float)) or not 0.0 <= self.holdout <= 0.5:
            raise ConfigError(f"held-out share must be between 0 and 0.5, got {self.holdout!r}")
        if isinstance(self.augment, dict):
            object.__setattr__(self, "augment", AugmentConfig.from_dict(self.augment))
        object.__setattr__(self, "digits", check_digits(self.digits))
        self.train_config()  # epochs, batch size, learning rate... are checked by TrainConfig

    @property
    def lr(self) -> float:
        return self.learning_rate if self.learning_rate is not None else (1e-2 if self.mode == "head" else 1e-4)

    def train_config(self, architecture: str = CUSTOM) -> TrainConfig:
        """The TrainConfig of the fine-tuning run (the data was already chosen: no digit filter, no subset)."""
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        return TrainConfig(architecture=architecture, epochs=self.epochs, batch_size=self.batch_size,
                           optimizer=self.optimizer, learning_rate=self.lr, schedule="cosine",
                           validation_split=self.validation_split, augment=self.augment, seed=self.seed)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FinetuneConfig:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


# ---------------------------------------------------------------------------------------------
# The model


def _classifier(model: keras.Model):
    """The last Dense layer (the classifier head) of a model."""
    import keras

    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if not dense:
        raise ModelError(f"{model.name}: has no Dense classifier layer to replace; fine-tune it with mode 'all'")
    return dense[-1]


def tunable_model(model: keras.Model, mode: str, seed: int = 0) -> keras.Model:
    """The model to fine-tune, built on `model`'s layers (which it shares: pass a freshly loaded copy).

    head: every layer frozen (batch norm then runs in inference mode), the last Dense replaced by a new
    softmax head, the only trainable weights. all: the same model with every layer trainable.
    """
    import keras

    if mode not in MODES:
        raise ConfigError(f"fine-tuning mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "all":
        model.trainable = True
        for layer in model.layers:
            layer.trainable = True
        return model
    old = _classifier(model)
    if old is not model.layers[-1]:
        raise ModelError(f"{model.name}: layers follow its last Dense layer, so its head cannot be replaced; "
                         "fine-tune it with mode 'all'")
    for layer in model.layers:
        layer.trainable = False
    features = old.input  # (N, F): what the old head read
    head = keras.layers.Dense(10, activation="softmax", name=HEAD_NAME,
                              kernel_initializer=keras.initializers.GlorotUniform(seed=seed))
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs  # a list would warn on every call
    return keras.Model(inputs, head(features), name=model.name)


# ---------------------------------------------------------------------------------------------
# Data


def load_handwriting() -> tuple[np.ndarray, np.ndarray] | None:
    """The class's saved handwriting as ((N, 28, 28) float32 in [0, 1], (N,) uint8), or None when
    none is saved yet. Raises StoreError when the collection cannot be read."""
    from .handwriting import HandwritingStore

    x, y = HandwritingStore().arrays()
    if len(x) == 0:
        return None
    return np.asarray(x, np.float32).reshape(-1, 28, 28), np.asarray(y, np.uint8).reshape(-1)


def to_uint8(x: np.ndarray) -> np.ndarray:
    """(N, 28, 28) float in [0, 1] -> uint8 0-255, the form MNIST and the training pipeline use."""
    return np.clip(np.rint(np.asarray(x, np.float32) * 255.0), 0, 255).astype(np.uint8)


def split_handwriting(x: np.ndarray, y: np.ndarray, holdout: float, seed: int = 0):
    """(x_fit, y_fit, x_held, y_held): a seeded share kept aside to measure before/after honestly."""
    n_held = int(round(len(x) * holdout)) if len(x) >= MIN_HOLDOUT else 0
    order = np.random.default_rng(seed).permutation(len(x))
    held, fit = order[:n_held], order[n_held:]
    return x[fit], y[fit], x[held], y[held]


def finetune_data(config: FinetuneConfig, x_mnist: np.ndarray, y_mnist: np.ndarray,
                  handwriting: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The (N, 28, 28) uint8 images and labels to fine-tune on.

    mnist: the first `subset` MNIST training images of the chosen digits.
    handwriting: the handwriting (fit part, already split off), repeated so it is about a quarter of the
    mix, plus `replay` MNIST images of the chosen digits.
    """
    x_m, y_m = select_digits(x_mnist, y_mnist, config.digits)
    if config.source == "mnist":
        n = config.subset or len(x_m)
        if len(x_m) == 0:
            raise ConfigError(f"MNIST has no training images of the digits {list(config.digits)}")
        return x_m[:n], y_m[:n]
    if handwriting is None or len(handwriting[0]) == 0:
        raise ConfigError("there is no saved handwriting yet: save some drawings on the Draw page first")
    x_h, y_h = to_uint8(handwriting[0]), np.asarray(handwriting[1], np.uint8)
    rng = np.random.default_rng(config.seed)
    replay = rng.choice(len(x_m), size=min(config.replay, len(x_m)), replace=False) if config.replay else []
    repeat = max(1, round(len(replay) / (3 * len(x_h))))  # handwriting ~ 1/4 of the mix
    x = np.concatenate([np.repeat(x_h, repeat, axis=0), x_m[replay]])
    y = np.concatenate([np.repeat(y_h, repeat), y_m[replay]])
    order = rng.permutation(len(x))
    return x[order], y[order]


# ---------------------------------------------------------------------------------------------
# Before / after


def accuracy_report(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray, digits: tuple[int, ...] = (),
                    handwriting: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, float | None]:
    """Accuracy on MNIST test, on its chosen digits, and on (held-out) handwriting (None where empty)."""
    from .evaluate import predict_all

    pred = predict_all(model, x_test).argmax(axis=1)
    report: dict[str, float | None] = {"mnist_test": float((pred == y_test).mean())}
    if digits:
        keep = np.isin(y_test, digits)
        report["mnist_test_digits"] = float((pred[keep] == y_test[keep]).mean()) if keep.any() else None
    if handwriting is not None:
        x_h, y_h = handwriting
        report["handwriting"] = float((predict_all(model, x_h).argmax(axis=1) == y_h).mean()) if len(x_h) else None
    return report


@dataclass
class FinetuneResult:
    result: TrainResult  # .model is the fine-tuned model
    before: dict[str, float | None]
    after: dict[str, float | None]
    trainable_weights: int  # number of trainable weight tensors during fine-tuning
    images: int  # images fine-tuned on (before the validation split)
    handwriting_held_out: int


def finetune(model: keras.Model, config: FinetuneConfig, x_mnist: np.ndarray, y_mnist: np.ndarray,
             x_test: np.ndarray, y_test: np.ndarray, handwriting: tuple[np.ndarray, np.ndarray] | None = None,
             progress: TrainingProgress | None = None, callbacks=(), verbose: int = 0) -> FinetuneResult:
    """Fine-tune `model` (a freshly loaded copy: its layers are reused and changed).

    Args:
        model: the parent model.
        config: mode, data and optimisation settings.
        x_mnist, y_mnist: MNIST training images (N, 28, 28) uint8 and labels.
        x_test, y_test: MNIST test set for the before/after report.
        handwriting: ((M, 28, 28) float32 in [0, 1], (M,)) or None; see load_handwriting().
        progress: receives live figures and may ask to stop.
    Returns:
        FinetuneResult with the fine-tuned model and accuracy before and after.
    """
    held = None
    fit_hw = None
    if config.source == "handwriting" and handwriting is not None:
        x_f, y_f, x_held, y_held = split_handwriting(*handwriting, config.holdout, config.seed)
        fit_hw, held = (x_f, y_f), (x_held, y_held)
    x, y = finetune_data(config, x_mnist, y_mnist, fit_hw)
    before = accuracy_report(model, x_test, y_test, config.digits, held)
    from .distribute import strategy
    from .train import train

    with strategy().scope():  # a new head is a new layer: under tf.distribute it must be made in the scope
        tuned = tunable_model(model, config.mode, config.seed)
    result = train(config.train_config(), x, y, progress=progress, model=tuned, callbacks=callbacks, verbose=verbose)
    after = accuracy_report(result.model, x_test, y_test, config.digits, held)
    return FinetuneResult(result, before, after, len(tuned.trainable_weights), len(x),
                          0 if held is None else len(held[0]))
