"""Inside the network: the model as a list of readable stages, and one unit's computation with real numbers.

A stage is what a learner thinks of as "a layer": a convolution with its batch norm and ReLU, a pooling
step, a dense layer, an LSTM, the softmax output. Every unit computation here is done again in numpy
(float64) from the layer's real input and weights, so a page can show each product and sum; the tests
check that each one equals Keras's own output at that position.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import keras

CONV, POOL, DENSE, SOFTMAX, LSTM = "conv", "pool", "dense", "softmax", "lstm"
_PASSIVE = ("InputLayer", "Dropout", "Flatten", "Reshape", "SpatialDropout2D", "GaussianNoise")


@dataclass(frozen=True)
class Stage:
    """One readable step of the network: a main layer plus the batch norm / activation that follow it."""

    number: int  # 1-based, as the page counts
    kind: str  # CONV, POOL, DENSE, SOFTMAX, LSTM
    main: str  # the Keras layer that does the work
    output: str  # the Keras layer whose output is the stage's output (after batch norm and activation)
    bn: str | None = None  # a BatchNormalization layer right after the main layer
    activation: str = "linear"  # the activation applied last ("relu", "softmax", ...)
    title: str = ""  # "Conv 3x3, 32 filters"
    sentence: str = ""  # what the stage does, in one sentence
    input_shape: tuple[int, ...] = ()  # without the batch axis
    output_shape: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default=())  # passive layers after it (dropout, flatten), in words

    @property
    def is_map(self) -> bool:
        """Whether the output is a stack of 2-D feature maps (H, W, C)."""
        return len(self.output_shape) == 3

    @property
    def label(self) -> str:
        return f"{self.number} · {self.title} → {shape_text(self.output_shape)}"


def shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)


# ---------------------------------------------------------------------------------------------
# Stages


def _activation_name(layer) -> str:
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", "linear") if act is not None else "linear"


def stages(model: keras.Model) -> list[Stage]:
    """The model's computing layers as readable stages, input to output.

    Raises:
        InputError: the model is not a plain chain of layers (each layer feeding the next).
    """
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    found: list[dict] = []
    for layer in layers:
        kind = type(layer).__name__
        last = found[-1] if found else {}
        if kind == "BatchNormalization" and last.get("kind") == CONV and last["output"] == last["main"]:
            last.update(bn=layer.name, output=layer.name)
        elif kind in ("Activation", "ReLU") and last.get("kind") in (CONV, DENSE) and last["activation"] == "linear":
            last.update(activation="relu" if kind == "ReLU" else _activation_name(layer), output=layer.name)
        elif kind == "Conv2D":
            found.append(dict(kind=CONV, layer=layer, main=layer.name, output=layer.name,
                              activation=_activation_name(layer), notes=[]))
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            found.append(dict(kind=POOL, layer=layer, main=layer.name, output=layer.name, notes=[]))
        elif kind == "Dense":
            act = _activation_name(layer)
            found.append(dict(kind=SOFTMAX if act == "softmax" else DENSE, layer=layer, main=layer.name,
                              output=layer.name, activation=act, notes=[]))
        elif kind == "LSTM":
            found.append(dict(kind=LSTM, layer=layer, main=layer.name, output=layer.name, activation="tanh", notes=[]))
        elif kind in _PASSIVE:
            if found:
                found[-1]["notes"].append(_passive_note(layer))
        else:
            raise InputError(f"'Inside the network' cannot show a {kind} layer ({layer.name}) yet.")
    result = []
    for number, s in enumerate(found, start=1):
        layer = s.pop("layer")
        s["notes"] = tuple(s["notes"])
        stage = Stage(number=number, input_shape=tuple(int(d) for d in layer.input.shape[1:]),
                      output_shape=tuple(int(d) for d in model.get_layer(s["output"]).output.shape[1:]), **s)
        title, sentence = _describe(stage, layer, first=number == 1)
        result.append(replace(stage, title=title, sentence=sentence))
    return result


def _passive_note(layer) -> str:
    kind = type(layer).__name__
    if kind == "Dropout":
        return (f"Dropout ({layer.rate:.0%}) follows: it only acts while training (switching random units off); "
                "here it passes everything through.")
    if kind == "Flatten":
        return "Flatten follows: the maps are laid out as one long list of numbers."
    if kind == "Reshape":
        return "Reshape follows: the numbers are re-arranged, not changed."
    return f"{kind} follows; it changes nothing at prediction time."


def _describe(stage: Stage, layer, first: bool) -> tuple[str, str]:
    """A title and one sentence on what the stage does, from the layer's real settings."""
    after = {"relu": ", then ReLU (negatives become 0)", "linear": ""}.get(stage.activation,
                                                                           f", then {stage.activation}")
    if stage.kind == CONV:
        k = "x".join(map(str, layer.kernel_size))
        s = layer.strides[0]
        cin = stage.input_shape[-1]
        bn = ", batch norm's fixed scale and shift" if stage.bn else ""
        bias = " plus a bias" if layer.use_bias else ""
        step = f", moving {s} pixels at a time (so the map shrinks to {shape_text(stage.output_shape[:2])})" \
            if s > 1 else ""
        role = ("Each filter picks out one simple thing, such as the edge of a stroke at one angle. " if first else
                "It combines the maps below into bigger parts: corners, curves, line ends. "
                if stage.output_shape[0] > 1 else "Each of its numbers says how much of one whole-digit pattern "
                "is there. ")
        return (f"Conv {k}{f' stride {s}' if s > 1 else ''}, {layer.filters} filters",
                f"{role}Every output pixel is the sum of a {k}x{cin} patch of the input times the filter{bias}"
                f"{bn}{after}{step}.")
    if stage.kind == POOL:
        p = "x".join(map(str, layer.pool_size))
        how = "largest" if type(layer).__name__ == "MaxPooling2D" else "average"
        return (f"Max pool {p}" if how == "largest" else f"Average pool {p}",
                f"Keeps the {how} value of each {p} window of every map: the maps shrink to "
                f"{shape_text(stage.output_shape[:2])}, and a feature that moves by a pixel still counts.")
    if stage.kind == DENSE:
        n = int(np.prod(stage.input_shape))
        picture = " Its first-layer weights can be seen as 28x28 pictures of what each unit looks for." \
            if n == 784 else ""
        return (f"Dense, {layer.units} units",
                f"Each unit multiplies all {n} numbers below by its own weights and adds them up with a bias"
                f"{after}.{picture}")
    if stage.kind == SOFTMAX:
        n = int(np.prod(stage.input_shape))
        return ("Output: dense + softmax",
                f"Each digit gets a score (its logit): the {n} numbers below times that digit's weights, plus a "
                "bias; softmax turns the 10 scores into probabilities that add up to 1.")
    return (f"LSTM, {layer.units} units",
            f"Reads the image one row of {stage.input_shape[-1]} pixels at a time, top to bottom; after each row "
            f"it updates its memory of {layer.units} numbers. Only its output after the last row goes on to the "
            "answer.")


# ---------------------------------------------------------------------------------------------
# Every layer's output for one drawing

_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _probe(model: keras.Model):
    """A sub-model returning every stage's input and every layer's output (built once per model)."""
    import keras

    with _lock:
        probe = _cache.get(model)
        if probe is None:
            layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
            mains = [model.get_layer(s.main) for s in stages(model)]
            names = [f"in:{layer.name}" for layer in mains] + [layer.name for layer in layers]
            sub = keras.Model(model.inputs[0], [layer.input for layer in mains] + [layer.output for layer in layers])
            probe = _cache[model] = (names, sub)
    return probe


def trace(model: keras.Model, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every layer's output (key: layer name) and every stage's input (key: "in:" + main layer) for one image.

    Args:
        x: (28, 28) float32 in [0, 1], the model's input.
    Returns:
        Arrays without the batch axis, float32.
    """
    names, sub = _probe(model)
    outs = sub(np.asarray(x, np.float32).reshape(1, 28, 28, 1), training=False)
    return {name: np.asarray(out, np.float32)[0] for name, out in zip(names, outs, strict=True)}


# ---------------------------------------------------------------------------------------------
# One unit's computation


@dataclass(frozen=True)
class BatchNorm:
    """Batch norm at inference: a fixed per-channel y = scale * x + shift, from four learned numbers."""

    gamma: float
    beta: float
    mean: float
    variance: float
    epsilon: float

    @property
    def scale(self) -> float:
        return self.gamma / np.sqrt(self.variance + self.epsilon)

    @property
    def shift(self) -> float:
        return self.beta - self.mean * self.scale


@dataclass(frozen=True)
class ConvUnit:
    """One output pixel of a convolution stage, step by step."""

    stage: int
    channel: int  # the feature map
    row: int
    col: int
    top: int  # the patch's top-left corner in the input (may be negative where zero padding is used)
    left: int
    patch: np.ndarray  # (kh, kw, cin): the input under the filter (0 outside the input: padding)
    kernel: np.ndarray  # (kh, kw, cin): the filter's weights
    bias: float
    bn: BatchNorm | None
    activation: str
    value: float  # the stage's output at (row, col, channel)

    @property
    def products(self) -> np.ndarray:
        return self.patch * self.kernel

    @property
    def per_channel(self) -> np.ndarray:
        """(cin,): the sum of the products for each input channel."""
        return self.products.sum(axis=(0, 1))

    @property
    def total(self) -> float:
        """Sum of all products plus the bias: the convolution's own output."""
        return float(self.products.sum() + self.bias)

    @property
    def normalised(self) -> float:
        """After batch norm (the total itself without batch norm)."""
        return self.total if self.bn is None else self.bn.scale * self.total + self.bn.shift


@dataclass(frozen=True)
class PoolUnit:
    stage: int
    channel: int
    row: int
    col: int
    top: int
    left: int
    window: np.ndarray  # (ph, pw): the values pooled
    how: str  # "max" or "average"
    value: float


@dataclass(frozen=True)
class DenseUnit:
    stage: int
    unit: int
    inputs: np.ndarray  # (n,) what the layer reads
    weights: np.ndarray  # (n,) this unit's weights
    bias: float
    activation: str
    value: float  # the unit's output (for a softmax stage: its probability)

    @property
    def products(self) -> np.ndarray:
        return self.inputs * self.weights

    @property
    def total(self) -> float:
        return float(self.products.sum() + self.bias)


@dataclass(frozen=True)
class Softmax:
    """The last step: logits -> probabilities, p_k = exp(z_k) / sum_j exp(z_j)."""

    logits: np.ndarray  # (10,)

    @property
    def exps(self) -> np.ndarray:
        """exp(z_k - max z): the same ratios as exp(z_k), without overflow."""
        return np.exp(self.logits - self.logits.max())

    @property
    def probabilities(self) -> np.ndarray:
        return self.exps / self.exps.sum()


@dataclass(frozen=True)
class LstmStep:
    """One LSTM unit at one row (time step): its gates, memory and output."""

    stage: int
    unit: int
    row: int
    x: np.ndarray  # (28,) the image row read at this step
    input_gate: float
    forget_gate: float
    candidate: float
    output_gate: float
    memory_before: float
    memory: float  # c = f * c_before + i * g
    value: float  # h = o * tanh(c)


def _act(name: str, v: float) -> float:
    """A scalar through a Keras activation, by name (the same function the layer uses)."""
    if name == "linear":
        return float(v)
    if name == "relu":
        return float(max(v, 0.0))
    import keras

    return float(np.asarray(keras.activations.get(name)(np.array([v], np.float32)))[0])


def _weights(model: keras.Model, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    layer = model.get_layer(name)
    kernel = np.asarray(layer.kernel, np.float64)
    bias = np.asarray(layer.bias, np.float64) if getattr(layer, "use_bias", False) else None
    return kernel, bias


def batch_norm(model: keras.Model, name: str, channel: int) -> BatchNorm:
    layer = model.get_layer(name)
    gamma = float(np.asarray(layer.gamma)[channel]) if layer.scale else 1.0
    beta = float(np.asarray(layer.beta)[channel]) if layer.center else 0.0
    return BatchNorm(gamma, beta, float(np.asarray(layer.moving_mean)[channel]),
                     float(np.asarray(layer.moving_variance)[channel]), float(layer.epsilon))


def _same_padding(size: int, kernel: int, stride: int) -> int:
    """Zeros before the first row/column under TensorFlow's "same" padding."""
    out = -(-size // stride)
    return max((out - 1) * stride + kernel - size, 0) // 2


def _check(stage: Stage, channel: int, row: int, col: int) -> None:
    shape = stage.output_shape
    if not 0 <= channel < shape[-1] or (stage.is_map and not (0 <= row < shape[0] and 0 <= col < shape[1])):
        raise InputError(f"No unit ({row}, {col}) in map {channel} of layer {stage.number} (shape {shape}).")


def conv_unit(model: keras.Model, stage: Stage, acts: dict, channel: int, row: int, col: int) -> ConvUnit:
    """Output pixel (row, col) of feature map `channel`, recomputed from the stage's input and weights."""
    _check(stage, channel, row, col)
    layer = model.get_layer(stage.main)
    if tuple(layer.dilation_rate) != (1, 1) or layer.groups != 1:
        raise InputError(f"Layer {stage.number} uses dilation or groups, which this view does not show.")
    kernel, bias = _weights(model, stage.main)
    kh, kw = layer.kernel_size
    sh, sw = layer.strides
    x = acts[f"in:{stage.main}"].astype(np.float64)  # (H, W, cin)
    pad_t = _same_padding(x.shape[0], kh, sh) if layer.padding == "same" else 0
    pad_l = _same_padding(x.shape[1], kw, sw) if layer.padding == "same" else 0
    top, left = row * sh - pad_t, col * sw - pad_l
    patch = np.zeros((kh, kw, x.shape[2]))
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + kh, x.shape[0]), min(left + kw, x.shape[1])
    patch[r0 - top: r1 - top, c0 - left: c1 - left] = x[r0:r1, c0:c1]
    bn = batch_norm(model, stage.bn, channel) if stage.bn else None
    unit = ConvUnit(stage.number, channel, row, col, top, left, patch, kernel[..., channel],
                    float(bias[channel]) if bias is not None else 0.0, bn, stage.activation, 0.0)
    return replace(unit, value=_act(stage.activation, unit.normalised))


def pool_unit(model: keras.Model, stage: Stage, acts: dict, channel: int, row: int, col: int) -> PoolUnit:
    """Output pixel (row, col) of map `channel` of a pooling stage, from the window it pools."""
    _check(stage, channel, row, col)
    layer = model.get_layer(stage.main)
    if layer.padding != "valid":
        raise InputError(f"Layer {stage.number} pools with padding, which this view does not show.")
    (ph, pw), (sh, sw) = layer.pool_size, layer.strides
    x = acts[f"in:{stage.main}"][..., channel].astype(np.float64)
    window = x[row * sh: row * sh + ph, col * sw: col * sw + pw]
    how = "max" if type(layer).__name__ == "MaxPooling2D" else "average"
    return PoolUnit(stage.number, channel, row, col, row * sh, col * sw, window, how,
                    float(window.max() if how == "max" else window.mean()))


def dense_unit(model: keras.Model, stage: Stage, acts: dict, unit: int) -> DenseUnit:
    """Unit `unit` of a dense stage: inputs times weights, plus bias, through the activation.

    For the softmax stage `value` is the unit's probability (softmax needs every logit: see `softmax`).
    """
    _check(stage, unit, 0, 0)
    kernel, bias = _weights(model, stage.main)
    x = acts[f"in:{stage.main}"].astype(np.float64).ravel()
    d = DenseUnit(stage.number, unit, x, kernel[:, unit], float(bias[unit]) if bias is not None else 0.0,
                  stage.activation, 0.0)
    value = softmax(model, stage, acts).probabilities[unit] if stage.kind == SOFTMAX else _act(d.activation, d.total)
    return replace(d, value=float(value))


def softmax(model: keras.Model, stage: Stage, acts: dict) -> Softmax:
    """The output stage's logits (recomputed from its input and weights), as a Softmax."""
    kernel, bias = _weights(model, stage.main)
    x = acts[f"in:{stage.main}"].astype(np.float64).ravel()
    return Softmax(x @ kernel + (bias if bias is not None else 0.0))


def first_layer_pictures(model: keras.Model, stage: Stage) -> np.ndarray | None:
    """(units, 28, 28): a dense stage's weights as pictures, when it reads the 784 pixels; else None."""
    if stage.kind not in (DENSE, SOFTMAX) or int(np.prod(stage.input_shape)) != 784:
        return None
    kernel, _ = _weights(model, stage.main)
    return kernel.T.reshape(-1, 28, 28).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# LSTM, row by row


@dataclass(frozen=True)
class LstmTrace:
    """The LSTM's state after each row: arrays of (rows, units)."""

    stage: int
    rows: np.ndarray  # (T, features): the inputs, one image row per step
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    h: np.ndarray

    def step(self, unit: int, row: int) -> LstmStep:
        if not (0 <= unit < self.h.shape[1] and 0 <= row < self.h.shape[0]):
            raise InputError(f"No unit {unit} at row {row} in the LSTM ({self.h.shape[1]} units, "
                             f"{self.h.shape[0]} rows).")
        before = float(self.c[row - 1, unit]) if row else 0.0
        return LstmStep(self.stage, unit, row, self.rows[row], float(self.i[row, unit]), float(self.f[row, unit]),
                        float(self.g[row, unit]), float(self.o[row, unit]), before, float(self.c[row, unit]),
                        float(self.h[row, unit]))


def lstm_trace(model: keras.Model, stage: Stage, acts: dict) -> LstmTrace:
    """Run the LSTM again in numpy, keeping every step (Keras returns only the last): h_T equals its output."""
    layer = model.get_layer(stage.main)
    cell = layer.cell
    recurrent = getattr(cell.recurrent_activation, "__name__", "")
    if getattr(layer, "go_backwards", False) or _activation_name(cell) != "tanh" or recurrent != "sigmoid":
        raise InputError(f"Layer {stage.number} is an LSTM of a kind this view does not show.")
    w = np.asarray(cell.kernel, np.float64)
    u = np.asarray(cell.recurrent_kernel, np.float64)
    b = np.asarray(cell.bias, np.float64) if cell.use_bias else 0.0
    xs = acts[f"in:{stage.main}"].astype(np.float64)  # (T, features)
    n = cell.units
    h, c = np.zeros(n), np.zeros(n)
    keep = {k: [] for k in "ifgoch"}
    for x in xs:
        z = x @ w + h @ u + b
        i, f = _sigmoid(z[:n]), _sigmoid(z[n: 2 * n])
        g, o = np.tanh(z[2 * n: 3 * n]), _sigmoid(z[3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip("ifgoch", (i, f, g, o, c, h), strict=True):
            keep[k].append(v)
    return LstmTrace(stage.number, xs, *(np.array(keep[k]) for k in "ifgoch"))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def output_at(stage: Stage, acts: dict, channel: int, row: int = 0, col: int = 0) -> float:
    """What Keras computed for this unit (the oracle the recomputation is checked against)."""
    out = acts[stage.output]
    return float(out[row, col, channel] if stage.is_map else out.ravel()[channel])


# ---------------------------------------------------------------------------------------------
# Where a unit looks: receptive fields


def _window_layers(model: keras.Model, upto: str) -> list[tuple[int, int, int, int, int, int]]:
    """[(kh, kw, sh, sw, pad_top, pad_left)] of every conv and pooling layer up to `upto`, input first."""
    found = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
            kh, kw = layer.kernel_size if kind == "Conv2D" else layer.pool_size
            sh, sw = layer.strides
            h, w = layer.input.shape[1:3]
            same = layer.padding == "same"
            found.append((kh, kw, sh, sw, _same_padding(h, kh, sh) if same else 0,
                          _same_padding(w, kw, sw) if same else 0))
        if layer.name == upto:
            return found
    raise InputError(f"No layer {upto!r} in this model.")


def input_window(model: keras.Model, upto: str, row: int, col: int) -> tuple[int, int, int, int]:
    """(top, left, height, width): the input pixels that unit (row, col) of layer `upto` depends on.
    The window may reach past the image's border (zero padding); it is not clipped."""
    top = bottom = row
    left = right = col
    for kh, kw, sh, sw, pt, pl in reversed(_window_layers(model, upto)):
        top, bottom = top * sh - pt, bottom * sh - pt + kh - 1
        left, right = left * sw - pl, right * sw - pl + kw - 1
    return top, left, bottom - top + 1, right - left + 1


def receptive_field(model: keras.Model, upto: str) -> tuple[int, int]:
    """(size, step): how many input pixels one unit of layer `upto` sees (square), and how far apart
    neighbouring units' windows are, following every conv and pooling layer up to it."""
    size, step = 1, 1
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            k, s = layer.kernel_size[0], layer.strides[0]
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            k, s = layer.pool_size[0], layer.strides[0]
        else:
            k = s = 1
        size += (k - 1) * step
        step *= s
        if layer.name == upto:
            return size, step
    raise InputError(f"No layer {upto!r} in this model.")
