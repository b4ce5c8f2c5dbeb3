"""Take a stored model elsewhere: its ONNX file, how to run it, and the command that makes it again."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mnist_core.errors import StoreError
from mnist_core.export import export_beside, load_onnx, onnx_path, retrain_command
from mnist_core.store import ModelStore, StoredModel

SNIPPET = '''import numpy as np
import onnxruntime as ort  # pip install onnxruntime

session = ort.InferenceSession("{file}")
inp = session.get_inputs()[0]
# 28x28 images, white digit on black, values in [0, 1], normalised as MNIST's digits are
# (mnist_core.preprocess.prepare does that to a drawing)
x = np.zeros((1, 28, 28), np.float32).reshape(-1, *inp.shape[1:])
probabilities = session.run(None, {{inp.name: x}})[0]  # (N, 10), each row sums to 1
print(probabilities.argmax(axis=1))
'''


@st.cache_data(max_entries=64, show_spinner=False)
def _export_is_current(model_path: str, model_mtime: float, onnx_mtime: float) -> bool:
    try:
        load_onnx(model_path)
        return True
    except Exception:  # noqa: BLE001 - missing, unreadable or stale all mean "not current"
        return False


def has_current_export(model: StoredModel) -> bool:
    """Whether the ONNX file beside the model is there and was made from this very .keras file."""
    onnx = onnx_path(model.path)
    if not onnx.is_file():
        return False
    return _export_is_current(str(model.path), model.path.stat().st_mtime, onnx.stat().st_mtime)


def onnx_download_ui(model: StoredModel) -> None:
    """Download the model as ONNX; a stored model without a current export can get one here."""
    if has_current_export(model):
        st.download_button("Download .onnx", data=onnx_path(model.path).read_bytes, file_name=f"{model.name}.onnx",
                           mime="application/octet-stream", icon=":material/download:", on_click="ignore",
                           help="The model for ONNX Runtime: any language, no TensorFlow")
    elif model.is_default:
        st.button("Download .onnx", icon=":material/download:", disabled=True,
                  help="The shipped model's ONNX file is missing or stale: run "
                       "`python -m mnist_core export assets/default_model.keras`")
    elif st.button("Make .onnx", icon=":material/build:", help="Export this model to ONNX (loads TensorFlow once)"):
        with st.spinner("Exporting to ONNX..."):
            export_beside(model.path)
        st.rerun()


def _parent_file(model: StoredModel) -> Path | None:
    """The stored file of the model this one started from, when it is still in the store."""
    try:
        path = ModelStore().path_of(model.card.parent.name) if model.card.parent else None
    except StoreError:  # a parent named after a file, not a store name
        return None
    return path if path is not None and path.exists() else None


def take_it_with_you_ui(model: StoredModel) -> None:
    """How to run the ONNX file in Python, and the command line that trains the model again."""
    with st.expander("Run it elsewhere, train it again"):
        st.markdown("**Predict with the .onnx file** (Python, ONNX Runtime):")
        st.code(SNIPPET.format(file=f"{model.name}.onnx"), language="python")
        command, notes = retrain_command(model.card, _parent_file(model))
        if not command:
            st.caption("The model's card does not say how it was made (an uploaded model).")
            return
        st.markdown("**Train it again** from the command line (in this repository, with MNIST at hand):")
        st.code(command, language="bash")
        if notes:
            st.caption("Settings the command line has no flag for (set in the app): " + ", ".join(notes))
