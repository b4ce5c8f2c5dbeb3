"""How fast this machine trains: measured once (a few steps of each architecture), kept on disk, and
used to say "about N minutes on this server" before anyone presses Start. Each real run that trains all
its epochs then corrects the estimates of its model: a measurement taken while the server was busy
(or idle) says too much (or too little), and the next estimate of the same run is the last one's length.

A step of a model costs about `fixed + per_image * batch` milliseconds; augmentation adds its own cost
per image (it runs on the same cores); scoring MNIST test and calibrating add a few seconds at the end.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from .paths import cache_dir
from .train_config import TrainConfig

log = logging.getLogger(__name__)

PROFILE_VERSION = 2
CALIBRATION_SECONDS = 10.0  # fitting the "not sure" thresholds (calibrate.py)


@dataclass(frozen=True)
class StepCost:
    fixed_ms: float  # per training step, whatever its size
    per_image_ms: float  # per image of a step
    predict_ms: float  # per image, inference only (validation, scoring MNIST test)
    setup_ms: float = 0.0  # once per run: building, compiling and tracing the model's steps


@dataclass
class SpeedProfile:
    """Measured costs on one machine (named by `machine`), per architecture and precision."""

    machine: str
    steps: dict[str, StepCost] = field(default_factory=dict)  # "default_cnn/float32" -> cost
    augment_ms_per_image: float | None = None
    learned: dict[str, float] = field(default_factory=dict)  # key -> the last real run's length / the measured

    def key(self, architecture: str, precision: str) -> str:
        return f"{architecture}/{precision}"

    def to_dict(self) -> dict:
        return {"version": PROFILE_VERSION, "machine": self.machine, "augment_ms_per_image": self.augment_ms_per_image,
                "steps": {k: asdict(v) for k, v in self.steps.items()}, "learned": dict(self.learned)}

    @classmethod
    def from_dict(cls, data: dict) -> SpeedProfile:
        return cls(str(data["machine"]), {k: StepCost(**v) for k, v in data.get("steps", {}).items()},
                   data.get("augment_ms_per_image"),
                   {str(k): float(v) for k, v in data.get("learned", {}).items()})


@functools.cache  # the CPU and the installed TensorFlow do not change while the process runs
def machine_signature() -> str:
    """What makes timings comparable: CPU model, cores, TensorFlow version."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        from importlib.metadata import version

        tf = version("tensorflow-cpu")
    except Exception:  # noqa: BLE001 - tensorflow (not -cpu) or none at all
        tf = "?"
    return f"{cpu} x{os.cpu_count()} tf{tf}"


def profile_path():
    return cache_dir() / "speed.json"


def load_profile() -> SpeedProfile | None:
    """This machine's measured profile, or None when it has not been measured (or is another machine's)."""
    try:
        data = json.loads(profile_path().read_text(encoding="utf-8"))
        if data.get("version") != PROFILE_VERSION:
            return None
        profile = SpeedProfile.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return profile if profile.machine == machine_signature() else None


def save_profile(profile: SpeedProfile) -> None:
    from .store import atomic_write_text

    atomic_write_text(profile_path(), json.dumps(profile.to_dict(), indent=2) + "\n")


def _key(profile: SpeedProfile, config: TrainConfig) -> str:
    """The profile's entry for the model a fresh run of `config` trains."""
    from .precision import resolve_precision

    return profile.key(config.architecture, resolve_precision(config, fresh_model=True))


def estimate_seconds(config: TrainConfig, profile: SpeedProfile, n_images: int = 60000,
                     n_test: int = 10000, calibrate: bool = True, learned: bool = True) -> float | None:
    """Wall seconds a run of `config` should take on the profiled machine (None if its model is unmeasured).
    With `learned`, the training part is corrected by what the last real run of the model took here."""
    key = _key(profile, config)
    cost = profile.steps.get(key)
    if cost is None:
        return None
    if config.digits:  # MNIST has about as many of each digit
        n_images = round(n_images * len(config.digits) / 10)
    n = min(config.train_subset or n_images, n_images)
    n_val = int(round(n * config.validation_split))
    world = config.world
    n_train = round((n - n_val) * (1 + world.styles + world.scans + world.edits + world.redraws)
                    * (1 + config.outliers))
    steps = math.ceil(n_train / config.batch_size)
    per_epoch = steps * cost.fixed_ms + n_train * cost.per_image_ms + n_val * cost.predict_ms
    if not config.augment.is_identity and profile.augment_ms_per_image is not None:
        per_epoch += n_train * profile.augment_ms_per_image
    end = n_test * cost.predict_ms + (CALIBRATION_SECONDS * 1000 if calibrate else 0.0)
    scale = profile.learned.get(key, 1.0) if learned else 1.0
    return (scale * (cost.setup_ms + config.epochs * per_epoch) + end) / 1000


LEARN_FROM_SECONDS = 20.0  # shorter runs are mostly start-up: they say little about the speed of an epoch
LEARN_RANGE = (0.2, 5.0)  # a run 5x slower than measured is a machine that was very busy, not a new speed


def learn_from_run(profile: SpeedProfile, config: TrainConfig, seconds: float, n_images: int = 60000) -> bool:
    """Correct `profile` by a real run of `config` that trained all its epochs in `seconds` (model.fit's
    time: building the model, epochs and validation; not scoring nor calibrating). Afterwards the estimate
    of the same run's training is `seconds` (within LEARN_RANGE of the measured). Returns whether it
    learned: not from runs under LEARN_FROM_SECONDS, nor for an architecture that was never measured."""
    measured = estimate_seconds(config, profile, n_images, n_test=0, calibrate=False, learned=False)
    if measured is None or measured <= 0 or not seconds >= LEARN_FROM_SECONDS:
        return False
    profile.learned[_key(profile, config)] = min(max(seconds / measured, LEARN_RANGE[0]), LEARN_RANGE[1])
    return True


def remember_run(config: TrainConfig, seconds: float, n_images: int) -> None:
    """learn_from_run on this machine's saved profile, saved again (nothing when it was never measured)."""
    try:
        profile = load_profile()
        if profile is not None and learn_from_run(profile, config, seconds, n_images):
            save_profile(profile)
    except Exception:  # noqa: BLE001 - estimates are a nicety: never let them break a run
        log.exception("remembering a run's length failed")


def describe(seconds: float) -> str:
    """'about 40 s', 'about 3 min', 'about 1 h 10 min'."""
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} s"
    minutes = round(seconds / 60)
    return f"about {minutes} min" if minutes < 60 else f"about {minutes // 60} h {minutes % 60} min"


# ---------------------------------------------------------------------------------------------
# Measuring (imports TensorFlow)


def measure(architectures: tuple[str, ...] | None = None, keep_going: Callable[[], bool] = lambda: True,
            profile: SpeedProfile | None = None) -> SpeedProfile:
    """Time a few training steps of each architecture (and precision) at two batch sizes, inference,
    and the augmentation; stops early (keeping what it has) when `keep_going()` turns false."""
    import numpy as np

    from .augment import DRAWING_AUGMENT, build_augmenter
    from .models import ARCHITECTURES, build_model
    from .precision import native_bfloat16

    profile = profile or SpeedProfile(machine_signature())
    rng = np.random.default_rng(0)
    x = rng.random((256, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 256)]
    for arch in architectures or tuple(ARCHITECTURES):
        precisions = ["float32"] + (["mixed_bfloat16"] if arch == "default_cnn" and native_bfloat16() else [])
        for precision in precisions:
            key = profile.key(arch, precision)
            if key in profile.steps or not keep_going():
                continue
            profile.steps[key] = _step_cost(lambda a=arch, p=precision: build_model(a, None if p == "float32" else p),
                                            arch, x, y)
    if profile.augment_ms_per_image is None and keep_going():
        import tensorflow as tf

        augmenter = build_augmenter(DRAWING_AUGMENT)
        augment = tf.function(lambda batch: augmenter(batch, training=True))  # as in the tf.data pipeline
        augment(x)
        profile.augment_ms_per_image = _median_ms(lambda: augment(x)) / len(x)
    return profile


def _step_cost(build: Callable[[], object], architecture: str, x, y) -> StepCost:
    """Time building a model and tracing its steps, training steps of 64 and 256 images, and inference."""
    from .train import compile_model

    start = time.perf_counter()
    model = build()
    compile_model(model, TrainConfig(architecture=architecture), steps=1000)
    model.train_on_batch(x[:64], y[:64])  # traces the training step
    model.predict_on_batch(x[:64])  # and the inference step (validation)
    setup = (time.perf_counter() - start) * 1000
    times = {}
    for batch in (64, 256):
        model.train_on_batch(x[:batch], y[:batch])  # warm up at this size
        times[batch] = _median_ms(lambda b=batch: model.train_on_batch(x[:b], y[:b]))
    model.predict_on_batch(x)
    predict = _median_ms(lambda: model.predict_on_batch(x)) / len(x)
    per_image = max((times[256] - times[64]) / 192, 0.0)
    return StepCost(max(times[64] - 64 * per_image, 0.0), per_image, predict, setup)


def _median_ms(fn: Callable[[], object], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return sorted(times)[len(times) // 2]
