"""Train a network (or fine-tune a stored one) in the background and watch it learn."""

import streamlit as st

from mnist_core.augment import AugmentConfig
from mnist_core.errors import ConfigError, MnistLabError
from mnist_core.finetune import MODES, SOURCES, FinetuneConfig, load_handwriting
from mnist_core.models import ARCHITECTURES
from mnist_core.store import ModelStore
from mnist_core.train import OPTIMIZERS, PRESETS, SCHEDULES, TrainConfig, parse_digits
from mnist_core.train_plots import curves_figure
from ui import jobs, keys
from ui.cache import mnist
from ui.guard import friendly_errors
from ui.jobs import TrainingJob
from ui.model_cache import parameter_counts

st.title("Train a model")
st.write("Training runs in the background: you can leave this page and come back; **Stop** keeps the best "
         "weights so far. Every finished run is saved on the Models page.")


def _digits_text(digits: tuple[int, ...]) -> str:
    return ", ".join(map(str, digits)) if digits else "all"


def augment_ui(default: AugmentConfig, key: str) -> AugmentConfig:
    """Augmentation sliders, or the Augment page's settings when there are some."""
    from_page = st.session_state.get(keys.AUGMENT_CONFIG)
    if isinstance(from_page, AugmentConfig) and st.checkbox("Use the Augment page's settings", True, key=f"{key}-pg"):
        st.caption(f"Augment page: {', '.join(f'{k} {v:g}' for k, v in from_page.to_dict().items() if v and k != 'seed') or 'none'}")
        return from_page
    c1, c2, c3, c4, c5 = st.columns(5)
    return AugmentConfig(
        rotation=c1.slider("Rotation (°)", 0.0, 45.0, float(default.rotation), 1.0, key=f"{key}-rot"),
        shift=c2.slider("Shift", 0.0, 0.3, float(default.shift), 0.01, key=f"{key}-shift"),
        zoom=c3.slider("Zoom", 0.0, 0.4, float(default.zoom), 0.01, key=f"{key}-zoom"),
        shear=c4.slider("Slant (shear)", 0.0, 0.5, float(default.shear), 0.05, key=f"{key}-shear"),
        thickness=c5.slider("Pen width", 0.0, 1.5, float(default.thickness), 0.1, key=f"{key}-thick"),
        seed=default.seed,
    )


def training_options_ui(running: bool) -> TrainConfig | None:
    """The settings form; a validated TrainConfig when submitted, else None (errors shown in the form)."""
    params = parameter_counts()
    names = list(ARCHITECTURES)
    st.table([{"architecture": a, "parameters": f"{params[a]:,}", "what it is": ARCHITECTURES[a].description}
              for a in names])
    preset_name = st.segmented_control("Preset", ["Quick", "Best"], default="Quick", key="preset") or "Quick"
    p = PRESETS[preset_name.lower()]
    k = preset_name.lower()  # widget keys per preset, so choosing a preset resets the form to it
    with st.form("train-options"):
        c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
        arch = c1.selectbox("Architecture", names, names.index(p.architecture), key=f"{k}-arch",
                            format_func=lambda a: f"{a} ({params[a]:,} parameters)")
        epochs = c2.number_input("Epochs (1-200)", value=p.epochs, step=1, key=f"{k}-epochs")
        batch = c3.number_input("Batch size", value=p.batch_size, step=32, key=f"{k}-batch")
        optimizer = c4.selectbox("Optimizer", OPTIMIZERS, OPTIMIZERS.index(p.optimizer), key=f"{k}-opt")
        c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
        subset = c1.number_input("Training images (first N; 0 = all 60,000)", value=p.train_subset, step=1000,
                                 key=f"{k}-subset")
        lr = c2.number_input("Learning rate", value=p.learning_rate, step=1e-4, format="%.4f", key=f"{k}-lr")
        schedule = c3.selectbox("LR schedule", SCHEDULES, SCHEDULES.index(p.schedule), key=f"{k}-sched")
        val = c4.number_input("Validation share", value=p.validation_split, step=0.05, format="%.2f",
                              key=f"{k}-val")
        c1, c2, _ = st.columns([2, 1, 2])
        digits = c1.text_input("Digits to learn (e.g. 0-4 for the transfer demo)", _digits_text(p.digits),
                               key=f"{k}-digits")
        seed = c2.number_input("Seed", value=p.seed, step=1, key=f"{k}-seed")
        with st.expander("Augmentation: random changes to each training image"):
            aug = augment_ui(p.augment, f"{k}-aug")
        submitted = st.form_submit_button("Start training", type="primary", disabled=running)
        if not submitted:
            return None
        try:
            config = TrainConfig(architecture=arch, epochs=int(epochs), batch_size=int(batch), optimizer=optimizer,
                                 learning_rate=float(lr), schedule=schedule, train_subset=int(subset),
                                 validation_split=float(val), augment=aug, seed=int(seed),
                                 digits=parse_digits("" if digits.strip() == "all" else digits),
                                 outliers=p.outliers, precision=p.precision)
            config.check_data(60000)
        except ConfigError as err:
            st.error(f"Not started: {err}.")
            return None
        return config


def handwriting_label() -> tuple[str, bool]:
    """The handwriting option's label, and whether there is any to fine-tune on."""
    try:
        saved = load_handwriting()
    except MnistLabError as err:
        return f"{SOURCES['handwriting']} (unreadable: {err})", False
    if saved is None:
        return f"{SOURCES['handwriting']} (no saved handwriting yet)", False
    return f"{SOURCES['handwriting']} ({len(saved[0])} saved drawings)", True


def finetune_options_ui(running: bool) -> tuple[str, FinetuneConfig] | None:
    """The fine-tuning form; (parent model name, FinetuneConfig) when submitted, else None."""
    stored = ModelStore().list()
    hw_label, has_hw = handwriting_label()
    with st.form("finetune-options"):
        c1, c2 = st.columns([1, 1])
        parent = c1.selectbox("Start from", [m.name for m in stored], key="ft-parent",
                              format_func=lambda n: next(f"{n} ({m.card.get('architecture', '?')}, "
                                                         f"{m.card.get('metrics', {}).get('test_accuracy', 0):.2%})"
                                                         for m in stored if m.name == n))
        mode = c2.radio("What to train", list(MODES), format_func=MODES.get, key="ft-mode")
        source = st.radio("Data", list(SOURCES), key="ft-source",
                          format_func=lambda s: hw_label if s == "handwriting" else SOURCES[s])
        c1, c2, c3, c4, c5 = st.columns([2, 1, 1, 1, 1])
        digits = c1.text_input("MNIST digits (e.g. 5-9)", "all", key="ft-digits")
        subset = c2.number_input("MNIST images", value=6000, step=1000, key="ft-subset")
        replay = c3.number_input("MNIST replay", value=3000, step=500, key="ft-replay",
                                 help="With handwriting: MNIST images mixed in so the model does not forget MNIST")
        epochs = c4.number_input("Epochs", value=3, step=1, key="ft-epochs")
        lr = c5.number_input("Learning rate (0 = auto)", value=0.0, step=1e-4, format="%.4f", key="ft-lr",
                             help="Auto: 0.01 for a new head, 0.0001 when all layers are unfrozen")
        submitted = st.form_submit_button("Start fine-tuning", type="primary", disabled=running)
        if not submitted:
            return None
        if source == "handwriting" and not has_hw:
            st.error("Not started: there is no saved handwriting yet. Save some drawings on the Draw page first.")
            return None
        try:
            config = FinetuneConfig(mode=mode, source=source, subset=int(subset), replay=int(replay),
                                    epochs=int(epochs), learning_rate=float(lr) or None,
                                    digits=parse_digits("" if digits.strip() == "all" else digits))
        except ConfigError as err:
            st.error(f"Not started: {err}.")
            return None
        return parent, config


def status_line(snap: dict, job: TrainingJob) -> str:
    done = f"epoch {snap['epoch']}/{snap['epochs']}, batch {snap['batch']}/{snap['batches']}"
    times = f"{snap['elapsed']:.0f} s"
    if snap["eta"]:
        times += f", about {snap['eta']:.0f} s left"
    return f"**{job.name}**: {done} ({times})"


def epoch_table(history: list[dict]) -> None:
    cols = [c for c in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds") if any(c in r for r in history)]
    rows = [{c: r.get(c) for c in cols} for r in history]
    st.dataframe(rows, hide_index=True, column_config={
        "accuracy": st.column_config.NumberColumn("accuracy", format="percent"),
        "val_accuracy": st.column_config.NumberColumn("val accuracy", format="percent"),
        "loss": st.column_config.NumberColumn("loss", format="%.4f"),
        "val_loss": st.column_config.NumberColumn("val loss", format="%.4f"),
    })


def curves_and_table(snap: dict, key: str) -> None:
    """Loss and accuracy curves (per batch and per epoch) and the epoch table, as far as they go."""
    if snap["batch_log"]:
        st.plotly_chart(curves_figure(snap["history"], snap["batch_log"], snap["epochs"]), key=key,
                        config={"displayModeBar": False})
    if snap["history"]:
        epoch_table(snap["history"])


@st.fragment(run_every=1.0)
def live_progress_ui(job: TrainingJob) -> None:
    """Redrawn every second from the job's thread-safe progress record."""
    if not job.running:
        st.rerun()  # finished: redraw the whole page once, with the result and without polling
    snap = job.progress.snapshot()
    c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
    if snap["status"] == "waiting":
        c1.info(f"**{job.name}** is waiting for the server's training slot: place {job.queue_position or 1} in the "
                "queue. It starts by itself when the job before it ends.")
    elif snap["status"] == "stopping":
        c1.progress(snap["fraction"], text="Stopping after this batch, keeping the best weights...")
    else:
        c1.progress(snap["fraction"], text=status_line(snap, job))
    if c2.button("Stop", icon=":material/stop_circle:", key="stop-job", disabled=snap["status"] == "stopping", width="stretch"):
        job.stop()
        st.rerun(scope="fragment")
    curves_and_table(snap, "live-curves")


def before_after_ui(result: dict) -> None:
    labels = {"mnist_test": "MNIST test", "mnist_test_digits": "MNIST test, chosen digits",
              "handwriting": f"Held-out handwriting ({result.get('handwriting_held_out', 0)})"}
    shown = [k for k in labels if k in result["before"]]
    for col, key in zip(st.columns(len(shown)), shown, strict=True):
        before, after = result["before"][key], result["after"][key]
        if before is None or after is None:
            col.metric(labels[key], "n/a")
        else:
            col.metric(labels[key], f"{after:.2%}", f"{(after - before) * 100:+.2f} points (was {before:.2%})")


def result_ui(job: TrainingJob) -> None:
    """The finished job: what happened, where the model is, its curves and epoch table."""
    snap = job.progress.snapshot()
    if snap["status"] == "failed":
        st.error(f"**{job.name}** failed: {snap['error'] or job.error}")
    elif not job.result:
        st.warning(f"**{job.name}** was stopped before it started.")
    else:
        r = job.result
        how = (f"Stopped early; kept the weights of epoch {r['best_epoch']}" if r["stopped"]
               else f"Finished {snap['epochs']} epochs; kept the weights of epoch {r['best_epoch']}")
        st.success(f"{how} ({r['seconds']:.0f} s). Test accuracy **{r['test_accuracy']:.2%}**; "
                   f"saved as **{r['model_name']}**.")
        if "before" in r:
            st.markdown(f"Before and after fine-tuning **{r['parent']}** "
                        f"({r['trainable_weights']} trainable weight tensors):")
            before_after_ui(r)
            if "mnist_test_digits" in r["before"]:
                st.caption("MNIST test counts all ten digits: fine-tuned only on the chosen ones, the model "
                           "forgets the others. Fine-tune on all digits, or with replay, to keep them.")
        c1, c2, _ = st.columns([1, 1, 3])
        c1.page_link("app_pages/evaluate.py", label="Evaluate it", icon=":material/fact_check:")
        c2.page_link("app_pages/models.py", label="Models", icon=":material/inventory_2:")
    curves_and_table(snap, "final-curves")


def start(job: TrainingJob) -> None:
    data = mnist()
    job.start(data.x_train, data.y_train, data.x_test, data.y_test)
    jobs.register(job)
    st.session_state[keys.TRAIN_JOB] = job


def current_job() -> TrainingJob | None:
    """This session's job; after a reload (a new session) the one named in the URL."""
    job = st.session_state.get(keys.TRAIN_JOB) or jobs.find(st.query_params.get("job"))
    if job is not None:
        st.session_state[keys.TRAIN_JOB] = job
        st.query_params["job"] = job.id
    return job


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

    # A new run: from scratch, or fine-tuning a stored model
    st.subheader("New run")
    if running:
        st.caption("One run at a time per person: stop the current one to start another.")
    kind = st.segmented_control("Kind", ["Train from scratch", "Fine-tune a stored model"],
                                default="Train from scratch", key="kind", label_visibility="collapsed")
    if kind == "Fine-tune a stored model":
        chosen = finetune_options_ui(running)
        if chosen is not None:
            parent, ft = chosen
            start(TrainingJob(ft.train_config(), name=f"{parent}-ft-{ft.mode}", finetune=ft, parent=parent))
            st.rerun()
    else:
        config = training_options_ui(running)
        if config is not None:
            suffix = f"-d{''.join(map(str, config.digits))}" if config.digits else ""
            start(TrainingJob(config, name=f"{config.architecture}-{config.epochs}ep{suffix}"))
            st.rerun()
