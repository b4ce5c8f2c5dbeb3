"""Our class's handwriting: review, relabel, delete and export the drawings saved on the Draw page,
and see how the active model reads them. TensorFlow is imported only when the accuracy is checked.

Everyone may look and check the accuracy; relabelling, deleting, exporting and setting a damaged
collection aside are the teacher's (ui/auth.py)."""

import datetime as dt
import math

import numpy as np
import streamlit as st

from mnist_core.errors import ReadOnlyError
from mnist_core.handwriting import DamagedDatabaseError, HandwritingStore, evaluate_handwriting, set_aside
from ui import auth, session_model
from ui.auth import Action
from ui.guard import friendly_errors, literal
from ui.handwriting_ui import CARD_WIDTH, PER_PAGE, delete_recent_ui, done, grid, sample_card, show_evaluation
from ui.present import presenting


def open_store() -> HandwritingStore | None:
    """The store; None after explaining why there is none to show (damaged: the teacher may set it aside)."""
    try:
        store = HandwritingStore()
        len(store)  # reads the samples table
        return store
    except DamagedDatabaseError as err:
        st.error(f"**Our saved drawings could not be opened.** {err}")
        if not auth.can(Action.SET_ASIDE):
            auth.explain(Action.SET_ASIDE)
        elif st.button("Keep the damaged file aside and start a new, empty collection", icon=":material/inventory_2:",
                       help="Renames the file to `...damaged-<time>` beside it (nothing is deleted)."):
            aside = set_aside(err.path)
            done(f"The damaged file is kept as `{aside.name}` beside the original. New drawings go into a fresh "
                 "collection.")
        return None
    except ReadOnlyError as err:  # no collection yet, and none can be made
        st.warning(str(err), icon=":material/edit_off:")
        return None


def digit_filter_ui(counts: np.ndarray) -> int | None:
    """Pills with the number of drawings of each digit; returns the chosen digit or None for all."""
    options = ["all", *range(10)]
    if st.session_state.get("digit_filter") not in (None, "all") and counts[st.session_state["digit_filter"]] == 0:
        st.session_state["digit_filter"] = "all"  # its last drawing was deleted: back to all, not an empty page
    chosen = st.pills(
        "Drawings of each digit (click one to show only that digit)", options, default="all", required=True,
        format_func=lambda d: f"All ({counts.sum()})" if d == "all" else f"{d} ({counts[d]})", key="digit_filter",
    )
    return None if chosen == "all" else int(chosen)


st.title("Our handwriting")

with friendly_errors("The handwriting collection"):
    store = open_store()
    empty = store is not None and len(store) == 0  # then the note below says where saving is
    st.caption("Drawings saved with **Save with label** on the Draw page"
               + (" (on students' own screens: not in presenter mode)" if presenting() and not empty else "")
               + ". They are kept on the computer that runs this app, where everyone using it sees them "
               "(nothing goes to the internet), and the Train page can fine-tune a model on them.")
    teacher = auth.can(Action.MANAGE_HANDWRITING)
    if store is not None and store.read_only:
        st.warning(store.read_only_notice(), icon=":material/edit_off:")
    if store is not None and not teacher:
        auth.explain(Action.MANAGE_HANDWRITING)

    if empty:
        st.info("No drawings saved yet. On the Draw page, draw a digit, choose what it is, and press "
                "**Save with label**: it appears here."
                + (" (Students save from their own screens: presenter mode's Draw page has no saving.)"
                   if presenting() else ""))
        st.page_link("app_pages/draw.py", label="Go to Draw", icon=":material/draw:")

    elif store is not None:
        if teacher and not store.read_only:
            delete_recent_ui(store)
        # Gallery
        counts = store.counts()
        digit = digit_filter_ui(counts)
        shown = int(counts.sum() if digit is None else counts[digit])
        pages = max(1, math.ceil(shown / PER_PAGE))
        page = st.pagination(pages, key=f"page-{digit}") if pages > 1 else 1
        samples = store.list(label=digit, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
        for card, sample in grid(samples, width=round(CARD_WIDTH * 1.4) if presenting() else CARD_WIDTH):  # big type
            with card:
                sample_card(store, sample, editable=teacher and not store.read_only)

        # Export
        st.subheader("Export")
        if teacher:
            stamp = dt.date.today().isoformat()
            with st.container(horizontal=True):  # buttons as wide as their words, wrapping on a narrow screen
                st.download_button("Download .npz", store.export_npz, f"our-handwriting-{stamp}.npz",
                                   mime="application/octet-stream", icon=":material/download:", on_click="ignore")
                st.download_button("Download .csv", store.export_csv, f"our-handwriting-{stamp}.csv",
                                   mime="text/csv", icon=":material/table_view:", on_click="ignore")
            st.caption("**.npz** for NumPy / Keras: `x` (N, 28, 28) floats in [0, 1], `y` labels, `ids`, `created`. "
                       "**.csv** for a spreadsheet: one row per drawing: id, label, created, then 784 pixels (0-255).")
        else:
            st.caption("Downloading the class's drawings is for the teacher.")

        # Accuracy
        st.subheader("Accuracy on our handwriting")
        model = session_model.stored()
        if st.toggle(f"Check the model **{literal(model.name)}** on every saved drawing", key="check_accuracy"):
            with friendly_errors("The accuracy check"):
                show_evaluation(store, model, evaluate_handwriting(session_model.model(), store))
