"""Widget groups of the Evaluate page: the model picker, the headline numbers, the mistakes beside the matrix."""

from __future__ import annotations

import logging

import numpy as np
import streamlit as st

from mnist_core.evaluate import Evaluation
from mnist_core.label_errors import LabelError
from mnist_core.plots import LABEL_ERROR_COLOUR, thumbnail_grid
from mnist_core.store import StoredModel
from ui.present import presenting
from ui.show import plural, sure

log = logging.getLogger("mnist_lab")

CELL = "eval-cell"  # this page's chosen confusion-matrix cell: (true, predicted) or None
CHART = "cm-chart"


def model_picker_ui(models: list[StoredModel], label: str, key: str, default: str,
                    width: int | str = "stretch") -> StoredModel:
    names = [m.name for m in models]
    name = st.selectbox(label, names, names.index(default) if default in names else 0, key=key, width=width)
    return models[names.index(name)]


def headline_ui(ev: Evaluation, stored: StoredModel, y: np.ndarray, errors: dict[int, LabelError]) -> None:
    """Four short numbers (long ones would be cut on a projector), the details in their help. Drawn in
    the caller's horizontal container, so that they wrap onto a second line on a narrow screen."""
    wrong = np.flatnonzero(ev.predicted != y)
    on_bad_labels = [int(i) for i in wrong if int(i) in errors]
    model_agrees = sum(errors[i].reviewers_say == ev.predicted[i] for i in on_bad_labels)
    worst = int(np.argmin(ev.f1))
    params = stored.card.parameters
    short = f"{params / 1000:,.0f}k" if params and params >= 10_000 else f"{params:,}" if params else "?"
    width = 185 if presenting() else 130  # with the model box, one row fits 1080 px (projector) or 800 px
    st.metric("Test accuracy", f"{ev.accuracy:.2%}", help=f"{len(y) - len(wrong):,} of {len(y):,} test digits right",
              width=width)
    st.metric("Mistakes", f"{len(wrong):,}", width=width,
              help=f"of {len(y):,} test digits; {len(on_bad_labels)} of them are digits whose label most human "
                   f"reviewers did not choose (Northcutt et al. 2021), and on {model_agrees} of those most reviewers "
                   "gave the model's answer")
    st.metric("Hardest digit", f"{worst}", width=width,
              help=f"The digit with the lowest F1 score ({ev.f1[worst]:.2%}): F1 combines precision and recall")
    st.metric("Parameters", short, width=width,
              help=f"{params:,} numbers learned in training" if params else "not recorded in the card")


def cell_label(cell: tuple[int, int] | None, cm: np.ndarray) -> str:
    if cell is None:
        return "the most confident mistakes, all cells"
    return f"true {cell[0]}, read as {cell[1]} ({plural(int(cm[cell]), 'digit')})"


def on_cell_click() -> None:
    """A click on the heatmap chooses that cell for the digits beside it (a callback: runs outside the page's
    error guard, so an odd event is logged and ignored, never a traceback)."""
    try:
        points = st.session_state[CHART].selection.get("points", [])
        if points:
            st.session_state[CELL] = (int(points[0]["y"]), int(points[0]["x"]))
    except (KeyError, AttributeError, TypeError, ValueError):
        log.warning("ignored a click on the confusion matrix", exc_info=True)


def cell_picker_ui(ev: Evaluation) -> tuple[int, int] | None:
    """The cell whose digits are shown (also chosen by a click on the matrix); None: all cells."""
    cells = [(t, p) for t in range(10) for p in range(10) if t != p and ev.confusion[t, p]]
    cells.sort(key=lambda c: -ev.confusion[c])
    options = [None, *cells]
    cell = st.session_state.get(CELL)
    if cell not in options:  # a diagonal or empty cell was clicked, or another model was chosen
        if cell is not None:
            st.info(f"No test digit {cell[0]} was read as {cell[1]}." if cell[0] != cell[1]
                    else f"That cell counts the {ev.confusion[cell]:,} digits {cell[0]} read correctly.")
        st.session_state[CELL] = None
    return st.selectbox("Or choose a cell", options, key=CELL, format_func=lambda c: cell_label(c, ev.confusion))


def mistakes_ui(shown: np.ndarray, ev: Evaluation, x: np.ndarray, y: np.ndarray, errors: dict[int, LabelError],
                one_cell: bool) -> None:
    """The misread test digits as a compact grid, label errors framed red and named below."""
    if not len(shown):
        st.info("No mistakes to show.")
        return
    conf = ev.probabilities[shown, ev.predicted[shown]]
    captions = [sure(c) if one_cell else f"{y[i]}→{ev.predicted[i]} {sure(c)}"
                for i, c in zip(shown, conf, strict=True)]
    hover = [f"test #{i}: labelled {y[i]}, the model said {ev.predicted[i]} ({sure(c)})"
             + (f"<br>label error: {errors[int(i)].describe()}" if int(i) in errors else "")
             for i, c in zip(shown, conf, strict=True)]
    frames = [LABEL_ERROR_COLOUR if int(i) in errors else None for i in shown]
    unit = (520 if presenting() else 400) / (6 * 34)  # screen pixels per image pixel: 6 digits of 34 across
    st.caption("Under each digit: how sure the model was." if one_cell
               else "Under each digit: label → the model's answer, how sure it was.")
    st.plotly_chart(thumbnail_grid(x[shown], shown, captions, hover, frames, cols=6, unit_px=unit),
                    key="eval-mistakes", config={"displayModeBar": False})
    bad = [int(i) for i in shown if int(i) in errors]
    if bad:
        listed = "\n".join(f"- **#{i}**, labelled {y[i]}: {errors[i].describe()}" for i in bad)
        st.markdown(":red[**Red frame: a label error, perhaps not a model error.**] Most of five "
                    f"human reviewers did not choose these labels (Northcutt et al. 2021):\n{listed}")


def scores_table(ev: Evaluation) -> None:
    rows = [{"digit": str(d), "precision": ev.precision[d] * 100, "recall": ev.recall[d] * 100, "F1": ev.f1[d] * 100,
             "test digits": int(ev.support[d]), "mistakes": int(ev.support[d] - ev.confusion[d, d])} for d in range(10)]
    pct = st.column_config.NumberColumn(format="%.2f%%")
    st.dataframe(rows, hide_index=True, column_config={"precision": pct, "recall": pct, "F1": pct},
                 height=35 * 11 + 3, width="stretch")
