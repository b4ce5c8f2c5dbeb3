"""Widget groups of the Train page: settings in, a RunSpec out; a job's progress and result drawn."""

from __future__ import annotations

import math
import os
import time

import streamlit as st

from mnist_core.augment import AugmentConfig
from mnist_core.errors import ConfigError, MnistLabError
from mnist_core.finetune import MODES, SOURCES, FinetuneConfig, load_handwriting
from mnist_core.models import ARCHITECTURES
from mnist_core.progress import ProgressSnapshot, Status
from mnist_core.runs import MIN_EPOCHS_KEPT, RunSpec, epochs_label
from mnist_core.speed import describe, estimate_seconds, load_profile
from mnist_core.store import ModelStore
from mnist_core.train_config import OPTIMIZERS, PRESETS, SCHEDULES, TrainConfig, parse_digits
from mnist_core.train_plots import curves_figure
from ui import jobs
from ui.augment_ui import augment_options_ui, forget, shared_config
from ui.cache import mnist, parameter_counts
from ui.guard import literal
from ui.jobs import TrainingJob
from ui.show import plural

TRAIN_JOB = "train_job"  # ui.jobs.TrainingJob of this session
OTHERS_EVERY = 3.0  # seconds between redraws of the list of other runs on the server


def _digits_text(digits: tuple[int, ...]) -> str:
    return ", ".join(map(str, digits)) if digits else "all"


def _digits(text: str) -> tuple[int, ...]:
    return parse_digits("" if text.strip() == "all" else text)


def augmentation_ui(preset: TrainConfig, key: str) -> AugmentConfig:
    """The Augment page's widget group: the session's augmentation if someone set it, else the preset's."""
    from_page = shared_config() is not None
    st.caption("Your settings, the same as on the Augment page (set there or here in this session)." if from_page
               else "The preset's recipe. Change them here or on the Augment page, where you can preview them on "
                    "real digits: both pages then use your settings.")
    augment = augment_options_ui(preset.augment, prefix=f"{key}-aug", with_seed=False)
    if from_page and st.button("Back to the preset's augmentation", key=f"{key}-aug-reset"):
        forget(f"{key}-aug")
        st.rerun()
    return augment


def training_options_ui(running: bool, preset_at=None, note_at=None) -> TrainConfig | None:
    """The settings; a validated TrainConfig when Start is pressed, else None (errors shown here).

    Compact enough that Start stays on a 1280x720 projector: the preset where the page puts it
    (`preset_at`, its lengths in `note_at`: columns beside the kind of run), the main settings in one
    row, the rest in expanders; the architectures are compared in the Architecture box's help.
    """
    params = parameter_counts()
    names = list(ARCHITECTURES)
    preset_at, note_at = preset_at or st.container(), note_at or st.container()
    preset_name = preset_at.segmented_control("Preset", ["Quick", "Best"], default="Quick", key="preset",
                                              label_visibility="collapsed") or "Quick"
    note_at.caption(preset_lengths())
    p = PRESETS[preset_name.lower()]
    k = preset_name.lower()  # widget keys per preset, so choosing a preset resets the settings to it
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    arch = c1.selectbox("Architecture", names, names.index(p.architecture), key=f"{k}-arch", filter_mode=None,
                        format_func=lambda a: f"{a} ({params[a]:,} parameters)",
                        help="\n".join(f"- **{a}** ({params[a]:,} parameters): {ARCHITECTURES[a].description}"
                                       for a in names))
    # each number's range in its widget too: the browser marks a typed value outside it at once (red),
    # instead of keeping the last good one while it shows the typed one
    epochs = c2.number_input("Epochs (1-200)", value=p.epochs, step=1, min_value=1, max_value=200, key=f"{k}-epochs",
                             help="How many times training goes through all the training images")
    batch = c3.number_input("Batch size", value=p.batch_size, step=32, min_value=1, max_value=4096, key=f"{k}-batch",
                            help="Images per step: the weights change once per batch")
    lr = c4.select_slider("Learning rate", LEARNING_RATES, nearest_rate(p.learning_rate), key=f"{k}-lr",
                          format_func=rate_words, help="How big each step is (Adam's usual: 0.001)")
    with st.expander("More settings: optimizer, schedule, images, digits, seed"):
        c1, c2, c3 = st.columns(3)
        optimizer = c1.selectbox("Optimizer", OPTIMIZERS, OPTIMIZERS.index(p.optimizer), key=f"{k}-opt",
                                 filter_mode=None)
        schedule = c2.selectbox("LR schedule", SCHEDULES, SCHEDULES.index(p.schedule), key=f"{k}-sched",
                                filter_mode=None,
                                help="How the learning rate changes during training")
        val = c3.slider("Validation share", 0.0, 0.5, p.validation_split, step=0.05, format="%.2f", key=f"{k}-val",
                        help="Training images held back to watch for overfitting")
        c1, c2, c3 = st.columns(3)
        subset = c1.number_input("Training images", value=p.train_subset, step=1000, min_value=0, max_value=60000,
                                 key=f"{k}-subset",
                                 help="The first N training images; 0 = all 60,000")
        digits = c2.text_input("Digits to learn", _digits_text(p.digits), key=f"{k}-digits",
                               help="e.g. 0-4 for the transfer demo; all = every digit")
        seed = c3.number_input("Seed", value=p.seed, step=1, min_value=0, max_value=2**31 - 1, key=f"{k}-seed",
                               help="The same seed gives the same run")
    with st.expander("Augmentation: random changes to each training image"):
        augment = augmentation_ui(p, k)
    try:
        config = TrainConfig(architecture=arch, epochs=int(epochs), batch_size=int(batch), optimizer=optimizer,
                             learning_rate=float(lr), schedule=schedule, train_subset=int(subset),
                             validation_split=float(val), augment=augment, seed=int(seed),
                             digits=_digits(digits), outliers=p.outliers, precision=p.precision,
                             label_smoothing=p.label_smoothing, world=p.world)  # the preset's recipe, all of it
        config.check_data(60000)
        problem = None
    except ConfigError as err:
        config, problem = None, err
    left, right = st.columns([1, 3], vertical_alignment="center")
    pressed = left.button("Start training", type="primary", disabled=running, key="start-training")
    if config is not None:
        right.caption(f"This run: {length(config)}.")
    if not pressed:
        return None
    if problem is not None:
        st.error(f"Not started: {problem}.")
    return config


# Learning rates to choose from, not to type: a number box read '0,001' (a decimal comma, as much of the
# world writes it) as 1, the largest rate, and the run failed with no word why. Log-spaced; the presets'
# rates and fine-tuning's automatic ones are among them.
LEARNING_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)


def nearest_rate(rate: float) -> float:
    """The choice closest to `rate` on a log scale."""
    return min(LEARNING_RATES, key=lambda r: abs(math.log(r / rate)))


def rate_words(rate: float) -> str:
    return "auto" if rate == 0 else f"{rate:g}"


def preset_lengths() -> str:
    """How long each preset takes here, in one short line."""
    lengths = {name.capitalize(): length(config) for name, config in PRESETS.items()}
    if len(set(lengths.values())) == 1:  # e.g. not measured yet: say it once
        return f"{' and '.join(f'**{n}**' for n in lengths)}: {next(iter(lengths.values()))}."
    return " ".join(f"**{n}**: {v}." for n, v in lengths.items())


def length(config: TrainConfig) -> str:
    """How long a run of `config` should take here, in words (from this machine's measured speed)."""
    profile = load_profile()
    seconds = estimate_seconds(config, profile) if profile is not None else None
    if seconds is None:
        measuring = os.environ.get("MNIST_LAB_MEASURE", "1") != "0"
        return "length not known yet" + (" (this server's speed is being measured)" if measuring else "")
    return f"{describe(seconds)} on this server"


def training_spec(config: TrainConfig) -> RunSpec:
    suffix = f"-d{''.join(map(str, config.digits))}" if config.digits else ""
    return RunSpec(config, name=f"{config.architecture}-{{epochs}}ep{suffix}")


def _handwriting_label() -> tuple[str, bool]:
    """The handwriting option's label, and whether there is any to fine-tune on."""
    try:
        saved = load_handwriting()
    except MnistLabError as err:
        return f"{SOURCES['handwriting']} (unreadable: {err})", False
    if saved is None:
        return f"{SOURCES['handwriting']} (no saved handwriting yet)", False
    return f"{SOURCES['handwriting']} ({plural(len(saved[0]), 'saved drawing')})", True


def finetune_options_ui(running: bool) -> RunSpec | None:
    """The fine-tuning settings; the run to start when its button is pressed, else None."""
    stored = {m.name: m for m in ModelStore().list()}
    hw_label, has_hw = _handwriting_label()

    def describe(name: str) -> str:
        card = stored[name].card
        kind = card.architecture if card.architecture in ARCHITECTURES else "uploaded"
        acc = card.test_accuracy  # an uploaded model has none (0 is no measurement either: chance is 10%)
        return f"{name} ({kind}, {f'{acc:.2%} on MNIST test' if acc else 'not evaluated yet'})"

    c1, c2 = st.columns([1, 1])
    parent = c1.selectbox("Start from", list(stored), key="ft-parent", format_func=describe)
    mode = c2.radio("What to train", list(MODES), format_func=MODES.get, key="ft-mode")
    source = st.radio("Data", list(SOURCES), key="ft-source",
                      format_func=lambda s: hw_label if s == "handwriting" else SOURCES[s])
    c1, c2, c3, c4, c5 = st.columns([2, 1, 1, 1, 1])
    digits = c1.text_input("MNIST digits (e.g. 5-9)", "all", key="ft-digits")
    subset = c2.number_input("MNIST images", value=6000, step=1000, min_value=0, max_value=60000, key="ft-subset")
    replay = c3.number_input("MNIST replay", value=3000, step=500, min_value=0, max_value=60000, key="ft-replay",
                             help="With handwriting: MNIST images mixed in so the model does not forget MNIST")
    epochs = c4.number_input("Epochs", value=3, step=1, min_value=1, max_value=200, key="ft-epochs")
    lr = c5.select_slider("Learning rate", (0.0, *LEARNING_RATES), 0.0, key="ft-lr", format_func=rate_words,
                          help=f"Auto: {FinetuneConfig(mode='head').lr:g} for a new head, "
                               f"{FinetuneConfig(mode='all').lr:g} when all layers are unfrozen")
    if not st.button("Start fine-tuning", type="primary", disabled=running, key="start-finetuning"):
        return None
    if source == "handwriting" and not has_hw:
        st.error("Not started: there is no saved handwriting yet. Save some drawings on the Draw page first.")
        return None
    try:
        ft = FinetuneConfig(mode=mode, source=source, subset=int(subset), replay=int(replay), epochs=int(epochs),
                            learning_rate=float(lr) or None, digits=_digits(digits))
    except ConfigError as err:
        st.error(f"Not started: {err}.")
        return None
    return RunSpec(ft.train_config(), name=f"{parent}-ft-{ft.mode}", finetune=ft, parent=stored[parent].path,
                   parent_name=parent)


# ---------------------------------------------------------------------------------------------
# A job: start it, find it again, show it


def warm_up() -> None:
    """Start the server's training process now, so that Start trains at once (it loads TensorFlow and
    MNIST, and measures this machine's speed once, at low priority)."""
    try:
        jobs.worker_for(mnist())
    except MnistLabError:  # no dataset: the page says so where it matters
        pass


def start(spec: RunSpec) -> None:
    """Check what the run needs before it starts (the dataset, a writable store), then start it."""
    data = mnist()  # raises DatasetError with what to do
    ModelStore().check_writable()  # a finished run must not be lost for want of a place to save it
    job = TrainingJob(spec)
    job.start(data)
    jobs.register(job)
    st.session_state[TRAIN_JOB] = job


def server_jobs_ui(own: TrainingJob | None) -> None:
    """Every run on the server that is not this browser's: what holds the training slot and who waits.
    The teacher may stop any of them (a student's 200-epoch run would hold the slot for hours)."""
    from ui import auth
    from ui.auth import Action

    other_runs_ui(own)
    if _others(own) and not auth.can(Action.STOP_TRAINING):
        auth.explain(Action.STOP_TRAINING)  # outside the list: it is not redrawn while the teacher types


def _others(own: TrainingJob | None) -> list[TrainingJob]:
    return [job for job in jobs.active() if job is not own]


@st.fragment(run_every=OTHERS_EVERY)
def other_runs_ui(own: TrainingJob | None) -> None:
    """The list itself, redrawn every few seconds: runs start, move up the queue, go through their epochs
    and end while the page stays open."""
    from ui import auth
    from ui.auth import Action

    others = _others(own)
    if not others:
        return
    st.subheader("Other runs on this server")
    teacher = auth.can(Action.STOP_TRAINING)
    for job in others:
        snap = job.progress.snapshot()
        place = job.queue_position
        where = (f"waiting, place {place} in the queue" if place else
                 "stopping" if snap.status == Status.STOPPING else
                 "getting ready" if not snap.epochs else
                 f"training: epoch {snap.epoch}/{snap.epochs}, {snap.elapsed:.0f} s so far")
        row = st.container(horizontal=True, vertical_alignment="center")
        row.markdown(f"**{job.name}**, asked for {_ago(job.asked)}: {where}")
        if teacher and snap.status != Status.STOPPING:
            row.button("Stop it", key=f"stop-other-{job.id}", on_click=job.stop, icon=":material/stop:",
                       help="Stops this run for its owner too; a training run keeps its best weights so far.")
    waiting = [job for job in others if job.queue_position and not job.progress.stop_requested]
    if teacher and len(waiting) > 1:  # a queue filled from many tabs: emptied in one click, not one by one
        st.button(f"Stop the {len(waiting)} waiting runs", key="stop-waiting", icon=":material/playlist_remove:",
                  on_click=lambda: [job.stop() for job in waiting], help="They never start; the running one goes on.")


def _ago(when: float) -> str:
    """'just now', '40 s ago', '3 min ago': tells two runs of the same name apart (a server's clock may be
    in another time zone than the class)."""
    seconds = max(0.0, time.time() - when)
    return "just now" if seconds < 10 else f"{describe(seconds).removeprefix('about ')} ago"


def _wait_words(job: TrainingJob) -> str:
    """How long until a waiting run starts, as far as the run training now tells."""
    training = next((j for j in jobs.active() if j is not job and not j.queue_position), None)
    snap = training.progress.snapshot() if training is not None else None
    if snap is None or not snap.eta:
        return "It starts by itself when the job before it ends."
    left = describe(snap.eta)
    ahead = (job.queue_position or 1) - 1
    if not ahead:
        return f"It starts by itself when the run training now (**{training.name}**) ends, in {left}."
    return (f"It starts by itself after the run training now (**{training.name}**, {left} left) and the "
            f"{ahead} waiting before it.")


def current_job() -> TrainingJob | None:
    """This session's job; after a reload (a new session) the one named in the URL."""
    job = st.session_state.get(TRAIN_JOB) or jobs.find(st.query_params.get("job"))
    if job is not None:
        st.session_state[TRAIN_JOB] = job
        st.query_params["job"] = job.id
    return job


def _status_line(snap: ProgressSnapshot, job: TrainingJob) -> str:
    if snap.detail:  # the batches are done: scoring, calibrating, saving
        return f"**{job.name}**: trained {snap.elapsed:.0f} s; now {snap.detail}..."
    done = f"epoch {snap.epoch}/{snap.epochs}, batch {snap.batch}/{snap.batches}"
    times = f"{snap.elapsed:.0f} s"
    if snap.eta:
        times += f", about {describe(snap.eta).removeprefix('about ')} left"
    return f"**{job.name}**: {done} ({times})"


def _epoch_table(history: list[dict]) -> None:
    """One row per epoch; its time is the epoch's own (the history keeps the time since the start)."""
    cols = [c for c in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")
            if any(c in r for r in history)]
    rows, before = [], 0.0
    for r in history:
        row = {c: r.get(c) for c in cols}
        if "epoch" in row:  # an epoch stopped part of the way says so (its figures are the part's)
            row["epoch"] = f"{r['epoch']}" + (f" (stopped {r['fraction']:.0%} in)" if "fraction" in r else "")
        if r.get("seconds") is not None:
            row["seconds"], before = round(r["seconds"] - before, 1), r["seconds"]
        for c in ("accuracy", "val_accuracy"):  # in percent, written like every other figure on the page:
            if row.get(c) is not None:  # 'percent' followed the browser's language ('17,83 %' beside '2.2047')
                row[c] = row[c] * 100
        rows.append(row)
    st.dataframe(
        rows,
        hide_index=True,
        column_config={
            "seconds": st.column_config.NumberColumn("seconds", help="How long this epoch took", format="%.1f"),
            "accuracy": st.column_config.NumberColumn("accuracy", format="%.2f%%"),
            "val_accuracy": st.column_config.NumberColumn("val accuracy", format="%.2f%%"),
            "loss": st.column_config.NumberColumn("loss", format="%.4f"),
            "val_loss": st.column_config.NumberColumn("val loss", format="%.4f"),
        },
    )


def curves_and_table(snap: ProgressSnapshot, key: str) -> None:
    """Loss and accuracy curves (per batch and per epoch) and the epoch table, as far as they go."""
    if snap.batch_log:
        st.plotly_chart(
            curves_figure(snap.history, snap.batch_log, snap.epochs, batches_per_epoch=snap.batches), key=key,
            config={"displayModeBar": False},
        )
    if snap.history:
        _epoch_table(snap.history)


@st.fragment(run_every=1.0)
def live_progress_ui(job: TrainingJob) -> None:
    """Redrawn every second from the job's thread-safe progress record."""
    if not job.running:
        st.rerun()  # finished: redraw the whole page once, with the result and without polling
    snap = job.progress.snapshot()
    c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
    if snap.status == Status.WAITING:
        c1.info(
            f"**{job.name}** is waiting for the server's training slot: place {job.queue_position or 1} in the "
            f"queue. {_wait_words(job)}"
        )
    elif snap.status == Status.PREPARING:
        c1.progress(0.0, text=f"**{job.name}**: preparing ({snap.detail or 'starting'})...")
    elif snap.status == Status.STOPPING:
        c1.progress(snap.fraction, text="Stopping after this batch, keeping the best weights...")
    else:
        c1.progress(snap.fraction, text=_status_line(snap, job))
    if c2.button(
        "Stop", icon=":material/stop_circle:", key="stop-job", disabled=snap.status == Status.STOPPING, width="stretch"
    ):
        job.stop()
        st.rerun(scope="fragment")
    curves_and_table(snap, "live-curves")


def _before_after_ui(before: dict, after: dict, held_out: int) -> None:
    labels = {
        "mnist_test": "MNIST test",
        "mnist_test_digits": "MNIST test, chosen digits",
        "handwriting": f"Held-out handwriting ({held_out})",
    }
    shown = [k for k in labels if k in before]
    for col, key in zip(st.columns(len(shown)), shown, strict=True):
        if before[key] is None or after[key] is None:
            col.metric(labels[key], "n/a")
        else:
            col.metric(
                labels[key],
                f"{after[key]:.2%}",
                f"{(after[key] - before[key]) * 100:+.2f} points (was {before[key]:.2%})",
            )


def result_ui(job: TrainingJob) -> None:
    """The finished job: what happened, where the model is, its curves and epoch table."""
    snap = job.progress.snapshot()
    if snap.status == Status.FAILED:
        st.error(f"**{job.name}** failed: {snap.error or job.error}")
    elif job.result is None and snap.batch_log:
        st.warning(f"**{job.name}** was stopped before {MIN_EPOCHS_KEPT:.0%} of its first epoch: nothing was saved "
                   "(a model that has seen so few of the training images is not kept).")
    elif job.result is None:
        st.warning(f"**{job.name}** was stopped before it started (by you, or by the teacher).")
    else:
        card = job.result.card
        best = next((r for r in card.history if r.get("epoch") == card.best_epoch), {})
        kept = (f"kept the weights at the stop, {epochs_label(card.history)} epochs in" if "fraction" in best
                else f"kept the weights of epoch {card.best_epoch}")
        how = f"Stopped early; {kept}" if card.stopped_early else f"Finished {plural(snap.epochs, 'epoch')}; {kept}"
        st.success(
            f"{how} ({card.training_seconds:.0f} s). Test accuracy **{card.test_accuracy:.2%}**; "
            f"saved as **{literal(card.name)}**."
        )
        if card.before:
            st.markdown(
                f"Before and after fine-tuning **{literal(card.parent.name)}** "
                f"({job.result.trainable_weights} trainable weight tensors):"
            )
            _before_after_ui(card.before, card.after or {}, card.handwriting_held_out or 0)
            if "mnist_test_digits" in card.before:
                st.caption(
                    "MNIST test counts all ten digits: fine-tuned only on the chosen ones, the model "
                    "forgets the others. Fine-tune on all digits, or with replay, to keep them."
                )
        c1, c2, _ = st.columns([1, 1, 3])
        c1.page_link("app_pages/evaluate.py", label="Evaluate it", icon=":material/fact_check:")
        c2.page_link("app_pages/models.py", label="Models", icon=":material/inventory_2:")
    curves_and_table(snap, "final-curves")
