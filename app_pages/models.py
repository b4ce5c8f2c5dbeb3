"""The model store: compare stored models, choose the one Draw uses, download, upload, delete."""

import json

import streamlit as st

from mnist_core.models import MAX_MODEL_BYTES
from mnist_core.store import DEFAULT_NAME, ModelStore, StoredModel
from mnist_core.train_plots import per_class_figure
from ui import auth, flash
from ui.auth import Action
from ui.export_ui import onnx_download_ui, take_it_with_you_ui
from ui.guard import friendly_errors

st.title("Models")
st.write("Every model trained here is saved with its card (settings, scores, history). The **active** model "
         "is the one the Draw page uses. The shipped default is always kept.")


def model_row(m: StoredModel, active: str) -> dict:
    card = m.card
    return {
        "active": "active" if m.name == active else "",
        "name": m.name,
        "architecture": card.architecture or "uploaded",
        "parameters": card.parameters,
        "test accuracy": card.test_accuracy * 100 if card.test_accuracy is not None else None,
        "epochs": card.epochs_run,
        "training s": card.training_seconds,
        "origin": card.origin,
        "created": card.created[5:16].replace("T", " "),
    }


def upload_ui(store: ModelStore) -> None:
    """A .keras file checked (size, safe loading, shapes) and stored, or a clear refusal."""
    with st.form("upload", clear_on_submit=True):
        upload = st.file_uploader(f"A Keras 3 model file (.keras, at most {MAX_MODEL_BYTES // 2**20} MB) that "
                                  "maps 28x28x1 images to 10 probabilities", type=["keras"])
        if st.form_submit_button("Add to the store") and upload is not None:
            if upload.size > MAX_MODEL_BYTES:
                st.error(
                    f"{upload.name}: {upload.size / 2**20:.0f} MB is over the {MAX_MODEL_BYTES // 2**20} MB limit."
                )
                return
            stored = store.import_upload(upload.getvalue(), upload.name)
            flash.later(f"Added **{stored.name}** ({stored.card.parameters:,} parameters).")
            st.rerun()


with friendly_errors("The model store"):
    store = ModelStore()
    models = store.list()
    active = store.active_name()

    # All stored models
    st.dataframe(
        [model_row(m, active) for m in models],
        hide_index=True,
        column_config={
            "test accuracy": st.column_config.NumberColumn(format="%.2f%%"),
            "parameters": st.column_config.NumberColumn(format="localized"),
        },
    )

    # One model: activate, download, delete
    names = [m.name for m in models]
    c1, c2 = st.columns([2, 3])
    name = c1.selectbox("Model", names, names.index(active), key="models-chosen")
    chosen = models[names.index(name)]
    c2.markdown(f"**{chosen.name}**: {chosen.card.description or 'a Keras model'}")
    teacher = auth.can(Action.MANAGE_MODELS)
    if not teacher:
        auth.explain(Action.MANAGE_MODELS)
    b1, b2, b4, b3, _ = st.columns([1, 1, 1, 1, 1])
    if teacher and b1.button(
        "Make active", icon=":material/check_circle:", disabled=name == active, help="The Draw page will use this model"
    ):
        with friendly_errors(f"Making {name} active"):  # e.g. a read-only home: say so, keep the page
            store.activate(name)
            st.rerun()
    b2.download_button(
        "Download .keras",
        data=chosen.path.read_bytes,
        file_name=f"{chosen.name}.keras",
        mime="application/octet-stream",
        icon=":material/download:",
    )
    with b4:
        onnx_download_ui(chosen)
    if not teacher:
        pass
    elif name == DEFAULT_NAME:
        b3.button("Delete", icon=":material/delete:", disabled=True, help="The shipped default cannot be deleted")
    else:
        with b3.popover("Delete", icon=":material/delete:"):
            st.write(f"Delete **{name}** and its card for good?")
            if st.button(f"Yes, delete {name}", type="primary", key="confirm-delete"):
                with friendly_errors(f"Deleting {name}"):
                    store.delete(name)
                    st.rerun()
    take_it_with_you_ui(chosen)
    with st.expander("The model's card"):
        st.code(
            json.dumps({k: v for k, v in chosen.card.to_dict().items() if k != "history"}, indent=2, default=str),
            language="json",
        )

    # Compare
    st.subheader("Compare")
    scored = [m for m in models if m.card.per_class("f1")]
    picked = st.multiselect("Models", [m.name for m in scored], [m.name for m in scored][:3], key="models-compare")
    if picked:
        by_name = {m.name: m for m in scored}
        st.plotly_chart(
            per_class_figure({n: by_name[n].card.per_class("f1") for n in picked}),
            key="models-f1",
            config={"displayModeBar": False},
        )
        st.caption("F1 per digit on MNIST test, from each model's card.")

    # Upload
    st.subheader("Upload a model")
    if teacher:
        upload_ui(store)
    else:
        st.caption("Adding a model to the class's store is for the teacher.")
