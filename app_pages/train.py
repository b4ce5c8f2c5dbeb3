"""Train a CNN in the background and watch it learn."""

import streamlit as st

from mnist_core.errors import ConfigError
from mnist_core.models import ARCHITECTURES
from mnist_core.train import PRESETS, TrainConfig
from ui import keys
from ui.cache import mnist
from ui.guard import friendly_errors
from ui.jobs import TrainingJob

st.title("🏋️ Train a model")


def training_options_ui() -> TrainConfig | None:
    """The settings form; returns a validated TrainConfig when submitted, else None."""
    quick = PRESETS["quick"]
    with st.form("train-options"):
        c1, c2, c3 = st.columns(3)
        arch = c1.selectbox("Architecture", list(ARCHITECTURES), index=list(ARCHITECTURES).index(quick.architecture),
                            format_func=lambda a: f"{a}: {ARCHITECTURES[a].description}")
        epochs = c2.number_input("Epochs", 1, 50, 2)
        subset = c3.number_input("Training images (first N)", 1000, 60000, 10000, step=1000)
        submitted = st.form_submit_button("Start training", type="primary")
    if not submitted:
        return None
    try:
        return TrainConfig(architecture=arch, epochs=int(epochs), train_subset=int(subset), batch_size=quick.batch_size,
                           learning_rate=quick.learning_rate, validation_split=0.1)
    except ConfigError as err:
        st.error(str(err))
        return None


@st.fragment(run_every=1.0)
def progress_ui(job: TrainingJob) -> None:
    """Redrawn every second from the job's thread-safe progress record."""
    snap = job.progress.snapshot()
    if snap["status"] == "waiting":
        st.info("Waiting for another training job on this server to finish...")
        return
    label = f"Epoch {snap['epoch']}/{snap['epochs']}, batch {snap['batch']}/{snap['batches']}"
    if snap["eta"]:
        label += f" - about {snap['eta']:.0f} s left"
    st.progress(snap["fraction"], text=label)
    if snap["history"]:
        st.dataframe(snap["history"], hide_index=True)
    if snap["status"] == "failed":
        st.error(snap["error"] or job.error)
    elif not job.running and job.result:
        st.success(f"Done: test accuracy {job.result['test_accuracy']:.2%}; saved as **{job.result['model_name']}**.")


with friendly_errors("Training"):
    job: TrainingJob | None = st.session_state.get(keys.TRAIN_JOB)
    config = training_options_ui()
    if config is not None:
        if job is not None and job.running:
            st.warning("A training job of yours is still running: stop it first.")
        else:
            data = mnist()
            job = TrainingJob(config, name=f"{config.architecture}-{config.epochs}ep")
            job.start(data.x_train, data.y_train, data.x_test, data.y_test)
            st.session_state[keys.TRAIN_JOB] = job
    if job is not None:
        if job.running and st.button("Stop", icon="⏹️"):
            job.stop()
        progress_ui(job)
