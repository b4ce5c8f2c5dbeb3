"""Figures of the "Inside the network" page. Each function returns a go.Figure (or an RGB array) and never
renders it. Clickable figures carry an invisible scatter trace whose points hold `customdata`: the
heatmaps below it cannot be selected in Streamlit, the scatter can. Its customdata are plain lists:
plotly would send a numpy array as a typed-array dict, not as numbers.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go

from .plots import ACCENT, FONT, STILL

MAP_SCALE = "Inferno"  # activations: black = 0 (nothing found), yellow = strongest in the layer
WEIGHT_SCALE = "RdBu"  # weights and products: red negative, white 0, blue positive
CLEAR = dict(color="#000", opacity=0.01)  # invisible, yet plotly still hovers and selects it


def _scale(name: str) -> np.ndarray:
    colours = getattr(pc.sequential, name, None) or getattr(pc.diverging, name)
    return np.array([pc.hex_to_rgb(c) if c.startswith("#") else pc.unlabel_rgb(c) for c in colours], float)


def colorize(values: np.ndarray, scale: str, low: float, high: float) -> np.ndarray:
    """Values -> RGB uint8 through a plotly colour scale, `low`..`high` mapped to its ends (clipped)."""
    colours = _scale(scale)
    t = np.clip((np.nan_to_num(np.asarray(values, float)) - low) / ((high - low) or 1.0), 0, 1)
    pos = t * (len(colours) - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(colours) - 1)
    return np.clip(colours[lo] + (colours[hi] - colours[lo]) * (pos - lo)[..., None], 0, 255).astype(np.uint8)


def _crisp(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize of an RGB array to (height, width)."""
    rows = (np.arange(height) * rgb.shape[0] // height).clip(0, rgb.shape[0] - 1)
    cols = (np.arange(width) * rgb.shape[1] // width).clip(0, rgb.shape[1] - 1)
    return rgb[rows][:, cols]


def _png_uri(rgb: np.ndarray) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _fixed(fig: go.Figure, width: int, height: int, top: int = 0) -> go.Figure:
    """One figure unit = one screen pixel: no margins, no axes, a fixed size."""
    fig.update_layout(width=width, height=height + top, margin=dict(l=0, r=0, t=top, b=0), font=FONT,
                      showlegend=False, clickmode="event+select", plot_bgcolor="white", **STILL,
                      hoverlabel=dict(font_size=16))
    fig.update_xaxes(visible=False, range=[0, width], fixedrange=True)
    fig.update_yaxes(visible=False, range=[height, 0], fixedrange=True)
    return fig


def filter_mosaic(kernel: np.ndarray) -> np.ndarray:
    """(kh, kw, cin) -> one 2-D array: the cin slices side by side in rows, NaN between them."""
    kh, kw, cin = kernel.shape
    cols = min(cin, 8)
    rows = -(-cin // cols)
    out = np.full((rows * (kh + 1) - 1, cols * (kw + 1) - 1), np.nan)
    for k in range(cin):
        r, c = divmod(k, cols)
        out[r * (kh + 1): r * (kh + 1) + kh, c * (kw + 1): c * (kw + 1) + kw] = kernel[..., k]
    return out


def maps_grid(maps: np.ndarray, channels: list[int], selected: int | None, kernels: np.ndarray | None = None,
              cols: int = 4, tile: int = 150, scale: str = MAP_SCALE, name: str = "map") -> go.Figure:
    """A page of feature maps, each with its filter below it; clicking a map selects it (customdata).

    Args:
        maps: (H, W, C) the layer's output; colours are shared by the whole layer.
        channels: which maps this page shows.
        kernels: (kh, kw, cin, C) the layer's filters, or None (pooling has none).
        tile: each map's side in pixels.
        scale: MAP_SCALE for activations (0..max), WEIGHT_SCALE for weights (-max..max).
    """
    gap, label = 14, 26
    band = 0 if kernels is None else int(tile * 0.55)
    rows = -(-len(channels) // cols)
    cell_h = label + tile + (band + 6 if band else 0) + gap
    width, height = cols * (tile + gap) - gap, rows * cell_h - gap
    canvas = np.full((height, width, 3), 255, np.uint8)
    # colours shared by the layer, the brightest 0.5% of its values all full yellow (a few outliers
    # would otherwise leave every map nearly black)
    top_value = float(np.percentile(np.abs(maps), 99.5)) or float(np.abs(maps).max()) or 1.0
    low = -top_value if scale == WEIGHT_SCALE else 0
    w_max = float(np.abs(kernels).max()) if kernels is not None else 1.0
    xs, ys, texts, fig = [], [], [], go.Figure()
    for k, ch in enumerate(channels):
        r, c = divmod(k, cols)
        x0, y0 = c * (tile + gap), r * cell_h + label
        canvas[y0: y0 + tile, x0: x0 + tile] = _crisp(colorize(maps[..., ch], scale, low, top_value), tile, tile)
        if band:
            mosaic = filter_mosaic(kernels[..., ch])
            h = band
            w = min(tile, round(h * mosaic.shape[1] / mosaic.shape[0]))
            h = round(w * mosaic.shape[0] / mosaic.shape[1])
            rgb = colorize(mosaic, WEIGHT_SCALE, -w_max, w_max)
            rgb[np.isnan(mosaic)] = 255
            fx = x0 + (tile - w) // 2
            canvas[y0 + tile + 6: y0 + tile + 6 + h, fx: fx + w] = _crisp(rgb, h, w)
        xs.append(x0 + tile / 2)
        ys.append(y0 + tile / 2)
        texts.append(f"{name} {ch}: strongest {maps[..., ch].max():.2f}")
        fig.add_annotation(x=x0, y=y0 - 3, text=f"{name} {ch}", showarrow=False, xanchor="left", yanchor="bottom",
                           font=dict(size=17, color=ACCENT if ch == selected else "#31333f"))
        if ch == selected:
            fig.add_shape(type="rect", x0=x0 - 4, y0=y0 - 4, x1=x0 + tile + 4, y1=y0 + tile + 4,
                          line=dict(color=ACCENT, width=4))
    fig.add_trace(go.Image(source=_png_uri(canvas), x0=0, y0=0, dx=1, dy=1, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", customdata=channels, hovertext=texts, hoverinfo="text",
                             marker=dict(symbol="square", size=tile, **CLEAR),
                             selected=dict(marker=dict(opacity=0.01)), unselected=dict(marker=dict(opacity=0.01))))
    return _fixed(fig, width, height)


def clickable_map(values: np.ndarray, selected: tuple[int, int] | None = None, side: int = 360,
                  zmax: float | None = None, scale: str = MAP_SCALE, window: tuple[int, int, int, int] | None = None,
                  title: str = "", size: tuple[int, int] | None = None,
                  hover: str = "row %{customdata[0]}, col %{customdata[1]}: %{text}") -> go.Figure:
    """One 2-D map, big, with its value on hover; clicking a pixel selects it (customdata [row, col]).

    Args:
        selected: (row, col) outlined in the accent colour.
        side: the longer side in pixels (square cells), unless `size` = (width, height) is given.
        window: (top, left, height, width) outlined too (e.g. the patch a unit reads), in map pixels.
        hover: plotly hover template; %{text} is the value.
    """
    v = np.asarray(values, float)
    h, w = v.shape
    width, height = size or (round(w * side / max(h, w)), round(h * side / max(h, w)))
    px_w, px_h = width / w, height / h
    zmax = float(np.nanmax(np.abs(v)) or 1.0) if zmax is None else zmax
    rgb = colorize(v, scale, -zmax if scale == WEIGHT_SCALE else 0, zmax)
    rgb[np.isnan(v)] = 255  # gaps (between filter slices) are white
    rgb = _crisp(rgb, height, width)
    fig = go.Figure(go.Image(source=_png_uri(rgb), x0=0, y0=0, dx=1, dy=1, hoverinfo="skip"))
    rr, cc = np.mgrid[0:h, 0:w]
    fig.add_trace(go.Scatter(
        x=((cc + 0.5) * px_w).ravel().tolist(), y=((rr + 0.5) * px_h).ravel().tolist(), mode="markers",
        customdata=np.stack([rr.ravel(), cc.ravel()], axis=1).tolist(), text=[f"{z:.3f}" for z in v.ravel()],
        hovertemplate=hover + "<extra></extra>",
        marker=dict(symbol="square", size=max(min(px_w, px_h), 4), **CLEAR),
        selected=dict(marker=dict(opacity=0.01)), unselected=dict(marker=dict(opacity=0.01))))
    if window is not None:
        t, left, wh, ww = window
        fig.add_shape(type="rect", x0=left * px_w, y0=t * px_h, x1=(left + ww) * px_w, y1=(t + wh) * px_h,
                      line=dict(color="#00c2ff", width=3))
    if selected is not None:
        r, c = selected
        fig.add_shape(type="rect", x0=c * px_w, y0=r * px_h, x1=(c + 1) * px_w, y1=(r + 1) * px_h,
                      line=dict(color=ACCENT, width=4))
    fig = _fixed(fig, width, height, top=34 if title else 0)
    if title:
        fig.update_layout(title=dict(text=title, x=0, y=1, yanchor="top", font=dict(size=18)))
    return fig


def numbers(values: np.ndarray, title: str, scale: str = WEIGHT_SCALE, zmax: float | None = None,
            cell: int = 58, digits: int | None = 2) -> go.Figure:
    """A small grid with every number written in its cell (a patch, a filter, their products).

    Args:
        digits: decimals written; None writes no numbers (cells too small to read them), hover shows them.
    """
    v = np.asarray(values, float)
    h, w = v.shape
    zmax = float(np.nanmax(np.abs(v)) or 1.0) if zmax is None else zmax
    low = -zmax if scale == WEIGHT_SCALE else 0
    colours = _scale(scale).astype(int)
    stops = [[k / (len(colours) - 1), f"rgb({r},{g},{b})"] for k, (r, g, b) in enumerate(colours)]
    fig = go.Figure(go.Heatmap(z=v, colorscale=stops, zmin=low, zmax=zmax, showscale=False, xgap=2, ygap=2,
                               text=[[_number(z, digits or 3) for z in row] for row in v],
                               texttemplate="%{text}" if digits is not None else "",
                               hovertemplate="%{text}<extra></extra>",
                               textfont=dict(size=15 if w <= 4 else 13)))
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x", fixedrange=True)
    fig.update_xaxes(visible=False, fixedrange=True)
    fig.update_layout(width=w * cell, height=h * cell + 40, margin=dict(l=0, r=0, t=40, b=0), font=FONT, **STILL,
                      title=dict(text=title, x=0, font=dict(size=17)))
    return fig


def _number(z: float, digits: int) -> str:
    """A cell's number: "0" for exactly 0, scientific when it would round to 0."""
    if z == 0:
        return "0"
    return f"{z:.{digits}f}" if abs(z) >= 0.5 * 10.0**-digits else f"{z:.0e}"


def bars(values: np.ndarray, labels: list[str], selected: int | None = None, title: str = "",
         y_title: str = "", height: int = 300, clickable: bool = True) -> go.Figure:
    """One bar per unit (or input channel); clicking a bar selects it (customdata = its index)."""
    v = np.asarray(values, float)
    colours = [ACCENT if i == selected else ("#4c78a8" if z >= 0 else "#c44e52") for i, z in enumerate(v)]
    fig = go.Figure(go.Bar(x=list(range(len(v))), y=v.tolist(), marker_color=colours, customdata=list(range(len(v))),
                           hovertext=[f"{lab}: {z:.3f}" for lab, z in zip(labels, v, strict=True)],
                           hoverinfo="text", selected=dict(marker=dict(opacity=1)),
                           unselected=dict(marker=dict(opacity=1))))
    fig.update_xaxes(title=None, showticklabels=len(v) <= 16, tickvals=list(range(len(v))), ticktext=labels)
    fig.update_yaxes(title=y_title, zeroline=True)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10), font=FONT,
                      title=dict(text=title, x=0, font=dict(size=17)) if title else None, bargap=0.15,
                      clickmode="event+select" if clickable else "event", dragmode=False)
    return fig


def rows_and_memory(h: np.ndarray, selected: tuple[int, int] | None = None, height: int = 392,
                    width: int = 640) -> go.Figure:
    """An LSTM's output after each image row: (rows, units), red negative, blue positive; click = (row, unit)."""
    return clickable_map(h, selected, zmax=1.0, scale=WEIGHT_SCALE, size=(width, height),
                         hover="after row %{customdata[0]}, unit %{customdata[1]}: %{text}")


def image_rgb(image: np.ndarray, side: int, box: tuple[int, int, int, int] | None = None,
              scale: str | None = None) -> np.ndarray:
    """A 2-D image as a crisp RGB picture `side` pixels wide, with an optional box (top, left, height,
    width, in image pixels; the part inside the image is drawn).

    Args:
        scale: None: gray, values in [0, 1] (a digit); else a colour scale over 0..the image's maximum.
    """
    img = np.nan_to_num(np.asarray(image, float))
    height = round(side * img.shape[0] / img.shape[1])
    if scale is None:
        rgb = np.repeat((np.clip(img, 0, 1) * 255).astype(np.uint8)[..., None], 3, axis=2)
    else:
        rgb = colorize(img, scale, 0, float(img.max()) or 1.0)
    rgb = _crisp(rgb, height, side)
    if box is not None:
        px = side / img.shape[1]
        top, left = max(box[0], 0), max(box[1], 0)
        bottom, right = min(box[0] + box[2], img.shape[0]), min(box[1] + box[3], img.shape[1])
        y0, x0, y1, x1 = round(top * px), round(left * px), round(bottom * px) - 1, round(right * px) - 1
        colour = np.array([0, 194, 255], np.uint8)
        for rows, cols in ((slice(y0, y0 + 3), slice(x0, x1 + 1)), (slice(y1 - 2, y1 + 1), slice(x0, x1 + 1)),
                           (slice(y0, y1 + 1), slice(x0, x0 + 3)), (slice(y0, y1 + 1), slice(x1 - 2, x1 + 1))):
            rgb[rows, cols] = colour
    return rgb
