"""Plotly figures. Each function returns a go.Figure and never renders it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

DIGITS = [str(d) for d in range(10)]
ACCENT = "#e4572e"
MUTED = "#9aa5b1"
FONT = dict(size=16)


def _layout(fig: go.Figure, height: int = 320, **kwargs) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), font=FONT, **kwargs)
    return fig


def probability_bars(probabilities: np.ndarray, highlight: int | None = None, title: str = "") -> go.Figure:
    """Bar chart of the ten class probabilities, the top class highlighted."""
    p = np.asarray(probabilities, dtype=float)
    top = int(np.argmax(p)) if highlight is None else highlight
    colors = [ACCENT if d == top else MUTED for d in range(10)]
    fig = go.Figure(
        go.Bar(
            x=DIGITS,
            y=p * 100,
            marker_color=colors,
            text=[f"{v:.0%}" if v >= 0.005 else "" for v in p],
            textposition="outside",
            hovertemplate="digit %{x}: %{y:.2f}%<extra></extra>",
        )
    )
    fig.update_yaxes(range=[0, 112], title="probability (%)", showgrid=False)
    fig.update_xaxes(type="category", title="digit", tickfont=dict(size=20))
    return _layout(fig, title=title or None, showlegend=False)


def label_distribution(counts: dict[str, Sequence[int]]) -> go.Figure:
    """Grouped bars of label counts per split, with the share of each label on hover."""
    fig = go.Figure()
    for split, values in counts.items():
        values = np.asarray(values)
        share = values / max(values.sum(), 1)
        fig.add_bar(
            name=split,
            x=DIGITS,
            y=values,
            customdata=share * 100,
            text=[f"{s:.1%}" for s in share],
            textposition="outside",
            hovertemplate=f"{split}, digit %{{x}}: %{{y}} images (%{{customdata:.2f}}%)<extra></extra>",
        )
    fig.update_xaxes(type="category", title="digit")
    fig.update_yaxes(title="images")
    return _layout(fig, height=380, barmode="group", legend=dict(orientation="h", y=1.1))


def image_heatmap(image: np.ndarray, title: str = "", height: int = 320, colorscale: str = "gray",
                  show_scale: bool = False, zmax: float | None = None) -> go.Figure:
    """One image as a heatmap, row 0 at the top, with pixel values on hover."""
    img = np.asarray(image, dtype=float)
    fig = go.Figure(
        go.Heatmap(
            z=img,
            colorscale=colorscale,
            zmin=0,
            zmax=zmax if zmax is not None else max(float(img.max()), 1e-6),
            showscale=show_scale,
            hovertemplate="row %{y}, col %{x}: %{z:.2f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False)
    fig.update_xaxes(showticklabels=False, showgrid=False)
    return _layout(fig, height=height, title=title or None)
