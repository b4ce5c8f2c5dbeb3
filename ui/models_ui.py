"""Widget groups of the Models page: the table of stored models, one model's actions, an upload."""

from __future__ import annotations

import json

import streamlit as st

from mnist_core.models import MAX_MODEL_BYTES
from mnist_core.store import DEFAULT_NAME, ModelStore, StoredModel
from ui import flash
from ui.export_ui import onnx_download_ui
from ui.guard import friendly_errors, literal
from ui.show import when

NOT_MEASURED = "–"  # a figure an uploaded model's card does not have (never "None")
CHOSEN, CHOSEN_NEXT = "models-chosen", "models-chosen-next"  # the model picked; one to pick on the next run


def model_row(m: StoredModel, active: str) -> dict:
    """One row of the table: every cell text, so a missing figure reads "–", not "None". The accuracy
    comes right after the name: on a phone the table scrolls sideways, and it was past the edge."""
    card = m.card
    return {
        "active": "active" if m.name == active else "",
        "name": m.name,
        "test accuracy": f"{card.test_accuracy:.2%}" if card.test_accuracy is not None else "not evaluated yet",
        "architecture": card.architecture or "uploaded",
        "parameters": f"{card.parameters:,}" if card.parameters else NOT_MEASURED,
        "epochs": f"{card.epochs_run}" if card.epochs_run else NOT_MEASURED,
        "training": f"{card.training_seconds:,.0f} s" if card.training_seconds else NOT_MEASURED,
    }


def saved_line(m: StoredModel) -> str:
    """Where a model came from and when: under the chosen model, not in the table (with them the table
    was wider than a tablet's page beside the sidebar, or a projector's in large type)."""
    return f"Origin: {literal(m.card.origin)} · saved {_saved_when(m.card.created)}"


def _saved_when(created: str) -> str:
    try:
        return when(created, zone=True)
    except (TypeError, ValueError):  # an uploaded card's own words
        return literal(str(created)[:32]) or NOT_MEASURED


def models_table(models: list[StoredModel], active: str) -> None:
    st.dataframe([model_row(m, active) for m in models], hide_index=True)


def chosen_ui(models: list[StoredModel], active: str) -> StoredModel:
    """The model to act on (the active one at first; a renamed one keeps being chosen)."""
    names = [m.name for m in models]
    if st.session_state.get(CHOSEN_NEXT) in names:  # set by an action of the last run, before this widget
        st.session_state[CHOSEN] = st.session_state.pop(CHOSEN_NEXT)
    gone = st.session_state.get(CHOSEN)
    if gone is not None and gone not in names:  # the teacher deleted or renamed it in another browser
        st.session_state[CHOSEN] = active
        st.toast(f"**{literal(gone)}** is no longer on this server (deleted or renamed a moment ago): "
                 f"showing **{literal(active)}**.", icon=":material/info:")
    c1, c2 = st.columns([2, 3])
    name = c1.selectbox("Model", names, names.index(active), key=CHOSEN)
    chosen = models[names.index(name)]
    c2.markdown(f"**{literal(chosen.name)}**: {literal(chosen.card.description or 'a Keras model')}")
    c2.caption(saved_line(chosen))
    return chosen


def actions_ui(store: ModelStore, chosen: StoredModel, active: str, teacher: bool) -> None:
    """Make active, download (.keras, .onnx), rename and delete: one row of buttons as wide as their words,
    which wraps on a narrow screen. The class-wide ones only for the teacher."""
    name = chosen.name
    with st.container(horizontal=True, key="model-actions"):
        if teacher and st.button("Make active", icon=":material/check_circle:", disabled=name == active,
                                 help="The Draw page of everyone in the class will use this model"):
            with friendly_errors(f"Making {literal(name)} active"):  # e.g. a read-only home: say so, keep the page
                store.activate(name)
                st.rerun()
        st.download_button("Download .keras", data=chosen.path.read_bytes, file_name=f"{name}.keras",
                           mime="application/octet-stream", icon=":material/download:")
        onnx_download_ui(chosen)
        if teacher and name != DEFAULT_NAME:
            rename_ui(store, name)
            with st.popover("Delete", icon=":material/delete:", key=f"delete-menu-{name}"):  # closed for the next
                st.write(f"Delete **{literal(name)}** and its card for good?")
                if st.button(f"Yes, delete {literal(name)}", type="primary", key="confirm-delete"):
                    with friendly_errors(f"Deleting {literal(name)}"):
                        store.delete(name)
                        st.session_state[CHOSEN_NEXT] = store.active_name()
                        flash.later(f"Deleted **{literal(name)}**.", icon=":material/delete:")
                        st.rerun()


def rename_ui(store: ModelStore, name: str) -> None:
    with st.popover("Rename", icon=":material/edit:", key=f"rename-menu-{name}"):
        new = st.text_input("New name", name, max_chars=64, key=f"rename-{name}",
                            help="Letters of any alphabet, digits, '-', '_' and '.', starting with a letter or digit")
        if st.button("Rename", type="primary", key="confirm-rename", disabled=new.strip() == name):
            with friendly_errors(f"Renaming {literal(name)}"):  # a taken or unsafe name: said in place
                renamed = store.rename(name, new)
                st.session_state[CHOSEN_NEXT] = renamed.name
                flash.later(f"**{literal(name)}** is now called **{literal(renamed.name)}**.")
                st.rerun()


def card_ui(chosen: StoredModel) -> None:
    with st.expander("The model's card"):
        st.code(json.dumps({k: v for k, v in chosen.card.to_dict().items() if k != "history"}, indent=2,
                           default=str), language="json")


def upload_ui(store: ModelStore) -> None:
    """A .keras file checked (size, archive, cost, safe loading, shapes) and stored, or a clear refusal."""
    with st.form("upload", clear_on_submit=True):
        upload = st.file_uploader(f"A Keras 3 model file (.keras, at most {MAX_MODEL_BYTES // 2**20} MB) that "
                                  "maps 28x28x1 images to 10 probabilities", type=["keras"])
        pressed = st.form_submit_button("Add to the store")
        if pressed and upload is None:  # nothing chosen, or a file the uploader refused (model.keras.exe)
            st.warning("Choose a .keras file first: the box above takes only .keras files.")
        elif pressed:
            if upload.size > MAX_MODEL_BYTES:
                st.error(f"{literal(upload.name)}: {upload.size / 2**20:.0f} MB is over the "
                         f"{MAX_MODEL_BYTES // 2**20} MB limit.")
                return
            stored = store.import_upload(upload.getvalue(), upload.name)
            st.session_state[CHOSEN_NEXT] = stored.name  # the new model is the one shown (it stayed on default)
            flash.later(f"Added **{literal(stored.name)}** ({stored.card.parameters:,} parameters).")
            st.rerun()
