"""Our class's handwriting: review, relabel, delete and export the drawings saved on the Draw page,
and see how the active model reads them. TensorFlow is imported only when the accuracy is checked."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import streamlit as st

from mnist_core.handwriting import (
    DamagedDatabaseError,
    HandwritingEvaluation,
    HandwritingStore,
    Sample,
    evaluate_handwriting,
    set_aside,
)
from mnist_core.store import ModelStore
from ui.cache import active_model
from ui.guard import friendly_errors

PER_PAGE = 12  # drawings per gallery page: two rows of six
COLUMNS = 6
ZOOM = 5  # 28x28 -> 140x140 pixels, nearest neighbour so each pixel stays a crisp square
FLASH = "handwriting_flash"  # this page only: a message to show after the rerun that follows an action


def enlarged(image: np.ndarray) -> np.ndarray:
    return image.repeat(ZOOM, axis=0).repeat(ZOOM, axis=1)


def when(created: str) -> str:
    """'22 Nov, 08:33' in the server's time zone (the classroom's computer); stored as UTC."""
    return dt.datetime.fromisoformat(created).astimezone().strftime("%d %b, %H:%M")


def done(message: str) -> None:
    """Remember a message for the next run, then rerun so the counts above the gallery are fresh."""
    st.session_state[FLASH] = message
    st.rerun()


def open_store() -> HandwritingStore | None:
    """The store; None after explaining a damaged file, with a button to start afresh (keeping the file)."""
    try:
        store = HandwritingStore()
        len(store)  # reads the samples table: damage shows up here, where we can offer a way out
        return store
    except DamagedDatabaseError as err:
        st.error(f"**Our saved drawings could not be opened.** {err}")
        if st.button("Keep the damaged file aside and start a new, empty collection", icon=":material/inventory_2:",
                     help="Renames the file to `...damaged-<time>` beside it (nothing is deleted)."):
            aside = set_aside(err.path)
            done(f"The damaged file is kept as `{aside}`. New drawings go into a fresh collection.")
        return None


def digit_filter_ui(counts: np.ndarray) -> int | None:
    """Pills with the number of drawings of each digit; returns the chosen digit or None for all."""
    options = ["all", *range(10)]
    chosen = st.pills(
        "Drawings of each digit (click one to show only that digit)", options, default="all", required=True,
        format_func=lambda d: f"All ({counts.sum()})" if d == "all" else f"{d} ({counts[d]})", key="digit_filter",
    )
    return None if chosen == "all" else int(chosen)


def sample_card(store: HandwritingStore, sample: Sample) -> None:
    """One drawing: the image, its date, a digit selectbox (relabels) and a delete button (confirms first)."""
    st.image(enlarged(sample.model_input), caption=f"#{sample.id} · {when(sample.created)}")
    # The key holds the label, so a relabel from another session shows up instead of being undone here.
    label = st.selectbox("Label", range(10), index=sample.label, key=f"label-{sample.id}-{sample.label}",
                         format_func=lambda d: f"Label: {d}", label_visibility="collapsed")
    if label != sample.label:
        with friendly_errors("Relabelling"):  # e.g. the database is busy: say so here, keep the page
            store.relabel(sample.id, label)
            done(f"Drawing #{sample.id} is now labelled {label}.")
    with st.popover("Delete", icon=":material/delete:"):
        st.write(f"Delete drawing #{sample.id} for good?")
        if st.button("Yes, delete it", type="primary", key=f"delete-{sample.id}"):
            with friendly_errors("Deleting"):
                store.delete(sample.id)
                done(f"Drawing #{sample.id} was deleted.")


def grid(items: list, columns: int = COLUMNS):
    """Yield (column, item) pairs, filling rows of `columns`."""
    for start in range(0, len(items), columns):
        yield from zip(st.columns(columns), items[start : start + columns], strict=False)


def show_evaluation(store: HandwritingStore, result: HandwritingEvaluation | None) -> None:
    """Accuracy, recall per digit (beside MNIST's, from the model's card) and the misread drawings."""
    if result is None:
        st.info("No drawings to check.")
        return
    wrong = np.flatnonzero(result.predicted != result.labels)[::-1]  # newest first
    c1, c2, c3 = st.columns(3)
    c1.metric("Accuracy", f"{result.accuracy:.1%}")
    c2.metric("Drawings checked", len(result.ids))
    c3.metric("Misread", len(wrong))
    models = ModelStore()
    mnist_accuracy = models.get(models.active_name()).card.get("metrics", {}).get("test_accuracy")
    if mnist_accuracy:
        st.caption(f"The same model reads {mnist_accuracy:.1%} of the 10,000 MNIST test digits correctly.")
    recall = np.where(result.support > 0, result.recall * 100, np.nan)  # blank, not 0%, for digits nobody drew
    table = pd.DataFrame({"Digit": range(10), "Drawings": result.support,
                          "Read correctly": np.diag(result.confusion), "Recall": recall})
    bar = st.column_config.ProgressColumn("Recall", format="%.0f%%", min_value=0, max_value=100)
    st.dataframe(table, hide_index=True, column_config={"Recall": bar})
    if len(wrong):
        st.markdown(f"**Misread drawings**, label first (newest {min(len(wrong), PER_PAGE)} of {len(wrong)}). "
                    "Some may carry a wrong label: fix those in the gallery above.")
    for column, i in grid(list(wrong[:PER_PAGE])):
        with column:
            st.image(enlarged(store.get(int(result.ids[i])).model_input))
            st.markdown(f"**{result.labels[i]}** read as **{result.predicted[i]}**")
            st.caption(f"#{result.ids[i]} · {result.probabilities[i, result.predicted[i]]:.0%} sure")


st.title("Our handwriting")
st.caption("Drawings saved with **Save with label** on the Draw page. "
           "They stay on this computer, and the Train page can fine-tune a model on them.")
if message := st.session_state.pop(FLASH, None):
    st.toast(message, icon=":material/check_circle:")

with friendly_errors("The handwriting collection"):
    store = open_store()
    if store is not None and len(store) == 0:
        st.info("No drawings saved yet. On the Draw page, draw a digit, choose what it is, and press "
                "**Save with label**: it appears here.")
        st.page_link("app_pages/draw.py", label="Go to Draw", icon=":material/draw:")

    elif store is not None:
        # Gallery
        counts = store.counts()
        digit = digit_filter_ui(counts)
        shown = int(counts.sum() if digit is None else counts[digit])
        pages = max(1, math.ceil(shown / PER_PAGE))
        page = st.pagination(pages, key=f"page-{digit}") if pages > 1 else 1
        samples = store.list(label=digit, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
        for column, sample in grid(samples):
            with column:
                sample_card(store, sample)

        # Export
        st.subheader("Export")
        stamp = dt.date.today().isoformat()
        c1, c2, _ = st.columns([1, 1, 3])
        c1.download_button("Download .npz", store.export_npz, f"our-handwriting-{stamp}.npz",
                           mime="application/octet-stream", icon=":material/download:", on_click="ignore")
        c2.download_button("Download .csv", store.export_csv, f"our-handwriting-{stamp}.csv",
                           mime="text/csv", icon=":material/table_view:", on_click="ignore")
        st.caption("**.npz** for NumPy / Keras: `x` (N, 28, 28) floats in [0, 1], `y` labels, `ids`, `created`. "
                   "**.csv** for a spreadsheet: one row per drawing: id, label, created, then 784 pixels (0-255).")

        # Accuracy
        st.subheader("Accuracy on our handwriting")
        if st.toggle("Check the active model on every saved drawing", key="check_accuracy"):
            with friendly_errors("The accuracy check"):
                show_evaluation(store, evaluate_handwriting(active_model(), store))
