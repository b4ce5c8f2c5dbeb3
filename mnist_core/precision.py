"""Numeric precision of a run: mixed bfloat16 where the CPU computes it natively, float32 otherwise.

The saved model always computes in float32.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import build_model
from .train_config import TrainConfig

if TYPE_CHECKING:  # pragma: no cover
    import keras


def native_bfloat16() -> bool:
    """Whether this machine's CPU computes bfloat16 natively (Linux CPU flags avx512_bf16 / amx_bf16)."""
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_precision(config: TrainConfig, fresh_model: bool) -> str:
    """The precision a run really uses: 'auto' picks mixed_bfloat16 for a fresh default CNN on a CPU
    with native bfloat16; a model handed in (fine-tuning) keeps the float32 it was saved in."""
    if not fresh_model or config.architecture != "default_cnn":
        return "float32"
    if config.precision == "auto":
        return "mixed_bfloat16" if native_bfloat16() else "float32"
    return config.precision


def as_float32(model: keras.Model, architecture: str) -> keras.Model:
    """A float32 copy of a mixed-precision model (same layers, same weights): what gets saved and served."""
    clone = build_model(architecture)
    clone.set_weights(model.get_weights())
    return clone
