"""Figures for training and evaluation: learning curves, confusion matrix, per-class comparison.

Each builder returns a plotly `go.Figure` and never renders it. Fonts are sized for a projector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .plots import STILL

FONT = {"size": 16}
AXIS_FONT = {"tickfont": {"size": 15}, "title_font": {"size": 16}}  # explicit: Streamlit's theme shrinks ticks
TRAIN_COLOUR = "#1f77b4"
VAL_COLOUR = "#d62728"
MODEL_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd")


def bin_points(points: Sequence[tuple[float, ...]], max_points: int = 300) -> np.ndarray:
    """(N, k) points averaged in consecutive bins so that at most `max_points` rows remain."""
    arr = np.asarray(points, dtype=float).reshape(len(points), -1) if len(points) else np.zeros((0, 3))
    if len(arr) <= max_points:
        return arr
    edges = np.linspace(0, len(arr), max_points + 1).astype(int)
    return np.stack([arr[a:b].mean(axis=0) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a])


def smooth(points: Sequence[tuple[float, ...]], window: int) -> np.ndarray:
    """(N, k) points with columns 1.. replaced by their trailing mean over `window` rows (NaNs skipped).

    Runs across epoch boundaries: per-batch figures then flow on, where Keras's per-epoch running
    means drop at every new epoch.
    """
    arr = np.asarray(points, dtype=float).reshape(len(points), -1) if len(points) else np.zeros((0, 3))
    if window <= 1 or len(arr) == 0:
        return arr
    out = arr.copy()
    values = np.nan_to_num(arr[:, 1:])
    counts = np.cumsum(~np.isnan(arr[:, 1:]), axis=0)
    sums = np.cumsum(values, axis=0)
    lagged_sums = np.vstack([np.zeros((window, sums.shape[1])), sums])[: len(sums)]
    lagged_counts = np.vstack([np.zeros((window, counts.shape[1])), counts])[: len(counts)]
    n = counts - lagged_counts
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, 1:] = np.where(n > 0, (sums - lagged_sums) / np.maximum(n, 1), np.nan)
    return out


def epoch_x(row: Mapping[str, float]) -> float:
    """Where an epoch's figures belong on the x axis: its end, or where a stopped epoch stopped."""
    return float(row["epoch"]) - 1 + float(row.get("fraction", 1.0))


def curves_figure(history: Sequence[Mapping[str, float]], batch_log: Sequence[tuple[float, float, float]] = (),
                  epochs: int | None = None, height: int = 340, batches_per_epoch: int | None = None) -> go.Figure:
    """Loss and accuracy against epochs: training per batch (a light trailing mean, binned for the
    browser), training and validation per epoch.

    Args:
        history: one row per epoch with loss, accuracy, val_loss, val_accuracy (a stopped epoch has
            "fraction", the share of it that ran).
        batch_log: (epoch + fraction, loss, accuracy): each batch's own figures.
        epochs: the run's length, to fix the x range while training.
        batches_per_epoch: sets the smoothing window (5% of an epoch).
    """
    # each title on two lines: side by side on a phone's 390 px, one line each ran into the other
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss<br>(lower is better)", "Accuracy<br>(higher is better)"),
                        horizontal_spacing=0.08)
    window = max(1, round((batches_per_epoch or 0) / 20))
    batches = bin_points(smooth(batch_log, window))
    per_batch = f"training, per batch (mean of {window})" if window > 1 else "training, per batch"
    x_ep = [epoch_x(row) for row in history]
    for col, key in ((1, "loss"), (2, "accuracy")):
        first = col == 1
        if len(batches):
            fig.add_trace(go.Scatter(x=batches[:, 0].tolist(), y=batches[:, col].tolist(), mode="lines",
                                     name=per_batch,
                                     line={"color": TRAIN_COLOUR, "width": 1.5}, opacity=0.45, showlegend=first,
                                     legendgroup="batch"), row=1, col=col)
        if history:
            fig.add_trace(go.Scatter(x=x_ep, y=[row.get(key) for row in history], mode="lines+markers",
                                     name="training (epoch)", line={"color": TRAIN_COLOUR, "width": 3},
                                     marker={"size": 9}, showlegend=first, legendgroup="train"), row=1, col=col)
        if any(f"val_{key}" in row for row in history):
            fig.add_trace(go.Scatter(x=x_ep, y=[row.get(f"val_{key}") for row in history], mode="lines+markers",
                                     name="validation", line={"color": VAL_COLOUR, "width": 3, "dash": "dash"},
                                     marker={"size": 9, "symbol": "diamond"}, showlegend=first, legendgroup="val"),
                          row=1, col=col)
    top = max(epochs or 0, *(x_ep or [0]), 1)
    fig.update_xaxes(title_text="epoch", range=[0, top + 0.05], dtick=max(1, top // 10), **AXIS_FONT)
    fig.update_yaxes(**AXIS_FONT)
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1.0], tickformat=".0%", row=1, col=2)
    fig.update_layout(height=height, font=FONT, margin={"l": 10, "r": 10, "t": 60, "b": 10}, **STILL,
                      legend={"orientation": "h", "y": -0.25, "x": 0.5, "xanchor": "center", "font": {"size": 15}},
                      uirevision="curves")
    fig.update_annotations(font_size=17)
    return fig


def confusion_figure(confusion: np.ndarray, selected: tuple[int, int] | None = None, height: int = 480,
                     marked: Mapping[tuple[int, int], int] | None = None) -> go.Figure:
    """Confusion-matrix heatmap: mistakes coloured (log scale), the diagonal grey; every cell clickable.

    Rows are the true digit, columns the prediction. Cell clicks select a point of the overlay trace,
    whose customdata is [true, predicted]. Counts are written white on dark cells and dark on light
    ones; an empty mistake cell stays blank, so the eye goes to the mistakes.

    Args:
        confusion: (n, n) counts.
        selected: the cell to frame.
        marked: cell -> how many of its digits have a wrong label (named on hover).
    """
    cm = np.asarray(confusion)
    n = len(cm)
    digits = [str(d) for d in range(n)]
    off = cm.astype(float).copy()
    np.fill_diagonal(off, np.nan)
    diag = np.full_like(off, np.nan)
    np.fill_diagonal(diag, 1.0)
    heat = np.log10(1 + off)
    top = max(1.0, float(np.nanmax(heat))) if n > 1 else 1.0
    fig = go.Figure()
    fig.add_trace(go.Heatmap(z=diag, x=digits, y=digits, colorscale=[[0, "#e8e8e8"], [1, "#e8e8e8"]],
                             showscale=False, hoverinfo="skip"))
    fig.add_trace(go.Heatmap(z=heat, x=digits, y=digits, colorscale="Reds", zmin=0, zmax=top, showscale=False,
                             hoverinfo="skip"))
    true, pred = np.meshgrid(range(n), range(n), indexing="ij")
    counts = cm.ravel()
    # "Reds" is dark from about 55% of its range on: white text there, dark text elsewhere
    dark = (np.nan_to_num(heat) / top).ravel() > 0.55
    marked = marked or {}
    # an empty cell has nothing to click for
    notes = [f"true {t}, the model said {p}: {c:,} test digits"
             + (f" ({marked[(t, p)]} with a wrong label)" if marked.get((t, p)) else "")
             + ("<br>click to see them" if c else "")
             for t, p, c in zip(true.ravel(), pred.ravel(), counts, strict=True)]
    fig.add_trace(
        go.Scatter(  # invisible squares over the cells: what a click selects
            x=[str(p) for p in pred.ravel()],
            y=[str(t) for t in true.ravel()],
            mode="markers+text",
            cliponaxis=False,  # a count wider than its cell on a phone ('1,004') runs into the margin, not cut
            text=[f"{c:,}" if c or t == p else "" for c, t, p in zip(counts, true.ravel(), pred.ravel(), strict=True)],
            textfont={"size": 15, "color": ["white" if d else "#222" for d in dark]},
            marker={"symbol": "square", "size": 38, "opacity": 0.01, "color": "#000"},
            customdata=np.stack([true.ravel(), pred.ravel(), counts], axis=1).tolist(),
            hovertext=notes,
            showlegend=False,  # plain lists: readable in JS
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    if selected is not None:
        t, p = selected
        fig.add_shape(
            type="rect", x0=p - 0.5, x1=p + 0.5, y0=t - 0.5, y1=t + 0.5, line={"color": "#1f77b4", "width": 4}
        )
    # fixed ranges: the overlay's big markers would otherwise pad the axes
    fig.update_xaxes(
        title_text="what the model said",
        side="top",
        type="category",
        showgrid=False,
        range=[-0.5, n - 0.5],
        autorange=False,
        fixedrange=True,  # Streamlit gives a clickable chart 'pan': a finger's swipe slid the rows out of view
        **AXIS_FONT,
    )
    fig.update_yaxes(
        title_text="true digit", type="category", showgrid=False, range=[n - 0.5, -0.5], autorange=False,
        fixedrange=True, **AXIS_FONT
    )
    fig.update_layout(
        **STILL,
        height=height,
        font=FONT,
        margin={"l": 10, "r": 16, "t": 10, "b": 10},
        plot_bgcolor="white",
        clickmode="event+select",
    )
    return fig


def per_class_figure(scores: Mapping[str, np.ndarray], metric: str = "F1", height: int = 360) -> go.Figure:
    """Grouped bars of a per-digit score (10 values) for one or more models."""
    fig = go.Figure()
    for i, (name, values) in enumerate(scores.items()):
        fig.add_trace(
            go.Bar(
                x=[str(d) for d in range(10)],
                y=np.asarray(values),
                name=name,
                marker_color=MODEL_COLOURS[i % len(MODEL_COLOURS)],
                hovertemplate=f"{name}<br>digit %{{x}}: %{{y:.2%}}<extra></extra>",
            )
        )
    lows = [float(np.min(v)) for v in scores.values()] or [0.0]
    fig.update_yaxes(title_text=metric, tickformat=".1%", range=[max(0.0, min(lows) - 0.02), 1.0], **AXIS_FONT)
    fig.update_xaxes(title_text="digit", type="category", **AXIS_FONT)
    fig.update_layout(
        **STILL,
        barmode="group",
        height=height,
        font=FONT,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "font": {"size": 15}},
    )
    return fig
