"""Model files from outside (an upload, a stored model) checked before Keras opens them.

A .keras file is a zip archive: `config.json` (the architecture), `metadata.json`, `model.weights.h5`
and, rarely, `assets/`. Keras trusts the archive: it reads `config.json` whole into memory (refusing
only members over 4 GiB), extracts every member to a temporary folder when there are more than three,
and builds whatever the config describes, however large. So, before Keras sees a byte:

1. the archive (`check_archive`): at most MAX_MEMBERS members, only the names a .keras file has, no
   name that leaves the archive, no archive inside it, each member and all of them together under a
   size limit read from the zip's directory (zipfile never unpacks more than a member declares);
2. the cost (`estimate_cost`): parameters, multiply-adds and activation memory per image, worked out
   from `config.json` alone, layer by layer, without building anything, and refused when far above
   any architecture the app trains (`check_cost`). A layer whose cost cannot be worked out this way
   is refused, naming it.

Every message names the user's file, never a server path. Keras is imported only by `load_upload`.
"""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from .errors import ModelError, hide_paths
from .models import MAX_MODEL_BYTES
from .store import is_word_char

if TYPE_CHECKING:  # pragma: no cover
    import keras

# ---------------------------------------------------------------------------------------------
# Limits

MiB = 2**20
MAX_MEMBERS = 32  # a .keras file has 3 (config, metadata, weights), plus assets for a few layer types
MAX_CONFIG_BYTES = 1 * MiB  # the app's largest config (default_cnn) is 25 KB
MAX_METADATA_BYTES = 64 * 1024  # ~70 bytes in practice
MAX_MEMBER_BYTES = 128 * MiB  # weights of MAX_PARAMETERS float32 numbers, with room to spare
MAX_TOTAL_BYTES = 160 * MiB  # everything unpacked together
UPLOAD_TMP_PREFIX = "mnist-lab-upload-"  # temporary folders of uploads; housekeeping removes leftovers

# Cost per image. The app's largest trained architecture, default_cnn (the shipped model), worked out
# by estimate_cost below and checked against Keras in tests/core/test_uploads.py: 326,826 parameters,
# 30.5 million FLOPs, its largest layer output 86.5 KB (26x26x32 floats), 0.70 MB of layer outputs in
# all. The limits are 24-36 times those: room for a student's own bigger design, none for a model made
# to hurt the server (the 25 KB model that upsamples by 50 needs 7.8 MB in its first layer alone).
REFERENCE = {"parameters": 326_826, "flops": 30_500_224, "largest_output_bytes": 86_528, "activation_bytes": 699_432}
MAX_PARAMETERS = 10_000_000  # 40 MB of float32 weights
MAX_FLOPS = 800_000_000  # a multiply-add counts 2
MAX_LAYER_OUTPUT_BYTES = 2 * MiB  # one layer's output for one image
MAX_ACTIVATION_BYTES = 24 * MiB  # all layer outputs for one image together
MAX_LAYERS = 400
MAX_DEPTH = 8  # models nested in models
FLOAT_BYTES = 4

KERAS_MEMBERS = ("config.json", "metadata.json", "model.weights.h5")
ASSETS = "assets/"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")
ARCHIVE_SUFFIXES = (".zip", ".keras", ".npz", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".rar", ".jar")
INPUT_SHAPES = ((28, 28, 1), (28, 28))  # what an MNIST model may take (models.check_model_shapes)
SAFETY = "it contains code (a Lambda layer or custom function), which is refused for safety"


# ---------------------------------------------------------------------------------------------
# Names


def display_name(filename: str) -> str:
    """The user's file name as messages show it: no folders, no characters that could format a message,
    at most 80 characters with its extension kept (a long name lost it, and was refused as not .keras);
    the extension in lower case."""
    base = PurePosixPath(str(filename).replace("\\", "/")).name.strip()
    if base.startswith(".") and base.count(".") == 1:  # '.keras': an extension and no name
        base = "upload" + base
    base = "".join(c if is_word_char(c) or c in " .()+-" else "_" for c in unicodedata.normalize("NFC", base))
    base = base.strip().lstrip(".")  # any alphabet, with its vowel signs and accents
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem or len(suffix) > 10:  # no extension: all of it is the name
        stem, suffix = base, ""
    suffix = f".{suffix.lower()}" if suffix else ""
    if len(stem) + len(suffix) > 80:
        stem = stem[: 79 - len(suffix)].rstrip(" .") + "\u2026"  # an ellipsis: the name goes on
    return (stem + suffix) if stem else f"upload{suffix or '.keras'}"


def _unsafe_member_name(name: str) -> bool:
    """A member name that would land outside a folder it is extracted into, or that hides what it is."""
    parts = name.split("/")
    return (
        not name
        or name.startswith("/")
        or "\\" in name
        or re.match(r"^[A-Za-z]:", name) is not None
        or any(p in ("..", ".") for p in parts)
        or "" in parts[:-1]
        or any(ord(ch) < 32 or ch == "\x7f" for ch in name)
    )


# ---------------------------------------------------------------------------------------------
# The archive


def _mb(n: int) -> str:
    return f"{n / MiB:,.1f} MB" if n < 10 * MiB else f"{n / MiB:,.0f} MB"


def check_archive(source: bytes | str | Path, name: str) -> dict:
    """Check a .keras archive without unpacking more than its config; returns the parsed config.json.

    Args:
        source: the file's bytes, or its path.
        name: the file's name as the user knows it (messages name it).
    Raises:
        ModelError: what is wrong, naming the file.
    """
    opened: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes | bytearray) else open(source, "rb")
    with opened as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise ModelError(f"{name}: is not a .keras file (a .keras file is a zip archive).")
        _check_directory(fh, name)
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as zf:
                _check_members(zf, name)
                return _read_config(zf, name)
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as err:
            raise ModelError(f"{name}: is not a .keras file: the zip archive is damaged "
                             f"({str(err)[:120] or type(err).__name__}).") from err
        except NotImplementedError as err:
            raise ModelError(f"{name}: uses a kind of zip compression the app does not read ({err}).") from err


_EOCD = struct.Struct("<4sHHHHIIH")  # the zip's end-of-central-directory record
MAX_DIRECTORY_BYTES = 64 * 1024  # MAX_MEMBERS entries with long names fit in a few kilobytes


def _check_directory(fh: IO[bytes], name: str) -> None:
    """Refuse a zip whose directory is huge before zipfile reads it (it builds an object per entry, so a
    50 MB upload of a million empty entries would cost hundreds of MB to open)."""
    size = fh.seek(0, io.SEEK_END)
    fh.seek(max(0, size - _EOCD.size - 0xFFFF))
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise ModelError(f"{name}: is not a .keras file: the zip archive is damaged (no directory at its end).")
    _, _, _, _, entries, directory, _, _ = _EOCD.unpack_from(tail, at)
    if entries == 0xFFFF or directory == 0xFFFFFFFF or b"PK\x06\x07" in tail[max(0, at - 20) : at]:
        raise ModelError(f"{name}: is a ZIP64 archive, which only archives of over 65,535 files or 4 GB need; a "
                         ".keras model is far smaller. Refused.")
    if entries > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
        raise ModelError(f"{name}: its zip directory lists {entries:,} files in {directory:,} bytes; a .keras "
                         f"model holds a handful (at most {MAX_MEMBERS}). Refused without reading it.")


def _check_members(zf: zipfile.ZipFile, name: str) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ModelError(f"{name}: holds {len(infos):,} files; a .keras model holds a handful (at most {MAX_MEMBERS}).")
    seen: set[str] = set()
    total = 0
    for info in infos:
        member = info.filename
        shown = repr(member[:60])
        if _unsafe_member_name(member):
            raise ModelError(f"{name}: holds a file named {shown}, which points outside the archive; refused.")
        if member in seen:
            raise ModelError(f"{name}: holds {shown} twice; refused.")
        seen.add(member)
        if info.flag_bits & 0x1:
            raise ModelError(f"{name}: {shown} is encrypted; a .keras model is not.")
        if member not in KERAS_MEMBERS and not member.startswith(ASSETS):
            raise ModelError(
                f"{name}: holds an unexpected file {shown}; a .keras model holds config.json, metadata.json, "
                "model.weights.h5 and sometimes assets/ (save the model with Keras 3: model.save('name.keras'))."
            )
        if member.lower().endswith(ARCHIVE_SUFFIXES):
            raise ModelError(f"{name}: holds another archive, {shown}; refused.")
        limit = {"config.json": MAX_CONFIG_BYTES, "metadata.json": MAX_METADATA_BYTES}.get(member, MAX_MEMBER_BYTES)
        if info.file_size > limit:
            raise ModelError(
                f"{name}: {shown} unpacks to {_mb(info.file_size)} (it takes {_mb(info.compress_size)} in the "
                f"file); the limit for it is {_mb(limit)}. Refused without unpacking it."
            )
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise ModelError(
                f"{name}: unpacks to more than {_mb(MAX_TOTAL_BYTES)} in all; a model the app can use is far "
                "smaller. Refused without unpacking it."
            )
    for required in ("config.json", "model.weights.h5"):
        if required not in seen:
            raise ModelError(f"{name}: is not a complete Keras 3 model: it has no {required}.")
    for info in infos:  # content: the weights are HDF5, nothing else is an archive (a few bytes each)
        if info.is_dir() or info.file_size == 0:
            continue
        with zf.open(info) as member:
            head = member.read(8)
        if info.filename == "model.weights.h5" and head != HDF5_SIGNATURE:
            raise ModelError(f"{name}: its model.weights.h5 is not an HDF5 file; refused.")
        if head.startswith(ARCHIVE_MAGIC):
            raise ModelError(f"{name}: {info.filename[:60]!r} is another archive inside it; refused.")


def _read_config(zf: zipfile.ZipFile, name: str) -> dict:
    with zf.open("config.json") as fh:
        text = fh.read(MAX_CONFIG_BYTES + 1)
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as err:
        reason = "it nests too deeply" if isinstance(err, RecursionError) else str(err)[:120]
        raise ModelError(f"{name}: its config.json is not valid JSON ({reason}).") from err
    if not isinstance(config, dict) or "class_name" not in config:
        raise ModelError(f"{name}: its config.json does not describe a Keras model.")
    return config


# ---------------------------------------------------------------------------------------------
# The cost of one image


Shape = tuple[int, ...]  # without the batch axis


@dataclass(frozen=True)
class Cost:
    """What one image costs a model, worked out from its config (float32)."""

    parameters: int
    flops: int  # a multiply-add counts 2
    largest_output_bytes: int  # the biggest single layer output for one image
    largest_layer: str  # its name and shape, for messages
    activation_bytes: int  # all layer outputs for one image together
    layers: int


class _Estimator:
    """Walks a Keras 3 config (Sequential, Functional, nested) and adds up the cost of each layer call."""

    def __init__(self, name: str):
        self.name = name
        self.parameters = 0
        self.flops = 0
        self.largest = 0
        self.largest_layer = ""
        self.activations = 0
        self.layers = 0
        self._counted: set[int] = set()  # layers whose parameters are counted (shared layers count once)

    # -- bookkeeping ---------------------------------------------------------------------------

    def fail(self, what: str) -> ModelError:
        return ModelError(f"{self.name}: {what}")

    def add_params(self, layer: dict, n: int) -> None:
        if id(layer) in self._counted:
            return
        self._counted.add(id(layer))
        self.parameters += int(n)
        if self.parameters > MAX_PARAMETERS:
            raise self.fail(f"has more than {MAX_PARAMETERS:,} parameters (at {_layer_name(layer)}); the app "
                            f"accepts up to {MAX_PARAMETERS:,}, {_times('parameters', MAX_PARAMETERS)} its largest "
                            f"trained model ({REFERENCE['parameters']:,}). Refused before building it.")

    def add_call(self, layer: dict, out: Shape, flops: int) -> None:
        if any(d < 1 for d in out):
            raise self.fail(f"its layer {_layer_name(layer)} would output the shape {out}, which has no room "
                            "left; the model cannot work on a 28x28 image.")
        size = math.prod(out) * FLOAT_BYTES
        self.flops += int(flops)
        self.activations += size
        if size > self.largest:
            self.largest, self.largest_layer = size, f"{_layer_name(layer)}, {'x'.join(map(str, out))}"
        if size > MAX_LAYER_OUTPUT_BYTES:
            raise self.fail(
                f"its layer {_layer_name(layer)} turns one 28x28 image into {'x'.join(map(str, out))} numbers "
                f"({_mb(size)}); the app accepts up to {_mb(MAX_LAYER_OUTPUT_BYTES)} per layer and image, "
                f"{_times('largest_output_bytes', MAX_LAYER_OUTPUT_BYTES)} what its own models need. Refused before "
                "building it."
            )
        if self.activations > MAX_ACTIVATION_BYTES:
            raise self.fail(f"needs more than {_mb(MAX_ACTIVATION_BYTES)} of memory per image for its layers' "
                            f"outputs, {_times('activation_bytes', MAX_ACTIVATION_BYTES)} any model the app trains. "
                            "Refused before building it.")
        if self.flops > MAX_FLOPS:
            raise self.fail(
                f"needs more than {MAX_FLOPS / 1e6:,.0f} million operations per image (at {_layer_name(layer)}); "
                f"the app accepts up to that, {_times('flops', MAX_FLOPS)} its largest trained model "
                f"({REFERENCE['flops'] / 1e6:.1f} million). Refused before building it."
            )

    # -- models ----------------------------------------------------------------------------------

    def model(self, cfg: dict, inputs: list[Shape] | None, depth: int = 0) -> list[Shape]:
        if depth > MAX_DEPTH:
            raise self.fail(f"nests models more than {MAX_DEPTH} deep.")
        kind = cfg.get("class_name")
        config = cfg.get("config")
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise self.fail(f"its config.json describes a {str(kind)[:40]!r} without layers.")
        if kind == "Sequential":
            return [self.sequential(config, inputs, depth)]
        if kind in ("Functional", "Model"):
            return self.functional(config, inputs, depth)
        raise self.fail(f"its config.json describes a {str(kind)[:40]!r}, not a Keras Sequential or Functional model.")

    def sequential(self, config: dict, inputs: list[Shape] | None, depth: int) -> Shape:
        layers = config["layers"]
        if layers and isinstance(layers[0], dict) and layers[0].get("class_name") == "InputLayer":
            shape = inputs[0] if inputs else _declared_input(layers[0], self)
            layers = layers[1:]
        elif inputs:
            shape = inputs[0]
        else:
            built = config.get("build_input_shape")
            shape = _shape_from(built[1:], self) if isinstance(built, list) and built else INPUT_SHAPES[0]
        if depth == 0:
            self.check_input(shape)
        for layer in layers:
            shape = self.layer(layer, [shape], depth)[0]
        return shape

    def functional(self, config: dict, inputs: list[Shape] | None, depth: int) -> list[Shape]:
        layers = [layer for layer in config["layers"] if isinstance(layer, dict)]
        by_name = {_layer_name(layer): layer for layer in layers}
        tensors: dict[tuple[str, int, int], Shape] = {}
        input_refs = _refs(config.get("input_layers"))
        for i, (layer_name, _node, _index) in enumerate(input_refs):
            layer = by_name.get(layer_name)
            if layer is None or layer.get("class_name") != "InputLayer":
                raise self.fail("its config.json names an input that is not an input layer.")
            shape = inputs[i] if inputs and i < len(inputs) else _declared_input(layer, self)
            if depth == 0:
                self.check_input(shape)
            tensors[(layer_name, 0, 0)] = shape
        pending = [(layer, n, node) for layer in layers if layer.get("class_name") != "InputLayer"
                   for n, node in enumerate(layer.get("inbound_nodes") or [])]
        while pending:  # a layer call runs once all its inputs are known (the config's order usually is)
            waiting = []
            for layer, n, node in pending:
                refs = _node_refs(node)
                if not refs or any(ref not in tensors for ref in refs):
                    waiting.append((layer, n, node))
                    continue
                for i, out in enumerate(self.layer(layer, [tensors[ref] for ref in refs], depth)):
                    tensors[(_layer_name(layer), n, i)] = out
            if len(waiting) == len(pending):
                raise self.fail("its config.json describes a layer graph that cannot be followed (a layer's "
                                "input is missing).")
            pending = waiting
        outputs = []
        for ref in _refs(config.get("output_layers")):
            if ref not in tensors:
                raise self.fail("its config.json names an output that no layer makes.")
            outputs.append(tensors[ref])
        return outputs

    def check_input(self, shape: Shape) -> None:
        if shape not in INPUT_SHAPES:
            raise self.fail(f"takes input of shape {shape}; an MNIST model takes (28, 28, 1).")

    # -- one layer call --------------------------------------------------------------------------

    def layer(self, layer: Any, inputs: list[Shape], depth: int) -> list[Shape]:
        if not isinstance(layer, dict):
            raise self.fail("its config.json has a layer that is not described.")
        self.layers += 1
        if self.layers > MAX_LAYERS:
            raise self.fail(f"has more than {MAX_LAYERS} layers; the app's models have at most 30.")
        kind = str(layer.get("class_name"))
        config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        if kind in ("Sequential", "Functional", "Model"):
            return self.model(layer, inputs, depth + 1)
        if kind in ("Lambda", "TFSMLayer") or layer.get("registered_name") not in (None, kind):
            raise self.fail(f"cannot be loaded as a Keras model: {SAFETY}.")
        rule = _RULES.get(kind)
        if rule is None:
            raise self.fail(
                f"uses a {kind[:40]} layer, whose cost the app cannot work out before loading the model; it accepts "
                "models made of Dense, Conv, pooling, normalisation, dropout, reshaping, merging and recurrent "
                "(LSTM, GRU) layers."
            )
        try:
            out, params, flops = rule(config, inputs)
        except ModelError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError) as err:
            raise self.fail(f"its layer {_layer_name(layer)} ({kind}) has settings that do not fit its input "
                            f"{inputs[0] if inputs else ()} ({str(err)[:80]}).") from err
        self.add_params(layer, params)
        self.add_call(layer, out, flops)
        return [out]


def _times(key: str, limit: int) -> str:
    return f"{limit / REFERENCE[key]:.0f} times"


def _layer_name(layer: dict) -> str:
    name = layer.get("name") or (layer.get("config") or {}).get("name") or layer.get("class_name")
    return str(name)[:60]


def _refs(value: Any) -> list[tuple[str, int, int]]:
    """[[name, node, index], ...] or a single [name, node, index] -> a list of tensor references."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [(str(v[0]), int(v[1]), int(v[2])) for v in value if isinstance(v, list) and len(v) >= 3]


def _node_refs(node: Any) -> list[tuple[str, int, int]]:
    """The input tensors of one layer call: Keras 3 ({"args": [...]}) or Keras 2 ([[name, node, index, {}]])."""
    found: list[tuple[str, int, int]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                history = (value.get("config") or {}).get("keras_history")
                if isinstance(history, list) and len(history) == 3:
                    found.append((str(history[0]), int(history[1]), int(history[2])))
            return
        if isinstance(value, list):
            if len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int):  # Keras 2
                found.append((value[0], int(value[1]), int(value[2])))
                return
            for item in value:
                walk(item)

    walk(node.get("args", []) if isinstance(node, dict) else node)
    return found


def _shape_from(dims: Any, estimator: _Estimator) -> Shape:
    if not isinstance(dims, list | tuple) or not all(isinstance(d, int) and 0 < d <= 100_000 for d in dims):
        raise estimator.fail(f"takes input of shape {tuple(dims) if isinstance(dims, list) else dims}; "
                             "an MNIST model takes (28, 28, 1).")
    return tuple(dims)


def _declared_input(layer: dict, estimator: _Estimator) -> Shape:
    config = layer.get("config") or {}
    if config.get("batch_shape") is not None:
        return _shape_from(config["batch_shape"][1:], estimator)
    if config.get("batch_input_shape") is not None:  # Keras 2
        return _shape_from(config["batch_input_shape"][1:], estimator)
    if config.get("shape") is not None:
        return _shape_from(config["shape"], estimator)
    return INPUT_SHAPES[0]


# -- layer rules: (config, input shapes) -> (output shape, parameters, flops) -----------------------


def _ints(value: Any, rank: int) -> tuple[int, ...]:
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank or not all(isinstance(v, int) and 0 <= v <= 100_000 for v in values):
        raise ValueError(f"expected {rank} whole numbers, got {value!r}")
    return values


def _split(shape: Shape, rank: int, config: dict) -> tuple[Shape, int, bool]:
    """(spatial dims, channels, channels_last) of an input with `rank` spatial axes."""
    if len(shape) != rank + 1:
        raise ValueError(f"needs an input with {rank + 1} axes")
    last = config.get("data_format", "channels_last") != "channels_first"
    return (shape[:-1], shape[-1], True) if last else (shape[1:], shape[0], False)


def _join(spatial: Shape, channels: int, last: bool) -> Shape:
    return (*spatial, channels) if last else (channels, *spatial)


def _conv_length(n: int, k: int, s: int, padding: str, d: int = 1) -> int:
    effective = (k - 1) * d + 1
    if padding == "valid":
        return (n - effective) // s + 1
    if padding in ("same", "causal"):
        return -(-n // s)
    raise ValueError(f"unknown padding {padding!r}")


def _deconv_length(n: int, k: int, s: int, padding: str, d: int, out_pad: int | None) -> int:
    k = k + (k - 1) * (d - 1)
    if out_pad is None:
        return {"valid": n * s + max(k - s, 0), "same": n * s, "full": n * s - (s + k - 2)}[padding]
    pad = {"same": k // 2, "valid": 0, "full": k - 1}[padding]
    return (n - 1) * s + k - 2 * pad + out_pad


def _conv(rank: int, kind: str = "conv") -> Any:
    def rule(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
        spatial, c_in, last = _split(inputs[0], rank, config)
        k = _ints(config["kernel_size"], rank)
        s = _ints(config.get("strides", 1), rank)
        d = _ints(config.get("dilation_rate", 1), rank)
        padding = str(config.get("padding", "valid")).lower()
        bias = bool(config.get("use_bias", True))
        if kind == "transpose":
            pads = config.get("output_padding")
            pads = (None,) * rank if pads is None else _ints(pads, rank)
            out_sp = tuple(_deconv_length(n, kk, ss, padding, dd, pp)
                           for n, kk, ss, dd, pp in zip(spatial, k, s, d, pads, strict=True))
        else:
            out_sp = tuple(_conv_length(n, kk, ss, padding, dd) for n, kk, ss, dd in zip(spatial, k, s, d,
                                                                                          strict=True))
        window = math.prod(k)
        if kind == "depthwise":
            dm = int(config.get("depth_multiplier", 1))
            c_out = c_in * dm
            params = window * c_out + (c_out if bias else 0)
            flops = 2 * math.prod(out_sp) * c_out * window
        elif kind == "separable":
            dm, f = int(config.get("depth_multiplier", 1)), int(config["filters"])
            c_out = f
            params = window * c_in * dm + c_in * dm * f + (f if bias else 0)
            flops = 2 * math.prod(out_sp) * (c_in * dm * window + c_in * dm * f)
        else:
            f, groups = int(config["filters"]), int(config.get("groups", 1))
            c_out = f
            params = window * (c_in // groups) * f + (f if bias else 0)
            flops = 2 * math.prod(out_sp if kind != "transpose" else spatial) * f * window * (c_in // groups)
        return _join(out_sp, c_out, last), params, flops

    return rule


def _pool(rank: int) -> Any:
    def rule(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
        spatial, c, last = _split(inputs[0], rank, config)
        p = _ints(config.get("pool_size", 2), rank)
        s = _ints(config.get("strides") or p, rank)
        padding = str(config.get("padding", "valid")).lower()
        out_sp = tuple(_conv_length(n, pp, ss, padding) for n, pp, ss in zip(spatial, p, s, strict=True))
        return _join(out_sp, c, last), 0, math.prod(out_sp) * c * math.prod(p)

    return rule


def _global_pool(rank: int) -> Any:
    def rule(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
        spatial, c, last = _split(inputs[0], rank, config)
        out = _join((1,) * rank, c, last) if config.get("keepdims") else (c,)
        return out, 0, math.prod(inputs[0])

    return rule


def _upsample(rank: int) -> Any:
    def rule(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
        spatial, c, last = _split(inputs[0], rank, config)
        size = _ints(config.get("size", 2), rank)
        out = _join(tuple(n * f for n, f in zip(spatial, size, strict=True)), c, last)
        return out, 0, math.prod(out)

    return rule


def _pad_or_crop(rank: int, key: str, sign: int) -> Any:
    def rule(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
        spatial, c, last = _split(inputs[0], rank, config)
        value = config.get(key, 1)
        if isinstance(value, int):
            pairs = [(value, value)] * rank
        elif rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
            pairs = [tuple(value)]
        else:
            pairs = [(v, v) if isinstance(v, int) else tuple(_ints(v, 2)) for v in value]
        if len(pairs) != rank:
            raise ValueError(f"expected {rank} paddings")
        out = _join(tuple(n + sign * (a + b) for n, (a, b) in zip(spatial, pairs, strict=True)), c, last)
        return out, 0, math.prod(out)

    return rule


def _same(params_per_channel: int = 0, flops_per_value: int = 1) -> Any:
    def rule(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
        x = inputs[0]
        axis = config.get("axis", -1)
        axis = axis[-1] if isinstance(axis, list) and axis else axis
        axis = axis - 1 if isinstance(axis, int) and axis > 0 else axis  # config axes count the batch axis
        channels = x[axis] if x and isinstance(axis, int) else 0
        return x, params_per_channel * channels, flops_per_value * math.prod(x)

    return rule


def _prelu(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    x = inputs[0]
    shared = set(config.get("shared_axes") or [])
    params = math.prod(1 if i + 1 in shared else d for i, d in enumerate(x))
    return x, params, 2 * math.prod(x)


def _normalization(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    x = inputs[0]
    return x, 2 * x[-1] + 1, 2 * math.prod(x)


def _dense(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    x, units = inputs[0], int(config["units"])
    if not x or units < 1:
        raise ValueError("Dense needs an input with a last axis and units >= 1")
    bias = units if config.get("use_bias", True) else 0
    return (*x[:-1], units), x[-1] * units + bias, 2 * math.prod(x) * units


def _flatten(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    return (math.prod(inputs[0]),), 0, 0


def _reshape(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    size, target = math.prod(inputs[0]), list(config["target_shape"])
    if target.count(-1) == 1:
        known = math.prod(d for d in target if d != -1)
        target[target.index(-1)] = size // known if known else 0
    if math.prod(target) != size or any(not isinstance(d, int) or d < 1 for d in target):
        raise ValueError(f"cannot reshape {size} numbers into {tuple(config['target_shape'])}")
    return tuple(target), 0, 0


def _permute(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    dims = [int(d) for d in config["dims"]]
    if sorted(dims) != list(range(1, len(inputs[0]) + 1)):
        raise ValueError(f"bad dims {dims}")
    return tuple(inputs[0][d - 1] for d in dims), 0, math.prod(inputs[0])


def _repeat(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    n = int(config["n"])
    if len(inputs[0]) != 1:
        raise ValueError("RepeatVector needs a flat input")
    return (n, inputs[0][0]), 0, n * inputs[0][0]


def _resize(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    spatial, c, last = _split(inputs[0], 2, config)
    out = _join((int(config["height"]), int(config["width"])), c, last)
    return out, 0, 4 * math.prod(out)


def _rnn_cost(kind: str, config: dict, x: Shape) -> tuple[Shape, int, int]:
    if len(x) != 2:
        raise ValueError(f"{kind} reads a sequence (steps, features)")
    steps, features, units = x[0], x[1], int(config["units"])
    gates = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[kind]
    bias = units * gates if config.get("use_bias", True) else 0
    if kind == "GRU" and config.get("reset_after", True) and bias:
        bias *= 2
    params = gates * units * (features + units) + bias
    out = (steps, units) if config.get("return_sequences") else (units,)
    return out, params, 2 * steps * gates * units * (features + units)


def _rnn(kind: str) -> Any:
    def rule(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
        if config.get("return_state"):
            raise ValueError("layers that return their state are not supported here")
        return _rnn_cost(kind, config, inputs[0])

    return rule


def _bidirectional(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    inner = config["layer"]
    kind = inner.get("class_name")
    if kind not in ("LSTM", "GRU", "SimpleRNN") or inner["config"].get("return_state"):
        raise ValueError(f"Bidirectional around {kind} is not supported here")
    out, params, flops = _rnn_cost(kind, inner["config"], inputs[0])
    merge = config.get("merge_mode", "concat")
    if merge == "concat":
        out = (*out[:-1], 2 * out[-1])
    return out, 2 * params, 2 * flops + math.prod(out)


def _merge(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    if len(inputs) < 2 or len({len(s) for s in inputs}) != 1:
        raise ValueError("a merge layer needs two or more inputs of the same rank")
    out = tuple(max(dims) for dims in zip(*inputs, strict=True))
    return out, 0, len(inputs) * math.prod(out)


def _concatenate(config: dict, inputs: list[Shape]) -> tuple[Shape, int, int]:
    if len(inputs) < 2 or len({len(s) for s in inputs}) != 1:
        raise ValueError("Concatenate needs two or more inputs of the same rank")
    axis = int(config.get("axis", -1))
    axis = axis - 1 if axis > 0 else axis + len(inputs[0])  # config axes count the batch axis
    out = list(inputs[0])
    out[axis] = sum(s[axis] for s in inputs)
    return tuple(out), 0, math.prod(out)


_ELEMENTWISE = ("Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "Dropout", "SpatialDropout1D",
                "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
                "Rescaling", "Masking", "Identity", "UnitNormalization",
                # augmentation layers: the identity when the model predicts
                "RandomRotation", "RandomZoom", "RandomTranslation", "RandomFlip", "RandomContrast",
                "RandomBrightness")
_RULES: dict[str, Any] = {
    **{kind: _same() for kind in _ELEMENTWISE},
    "BatchNormalization": _same(4, 2),
    "LayerNormalization": _same(2, 4),
    "GroupNormalization": _same(2, 4),
    "Normalization": _normalization,
    "PReLU": _prelu,
    "Dense": _dense,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Permute": _permute,
    "RepeatVector": _repeat,
    "Resizing": _resize, "CenterCrop": _resize, "RandomCrop": _resize,
    "Conv1D": _conv(1), "Conv2D": _conv(2),
    "DepthwiseConv1D": _conv(1, "depthwise"), "DepthwiseConv2D": _conv(2, "depthwise"),
    "SeparableConv1D": _conv(1, "separable"), "SeparableConv2D": _conv(2, "separable"),
    "Conv1DTranspose": _conv(1, "transpose"), "Conv2DTranspose": _conv(2, "transpose"),
    "MaxPooling1D": _pool(1), "MaxPooling2D": _pool(2), "AveragePooling1D": _pool(1), "AveragePooling2D": _pool(2),
    "GlobalMaxPooling1D": _global_pool(1), "GlobalMaxPooling2D": _global_pool(2),
    "GlobalAveragePooling1D": _global_pool(1), "GlobalAveragePooling2D": _global_pool(2),
    "UpSampling1D": _upsample(1), "UpSampling2D": _upsample(2),
    "ZeroPadding1D": _pad_or_crop(1, "padding", 1), "ZeroPadding2D": _pad_or_crop(2, "padding", 1),
    "Cropping1D": _pad_or_crop(1, "cropping", -1), "Cropping2D": _pad_or_crop(2, "cropping", -1),
    "LSTM": _rnn("LSTM"), "GRU": _rnn("GRU"), "SimpleRNN": _rnn("SimpleRNN"),
    "Bidirectional": _bidirectional,
    "Add": _merge, "Subtract": _merge, "Multiply": _merge, "Average": _merge, "Maximum": _merge, "Minimum": _merge,
    "Concatenate": _concatenate,
}


def estimate_cost(config: dict, name: str = "model") -> Cost:
    """The cost of one 28x28 image through the model that `config` (a parsed config.json) describes.

    Nothing is built: shapes, parameters and operations follow from each layer's settings. Refuses
    (ModelError) as soon as a limit is passed, and any layer type it cannot work out.
    """
    estimator = _Estimator(name)
    try:
        estimator.model(config, None)
    except ModelError:
        raise
    except RecursionError as err:
        raise ModelError(f"{name}: its config.json nests too deeply.") from err
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as err:
        raise ModelError(f"{name}: its config.json does not describe a model the app can read "
                         f"({type(err).__name__}: {str(err)[:80]}).") from err
    return Cost(estimator.parameters, estimator.flops, estimator.largest, estimator.largest_layer,
                estimator.activations, estimator.layers)


def check_keras_bytes(data: bytes, name: str) -> Cost:
    """Archive and cost checks of a .keras file's bytes; returns the cost. ModelError names `name`."""
    return estimate_cost(check_archive(data, name), name)


def check_keras_file(path: str | Path) -> Cost:
    """Archive and cost checks of a .keras file on disk (models.load_model calls this before Keras)."""
    path = Path(path)
    try:
        return estimate_cost(check_archive(path, path.name), path.name)
    except OSError as err:
        raise ModelError(f"{path.name}: cannot be read ({err.strerror or type(err).__name__}).") from err


# ---------------------------------------------------------------------------------------------
# Loading an upload


def load_upload(data: bytes, filename: str) -> keras.Model:
    """An uploaded .keras file, checked, loaded safely and shape-checked; messages name the user's file.

    Args:
        data: the uploaded bytes.
        filename: the name the user's browser sent (any folders in it are dropped).
    Returns:
        The model, ready for `ModelStore.add`.
    Raises:
        ModelError: too large, not a .keras archive, a bomb, too costly, unsafe, or the wrong shapes.
    """
    from .models import load_model

    name = display_name(filename)
    if len(data) > MAX_MODEL_BYTES:
        raise ModelError(f"{name}: {len(data) / MiB:.0f} MB is over the {MAX_MODEL_BYTES // MiB} MB limit.")
    if not name.lower().endswith(".keras"):
        raise ModelError(f"{name}: a model must be a .keras file (Keras 3 format).")
    check_keras_bytes(data, name)
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_TMP_PREFIX))
    try:
        path = folder / name  # Keras and load_model name the file they read: let that be the user's name
        path.write_bytes(data)
        try:
            return load_model(path)
        except ModelError as err:
            raise ModelError(hide_paths(str(err).replace(str(folder), ""))) from err.__cause__
    except OSError as err:
        raise ModelError(f"{name}: could not be checked: the server's temporary folder is not writable "
                         f"({err.strerror or type(err).__name__}).") from err
    finally:
        shutil.rmtree(folder, ignore_errors=True)
