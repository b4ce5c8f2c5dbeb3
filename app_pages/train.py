"""Train a network (or fine-tune a stored one) in the background and watch it learn."""

import streamlit as st

from ui.guard import friendly_errors
from ui.train_ui import (
    current_job,
    finetune_options_ui,
    live_progress_ui,
    result_ui,
    server_jobs_ui,
    start,
    training_options_ui,
    training_spec,
    warm_up,
)

st.title("Train a model")
st.caption("Training runs in the background: you can leave this page and come back; **Stop** keeps the best "
           "weights so far. Every finished run is saved on the Models page.")

warm_up()  # the training process gets ready while the settings are chosen

with friendly_errors("Training"):
    # The current job (leaving the page, or reloading it, does not stop it)
    job = current_job()
    running = job is not None and job.running
    if job is not None:
        st.subheader("Current run" if running else "Last run")
        if running:
            live_progress_ui(job)
        else:
            result_ui(job)

    server_jobs_ui(job)  # the other runs on the server; the teacher may stop them

    # A new run: from scratch, or fine-tuning a stored model
    if job is not None:
        st.subheader("New run")
    if running:
        st.caption("One run at a time per person: stop the current one to start another.")
    with st.container(key="wrap-run-head"):  # wraps on a narrow screen instead of cutting the choices
        kind_at, preset_at, note_at = st.columns([1.9, 0.9, 2.2], vertical_alignment="center")
    kind = kind_at.segmented_control("Kind", ["Train from scratch", "Fine-tune"],
                                     default="Train from scratch", key="kind", label_visibility="collapsed",
                                     help="Fine-tune: start from a stored model's weights instead of random ones.")
    if kind == "Fine-tune":
        spec = finetune_options_ui(running)
    else:
        config = training_options_ui(running, preset_at, note_at)
        spec = training_spec(config) if config is not None else None
    if spec is not None:
        with friendly_errors("Starting the run"):
            start(spec)
            st.rerun()
