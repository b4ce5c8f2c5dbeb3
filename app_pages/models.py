"""The model store: compare stored models, choose the one the class uses, download, rename, upload, delete."""

import streamlit as st

from mnist_core.store import ModelStore
from mnist_core.train_plots import per_class_figure
from ui import auth
from ui.auth import Action
from ui.export_ui import take_it_with_you_ui
from ui.guard import friendly_errors
from ui.models_ui import actions_ui, card_ui, chosen_ui, models_table, upload_ui

st.title("Models")
st.write("Every model trained here is saved with its card (settings, scores, history). The **active** model "
         "is the one the whole class's Draw page uses. The shipped default is always kept.")

with friendly_errors("The model store"):
    store = ModelStore()
    models = store.list()
    active = store.active_name()

    # All stored models
    models_table(models, active)

    # One model: activate, download, rename, delete
    chosen = chosen_ui(models, active)
    teacher = auth.can(Action.MANAGE_MODELS)
    if not teacher:
        auth.explain(Action.MANAGE_MODELS)
    actions_ui(store, chosen, active, teacher)
    take_it_with_you_ui(chosen)
    card_ui(chosen)

    # Compare
    st.subheader("Compare")
    scored = [m for m in models if m.card.per_class("f1")]
    picked = st.multiselect("Models", [m.name for m in scored], [m.name for m in scored][:3], key="models-compare")
    if picked:
        by_name = {m.name: m for m in scored}
        st.plotly_chart(per_class_figure({n: by_name[n].card.per_class("f1") for n in picked}), key="models-f1",
                        config={"displayModeBar": False})
        st.caption("F1 per digit on MNIST test, from each model's card.")

    # Upload
    st.subheader("Upload a model")
    if teacher:
        upload_ui(store)
    else:
        st.caption("Adding a model to the class's store is for the teacher.")
