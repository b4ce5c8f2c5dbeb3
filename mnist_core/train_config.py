"""What decides a training run: a frozen TrainConfig, its presets, and the digit filter.

Saved in every model card, so a run can be repeated. Validation raises ConfigError with a message a
user can act on; nothing here imports TensorFlow.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .augment import DRAWING_AUGMENT, AugmentConfig
from .errors import ConfigError
from .models import ARCHITECTURES

OPTIMIZERS = ("adam", "sgd", "rmsprop")
SCHEDULES = ("constant", "cosine", "step")
# float32 | mixed_bfloat16 (bfloat16 maths, float32 weights: ~1.5x faster on CPUs with native bfloat16,
# e.g. AVX512_BF16) | auto (mixed_bfloat16 where the CPU has it, for the default CNN; else float32)
PRECISIONS = ("float32", "mixed_bfloat16", "auto")
CUSTOM = "custom"  # architecture of a model handed to train() (an upload being fine-tuned): never built here


@dataclass(frozen=True)
class WorldMix:
    """Extra training digits written the ways people around the world write them (mnist_core/styles.py),
    each a share of the training images. What MNIST's American writers rarely did: 1 with a flag, crossed
    7, open 4, 9 with a straight or hooked tail...; and scans, stretched to fill their box as scanners do."""

    styles: float = 0.0  # digits drawn stroke by stroke in the world's styles, balanced over digits
    style_scans: float = 0.25  # the share of those made into scan-like bitmaps too
    scans: float = 0.0  # MNIST digits made into scans (binarised, low resolution, stretched to their box)
    edits: float = 0.0  # MNIST 1s given an up-stroke flag, 7s a bar across the stem
    redraws: float = 0.0  # MNIST digits re-drawn as canvas drawings (random size, place and pen)

    def __post_init__(self) -> None:
        for name in ("styles", "style_scans", "scans", "edits", "redraws"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"world mix '{name}' must be a share between 0 and 1, got {value!r}")

    @property
    def is_none(self) -> bool:
        return not (self.styles or self.scans or self.edits or self.redraws)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorldMix:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; saved in the model's card."""

    architecture: str = "default_cnn"
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "adam"  # adam | sgd (momentum 0.9) | rmsprop
    learning_rate: float = 1e-3  # peak learning rate
    schedule: str = "cosine"  # constant | cosine (decay to 0 over the run) | step (x0.1 at 50%, 75%)
    train_subset: int = 0  # use the first N training images (0 = all 60000)
    validation_split: float = 0.1  # share of the training images held out for validation (0 = none)
    label_smoothing: float = 0.0
    # outlier exposure: add this share of non-digit scribbles, whose target is "every digit equally
    # likely", so the model learns to be unsure about drawings that are not digits
    outliers: float = 0.0
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    world: WorldMix = field(default_factory=WorldMix)  # extra digits in the world's handwriting styles
    seed: int = 0
    digits: tuple[int, ...] = ()  # train only on these digits (the transfer demo: 0-4); () = all ten
    precision: str = "float32"  # see PRECISIONS; the saved model always computes in float32

    def __post_init__(self) -> None:
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ConfigError(msg)

        need(self.architecture in ARCHITECTURES or self.architecture == CUSTOM,
             f"unknown architecture {self.architecture!r}")
        need(isinstance(self.epochs, int) and 1 <= self.epochs <= 200, f"epochs must be 1-200, got {self.epochs!r}")
        need(
            isinstance(self.batch_size, int) and 1 <= self.batch_size <= 4096,
            f"batch size must be 1-4096, got {self.batch_size!r}",
        )
        need(self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        need(
            isinstance(self.learning_rate, (int, float)) and 1e-6 <= self.learning_rate <= 1.0,
            f"learning rate must be between 1e-6 and 1, got {self.learning_rate!r}",
        )
        need(self.schedule in SCHEDULES, f"schedule must be one of {', '.join(SCHEDULES)}")
        need(
            isinstance(self.train_subset, int) and (self.train_subset == 0 or 100 <= self.train_subset <= 60000),
            f"training subset must be 0 (all) or 100-60000 images, got {self.train_subset!r}",
        )
        need(
            isinstance(self.validation_split, (int, float)) and 0.0 <= self.validation_split <= 0.5,
            f"validation split must be between 0 and 0.5, got {self.validation_split!r}",
        )
        need(0.0 <= self.label_smoothing < 0.5, "label smoothing must be in [0, 0.5)")
        need(isinstance(self.outliers, (int, float)) and 0.0 <= self.outliers <= 0.5,
             f"the share of non-digit examples must be between 0 and 0.5, got {self.outliers!r}")
        need(isinstance(self.seed, int) and 0 <= self.seed < 2**31, f"seed must be 0-{2**31 - 1}, got {self.seed!r}")
        need(self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if isinstance(self.augment, dict):  # from a saved card
            object.__setattr__(self, "augment", AugmentConfig.from_dict(self.augment))
        need(isinstance(self.augment, AugmentConfig), "augment must be an AugmentConfig")
        if isinstance(self.world, dict):  # from a saved card
            object.__setattr__(self, "world", WorldMix.from_dict(self.world))
        need(isinstance(self.world, WorldMix), "world must be a WorldMix")
        object.__setattr__(self, "digits", check_digits(self.digits))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def check_data(self, n_images: int) -> None:
        """Refuse settings that do not fit the data (e.g. a batch larger than the training set).

        `n_images` counts the images left after the digit filter.
        """
        n = min(self.train_subset or n_images, n_images)
        n_train = n - int(round(n * self.validation_split))
        if n_train < 1:
            raise ConfigError("no training images left after the validation split")
        if self.batch_size > n_train:
            raise ConfigError(f"batch size {self.batch_size} is larger than the {n_train} training images")


def check_digits(digits: Any) -> tuple[int, ...]:
    """A sorted tuple of distinct digits 0-9 (() = all), or ConfigError."""
    try:
        out = tuple(sorted({int(d) for d in digits}))
    except (TypeError, ValueError):
        raise ConfigError(f"digits must be a list of digits 0-9, got {digits!r}") from None
    if any(not 0 <= d <= 9 for d in out):
        raise ConfigError(f"digits must be between 0 and 9, got {list(out)}")
    return () if len(out) == 10 else out


DIGIT_CHARS = tuple("0123456789")  # ASCII only: "²".isdigit() is True, and int("²") fails


def parse_digits(text: str) -> tuple[int, ...]:
    """'0-4', '5,6,7' or '' (all) -> a digits tuple, or ConfigError with what was wrong."""
    digits: set[int] = set()
    # as keyboards around the world type it: full-width digits and commas (NFKC), any script's digits
    # (Arabic-Indic, Devanagari...), an autocorrected dash, an ideographic comma
    text = "".join(str(unicodedata.digit(c)) if c.isdecimal() else c for c in unicodedata.normalize("NFKC", str(text)))
    text = text.translate(str.maketrans({"–": "-", "—": "-", "−": "-", "、": ",", "،": ","}))
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        lo, dash, hi = part.partition("-")
        if lo not in DIGIT_CHARS or (dash and hi not in DIGIT_CHARS) or (hi and not dash):
            raise ConfigError(f"{part!r} is not a digit or a range like 0-4")
        if int(hi or lo) < int(lo):
            raise ConfigError(f"{part!r}: a range goes from the smaller digit to the larger, like 0-4")
        digits.update(range(int(lo), int(hi or lo) + 1))
    return check_digits(digits)


PRESETS: dict[str, TrainConfig] = {
    # A live demo: >= 98.5% test accuracy in well under a minute on 2 CPU cores (bench/bench_train.py quick),
    # with a small validation share so the class sees a validation curve.
    "quick": TrainConfig(architecture="simple_cnn", epochs=3, batch_size=128, learning_rate=2e-3, schedule="cosine",
                         validation_split=0.05),
    # The shipped default's recipe (bench/bench_world.py; README "The shipped model"): MNIST plus digits in the
    # world's styles, scans and re-drawings (WorldMix; the shares measured on 8-epoch proxies, issue 10), in
    # about 37 minutes on 2 CPU cores with bfloat16 (28 epochs of ~75 s).
    "best": TrainConfig(
        architecture="default_cnn",
        epochs=28,
        batch_size=128,
        learning_rate=3e-3,
        schedule="cosine",
        validation_split=0.0,
        outliers=0.1,
        augment=DRAWING_AUGMENT,
        precision="auto",
        world=WorldMix(styles=0.35, style_scans=0.4, scans=0.25, edits=0.05, redraws=0.1),
    ),
}


def with_overrides(config: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of `config` with the given fields changed (None = unchanged), validated again."""
    return replace(config, **{k: v for k, v in changes.items() if v is not None})
