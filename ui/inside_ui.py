"""Widget groups of the "Inside the network" page, and its settings in the URL.

Every setting of the page is a query parameter (README, "In the classroom"), so a teacher's link opens
the same view: `/inside?view=unit&layer=2&map=5&row=10&col=12`. In presenter mode, `hide=layer,unit`
leaves those controls out (their values from the link still apply; clicking a map still works).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from mnist_core import breakit, inside
from mnist_core import inside_plots as ip
from mnist_core.errors import DatasetError
from mnist_core.plots import enlarge, heat_overlay, probability_bars
from ui import keys
from ui.show import clicked_customdata
from ui.url_settings import UrlSettings, choice, fitted, number, safe

VIEWS = {"layers": "Every layer", "unit": "One unit", "why": "Why?", "break": "Break it"}
SOURCES = {"drawing": "My drawing", "test": "Test digit"}
METHODS = {"both": "Both", "gradcam": "Grad-CAM", "occlusion": "Occlusion"}
FILLS = {"grey": 0.5, "black": 0.0}
DAMAGES = {"none": "Intact", "zero": "Zero", "noise": "Noise", "drop": "Switch off"}
HIDEABLE = ("src", "view", "layer", "unit", "method", "break")  # names `hide=` understands
PER_PAGE = 8  # feature maps per page of the grid
CHART = {"displayModeBar": False}


# setting (= query parameter) -> (default, parse a URL value; ValueError when it does not fit)
SETTINGS: dict[str, tuple[Any, Callable[[str], Any]]] = {
    "src": ("drawing", choice(*SOURCES)),
    "test": (0, number(int, 0, 9999)),  # MNIST test digit
    "view": ("layers", choice(*VIEWS)),
    "layer": (1, number(int, 1, 99)),  # stage number, 1 = the first
    "map": (-1, number(int, -1, 9999)),  # feature map (or unit) of the layer; -1: the strongest
    "row": (-1, number(int, -1, 99)),  # pixel of that map (for an LSTM: the image row); -1: the strongest
    "col": (-1, number(int, -1, 99)),
    "ch": (-1, number(int, -1, 9999)),  # input channel shown in detail; -1: the one that adds most
    "method": ("both", choice(*METHODS)),
    "patch": (6, number(int, 2, 14)),  # occlusion patch side
    "fill": ("grey", choice(*FILLS)),
    "blayer": (1, number(int, 1, 99)),  # break it: the stage damaged
    "break": ("none", choice(*DAMAGES)),
    "amount": (0.5, number(float, 0.0, 10.0)),
    "seed": (0, number(int, 0, 10**6)),
}


URL = UrlSettings("inside", SETTINGS, HIDEABLE)
get, put, read_url, write_url, hidden = URL.get, URL.put, URL.read_url, URL.write_url, URL.hidden


def widget(name: str, draw: Callable, *args, **kwargs) -> Any:
    """Draw a widget for setting `name` (see UrlSettings.widget); another layer starts from its strongest
    unit, first page."""
    then = (lambda: URL.reset("map", "row", "col", "ch")) if name == "layer" else None
    return URL.widget(name, draw, *args, on_change=then, **kwargs)


def share_ui() -> None:
    """The link to this very view, plain and for a projector (presenter mode, chosen controls hidden)."""
    URL.share_ui("/inside", note="(with an MNIST test digit for whoever has not drawn one)",
                 presenter_hide="src,layer,unit")


@safe
def _clicked(chart_key: str, names: tuple[str, ...], resets: tuple[str, ...]) -> None:
    """A point of a clickable figure was clicked: its customdata become these settings."""
    data = clicked_customdata(st.session_state.get(chart_key))
    if data is None:
        return  # not a point of ours
    for name, value in zip(names, data, strict=False):
        put(name, int(value))
    for name in resets:
        put(name, SETTINGS[name][0])


def clickable(fig, chart_key: str, names: tuple[str, ...], container=st, width: str = "content",
              resets: tuple[str, ...] = ()) -> None:
    """Show a figure whose clicked point sets settings `names` (and puts `resets` back to their defaults)."""
    container.plotly_chart(fig, key=chart_key, on_select=functools.partial(_clicked, chart_key, names, resets),
                           selection_mode="points", width=width, config=CHART)


# ---------------------------------------------------------------------------------------------
# The digit, the answer, the view


def _follow_new_drawing(drawing: np.ndarray | None) -> None:
    """A drawing made since the last visit is what this page shows (unless the link says otherwise)."""
    seen = st.session_state.get("inside_seen_drawing")
    if drawing is not None and (seen is None or not np.array_equal(seen, drawing)):
        st.session_state["inside_seen_drawing"] = drawing
        if "src" not in st.query_params:
            put("src", "drawing")


@dataclass(frozen=True)
class Header:
    """Where the page's first two rows go: the title, the digit and its answer; the view and the digit pickers."""

    picture: Any
    answer: Any
    view: Any
    source: Any


def header(title: str) -> Header:
    """The title with the digit and the model's answer beside it, then the pickers: compact for a projector."""
    t, picture, answer = st.columns([2.6, 0.42, 2.1], vertical_alignment="bottom")
    t.title(title)
    view, source = st.columns([2.2, 2.8], vertical_alignment="center")
    return Header(picture, answer, view, source)


def digit_source_ui(container) -> tuple[np.ndarray, str]:
    """The digit to look inside: this browser's last drawing, or an MNIST test digit.

    Returns:
        ((28, 28) float32 in [0, 1], what it is in words).
    """
    from ui.cache import mnist

    drawing = st.session_state.get(keys.LAST_DRAWING)
    _follow_new_drawing(drawing)
    # a row that wraps (not columns): beside the sidebar on a tablet, three columns cut "Draw one"
    row = container.container(horizontal=True, vertical_alignment="center", gap="small")
    if drawing is None:
        put("src", "test")  # nothing drawn in this browser yet
    src = widget("src", row.segmented_control, "Digit", list(SOURCES), format_func=SOURCES.get,
                 label_visibility="collapsed")
    if src == "drawing" and drawing is not None:
        x, about = np.asarray(drawing, np.float32), "your drawing"
    else:
        index = widget("src:test", row.number_input, "MNIST test digit #", 0, 9999, label_visibility="collapsed",
                       help="Which of the 10,000 MNIST test digits", width=110)
        try:
            data = mnist()
            x = data.x_test[index].astype(np.float32) / 255
            about = f"test digit #{index} (a {data.y_test[index]})"
        except DatasetError:
            from mnist_core.preprocess import prepare
            from mnist_core.synth import digit_image

            x, about = prepare(digit_image(index % 10)), f"a computer-drawn {index % 10} (no MNIST here)"
    if not hidden("src"):
        row.page_link("app_pages/draw.py", label="Draw one", icon=":material/draw:")
    return x, about


def answer_ui(head: Header, x: np.ndarray, about: str, probs: np.ndarray, model_name: str) -> None:
    """The digit as the model sees it, and its answer."""
    top = int(np.argmax(probs))
    head.picture.image(enlarge(x, height=56))
    head.answer.markdown(f"The model's answer: **{top}** ({probs[top]:.0%})  \n"
                         f":gray[for {about}; model {model_name}]")


def view_ui(head: Header) -> str:
    return widget("view", head.view.segmented_control, "View", list(VIEWS), format_func=VIEWS.get,
                  label_visibility="collapsed")


# The words this page uses, in plain words for a learner meeting them for the first time (a test checks that
# every term the page's own text uses is here)
GLOSSARY = {
    "filter": "a small grid of learned numbers (often 3x3) that slides over the picture; where the picture "
              "looks like the filter's pattern (an edge, a curve), the sum of products is large.",
    "feature map": "the picture a filter makes: one number per place, bright where its pattern is. A layer "
                   "with 32 filters makes 32 maps.",
    "26x26x32": "a shape: 26 rows by 26 columns, 32 maps deep. 'A 3x3x1 patch' is 3 by 3 pixels of 1 map.",
    "stride": "how far the filter jumps between places. Stride 2 skips every other place, so the maps "
              "come out half as wide.",
    "bias": "a learned number added after the sum, so a unit can switch on more or less easily.",
    "ReLU": "keeps positive numbers and turns negative ones into 0: \"no evidence\" rather than \"evidence "
            "against\".",
    "batch norm": "short for batch normalisation: rescales each map's numbers to a steady range (a learned "
                  "scale and shift), which makes training faster and steadier. After training it is a fixed "
                  "multiply-and-add.",
    "pool": "shrinks a map by keeping the largest (or average) value of each small window.",
    "dense": "a layer in which every output looks at every input number, each with its own weight.",
    "logit": "a digit's raw score before softmax: any number, larger means more likely.",
    "softmax": "turns the ten scores into ten probabilities that are all positive and add up to 100%.",
    "p(7)": "the probability the model gives to \"it is a 7\".",
    "gradient": "how much an output would change if one input changed a tiny bit: the direction to push.",
    "Grad-CAM": "a heat map of where the evidence is: the last maps that still know *where*, each weighted by how "
                "much it raises the answer's probability (found with gradients), added up.",
    "occlusion": "cover part of the digit with a square and ask the model again: where covering hurts the "
                 "answer most, the evidence was.",
    "saliency": "for each pixel, how much a tiny change of it would change the answer's probability.",
}


def glossary_ui() -> None:
    """The words of the page in plain words, closed until asked for."""
    with st.expander("What the words mean", icon=":material/menu_book:"):
        st.markdown("\n".join(f"- **{term}**: {meaning}" for term, meaning in GLOSSARY.items()))


def layer_ui(stages: list[inside.Stage]) -> tuple[inside.Stage, Any]:
    """Which layer to look at (clamped to the model's), with its shape and what it does.

    Returns:
        (the stage, an empty column beside the layer picker for the view's own pickers).
    """
    put("layer", fitted(get("layer"), min(max(get("layer"), 1), len(stages)), "layer", f" ({len(stages)} layers)"))
    picker, beside = st.columns([1, 1], vertical_alignment="center")
    widget("layer", picker.selectbox, "Layer", [s.number for s in stages], format_func=lambda n: stages[n - 1].label,
           label_visibility="collapsed")
    stage = stages[get("layer") - 1]
    notes = f"  \n:gray[{' '.join(stage.notes)}]" if stage.notes else ""
    st.markdown(f"**Layer {stage.number} of {len(stages)}**: {stage.sentence} "
                f"Output: **{inside.shape_text(stage.output_shape)}**.{notes}")
    return stage, beside


def _unit(stage: inside.Stage, acts: dict) -> tuple[int, int, int]:
    """The chosen (map, row, col); one not chosen yet (or not in this layer) is the strongest there."""
    out = acts[stage.output]
    shape = stage.output_shape
    channel = get("map")
    if not 0 <= channel < shape[-1]:  # -1: none chosen yet
        strongest = int(np.argmax(np.abs(out).reshape(-1, shape[-1]).max(axis=0)))
        channel = strongest if channel == -1 else fitted(channel, strongest, "map", f" ({shape[-1]} in this layer)")
    put("map", channel)
    row, col = get("row"), get("col")
    if stage.is_map:
        if not (0 <= row < shape[0] and 0 <= col < shape[1]):
            asked = (row, col)
            row, col = (int(v) for v in np.unravel_index(int(np.argmax(out[..., channel])), shape[:2]))
            if asked != (-1, -1):  # a link's (or a smaller layer's) pixel: say which one is shown instead
                st.toast(f"There is no pixel (row {asked[0]}, column {asked[1]}) in this layer's {shape[0]}x"
                         f"{shape[1]} maps: showing the strongest, (row {row}, column {col}).", icon=":material/info:")
        put("row", row)
        put("col", col)
    elif stage.kind == inside.LSTM:
        row = row if 0 <= row < stage.input_shape[0] else stage.input_shape[0] - 1  # default: the last step
        put("row", row)
    return channel, row, col


# ---------------------------------------------------------------------------------------------
# Every layer


def layer_view(model, stage: inside.Stage, acts: dict, x: np.ndarray, beside) -> None:
    """The layer's output in its own terms: feature maps and filters, unit bars, the LSTM's rows."""
    channel, _, _ = _unit(stage, acts)
    out = acts[stage.output]
    if stage.kind == inside.LSTM:
        trace = inside.lstm_trace(model, stage, acts)
        left, right = st.columns([1, 2.2])
        left.image(ip.image_rgb(x, 300), caption="The image, read row by row")
        clickable(ip.rows_and_memory(trace.h, (get("row"), channel), height=300, width=640), "inside_lstm_grid",
                  ("row", "map"), right)
        right.caption(f"The LSTM's output after each row (down) for each of its {trace.h.shape[1]} units (across): "
                      "blue positive, red negative. The bottom row is all the answer is made from.")
        return
    if stage.kind == inside.SOFTMAX:
        softmax_ui(inside.softmax(model, stage, acts), acts[stage.output])
        return
    if not stage.is_map or stage.output_shape[:2] == (1, 1):
        values = out.ravel()
        pictures = inside.first_layer_pictures(model, stage)
        clickable(ip.bars(values, [f"unit {i}" for i in range(len(values))], channel, y_title="output",
                          height=260), "inside_units", ("map",), width="stretch")
        st.caption(f"Each bar is one unit's output for this digit ({len(values)} units; click one). "
                   + ("Many are 0: ReLU cut them." if (values == 0).mean() > 0.2 else ""))
        if pictures is not None:
            _weight_pictures(pictures, values, channel, beside)
        elif stage.kind == inside.CONV:
            _filter_of(model, stage, channel)
        return
    _maps_and_zoom(model, stage, out, channel, beside)


@safe
def _to_page() -> None:
    """Another page of the grid: its first map is the chosen one."""
    _choose_map((st.session_state["w_inside_page"] - 1) * PER_PAGE)


def _choose_map(channel: int) -> None:
    """Map `channel` is the chosen one, from its strongest pixel and input (a page turned, a number typed)."""
    put("map", channel)
    URL.reset("row", "col", "ch")


def _pages(count: int, channel: int, container, name: str = "maps") -> list[int]:
    """The page of `count` maps (units) that holds the chosen one, PER_PAGE at a time; a slider turns pages."""
    pages = -(-count // PER_PAGE)
    page = channel // PER_PAGE + 1
    if pages > 1 and not hidden("unit"):
        st.session_state["w_inside_page"] = page
        container.select_slider("Page", list(range(1, pages + 1)), key="w_inside_page", on_change=_to_page,
                                label_visibility="collapsed",
                                format_func=lambda p: f"{name} {(p - 1) * PER_PAGE}–{min(p * PER_PAGE, count) - 1}")
    return list(range((page - 1) * PER_PAGE, min(page * PER_PAGE, count)))


@safe
def _typed_map() -> None:
    """A map's number typed (the keyboard's way to what a click on the grid does)."""
    _choose_map(int(st.session_state["w_inside_zoom_map"]))


def _maps_and_zoom(model, stage: inside.Stage, out: np.ndarray, channel: int, beside) -> None:
    kernels = np.asarray(model.get_layer(stage.main).kernel) if stage.kind == inside.CONV else None
    left, right = st.columns([1.5, 1], gap="medium")
    with left:
        shown = _pages(out.shape[-1], channel, beside)
        clickable(ip.maps_grid(out, shown, channel, kernels, cols=4, tile=150), "inside_grid", ("map",),
                  resets=("row", "col", "ch"))
        st.caption(f"Maps {shown[0]}–{shown[-1]} of {out.shape[-1]}"
                   + (", each with its filter below (blue +, red −)" if kernels is not None else "")
                   + ". Bright = the pattern is there. Click a map, or type its number, to zoom in.")
    with right:
        if not hidden("unit"):
            st.session_state["w_inside_zoom_map"] = channel
            st.number_input(f"Zoom on map (0-{out.shape[-1] - 1})", 0, out.shape[-1] - 1, key="w_inside_zoom_map",
                            on_change=_typed_map, width=200,
                            help="The map's number (or click a map in the grid)")
        st.plotly_chart(ip.clickable_map(out[..., channel], side=300, title=f"Map {channel}, zoomed"),
                        config=CHART, width="content", key="inside_zoom")
        if kernels is not None:
            _filter_of(model, stage, channel)
        st.button("How is one pixel computed? →", on_click=put, args=("view", "unit"), type="primary",
                  wrap=True)  # in a narrow column (a zoomed browser) on two lines, not cut


def _filter_of(model, stage: inside.Stage, channel: int) -> None:
    kernel = np.asarray(model.get_layer(stage.main).kernel)[..., channel]
    if kernel.shape[-1] == 1:
        st.plotly_chart(ip.numbers(kernel[..., 0], f"Its filter ({kernel.shape[0]}x{kernel.shape[1]})", cell=56),
                        config=CHART, width="content")
    else:
        st.plotly_chart(ip.clickable_map(ip.filter_mosaic(kernel), side=300, scale=ip.WEIGHT_SCALE,
                                         title=f"Its filter: {kernel.shape[-1]} slices of {kernel.shape[0]}x"
                                               f"{kernel.shape[1]}"), config=CHART, width="content")
        st.caption("One slice per map of the layer below: blue weights add, red ones subtract.")


def _weight_pictures(pictures: np.ndarray, values: np.ndarray, channel: int, beside) -> None:
    shown = _pages(len(values), channel, beside, "units")
    w = np.moveaxis(pictures, 0, -1)
    clickable(ip.maps_grid(w, shown, channel, scale=ip.WEIGHT_SCALE, tile=120, cols=8, name="unit"),
              "inside_weights", ("map",))
    st.caption("Each unit's 784 weights drawn as a 28x28 picture: blue pixels push the unit up where there is "
               "ink, red ones push it down. Click one to choose it.")


def _short(v: float) -> str:
    """A table number in 4 significant digits, without drowning small ones in zeros."""
    return f"{v:.4g}" if v == 0 or 1e-3 <= abs(v) < 1e5 else f"{v:.2e}"


def softmax_ui(sm: inside.Softmax, keras_probs: np.ndarray) -> None:
    """Logits -> probabilities, with every number."""
    left, right = st.columns(2)
    top = int(np.argmax(sm.logits))
    left.plotly_chart(ip.bars(sm.logits, [str(d) for d in range(10)], top, "Scores (logits) z", clickable=False,
                              height=280), config=CHART)
    right.plotly_chart(probability_bars(sm.probabilities, title="Probabilities = softmax(z)"), config=CHART)
    rows = {"logit z": sm.logits, "exp(z − max z)": sm.exps, "probability": sm.probabilities,
            "Keras's probability": keras_probs.ravel()}
    table = {"": list(rows), **{str(d): [_short(v[d]) for v in rows.values()] for d in range(10)}}
    st.dataframe(table, hide_index=True)
    st.markdown(f"p({top}) = exp(z{top} − max z) / sum of all ten = 1 / {sm.exps.sum():.4f} = "
                f"**{sm.probabilities[top]:.4f}**. Subtracting the largest score first changes nothing (it "
                "cancels out) and keeps the numbers small.")


# ---------------------------------------------------------------------------------------------
# One unit, computed


def _pickers(stage: inside.Stage, container) -> None:
    """Number boxes for the unit (clicking a map sets them too)."""
    if hidden("unit"):
        return
    shape = stage.output_shape
    names = {"map": ("Map" if stage.is_map else "Unit", shape[-1] - 1)}
    if stage.is_map:
        names |= {"row": ("Row", shape[0] - 1), "col": ("Column", shape[1] - 1)}
    if stage.kind == inside.LSTM:
        names["row"] = ("Row (step)", stage.input_shape[0] - 1)
    for col, (name, (label, high)) in zip(container.columns(3), names.items(), strict=False):
        widget(name, col.number_input, label, 0, high)


def _check_line(ours: float, keras_value: float, where: str) -> str:
    same = abs(ours - keras_value) <= 1e-4 * max(1.0, abs(keras_value))
    return (f"{':green[:material/check_circle:]' if same else ':red[:material/error:]'} Keras's own output {where}: "
            f"**{keras_value:.4f}**"
            + ("" if same else " (differs: please report)"))


def unit_view(model, stage: inside.Stage, acts: dict, x: np.ndarray, beside) -> None:
    """One unit's computation, every step with this digit's numbers."""
    channel, row, col = _unit(stage, acts)
    _pickers(stage, beside)
    if stage.kind == inside.CONV:
        conv_ui(model, stage, acts, x, inside.conv_unit(model, stage, acts, channel, row, col))
    elif stage.kind == inside.POOL:
        pool_ui(stage, acts, inside.pool_unit(model, stage, acts, channel, row, col))
    elif stage.kind == inside.DENSE:
        dense_ui(stage, acts, inside.dense_unit(model, stage, acts, channel))
    elif stage.kind == inside.SOFTMAX:
        softmax_ui(inside.softmax(model, stage, acts), acts[stage.output])
    else:
        trace = inside.lstm_trace(model, stage, acts)
        lstm_ui(stage, acts, x, trace.step(channel, row), trace.h)


def _output_map(stage: inside.Stage, acts: dict, unit, container, window=None) -> None:
    out = acts[stage.output]
    clickable(ip.clickable_map(out[..., unit.channel], (unit.row, unit.col), side=300,
                               title=f"Map {unit.channel} of layer {stage.number}: click a pixel", window=window),
              "inside_unit_map", ("row", "col"), container)


def _input_picture(acts: dict, stage: inside.Stage, x: np.ndarray, channel: int, box, side: int = 240) -> np.ndarray:
    """The layer's input (one channel) with the unit's window: the digit itself for the first layer."""
    if stage.number == 1:
        return ip.image_rgb(x, side, box)
    inp = acts[f"in:{stage.main}"][..., channel]
    return ip.image_rgb(inp, side, box, scale=ip.MAP_SCALE)


def conv_ui(model, stage: inside.Stage, acts: dict, x: np.ndarray, unit: inside.ConvUnit) -> None:
    kh, kw, cin = unit.kernel.shape
    per = unit.per_channel
    ch = get("ch") if 0 <= get("ch") < cin else int(np.argmax(np.abs(per)))
    left, right = st.columns([1, 1.25], gap="medium")
    _output_map(stage, acts, unit, left)
    with right:
        where = f"at row {unit.row}, column {unit.col} of map {unit.channel}"
        n = kh * kw * cin
        lines = [f"1. Multiply the {kh}x{kw}x{cin} input patch by the filter, add up the {n:,} products: "
                 f"**{unit.products.sum():.4f}**",
                 f"2. Plus the bias {unit.bias:+.4f} = **{unit.total:.4f}**" if model.get_layer(stage.main).use_bias
                 else "2. No bias here: batch norm's shift does that job."]
        if unit.bn is not None:
            bn = unit.bn
            lines.append(f"3. Batch norm, fixed at inference: × {bn.scale:.4f} then {bn.shift:+.4f} = "
                         f"**{unit.normalised:.4f}**  \n:gray[scale = γ/√(σ²+ε), shift = β − μ·scale; learned "
                         f"γ = {bn.gamma:.3f}, β = {bn.beta:.3f}; measured in training μ = {bn.mean:.3f}, "
                         f"σ² = {bn.variance:.3f}]")
        act = {"relu": f"ReLU: max(0, {unit.normalised:.4f})"}.get(unit.activation, unit.activation)
        lines.append(f"{len(lines) + 1}. {act} = **{unit.value:.4f}**")
        st.markdown(f"**How the pixel {where} is computed**\n\n" + "\n".join(lines))
        st.markdown(_check_line(unit.value, inside.output_at(stage, acts, unit.channel, unit.row, unit.col), where))
    title = "the digit" if stage.number == 1 else f"input map {ch} (of {cin})"
    cols = st.columns([1.1, 1, 1, 1], gap="small")
    cols[0].image(_input_picture(acts, stage, x, ch, (unit.top, unit.left, kh, kw)),
                  caption=f"The patch it reads from {title}")
    cell = min(58, 280 // max(kh, kw))
    for c, (values, name, scale) in zip(cols[1:], ((unit.patch[..., ch], "Input patch", ip.MAP_SCALE),
                                                   (unit.kernel[..., ch], "× Filter", ip.WEIGHT_SCALE),
                                                   (unit.products[..., ch], f"= Products (sum {per[ch]:.3f})",
                                                    ip.WEIGHT_SCALE)), strict=True):
        c.plotly_chart(ip.numbers(values, name, scale, cell=cell), config=CHART, width="content")
    if cin > 1:
        clickable(ip.bars(per, [f"input map {i}" for i in range(cin)], ch, y_title="sum of products", height=240,
                          title=f"What each of the {cin} input maps adds (click one to see its numbers above)"),
                  "inside_channels", ("ch",), width="stretch")


def pool_ui(stage: inside.Stage, acts: dict, unit: inside.PoolUnit) -> None:
    left, mid, right = st.columns([1, 1, 1], gap="medium")
    _output_map(stage, acts, unit, left)
    ph, pw = unit.window.shape
    mid.image(_input_picture(acts, stage, None, unit.channel, (unit.top, unit.left, ph, pw), side=280),
              caption=f"Map {unit.channel} before pooling, with the {ph}x{pw} window")
    with right:
        top = float(acts[f"in:{stage.main}"][..., unit.channel].max()) or 1.0
        st.plotly_chart(ip.numbers(unit.window, "The window", ip.MAP_SCALE, zmax=top, cell=70), config=CHART,
                        width="content")
        st.markdown(f"{unit.how.capitalize()} of these {unit.window.size} numbers = **{unit.value:.4f}**  \n"
                    + _check_line(unit.value, inside.output_at(stage, acts, unit.channel, unit.row, unit.col),
                                  "here"))


def dense_ui(stage: inside.Stage, acts: dict, unit: inside.DenseUnit) -> None:
    out = acts[stage.output].ravel()
    clickable(ip.bars(out, [f"unit {i}" for i in range(len(out))], unit.unit, y_title="output", height=220,
                      title="Every unit's output (click one)"), "inside_dense_units", ("map",), width="stretch")
    left, right = st.columns([1.3, 1], gap="medium")
    with left:
        if len(unit.inputs) == 784:
            cols = st.columns(3)
            w_max = float(np.abs(unit.weights).max()) or 1.0
            for c, (img, caption) in zip(cols, ((ip.image_rgb(unit.inputs.reshape(28, 28), 180), "The input"),
                                                 (_weights_rgb(unit.weights, w_max), "× its weights"),
                                                 (_weights_rgb(unit.products, None), "= products")), strict=True):
                c.image(img, caption=caption)
        else:
            top = np.argsort(-np.abs(unit.products))[:12]
            st.plotly_chart(ip.bars(unit.products[top], [f"input {i}: {unit.inputs[i]:.3f} × {unit.weights[i]:+.3f}"
                                                         for i in top], clickable=False, height=260,
                                    title="The 12 largest products (input × weight)"), config=CHART)
    with right:
        act = {"relu": f"ReLU: max(0, {unit.total:.4f})"}.get(unit.activation, unit.activation)
        st.markdown(f"**Unit {unit.unit}**\n\n1. Sum of the {len(unit.inputs)} products: "
                    f"**{unit.products.sum():.4f}**\n2. Plus the bias {unit.bias:+.4f} = **{unit.total:.4f}**\n"
                    f"3. {act} = **{unit.value:.4f}**")
        st.markdown(_check_line(unit.value, inside.output_at(stage, acts, unit.unit), "for this unit"))


def _weights_rgb(values: np.ndarray, zmax: float | None) -> np.ndarray:
    v = values.reshape(28, 28)
    top = zmax or float(np.abs(v).max()) or 1.0
    return ip.colorize(np.kron(v, np.ones((6, 6))), ip.WEIGHT_SCALE, -top, top)


def lstm_ui(stage: inside.Stage, acts: dict, x: np.ndarray, s: inside.LstmStep, h: np.ndarray) -> None:
    trace_h = acts[stage.output]
    left, right = st.columns([1, 1.3], gap="medium")
    left.image(ip.image_rgb(x, 260, (s.row, 0, 1, 28)), caption=f"Step {s.row}: the LSTM reads row {s.row}")
    with right:
        st.markdown(
            f"**Unit {s.unit} after row {s.row}**, from that row's 28 pixels and the outputs of the step before:\n\n"
            f"1. Input gate i = σ(…) = **{s.input_gate:.3f}**: how much new to write\n"
            f"2. Forget gate f = σ(…) = **{s.forget_gate:.3f}**: how much memory to keep\n"
            f"3. Candidate g = tanh(…) = **{s.candidate:+.3f}**: what to write\n"
            f"4. Memory c = f × c_before + i × g = {s.forget_gate:.3f} × ({s.memory_before:+.3f}) + "
            f"{s.input_gate:.3f} × ({s.candidate:+.3f}) = **{s.memory:+.4f}**\n"
            f"5. Output gate o = σ(…) = **{s.output_gate:.3f}**; output h = o × tanh(c) = **{s.value:+.4f}**")
        if s.row == stage.input_shape[0] - 1:
            st.markdown(_check_line(s.value, float(trace_h.ravel()[s.unit]), "after the last row"))
        else:
            st.caption("Keras returns only the output after the last row; the page recomputes every step (the "
                       "last one matches Keras's output: pick the last row to see it).")
    clickable(ip.rows_and_memory(h, (s.row, s.unit), height=280, width=1100), "inside_lstm_unit", ("row", "map"))
    st.caption("Every unit's output after every row (click one): blue positive, red negative.")


# ---------------------------------------------------------------------------------------------
# Why this answer: Grad-CAM explained, and occlusion


@st.cache_data(show_spinner="Covering the digit patch by patch...", max_entries=64)
def _occlusion(model_path: str, mtime: float, x: np.ndarray, digit: int, patch: int, fill: float):
    """Occlusion, computed once per (model file, drawing, settings)."""
    from mnist_core.explain import occlusion
    from mnist_core.predict import MODELS

    return occlusion(MODELS.get(model_path), x, digit, patch=patch, stride=2, fill=fill)


def why_view(model, stored, stages: list[inside.Stage], x: np.ndarray, digit: int) -> None:
    method = widget("method", st.segmented_control, "Method", list(METHODS), format_func=METHODS.get,
                    label_visibility="collapsed")
    if method in ("both", "gradcam"):
        gradcam_ui(model, stages, x, digit)
    if method in ("both", "occlusion"):
        occ = _occlusion(str(stored.path), stored.path.stat().st_mtime, x, digit, get("patch"), FILLS[get("fill")])
        occlusion_ui(occ, x)


def gradcam_ui(model, stages: list[inside.Stage], x: np.ndarray, digit: int) -> None:
    from mnist_core.explain import GRADCAM_MIN_SIDE, gradcam_layer, gradcam_map, saliency, stretch

    layer = gradcam_layer(model)
    c1, c2, c3, text = st.columns([1.25, 1, 1, 2.1], gap="small")
    if layer is None:
        c1.image(heat_overlay(x, saliency(model, x, digit), side=220), caption=f"Saliency for {digit}")
        text.markdown("**Saliency** (this model has no convolutions, so no Grad-CAM): how much a tiny change of "
                      f"each pixel would change p({digit}). Bright pixels matter most.")
        return
    raw = gradcam_map(model, x, digit)
    hot = np.unravel_index(int(np.argmax(raw)), raw.shape)
    size, step = inside.receptive_field(model, layer.name)
    window = inside.input_window(model, layer.name, *hot)
    stage = next((s for s in stages if s.output == layer.name), None)
    h, w = raw.shape
    c1.plotly_chart(ip.numbers(np.round(raw / (raw.max() or 1.0), 1), f"Grad-CAM, {h}x{w}", ip.MAP_SCALE,
                               cell=270 // w, digits=1 if w <= 8 else None), config=CHART, width="content")
    c2.image(heat_overlay(x, stretch(raw), side=220), caption="Stretched to 28x28 over the digit")
    c3.image(ip.image_rgb(x, 220, window), caption=f"What its hottest cell {tuple(map(int, hot))} sees: "
                                                   f"{size}x{size} pixels")
    where = f"layer {stage.number} ({stage.title} → {inside.shape_text(stage.output_shape)})" if stage else layer.name
    text.markdown(
        f"**Grad-CAM** is read from {where}, the last layer whose maps are at least "
        f"{GRADCAM_MIN_SIDE}x{GRADCAM_MIN_SIDE}: later ones are too coarse to say *where*. Each of its "
        f"{layer.output.shape[-1]} maps is weighted by how much it raises p({digit}); the weighted maps "
        f"are added and negatives cut: a {h}x{w} picture of evidence, stretched to 28x28.  \n"
        f"**Why heat can sit beside the ink**: one cell of that map sees a {size}x{size} window of the input (blue "
        f"box) and its neighbours are {step} pixels apart, but its heat is painted at its centre, and stretching "
        f"{h}x{w} to 28x28 blurs it further. Empty paper is evidence too: nothing above the bar of a 7 is what tells "
        "it from a 9.")


def occlusion_ui(occ, x: np.ndarray) -> None:
    c1, c2, c3, text = st.columns([1.25, 1, 1, 2.1], gap="small")
    if not hidden("method"):
        with c1:
            widget("patch", st.select_slider, "Patch (pixels)", [2, 4, 6, 8, 10, 14])
            widget("fill", st.segmented_control, "Fill", list(FILLS), format_func=str.capitalize)
    hurt = np.clip(occ.drop / max(float(occ.drop.max()), 1e-6), 0, 1)
    c2.image(heat_overlay(x, hurt, side=220), caption=f"Where covering hurts p({occ.digit})")
    top, left, p = occ.worst
    covered = np.array(x, np.float32)
    covered[top: top + occ.patch, left: left + occ.patch] = occ.fill
    c3.image(ip.image_rgb(covered, 220, (top, left, occ.patch, occ.patch)), caption=f"Worst patch: p = {p:.0%}")
    n = len(occ.starts) ** 2
    text.markdown(
        f"**Occlusion** asks the model again with a {occ.patch}x{occ.patch} "
        f"{'grey' if occ.fill else 'black'} square over the digit, every 2 pixels ({n} times, in one batch), and "
        f"records p({occ.digit}): {occ.base:.0%} with nothing covered, {p:.0%} at worst. No gradients, no layer: "
        "the network is a black box. Where it agrees with Grad-CAM, both found the same evidence; grey on empty "
        "paper is new ink, and can hurt too.")


# ---------------------------------------------------------------------------------------------
# Break it


@st.cache_data(show_spinner="Measuring the model on 1,000 test digits...", max_entries=8)
def _intact_accuracy(model_path: str, mtime: float) -> float:
    from mnist_core.predict import MODELS
    from ui.cache import mnist

    data = mnist()
    sample = breakit.sample_indices(len(data.y_test))
    return breakit.accuracy(MODELS.get(model_path), data.x_test[sample], data.y_test[sample])


def _sandbox(model) -> breakit.Sandbox:
    """This session's one private copy of its model (made again only when the session's model changes)."""
    box = st.session_state.get("inside_sandbox")
    if box is None or not box.is_copy_of(model):
        with st.spinner("Copying the model (once)..."):
            box = st.session_state["inside_sandbox"] = breakit.Sandbox(model)
        st.session_state.pop("inside_scores", None)
    return box


@safe
def _reset() -> None:
    put("break", "none")
    box = st.session_state.get("inside_sandbox")
    if box is not None:
        box.restore()


def break_ui(stages: list[inside.Stage], breakable: list[str]) -> breakit.Damage | None:
    """The damage to do: which layer, how, how much."""
    numbers = [s.number for s in stages if s.main in breakable]
    put("blayer", fitted(get("blayer"), get("blayer") if get("blayer") in numbers else numbers[-1], "layer to break"))
    if not hidden("break"):
        c1, c2, c3 = st.columns([2, 2.4, 0.9], vertical_alignment="bottom")
        widget("blayer", c1.selectbox, "Layer to break", numbers, format_func=lambda n: stages[n - 1].label)
        widget("break", c2.segmented_control, "Damage", list(DAMAGES), format_func=DAMAGES.get)
        c3.button("Reset", icon=":material/restart_alt:", on_click=_reset, width="stretch")
        if get("break") in ("noise", "drop"):
            high = 3.0 if get("break") == "noise" else 1.0
            label = "Noise, in units of the weights' own spread" if get("break") == "noise" else \
                "Share of the filters (units) switched off"
            put("amount", fitted(get("amount"), min(get("amount"), high), "amount", f" (at most {high:g})"))
            c1, c2 = st.columns([4.4, 0.9], vertical_alignment="bottom")
            widget("amount", c1.slider, label, 0.0, high, step=0.05)
            c2.button("New draw", icon=":material/casino:", on_click=put, args=("seed", get("seed") + 1),
                      width="stretch", help="Other random noise, or other filters switched off")
    mode = get("break")
    if mode == "none":
        return None
    return breakit.Damage(stages[get("blayer") - 1].main, mode, get("amount") if mode != "zero" else 0.0, get("seed"))


def break_view(model, stored, stages: list[inside.Stage], x: np.ndarray, probs: np.ndarray) -> None:
    from mnist_core.predict import probabilities
    from ui.cache import mnist

    box = _sandbox(model)
    damage = break_ui(stages, [name for name, _ in breakit.breakable_layers(model)])
    box.apply(damage)
    broken = probabilities(box.model, x[None])[0]
    before, after = int(np.argmax(probs)), int(np.argmax(broken))
    c1, c2, chart = st.columns([1, 1.3, 2.2], vertical_alignment="top")
    c1.metric("Answer", str(after), f"{broken[after]:.0%} sure; intact: {before} ({probs[before]:.0%})",
              delta_color="off", delta_arrow="off")
    try:
        intact = _intact_accuracy(str(stored.path), stored.path.stat().st_mtime)
        scores = st.session_state.setdefault("inside_scores", {None: intact})  # damage -> accuracy
        if damage not in scores:
            data = mnist()
            sample = breakit.sample_indices(len(data.y_test))
            with st.spinner("Testing the broken copy on 1,000 test digits..."):
                scores[damage] = breakit.accuracy(box.model, data.x_test[sample], data.y_test[sample])
        c2.metric("Accuracy, 1,000 test digits", f"{scores[damage]:.1%}",
                  f"{(scores[damage] - intact) * 100:+.1f} points (intact {intact:.1%})",
                  delta_color="normal" if damage else "off", delta_arrow="auto" if damage else "off")
        if scores[damage] < 0.15:
            c2.caption("That is chance: guessing is right 1 time in 10.")
    except DatasetError:
        c2.info("Accuracy needs the MNIST test set (MNIST_DATA_DIR).")
    chart.plotly_chart(probability_bars(broken, title="The broken copy's answer"), config=CHART)
    what = breakit.MODES.get(damage.mode, "") if damage else "Nothing broken yet"
    st.caption(f"{what}. All this happens to a private copy of the model in this browser: the class's model and "
               "the stored file are never touched. Reset puts the original weights back, exactly.")
