"""Evaluate a model on the 10,000 MNIST test digits: how often it is right, and how it is wrong."""

import numpy as np
import streamlit as st

from mnist_core.evaluate import Evaluation, agreement, mistakes
from mnist_core.plots import enlarge
from mnist_core.store import ModelStore, StoredModel
from mnist_core.train_plots import confusion_figure, per_class_figure
from ui import session_model
from ui.cache import mnist, test_evaluation
from ui.guard import friendly_errors

st.title("Evaluate a model")
st.write("Every number here is measured on the 10,000 MNIST **test** digits, which no model trained on.")

CELL = "eval-cell"  # this page's chosen confusion-matrix cell: (true, predicted) or None


def model_picker_ui(models: list[StoredModel], label: str, key: str, default: str) -> StoredModel:
    names = [m.name for m in models]
    name = st.selectbox(label, names, names.index(default) if default in names else 0, key=key)
    return models[names.index(name)]


def scores_table(ev: Evaluation) -> None:
    rows = [{"digit": str(d), "precision": ev.precision[d], "recall": ev.recall[d], "F1": ev.f1[d],
             "test digits": int(ev.support[d]), "mistakes": int(ev.support[d] - ev.confusion[d, d])} for d in range(10)]
    pct = st.column_config.NumberColumn(format="%.2f%%")
    st.dataframe([{**r, **{k: r[k] * 100 for k in ("precision", "recall", "F1")}} for r in rows], hide_index=True,
                 column_config={"precision": pct, "recall": pct, "F1": pct}, height=35 * 11 + 3)


def gallery(indices: np.ndarray, ev: Evaluation, x: np.ndarray, y: np.ndarray, per_row: int = 8) -> None:
    """Test digits with what the model read (and how sure it was) against the truth."""
    for start in range(0, len(indices), per_row):
        cols = st.columns(per_row)
        for col, i in zip(cols, indices[start : start + per_row], strict=False):
            p = ev.probabilities[i]
            col.image(enlarge(x[i], 4), width="stretch")
            col.markdown(f"read **{ev.predicted[i]}** {p[ev.predicted[i]]:.0%}  \ntrue **{y[i]}** {p[y[i]]:.0%}")


def cell_label(cell: tuple[int, int], cm: np.ndarray) -> str:
    return f"true {cell[0]}, read as {cell[1]} ({cm[cell]} digits)"


def on_cell_click() -> None:
    """A click on the heatmap chooses that cell for the gallery."""
    points = st.session_state["cm-chart"].selection.get("points", [])
    if points:
        st.session_state[CELL] = (int(points[0]["y"]), int(points[0]["x"]))


with friendly_errors("The evaluation"):
    data = mnist()
    store = ModelStore()
    models = store.list()

    # Model
    c1, _ = st.columns([2, 3])
    with c1:
        stored = model_picker_ui(models, "Model", "eval-model", session_model.stored().name)
    ev = test_evaluation(stored)
    wrong = int((ev.predicted != data.y_test).sum())
    worst = int(np.argmin(ev.f1))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Test accuracy", f"{ev.accuracy:.2%}")
    c2.metric("Mistakes", f"{wrong:,} of {len(data.y_test):,}")
    c3.metric(f"Hardest digit (F1 {ev.f1[worst]:.2%})", f"{worst}")
    c4.metric("Parameters", f"{stored.card.parameters:,}" if stored.card.parameters else "?")

    # Where it goes wrong
    st.subheader("Confusion matrix: click a cell to see those digits")
    left, right = st.columns([3, 2])
    cells = [(t, p) for t in range(10) for p in range(10) if t != p and ev.confusion[t, p]]
    cells.sort(key=lambda c: -ev.confusion[c])
    cell = st.session_state.get(CELL)
    with left:
        st.plotly_chart(confusion_figure(ev.confusion, cell), key="cm-chart", on_select=on_cell_click,
                        selection_mode="points", config={"displayModeBar": False})
    with right:
        st.caption("Per digit: precision = of the digits read as d, how many were d; recall = of the d's, how "
                   "many were read as d; F1 combines both.")
        scores_table(ev)
    options = [None, *cells]
    if st.session_state.get(CELL) not in options:  # a diagonal or empty cell was clicked, or another model
        if cell is not None:
            st.info(f"No test digit {cell[0]} was read as {cell[1]}." if cell[0] != cell[1]
                    else f"That cell counts the {ev.confusion[cell]:,} digits {cell[0]} read correctly.")
        st.session_state[CELL] = None
    cell = st.selectbox("Show the mistakes of one cell", options, key=CELL,
                        format_func=lambda c: "the most confident mistakes, all cells" if c is None
                        else cell_label(c, ev.confusion))

    # The mistakes
    if cell is None:
        st.subheader("The most confident mistakes")
        shown = mistakes(ev, data.y_test, limit=16)
    else:
        st.subheader(f"Test digits {cell[0]} read as {cell[1]}, most confident first")
        shown = mistakes(ev, data.y_test, true=cell[0], predicted=cell[1], limit=24)
    if len(shown):
        gallery(shown, ev, data.x_test, data.y_test)
    else:
        st.info("No mistakes to show.")

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
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(stored.name, f"{ev.accuracy:.2%}")
        c2.metric(other.name, f"{ev2.accuracy:.2%}", f"{(ev2.accuracy - ev.accuracy) * 100:+.2f} points")
        c3.metric(f"Only {stored.name} right", f"{agree['only_first']:,}")
        c4.metric(f"Only {other.name} right", f"{agree['only_second']:,}")
        st.plotly_chart(per_class_figure({stored.name: ev.f1, other.name: ev2.f1}), key="compare-f1",
                        config={"displayModeBar": False})
        st.caption(f"Both right on {agree['both_right']:,} digits, both wrong on {agree['both_wrong']:,}; "
                   f"they give different answers on {agree['disagree']:,}.")
