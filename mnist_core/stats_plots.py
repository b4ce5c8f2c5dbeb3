"""Plotly figures of the dataset statistics (Explore page). Each returns a go.Figure, never renders it.

Sized for a classroom projector: fonts of 16 px, digits as tick labels of 18 px.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .plots import STILL

FONT = dict(size=16)
# ten colours that stay distinct on a projector (plotly's D3 palette)
DIGIT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def colour_scale(name: str) -> list[list]:
    """A plotly colour scale as a list, safe in Streamlit: its chart theme uses the colours #000001 to
    #000020 as placeholders and repaints them (magma's first colour, #000004, came out pink at 0)."""
    import plotly.colors as pc

    scale = pc.get_colorscale(name)
    return [[pos, "#000000" if c.lower().startswith("#0000") and int(c[1:], 16) <= 0x20 else c] for pos, c in scale]


def _layout(fig: go.Figure, height: int, title: str = "", **kwargs) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=60 if title else 20, b=10), font=FONT,
                      title=dict(text=title, font=dict(size=18)) if title else None, **{**STILL, **kwargs})
    return fig


def intensity_histogram(counts: np.ndarray, black_share: float) -> go.Figure:
    """Bars of how many pixels have each value 0-255, on a log scale (black would dwarf the rest)."""
    counts = np.asarray(counts)
    share = counts / max(counts.sum(), 1) * 100
    fig = go.Figure(go.Bar(
        x=np.arange(len(counts)), y=counts, customdata=share, marker_color="#4c78a8", marker_line_width=0,
        hovertemplate="value %{x}: %{y:,} pixels (%{customdata:.3f}%)<extra></extra>",
    ))
    fig.update_yaxes(type="log", dtick=1, title="pixels (log scale)")
    fig.update_xaxes(title="pixel value (0 = black, 255 = white ink)", range=[-2, 257])
    peak = int(np.argmax(counts[1:])) + 1  # MNIST's: 253, not 255 (QA)
    title = f"{black_share:.1%} of all pixels are pure black (0); the next peak is at {peak}" + (
        ", near-white ink" if peak >= 200 else "")
    return _layout(fig, 380, title, bargap=0)


def heatmap_grid(images: np.ndarray, titles: Sequence[str], zmax: float | None = None, cols: int = 5,
                 colorscale: str = "gray", value_name: str = "value", height: int | None = None) -> go.Figure:
    """Several 28x28 maps side by side (e.g. the mean image of each digit), one shared colour scale.

    Args:
        images: (K, H, W) values.
        titles: K subplot titles.
        zmax: top of the colour scale; None uses the largest value.
        cols: maps per row.
        colorscale: a plotly colour scale name.
        value_name: what a value is, for the hover text.
        height: figure height in pixels; None sizes it by the number of rows.
    """
    images = np.asarray(images, dtype=float)
    rows = -(-len(images) // cols)
    zmax = float(images.max()) if zmax is None else zmax
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles), horizontal_spacing=0.02,
                        vertical_spacing=0.08)
    for k, img in enumerate(images):
        fig.add_trace(go.Heatmap(
            z=img, zmin=0, zmax=max(zmax, 1e-9), colorscale=colour_scale(colorscale), showscale=k == 0,
            colorbar=dict(thickness=14, len=0.9),
            hovertemplate=f"row %{{y}}, column %{{x}}: {value_name} %{{z:.2f}}<extra>{titles[k]}</extra>",
        ), row=k // cols + 1, col=k % cols + 1)
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    for ann in fig.layout.annotations:  # subplot titles
        ann.font = dict(size=18)
    return _layout(fig, height or 40 + 175 * rows)  # about square cells at 6 columns on a laptop screen


def digit_heatmap(image: np.ndarray, title: str = "", height: int = 460, scale: bool = True) -> go.Figure:
    """One digit large: its 28x28 pixel values as a heatmap, each value on hover (scale: show the colour bar)."""
    img = np.asarray(image)
    fig = go.Figure(go.Heatmap(
        z=img, zmin=0, zmax=255 if img.dtype == np.uint8 else 1, colorscale="gray", showscale=scale,
        colorbar=dict(thickness=14, title=dict(text="value")),
        hovertemplate="row %{y}, column %{x}: <b>%{z}</b><extra></extra>",
    ))
    h, w = img.shape
    fig.update_yaxes(range=[h - 0.5, -0.5], scaleanchor="x", showgrid=False, zeroline=False, dtick=7,
                     constrain="domain")
    fig.update_xaxes(range=[-0.5, w - 0.5], showgrid=False, zeroline=False, dtick=7, constrain="domain")
    return _layout(fig, height, title)


def feature_boxes(quantiles: np.ndarray, name: str, unit: str = "") -> go.Figure:
    """A box per digit from precomputed quantiles (5%, 25%, 50%, 75%, 95%): the box holds the middle
    half of the images, the whiskers 90% of them.

    Args:
        quantiles: (10, 5) as stats.feature_quantiles returns with its default quantiles.
        name: the feature's name, for the axis.
        unit: its unit, for the axis.
    """
    q = np.asarray(quantiles, dtype=float)
    digits = [str(d) for d in range(10)]
    fig = go.Figure()
    for d in range(10):
        fig.add_trace(go.Box(
            x=[digits[d]], lowerfence=[q[d, 0]], q1=[q[d, 1]], median=[q[d, 2]], q3=[q[d, 3]],
            upperfence=[q[d, 4]], name=digits[d], marker_color=DIGIT_COLORS[d], showlegend=False,
            hoverinfo="y",
        ))
    fig.update_xaxes(type="category", title="digit", tickfont=dict(size=18))
    fig.update_yaxes(title=f"{name} ({unit})" if unit else name)
    return _layout(fig, 380, f"{name.capitalize()} by digit")


LABEL_BOX = (0.09, 0.08)  # a digit's label on a map, as a share of the map's width and height (a phone's too)


def spread_labels(centres: np.ndarray, coords: np.ndarray, box: tuple[float, float] = LABEL_BOX,
                  rounds: int = 500) -> list[tuple[float, float]]:
    """Where to write labels meant for `centres` (K, 2) so that none covers another: close ones are pushed
    apart, each along the axis that needs the smaller move, until every pair is a `box` apart
    (shares of the span of `coords`, the map's points). Labels already apart stay on their centres."""
    centres = np.asarray(centres, float).reshape(-1, 2)
    coords = np.asarray(coords, float)
    low, span = coords.min(axis=0), np.ptp(coords, axis=0)
    span = np.where(span > 0, span, 1.0)
    p = (centres - low) / span
    gap = np.asarray(box, float)
    for _ in range(rounds):
        clear = True
        for i in range(len(p)):
            for j in range(i + 1, len(p)):
                d = p[j] - p[i]
                need = gap - np.abs(d)
                if (need <= 1e-9).any():
                    continue
                clear = False
                axis = int(np.argmin(need))
                sign = 1.0 if d[axis] >= 0 else -1.0  # the later label goes right (up) where they coincide
                p[i, axis] -= sign * need[axis] / 2 + 1e-6
                p[j, axis] += sign * need[axis] / 2 + 1e-6
        if clear:
            break
    out = p * span + low
    return [tuple(c) if np.allclose(o, c) else (float(o[0]), float(o[1])) for o, c in zip(out, centres, strict=True)]


def embedding_map(coords: np.ndarray, labels: np.ndarray, indices: np.ndarray, title: str = "",
                  marker_size: float = 3, height: int = 600) -> go.Figure:
    """A 2-D map of images, coloured by label, each digit's name at the middle of its points (moved aside
    with a line back to it where the middles of several digits crowd together, see spread_labels).

    The point's `customdata` is its image index, so a selection event says which image was clicked.

    Args:
        coords: (M, 2) point positions.
        labels: (M,) the label of each point.
        indices: (M,) the image each point stands for.
        title: figure title.
        marker_size: point size in pixels.
        height: figure height in pixels.
    """
    coords, labels, indices = np.asarray(coords), np.asarray(labels), np.asarray(indices)
    fig = go.Figure()
    for d in range(10):
        at = labels == d
        if not at.any():
            continue
        fig.add_trace(go.Scattergl(
            x=coords[at, 0], y=coords[at, 1], mode="markers", name=str(d), customdata=indices[at],
            marker=dict(size=marker_size, color=DIGIT_COLORS[d], opacity=0.7),
            hovertemplate=f"digit {d}, image #%{{customdata}}<extra></extra>",
        ))
    digits = [d for d in range(10) if (labels == d).any()]
    centres = np.array([np.median(coords[labels == d], axis=0) for d in digits]).reshape(-1, 2)
    for d, (cx, cy), (lx, ly) in zip(digits, centres, spread_labels(centres, coords), strict=True):
        moved = (lx, ly) != (cx, cy)  # a label pushed off its centre points back at it
        fig.add_annotation(x=cx, y=cy, ax=lx, ay=ly, axref="x", ayref="y", text=f"<b>{d}</b>", showarrow=moved,
                           arrowcolor=DIGIT_COLORS[d], arrowwidth=2, arrowhead=0,
                           font=dict(size=26, color="white"), bgcolor=DIGIT_COLORS[d], opacity=0.9)
    fig.update_xaxes(showticklabels=False, zeroline=False, title=None)
    fig.update_yaxes(showticklabels=False, zeroline=False, title=None)
    return _layout(fig, height, title, legend=dict(title="digit", itemsizing="constant", font=dict(size=18)),
                   dragmode="zoom", clickmode="event+select")
