"""Break it: damage a private copy of a model's weights and watch what still works.

The copy is made once (per session, by the app) and damaged again from the original's weights at every
change, so a damage is a pure function of (layer, mode, amount, seed): the same link shows the same
broken model. The original is only ever read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError
from .inside import LSTM, stages

if TYPE_CHECKING:  # pragma: no cover
    import keras

MODES = {  # mode -> what it does, in words
    "zero": "Set every weight of the layer to 0",
    "noise": "Add random noise to the weights",
    "drop": "Switch off a share of the filters (units)",
}
SAMPLE_SIZE = 1000  # MNIST test images the broken model is measured on


@dataclass(frozen=True)
class Damage:
    layer: str  # the Keras layer damaged (a stage's main layer)
    mode: str  # a key of MODES
    amount: float = 0.5  # noise: its std as a share of the weights' own std; drop: the share switched off
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"Unknown damage {self.mode!r}: choose one of {', '.join(MODES)}.")
        if not 0 <= self.amount <= (10 if self.mode == "noise" else 1):
            raise InputError(f"Damage amount {self.amount} is out of range.")


def copy_model(model: keras.Model) -> keras.Model:
    """A new model with the same layers (and names) and a copy of the weights."""
    import keras

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def damaged_weights(model: keras.Model, damage: Damage) -> dict[str, list[np.ndarray]]:
    """The new weights of each layer a damage touches (computed from `model`, which is not changed)."""
    stage = next((s for s in stages(model) if s.main == damage.layer), None)
    if stage is None or not model.get_layer(stage.main).weights:
        raise InputError(f"Layer {damage.layer!r} has no weights to break.")
    layer = model.get_layer(stage.main)
    weights = [np.array(w, dtype=np.float32) for w in layer.get_weights()]
    rng = np.random.default_rng(damage.seed)
    out = {layer.name: weights}
    if damage.mode == "zero":
        out[layer.name] = [np.zeros_like(w) for w in weights]
    elif damage.mode == "noise":
        out[layer.name] = [w + rng.normal(0, damage.amount * (w.std() or 1.0), w.shape).astype(np.float32)
                           for w in weights]
    else:
        units = weights[0].shape[-1] // (4 if stage.kind == LSTM else 1)
        off = rng.choice(units, size=int(round(damage.amount * units)), replace=False)
        if stage.kind == LSTM:  # each unit has a column in each of the four gates (i, f, g, o)
            off = np.concatenate([off + k * units for k in range(4)])
        for w in weights:
            w[..., off] = 0
        if stage.bn:  # or batch norm's shift would keep a switched-off filter's map at a constant
            bn = model.get_layer(stage.bn)
            gamma, beta, mean, var = (np.array(w, np.float32) for w in bn.get_weights())
            gamma[off], beta[off] = 0, 0
            out[bn.name] = [gamma, beta, mean, var]
    return out


class Sandbox:
    """One private copy of a model: damage it, use it, restore it. Never writes to the original."""

    def __init__(self, source: keras.Model) -> None:
        self.source = source
        self.model = copy_model(source)
        self.damage: Damage | None = None

    def is_copy_of(self, model: keras.Model) -> bool:
        return self.source is model

    def restore(self) -> None:
        """The copy's weights become the original's again, exactly."""
        self.model.set_weights(self.source.get_weights())
        self.damage = None

    def apply(self, damage: Damage | None) -> None:
        """Restore, then apply `damage` (None: leave it restored). A no-op when it is already applied."""
        if damage == self.damage:
            return
        self.restore()
        if damage is not None:
            for name, weights in damaged_weights(self.source, damage).items():
                self.model.get_layer(name).set_weights(weights)
            self.damage = damage


def breakable_layers(model: keras.Model) -> list[tuple[str, str]]:
    """[(layer name, its label on the page)] of every stage with weights."""
    return [(s.main, s.label) for s in stages(model) if model.get_layer(s.main).weights]


def sample_indices(n: int, size: int = SAMPLE_SIZE, seed: int = 0) -> np.ndarray:
    """A fixed, sorted sample of `size` positions out of n (the same every time)."""
    return np.sort(np.random.default_rng(seed).choice(n, size=min(size, n), replace=False))


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Share of images whose most probable digit is the label. x: (N, 28, 28) uint8 or float in [0, 1]."""
    from .predict import probabilities

    x = np.asarray(x)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    return float((probabilities(model, x).argmax(axis=1) == np.asarray(y)).mean())
