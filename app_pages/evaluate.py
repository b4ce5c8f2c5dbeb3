"""Evaluate a model on the 10,000 MNIST test digits: how often it is right, and how it is wrong."""

import streamlit as st

from mnist_core.evaluate import agreement, mistakes
from mnist_core.label_errors import label_errors
from mnist_core.store import ModelStore
from mnist_core.train_plots import confusion_figure, per_class_figure
from ui import session_model
from ui.cache import mnist, test_evaluation
from ui.evaluate_ui import (
    CHART,
    cell_picker_ui,
    headline_ui,
    mistakes_ui,
    model_picker_ui,
    on_cell_click,
    scores_table,
)
from ui.guard import friendly_errors, literal
from ui.present import presenting

# The matrix and its digits share the row, each at least this wide; below that they go one under the other.
# The row's flex items are the wrappers Streamlit puts around the two keyed containers: sized there, or
# the wrappers shrink (to 266 px at 1024x768 with the sidebar) and the keyed boxes overflow onto each other.
BESIDE = """<style>
:has(> .st-key-eval-matrix) { flex: 1 1 360px; min-width: 340px; max-width: 480px; }
:has(> .st-key-eval-digits) { flex: 1 1 360px; min-width: 340px; }
.st-key-eval-matrix, .st-key-eval-digits { width: 100%; }
</style>"""

st.title("Evaluate a model")
st.caption("Every number here is measured on the 10,000 MNIST **test** digits, which no model trained on.")

with friendly_errors("The evaluation"):
    data = mnist()
    errors = label_errors("test")  # test digits whose label human review found wrong
    models = ModelStore().list()

    # Model, and how it does: one row that wraps on a narrow screen
    row = st.container(horizontal=True, gap="small", vertical_alignment="bottom")
    with row:
        stored = model_picker_ui(models, "Model", "eval-model", session_model.stored().name,
                                 width=210 if presenting() else 170)
    ev = test_evaluation(stored)
    with row:
        headline_ui(ev, stored, data.y_test, errors)

    # Where it goes wrong: the matrix, and the digits of the clicked cell right beside it
    st.subheader("Where does it go wrong?")
    st.caption("Rows are the true digit, columns what the model said; the grey diagonal is right. "
               "Click a cell to see its digits.")
    marked = {}
    for i in errors:
        if ev.predicted[i] != data.y_test[i]:
            cell = (int(data.y_test[i]), int(ev.predicted[i]))
            marked[cell] = marked.get(cell, 0) + 1
    wide = presenting()  # a projector's large type needs larger cells
    st.html(BESIDE)
    beside = st.container(horizontal=True, gap="medium")  # side by side; on a narrow screen, one below the other
    left, right = beside.container(key="eval-matrix"), beside.container(key="eval-digits")
    digits_box = right.container()  # the digits first; the cell's selectbox below them (a click is the main way)
    with right:
        cell = cell_picker_ui(ev)
    with left:
        st.plotly_chart(confusion_figure(ev.confusion, cell, height=470 if wide else 400, marked=marked),
                        key=CHART, on_select=on_cell_click, selection_mode="points", config={"displayModeBar": False})
    with digits_box:
        if cell is None:
            st.markdown("**The most confident mistakes**")
            shown = mistakes(ev, data.y_test, limit=18)
        else:
            st.markdown(f"**Test digits {cell[0]} read as {cell[1]}**, most confident first")
            shown = mistakes(ev, data.y_test, true=cell[0], predicted=cell[1], limit=24)
        mistakes_ui(shown, ev, data.x_test, data.y_test, errors, one_cell=cell is not None)

    with st.expander("Per digit: precision, recall and F1", icon=":material/table:"):
        st.caption("**Precision** of 7: of the digits the model read as 7, how many really were 7s. **Recall** of "
                   "7: of the real 7s, how many it read as 7. **F1** is high only when both are: it is their "
                   "harmonic mean (recall 100% with precision 50% gives F1 67%, not 75%).")
        scores_table(ev)

    # Two models side by side
    st.subheader("Two models side by side")
    if len(models) < 2:
        st.info("Only one model is stored: train or upload another to compare it with this one.")
    else:
        others = [m for m in models if m.name != stored.name]
        c1, _ = st.columns([2, 3])
        with c1:
            other = model_picker_ui(others, "Compare with", "eval-other", others[0].name)
        ev2 = test_evaluation(other)
        agree = agreement(ev, ev2, data.y_test)
        st.caption(f"First: **{literal(stored.name)}**; second: **{literal(other.name)}**.")
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("First model", f"{ev.accuracy:.2%}", help=f"Test accuracy of {literal(stored.name)}")
        c2.metric("Second model", f"{ev2.accuracy:.2%}", f"{(ev2.accuracy - ev.accuracy) * 100:+.2f} points",
                  help=f"Test accuracy of {literal(other.name)}")
        c3.metric("Only 1st right", f"{agree['only_first']:,}", help=f"Digits only {literal(stored.name)} gets right")
        c4.metric("Only 2nd right", f"{agree['only_second']:,}", help=f"Digits only {literal(other.name)} gets right")
        st.plotly_chart(per_class_figure({stored.name: ev.f1, other.name: ev2.f1}), key="compare-f1",
                        config={"displayModeBar": False})
        st.caption(f"Both right on {agree['both_right']:,} digits, both wrong on {agree['both_wrong']:,}; "
                   f"they give different answers on {agree['disagree']:,}.")
