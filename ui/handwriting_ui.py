"""Widget groups of the Our handwriting page: one saved drawing, and how a model reads them all."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from mnist_core.handwriting import HandwritingEvaluation, HandwritingStore, Sample
from mnist_core.plots import enlarge
from mnist_core.store import StoredModel
from ui import flash
from ui.guard import friendly_errors, literal
from ui.show import sure, when

PER_PAGE = 12  # drawings per gallery page (in rows as wide as the screen allows)
CARD_WIDTH = 120  # px: a drawing, its label and its Delete button
ZOOM = 5  # 28x28 -> 140x140 pixels, each pixel a crisp square


def done(message: str) -> None:
    """Say what was done once the page is back, then rerun so the counts above the gallery are fresh."""
    flash.later(message)
    st.rerun()


def sample_card(store: HandwritingStore, sample: Sample, editable: bool = True) -> None:
    """One drawing: the image, its date, its label (a selectbox that relabels) and a delete button that
    asks first; label and delete only for the teacher (`editable`), the label shown either way."""
    st.image(enlarge(sample.model_input, ZOOM), caption=f"#{sample.id} · {when(sample.created)}")
    # The key holds the label, so a relabel from another session shows up instead of being undone here.
    label = st.selectbox("Label", range(10), index=sample.label, key=f"label-{sample.id}-{sample.label}",
                         filter_mode=None,
                         format_func=lambda d: f"Label: {d}", label_visibility="collapsed", disabled=not editable)
    if not editable:
        return
    if label != sample.label:
        with friendly_errors("Relabelling"):  # e.g. the database is busy: say so here, keep the page
            store.relabel(sample.id, label)
            done(f"Drawing #{sample.id} is now labelled {label}.")
    # keyed by the drawing: after a delete the next drawing takes this place, and an unkeyed popover stayed
    # open over it (a second click deleted the wrong drawing)
    with st.popover("Delete", icon=":material/delete:", key=f"delete-menu-{sample.id}"):
        st.write(f"Delete drawing #{sample.id} for good?")
        if st.button("Yes, delete it", type="primary", key=f"delete-{sample.id}"):
            with friendly_errors("Deleting"):
                store.delete(sample.id)
                done(f"Drawing #{sample.id} was deleted.")


RECENT = {5 * 60: "5 minutes", 15 * 60: "15 minutes", 60 * 60: "hour", 24 * 60 * 60: "24 hours"}


def delete_recent_ui(store: HandwritingStore) -> None:
    """For the teacher: delete every drawing saved in the last few minutes at once (a student saving a
    scribble a second, a careless minute), after saying how many that is."""
    with st.expander("Delete the drawings of the last minutes", icon=":material/auto_delete:"):
        span = st.selectbox("Saved in the last", list(RECENT), format_func=RECENT.get, key="recent-span",
                            filter_mode=None)
        n = store.count_since(span)
        if not n:
            st.caption(f"Nothing was saved in the last {RECENT[span]}.")
            return
        if st.button(f"Delete {n} drawing{'s' * (n != 1)}", type="primary", key="recent-delete",
                     help="For good: they are not kept anywhere else"):
            with friendly_errors("Deleting"):
                deleted = store.delete_since(span)
                done(f"{deleted} drawing{'s' * (deleted != 1)} of the last {RECENT[span]} deleted.")


def grid(items: list, width: int = CARD_WIDTH):
    """Yield (card, item) pairs: cards `width` px wide in a row that wraps, as many a line as fit (in
    six equal columns, a tablet's page beside the sidebar cut the Delete buttons)."""
    row = st.container(horizontal=True, gap="small")
    for item in items:
        yield row.container(width=width), item


def show_evaluation(store: HandwritingStore, model: StoredModel, result: HandwritingEvaluation | None) -> None:
    """Accuracy, recall per digit (beside MNIST's, from the model's card) and the misread drawings."""
    if result is None:
        st.info("No drawings to check.")
        return
    wrong = np.flatnonzero(result.predicted != result.labels)[::-1]  # newest first
    c1, c2, c3 = st.columns(3)
    c1.metric("Accuracy", f"{result.accuracy:.1%}")
    c2.metric("Drawings checked", len(result.ids))
    c3.metric("Misread", len(wrong))
    if model.card.test_accuracy is not None:
        st.caption(f"The same model, **{literal(model.name)}**, reads {model.card.test_accuracy:.2%} of the "
                   "10,000 MNIST test digits correctly.")
    recall = np.where(result.support > 0, result.recall * 100, np.nan)  # blank, not 0%, for digits nobody drew
    table = pd.DataFrame({"Digit": range(10), "Drawings": result.support,
                          "Read correctly": np.diag(result.confusion), "Recall": recall})
    bar = st.column_config.ProgressColumn("Recall", format="%.0f%%", min_value=0, max_value=100)
    st.dataframe(table, hide_index=True, column_config={"Recall": bar})
    if len(wrong):
        st.markdown(f"**Misread drawings**, label first (newest {min(len(wrong), PER_PAGE)} of {len(wrong)}). "
                    "Some may carry a wrong label: fix those in the gallery above.")
    for card, i in grid(list(wrong[:PER_PAGE])):
        with card:
            st.image(enlarge(store.get(int(result.ids[i])).model_input, ZOOM))
            st.markdown(f"**{result.labels[i]}** read as **{result.predicted[i]}**")
            st.caption(f"#{result.ids[i]} · {sure(result.probabilities[i, result.predicted[i]])} sure")


