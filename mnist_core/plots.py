"""Plotly figures. Each function returns a go.Figure and never renders it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

DIGITS = [str(d) for d in range(10)]
ACCENT = "#e4572e"
MUTED = "#9aa5b1"
TEXT = "#31333f"  # Streamlit's text colour: captions at 12:1 on white (the theme's chart grey is 3.7:1)
FONT = dict(size=16)
LABEL_ERROR_COLOUR = "#d62728"  # a digit whose label human review found wrong
FLAGGED_COLOUR = "#ff7f0e"  # a digit someone flagged as suspicious
OPEN_COLOUR = "#1f77b4"  # the digit shown large


# A finger swiping over a chart scrolls the page: with Plotly's default drag (zoom) a phone's swipe panned
# or zoomed the chart instead, and a chart as wide as the screen left no room to scroll (QA, touch).
# Hover and clicks work as before; the Explore map, made to be zoomed, keeps its drag. A chart that can be
# clicked (Evaluate's matrix, the galleries, Inside's maps) gets 'pan' from Streamlit whatever this says:
# there a swipe still does not scroll, and fixed axes keep the chart from moving.
STILL = {"dragmode": False}


def _layout(fig: go.Figure, height: int = 320, **kwargs) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), font=FONT, **{**STILL, **kwargs})
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
            outsidetextfont={"color": TEXT},
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
            outsidetextfont={"color": TEXT},
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
    fig = _layout(fig, height=height, title=title or None)
    # no axes: tick marks without numbers looked broken, and the rows and columns are in the hover
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False, ticks="",
                     zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, ticks="", zeroline=False)
    return fig


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Images as uint8: uint8 stays, floats are read as [0, 1]."""
    x = np.asarray(images)
    if x.dtype == np.uint8:
        return x
    return np.clip(np.rint(np.nan_to_num(x.astype(np.float32)) * 255.0), 0, 255).astype(np.uint8)


def enlarge(images: np.ndarray, factor: int | None = None, height: int | None = None) -> np.ndarray:
    """Images made big with crisp square pixels (browsers blur a small image scaled up): uint8.

    Args:
        images: (..., H, W) gray, or one (H, W, 3) RGB image; uint8, or float in [0, 1].
        factor: each pixel becomes a factor x factor block (any number of images).
        height: instead, one image resized to this height (width in proportion), nearest neighbour.
    """
    x = to_uint8(images)
    if height is None:
        f = factor or 4
        if x.ndim == 3 and x.shape[-1] == 3:  # one RGB image
            return x.repeat(f, axis=0).repeat(f, axis=1)
        return x.repeat(f, axis=-1).repeat(f, axis=-2)
    from PIL import Image

    h, w = x.shape[:2]
    size = (max(1, round(height * w / h)), height)
    return np.asarray(Image.fromarray(x).resize(size, Image.Resampling.NEAREST))


def heat_overlay(image: np.ndarray, heat: np.ndarray, side: int = 196, alpha: float = 0.55) -> np.ndarray:
    """The digit in gray with a heatmap (0 = none, 1 = most important) blended over it: RGB uint8."""
    import plotly.colors as pc

    img = np.clip(np.asarray(image, np.float32), 0, 1)
    heat = np.clip(np.asarray(heat, np.float32), 0, 1)
    scale = np.array(
        [pc.hex_to_rgb(c) if c.startswith("#") else pc.unlabel_rgb(c) for c in pc.sequential.Inferno], float
    )
    pos = heat * (len(scale) - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(scale) - 1)
    colour = scale[lo] + (scale[hi] - scale[lo]) * (pos - lo)[..., None]
    base = np.repeat(img[..., None] * 255, 3, axis=2)
    mixed = (1 - alpha * heat[..., None]) * base + alpha * heat[..., None] * colour
    return enlarge(np.clip(mixed, 0, 255).astype(np.uint8), height=side)


def mosaic(maps: np.ndarray, columns: int = 8, gap: int = 1) -> np.ndarray:
    """(H, W, C) feature maps as one gray picture of C tiles, each scaled to its own range: float [0, 1]."""
    h, w, c = maps.shape
    rows = int(np.ceil(c / columns))
    out = np.ones((rows * (h + gap) - gap, columns * (w + gap) - gap), np.float32) * 0.25
    for k in range(c):
        m = maps[..., k]
        span = m.max() - m.min()
        tile = (m - m.min()) / span if span > 0 else np.zeros_like(m)
        r, col = divmod(k, columns)
        out[r * (h + gap) : r * (h + gap) + h, col * (w + gap) : col * (w + gap) + w] = tile
    return out


def thumbnail_grid(images: np.ndarray, indices: Sequence[int], captions: Sequence[str] | None = None,
                   hover: Sequence[str] | None = None, frames: Sequence[str | None] | None = None, cols: int = 8,
                   unit_px: float = 2.2, caption_size: int = 14) -> go.Figure:
    """Digits in a grid that can be clicked: a click selects the digit's point, whose customdata is its index.

    Args:
        images: (N, 28, 28) digits, uint8 or float in [0, 1].
        indices: (N,) the index each digit stands for (what a click reports).
        captions: one short line under each digit.
        hover: the text shown when the pointer is on a digit.
        frames: a colour (or None) per digit: drawn as a frame around it.
        cols: digits per row.
        unit_px: about how many screen pixels one image pixel gets (sets the figure's height).
        caption_size: caption font size in pixels.
    """
    x = to_uint8(images)
    n = len(x)
    pad, gap, cap = 2, 1, (9 if captions is not None else 0)  # in image pixels: frame, white gap, caption
    side = x.shape[-1] if n else 28
    cw, ch = side + 2 * (pad + gap), side + 2 * (pad + gap) + cap
    rows = max(1, -(-n // cols))
    canvas = np.full((rows * ch, cols * cw, 3), 255, np.uint8)
    centres_x, centres_y = [], []
    for k in range(n):
        top, left = (k // cols) * ch + gap, (k % cols) * cw + gap
        colour = frames[k] if frames is not None else None
        if colour:
            canvas[top: top + side + 2 * pad, left: left + side + 2 * pad] = _rgb(colour)
        canvas[top + pad: top + pad + side, left + pad: left + pad + side] = x[k][..., None]
        centres_x.append(left + pad + side / 2)
        centres_y.append(top + pad + side / 2)
    fig = go.Figure(go.Image(source=png_data_url(canvas), hoverinfo="skip"))  # a PNG: ~20x smaller than z=
    fig.add_trace(go.Scatter(
        x=centres_x, y=centres_y, mode="markers", customdata=[int(i) for i in indices],
        marker={"symbol": "square", "size": max(10, side * unit_px), "opacity": 0.01, "color": "#000"},
        unselected={"marker": {"opacity": 0.01}}, selected={"marker": {"opacity": 0.01}},
        hovertext=list(hover) if hover is not None else None,
        hovertemplate="%{hovertext}<extra></extra>" if hover is not None else "#%{customdata}<extra></extra>",
        showlegend=False,
    ))
    for k, text in enumerate(captions or []):
        fig.add_annotation(x=centres_x[k], y=(k // cols) * ch + side + 2 * (pad + gap) + cap / 2, text=text,
                           showarrow=False, font={"size": caption_size, "color": TEXT}, yanchor="middle")
    # square pixels; the grid keeps to the top left of its box when the box is wider or taller than it
    fig.update_xaxes(visible=False, range=[0, cols * cw], fixedrange=True, constrain="domain", constraintoward="left")
    fig.update_yaxes(visible=False, range=[rows * ch, 0], fixedrange=True, scaleanchor="x", constrain="domain",
                     constraintoward="top")
    fig.update_layout(height=int(rows * ch * unit_px) + 8, margin={"l": 0, "r": 0, "t": 4, "b": 4},
                      clickmode="event+select", dragmode=False, plot_bgcolor="white", hovermode="closest")
    return fig


def _rgb(colour: str) -> tuple[int, int, int]:
    """'#d62728' -> (214, 39, 40)."""
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def png_data_url(rgb: np.ndarray) -> str:
    """An (H, W, 3) uint8 picture as a data: URL holding a PNG."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(rgb, np.uint8)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
