"""Widget groups of the Draw page: the canvas, the answer in words, the views inside the model."""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st
from PIL import Image

from mnist_core.calibrate import NOT_A_DIGIT, SURE, Calibration, ambiguity
from mnist_core.handwriting import HandwritingStore
from mnist_core.store import StoredModel
from ui import flash, keys, session_model
from ui.guard import literal
from ui.present import presenting
from ui.url_settings import UrlSettings, choice, flag, number

if TYPE_CHECKING:  # pragma: no cover - imported where used: SciPy's import is slow (see app_pages/draw.py)
    from mnist_core.predict import Prediction
    from mnist_core.preprocess import PrepOptions

DRAWING_OVERRIDE = "drawing_override"  # RGBA/grayscale array used instead of the canvas (tests)
CANVAS_KEY = "canvas_key"  # int: bumped to clear the canvas (a new key remounts it empty)
STROKES = "canvas_strokes"  # the canvas's last drawing as its own JSON (what Undo takes a stroke from)
REDRAW = "canvas_redraw"  # that drawing minus its last stroke: the canvas loads it (Undo)
TOOL = "draw_tool"  # "Pen" or "Eraser"
INK, PAPER = "#FFFFFF", "#000000"  # white ink on black, as MNIST

# The component's own toolbar appears on hover with small unlabelled icons over the controls, and its
# pencil switches to an edit mode in which strokes stop drawing; the page has its own labelled Pen,
# Eraser, Undo and Clear. The canvas lives in a shadow root, which page CSS cannot reach: this adds
# one rule there, and again whenever the canvas is mounted anew (a Clear remounts it).
# The component also waits 200 ms after each stroke before it sends the drawing (a delay fixed in its
# code); when a stroke ends on a canvas, the script presses the hidden toolbar's "Update the app with
# this drawing" at once, which sends it and cancels the component's own pending send.
HIDE_TOOLBAR = """<script>
(() => {
  const hide = () => document.querySelectorAll('[data-testid="stBidiComponentIsolated"]').forEach(host => {
    const root = host.shadowRoot;
    if (root && !root.querySelector('style[data-lab-toolbar]')) {
      const style = document.createElement('style');
      style.dataset.labToolbar = '1';
      style.textContent = '.dc-toolbar { display: none !important; }';
      root.appendChild(style);
    }
  });
  hide();
  if (!window.labToolbarTimer) window.labToolbarTimer = setInterval(hide, 300);
  if (!window.labSendAtOnce) {
    window.labSendAtOnce = true;
    let drawingOn = null;  // the shadow root of the canvas a stroke started on
    document.addEventListener('pointerdown', (event) => {
      const host = event.composedPath().find(el => el.dataset && el.dataset.testid === 'stBidiComponentIsolated');
      drawingOn = host && host.shadowRoot && host.shadowRoot.querySelector('canvas') ? host.shadowRoot : null;
    }, true);
    const strokeEnded = () => {
      const root = drawingOn;
      drawingOn = null;
      if (!root) return;
      setTimeout(() => {  // after the canvas has added the stroke (its mouse-up handler runs first)
        const send = root.querySelector('button[aria-label="Update the app with this drawing"]');
        if (send) send.click();
      }, 0);
    };
    document.addEventListener('pointerup', strokeEnded, true);
    document.addEventListener('pointercancel', strokeEnded, true);
  }
})();
</script>"""


# On a phone (Streamlit stacks the columns below 640 px) the answer would be out of sight below the
# canvas: a one-line answer above the canvas shows there instead. It is there before the first stroke
# and two lines high whatever it says, so the canvas never moves under a finger that is drawing; on
# wider screens its wrapper is hidden too (an empty wrapper still takes the column's 1rem gap).
# (The drawing controls are rows that wrap by themselves: the pen width goes under the tools where
# the canvas's column is narrow.)
PHONE_CSS = """
[data-testid="stLayoutWrapper"]:has(> .st-key-phone-answer) { display: none; }
@media (max-width: 640px) {
  [data-testid="stLayoutWrapper"]:has(> .st-key-phone-answer) { display: flex; }
  [data-testid="stLayoutWrapper"] > .st-key-phone-answer { min-height: 3.3rem; max-height: 3.3rem; overflow: hidden; }
}
"""


# px of a screen's height the canvas leaves to the rest, measured at 640x360 and 853x480 (a 1280x720
# projector at 200% and 150%): the header (and presenter bar), the tools row, Undo/Clear, the gaps, and on a
# narrow screen (<= 640 px, one column) the answer line above the canvas. Presenter mode's type is larger.
# Keys: (presenter mode, narrow screen).
SHORT_SCREEN_ROOM = {(False, False): 240, (False, True): 245, (True, False): 210, (True, True): 300}


def fit_canvas_css(width: int, height: int, presenter: bool = False) -> str:
    """Scale the canvas down (CSS zoom: strokes still land where the finger is) when its column is
    narrower than the canvas (a tablet, a phone, the wide number canvas beside the answer), or when the
    screen is too short to show it whole with the answer and its buttons (a projector zoomed to 150-200%,
    a phone on its side). Container queries on the canvas's own column and media queries on the screen's
    height, each in steps of 5%; the smaller zoom wins."""
    target = '.st-key-canvas-box [data-testid="stBidiComponentIsolated"]'
    rules = [PHONE_CSS, ".st-key-canvas-box { container-type: inline-size; }",
             f"{target} {{ zoom: min(var(--fit-width, 1), var(--fit-height, 1)); }}"]
    steps = np.arange(0.95, 0.24, -0.05)
    for zoom in steps:
        rules.append(f"@container (max-width: {width * (zoom + 0.05) - 1:.0f}px) {{ {target} "
                     f"{{ --fit-width: {zoom:.2f}; }} }}")
    for narrow, screens in ((False, "(min-width: 641px)"), (True, "(max-width: 640px)")):
        room = SHORT_SCREEN_ROOM[presenter, narrow]
        for zoom in steps:
            rules.append(f"@media {screens} and (max-height: {height * (zoom + 0.05) + room - 1:.0f}px) "
                         f"{{ {target} {{ --fit-height: {zoom:.2f}; }} }}")
    return "<style>" + "\n".join(rules) + "</style>"


def pen_for(width: int, canvas: int) -> int:
    """The pen width setting (pixels on the 280 px canvas) for a canvas `canvas` px high: in presenter mode
    the canvas is bigger and has no pen slider, and the setting (from a link) still applies, scaled."""
    return max(1, round(width * canvas / 280))


def _clear_canvas() -> None:
    st.session_state[CANVAS_KEY] = st.session_state.get(CANVAS_KEY, 0) + 1
    for key in (DRAWING_OVERRIDE, STROKES, REDRAW):
        st.session_state.pop(key, None)


def _undo() -> None:
    """The canvas loads its drawing without the last stroke, and sends that back at once."""
    drawing = st.session_state.get(STROKES) or {}
    objects = list(drawing.get("objects") or [])
    if objects:
        st.session_state[REDRAW] = {**drawing, "objects": objects[:-1]}
        st.session_state[STROKES] = st.session_state[REDRAW]
    st.session_state.pop(DRAWING_OVERRIDE, None)


def canvas_support_ui(width: int, height: int) -> None:
    """The canvas's script and style (hide its toolbar, send a stroke at once, fit a narrow or short
    screen), for a canvas `width` x `height` px. Once per page run, outside the fragment a stroke reruns:
    they are the same for every stroke, and a canvas mounted anew (Clear) is found by the script's timer."""
    st.html(HIDE_TOOLBAR + fit_canvas_css(width, height, presenting()), unsafe_allow_javascript=True)


def canvas_ui(width: int, height: int) -> np.ndarray | None:
    """The drawing canvas with a pen, an eraser, undo and clear; returns the RGBA drawing (None before
    a stroke). canvas_support_ui(width, height) goes with it, once on the page."""
    from streamlit_drawable_canvas import st_canvas  # registers a component: needs the running app

    # a row (not columns: fewer elements per stroke) that wraps the pen width under the tools where the
    # canvas's column is narrow (a tablet)
    with st.container(key="draw-tools", horizontal=True, vertical_alignment="center", gap="medium"):
        tool = st.segmented_control("Tool", ["Pen", "Eraser"], default="Pen", key=TOOL,
                                    label_visibility="collapsed") or "Pen"
        if presenting():  # no slider on the projector: the setting (20, or a link's) scaled to the big canvas
            pen = pen_for(DRAW.get("pen"), height)
        else:
            pen = DRAW.widget("pen", st.slider, "Pen width", 8, 40, label_visibility="collapsed", width="stretch",
                              help="Pen width. Draw thin or thick: the drawing is normalised either way.")
    version = st.session_state.setdefault(CANVAS_KEY, 0)
    with st.container(key="canvas-box"):
        result = st_canvas(stroke_width=pen * 2 if tool == "Eraser" else pen,
                           stroke_color=PAPER if tool == "Eraser" else INK, background_color=PAPER, height=height,
                           width=width, drawing_mode="freedraw", return_image_data=True,
                           initial_drawing=st.session_state.get(REDRAW), key=f"canvas-{version}-{width}")
    with st.container(key="draw-edit", horizontal=True):  # a row (not columns: fewer elements per stroke)
        st.button("Undo", icon=":material/undo:", on_click=_undo, width="stretch", help="Take back the last stroke")
        # a callback, so the canvas is remounted empty in the same run (no second run for a clear)
        st.button("Clear", icon=":material/ink_eraser:", on_click=_clear_canvas, width="stretch")
    if result.json_data is not None:
        st.session_state[STROKES] = result.json_data
    override = st.session_state.get(DRAWING_OVERRIDE)
    return override if override is not None else result.image_data


def model_caption(model: StoredModel) -> None:
    """Which model answers, in one line."""
    whose = "this browser's choice" if session_model.is_own_choice(model) else "the class's model"
    acc = f", {model.card.test_accuracy:.2%} on MNIST test" if model.card.test_accuracy is not None else ""
    st.caption(f"Model: **{literal(model.name)}** ({whose}{acc})")


def a_or_an(digit: int) -> str:
    """The article before a digit's name: "an 8", "a 7"."""
    return "an" if digit == 8 else "a"


def painted_over(prediction: Prediction) -> bool:
    """Whether the drawing inks most of the canvas (a scribble over all of it): not a digit, whatever the
    model answers for the solid block it becomes."""
    from mnist_core.preprocess import mostly_ink

    return prediction.steps is not None and mostly_ink(prediction.steps.ink)


def answer_verdict(prediction: Prediction, calibration: Calibration) -> str:
    """SURE, UNSURE or NOT_A_DIGIT for this drawing: the calibrated thresholds, and a painted-over canvas."""
    return NOT_A_DIGIT if painted_over(prediction) else calibration.verdict(prediction.probabilities)


def verdict_ui(prediction: Prediction, verdict: str) -> None:
    """The prediction in words (`verdict`: answer_verdict's): sure, torn between two digits people often
    confuse, not sure (with the runner-up), or not a digit."""
    p = prediction.probabilities
    first, second = np.argsort(-p)[:2]
    torn = ambiguity(p) if verdict != NOT_A_DIGIT else None
    with st.container(horizontal=True):
        # not a digit: no digit in large type to contradict the words below it
        st.metric("Prediction", "?" if verdict == NOT_A_DIGIT else str(prediction.digit))
        st.metric("Confidence", f"{p[first]:.0%}")
    if torn:
        st.warning(f"{torn} ({first}: {p[first]:.0%}, {second}: {p[second]:.0%})")
    elif verdict == SURE:
        st.success(f"That's {a_or_an(first)} **{first}**.")
    elif verdict == NOT_A_DIGIT and painted_over(prediction):
        st.warning("That doesn't look like a digit to me: the ink covers most of the canvas. Press **Clear** "
                   "and draw one digit.")
    elif verdict == NOT_A_DIGIT:
        st.warning(f"That doesn't look like a digit to me. My best guess is **{first}**, but only {p[first]:.0%}.")
    else:
        st.warning(f"Not sure: maybe **{first}** ({p[first]:.0%}) or **{second}** ({p[second]:.0%}).")


BAR = "#e4572e"  # the top digit (plots.ACCENT)
OTHER_BARS = "#9aa5b1"  # the other nine (plots.MUTED)
AXIS = "#4b4e5a"  # axis text: 7:1 on white (the chart theme's grey, 3.7:1, washed out on a projector)


def probability_ui(probabilities: np.ndarray) -> None:
    """The ten probabilities as bars, the top digit highlighted (flatter on a projector: the answer and
    its bars fit a 720-pixel screen together), with the same in words for a screen reader."""
    st.image(probability_svg(probabilities, tall=100 if presenting() else 180), width="stretch",
             alt=probability_words(probabilities))


def probability_words(probabilities: np.ndarray) -> str:
    """The chart in words: the four most likely digits (those at 1% or more), then what the rest is under."""
    p = np.clip(np.nan_to_num(np.asarray(probabilities, dtype=float)), 0, 1)
    ranked = [int(d) for d in np.argsort(-p, kind="stable")]
    named = [d for d in ranked[:4] if p[d] >= 0.005] or ranked[:1]
    rest = p[ranked[len(named)]]  # the most likely digit not named
    tail = "every other digit under 1%" if rest < 0.005 else f"every other digit {rest:.0%} or less"
    return "Probability of each digit: " + ", ".join(f"{d}: {p[d]:.0%}" for d in named) + "; " + tail


def phone_answer_ui(prediction: Prediction | None, verdict: str | None) -> None:
    """The answer in one line, for a phone, where it shows above the canvas (PHONE_CSS); before there
    is one, where it will be."""
    if prediction is None:
        st.markdown("**Prediction:** draw a digit below")
        return
    p = prediction.probabilities
    if verdict == NOT_A_DIGIT:
        st.markdown(f"**Prediction: ?** That doesn't look like a digit (best guess {prediction.digit}, "
                    f"{p[prediction.digit]:.0%})")
        return
    word = "" if verdict == SURE else " (not sure)"
    st.markdown(f"**Prediction: {prediction.digit}**, {p[prediction.digit]:.0%}{word}")


def probability_svg(probabilities: np.ndarray, tall: int = 180) -> str:
    """Bars of the ten class probabilities as an SVG picture (st.image sends it inline).

    After every stroke: as a Plotly figure this chart cost the server ~15 ms per drawing (building and
    validating the figure), most of a drawing's time; this costs ~0.1 ms, and the browser needs no
    chart library to show it.
    """
    p = np.clip(np.nan_to_num(np.asarray(probabilities, dtype=float)), 0, 1)
    top, left, slot = int(np.argmax(p)), 64, 46  # px: axis, bar slot
    base = tall + 52  # px: the baseline (above it the tallest bar and its label)
    font = 'font-family="Source Sans Pro, Helvetica, Arial, sans-serif"'
    parts = [f'<text x="14" y="{base - tall / 2}" transform="rotate(-90 14 {base - tall / 2})" text-anchor="middle" '
             f'font-size="16" fill="{AXIS}">probability (%)</text>']
    for tick in range(0, 101, 20):
        y = base - tall * tick / 100
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="14" fill="{AXIS}">'
                     f"{tick}</text>")
    for d, v in enumerate(p):
        x, h, mid = left + 6 + d * slot, v * tall, left + 6 + d * slot + (slot - 12) / 2
        colour = BAR if d == top else OTHER_BARS
        parts.append(
            f'<rect x="{x}" y="{base - h:.1f}" width="{slot - 12}" height="{h:.1f}" fill="{colour}"/>'
            f'<text x="{mid}" y="{base + 26}" text-anchor="middle" font-size="22" fill="{AXIS}">{d}</text>'
        )
        if v >= 0.005:
            parts.append(f'<text x="{mid}" y="{base - h - 6:.1f}" text-anchor="middle" font-size="17" fill="{AXIS}">'
                         f"{v:.0%}</text>")
    width = left + 10 * slot + 12
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - 6}" y2="{base}" stroke="#e6e9ef"/>'
                 f'<text x="{left + 5 * slot + 6}" y="{base + 56}" text-anchor="middle" font-size="16" fill="{AXIS}">'
                 "digit</text>")
    return f'<svg viewBox="0 0 {width} {base + 66}" {font}>{"".join(parts)}</svg>'


def step_captions(steps, options: PrepOptions) -> list[str]:
    """What each step did to this drawing, in words that follow the switches."""
    specks = int(((steps.ink > 0.5) & (steps.clean <= 0.5)).sum())
    h, w = steps.boxed.shape
    return [
        "Your drawing",
        (f"{specks} stray pixels dropped" if specks else "No stray dots to drop") if options.drop_specks
        else "Stray dots kept",
        "Cropped to the ink" if options.crop else "Not cropped: the whole canvas",
        f"Pen set to MNIST's width (yours: about {steps.stroke_width:.0f} px)" if options.fix_stroke
        else "Your pen, as drawn",
        f"Into the 20x20 box, shape kept ({w}x{h})" if options.keep_aspect else "Stretched to fill 20x20",
        "Centred by its mass in 28x28: what the model sees" if options.centre_of_mass
        else "Centred by its box in 28x28: what the model sees",
    ]


def steps_ui(prediction: Prediction, options: PrepOptions) -> None:
    """The normalisation, step by step, and a switch for each step: switch one off and watch the
    pictures, the model's input and the prediction change (a picture 120 px high). The six pictures are
    one HTML element (as six, in six columns, they cost a sixth of the server's time per stroke)."""
    steps = prediction.steps
    pictures = [steps.ink, steps.clean, steps.cropped, steps.fixed, steps.boxed, steps.model_input]
    switches = not DRAW.hidden("steps")  # a teacher's link may leave them out
    pictures_ui(list(zip(pictures, step_captions(steps, options), strict=True)), height=120, grid=len(pictures),
                intro="How your drawing becomes the model's 28x28 input."
                      + (" Switch a step off and watch the prediction change." if switches else ""))
    # the switches in the pictures' order, in a row that wraps: in six columns their labels were cut
    with st.container(horizontal=True, gap="medium", key="step-switches"):
        for setting, label, help_text in STEP_TOGGLES.values():
            DRAW.widget(f"steps:{setting}", st.toggle, label, help=help_text)


# A grid of pictures in equal columns (1rem apart, as st.columns); three a row on a phone
GRID_CSS = """<style>
.lab-grid { display: grid; column-gap: 1rem; row-gap: 0.75rem; align-items: start; }
.lab-grid img { max-width: 100%; height: auto; }
@media (max-width: 640px) { .lab-grid { grid-template-columns: repeat(3, minmax(0, 1fr)) !important; } }
</style>"""


def pictures_ui(pictures: list[tuple[np.ndarray, str]], height: int, grid: int | None = None,
                intro: str = "") -> None:
    """Gray pictures side by side with captions, `height` px high (at most), as one HTML element with
    the pictures inline: small PNGs the browser scales up with crisp pixels, a picture bigger than it is
    shown sent at the size it is shown. (As st.image elements, each stroke would also cost the server
    one file per picture to keep and to serve.) `grid`: in that many equal columns instead of a row;
    `intro`: a line above them, in the same element, styled as a caption."""
    figures = []
    for img, caption in pictures:
        h, w = img.shape[:2]
        if h > height:
            img = shrink_to(img, height)
        figures.append(
            f'<figure style="margin:0"><img src="{png_data_url(img)}" alt="{html.escape(caption)}" '
            f'height="{height}" width="{max(1, round(height * w / h))}" style="image-rendering:pixelated;'
            f'display:block"><figcaption style="font-size:0.875rem;opacity:0.7;max-width:{max(height, 120)}px">'
            f"{html.escape(caption)}</figcaption></figure>"
        )
    head = f'<p style="font-size:0.875rem;opacity:0.7;margin:0 0 0.75rem">{html.escape(intro)}</p>' if intro else ""
    if grid:
        st.html(f'{GRID_CSS}{head}<div class="lab-grid" style="grid-template-columns:repeat({grid},minmax(0,1fr))">'
                f'{"".join(figures)}</div>')
    else:
        st.html(f'{head}<div style="display:flex;gap:1.5rem;flex-wrap:wrap;align-items:flex-start">'
                f'{"".join(figures)}</div>')


def shrink_to(image: np.ndarray, height: int) -> np.ndarray:
    """A gray picture scaled down to `height` px high, each pixel the mean of those it covers (same dtype)."""
    x = np.asarray(image)
    h, w = x.shape[:2]
    size = (max(1, round(w * height / h)), height)
    small = np.asarray(Image.fromarray(x.astype(np.float32)).resize(size, Image.Resampling.BOX))
    return np.clip(np.rint(small), 0, 255).astype(np.uint8) if x.dtype == np.uint8 else small.astype(x.dtype)


def png_data_url(image: np.ndarray) -> str:
    """A gray image (uint8, or float in [0, 1]) as a data: URL of a PNG."""
    x = np.asarray(image)
    if x.dtype != np.uint8:
        x = np.clip(np.rint(np.nan_to_num(x.astype(np.float32)) * 255.0), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(x).save(buf, format="PNG", compress_level=1)  # tiny pictures: speed over bytes
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


STEP_TOGGLES = {  # PrepOptions field -> (setting in the URL, label, help)
    "drop_specks": ("specks", "Drop specks", "Off: stray dots count as part of the digit."),
    "crop": ("crop", "Crop", "Crop to the ink. Off: the whole canvas is scaled down."),
    "fix_stroke": ("fix", "Fix pen", "Bring the pen width to MNIST's. Off: thin pens fade, thick pens fill the loops."),
    "keep_aspect": ("shape", "Keep shape", "Keep the aspect ratio. Off: stretch the digit to fill the box."),
    "centre_of_mass": ("mass", "Centre by mass", "Off: centre the bounding box instead."),
}
VIEWS = {"sees": "What the model sees", "why": "Why", "pixels": "Pixels"}  # the Look inside views

# The page's settings, in its address: a teacher's link opens the same view (README, "In the classroom")
DRAW = UrlSettings("draw", {
    "view": ("sees", choice(*VIEWS)),
    "number": (False, flag),  # a whole number instead of one digit
    "pen": (20, number(int, 8, 40)),
    **{setting: (True, flag) for setting, _, _ in STEP_TOGGLES.values()},
}, hideable=("number", "pen", "view", "steps"))


def current_options() -> PrepOptions:
    """The steps switched on (they stay set while their switches are not shown)."""
    from mnist_core.preprocess import PrepOptions

    return PrepOptions(**{field: bool(DRAW.get(setting)) for field, (setting, _, _) in STEP_TOGGLES.items()},
                       paper="dark")  # the canvas's: white ink on black (PAPER), however much of it is inked


def why_ui(stored: StoredModel, prediction: Prediction) -> None:
    """Grad-CAM, first-layer feature maps and the nearest training digits (the Keras model: TensorFlow)."""
    from mnist_core.explain import embed, feature_maps, gradcam, has_conv
    from mnist_core.plots import enlarge, heat_overlay, mosaic
    from ui.cache import mnist, neighbour_index

    model = session_model.keras_model(stored)
    x = prediction.model_input
    c1, c2 = st.columns([1, 2])
    with c1:
        heat = gradcam(model, x, prediction.digit)
        label = "Grad-CAM" if has_conv(model) else "Saliency"
        st.image(heat_overlay(x, heat), caption=f"{label}: where the evidence for {prediction.digit} is")
    with c2:
        for depth, (_, maps) in enumerate(feature_maps(model, x, n_layers=2), start=1):
            st.image(enlarge(mosaic(maps, columns=16), height=150),
                     caption=f"Layer {depth}: {maps.shape[2]} feature maps, one per pattern the layer looks for "
                             "(bright = that pattern is there)")
    try:
        index, data = neighbour_index(stored), mnist()
    except Exception as err:  # noqa: BLE001 - the dataset is optional on this page
        st.info(f"The nearest training digits need the MNIST dataset ({err}).")
        return
    st.markdown(f"**The training digits the model finds most similar**, among {len(index.indices):,} of the "
                f"{len(data.x_train):,}  \n"
                ":gray[Under each: its label, and how alike the model finds it (1.00 = the same to the model)]")
    found, sims = index.nearest(embed(model, x[None])[0], k=8)
    cols = st.columns(8)
    for col, i, s in zip(cols, found, sims, strict=True):
        col.image(enlarge(data.x_train[i], height=84), caption=f"{data.y_train[i]} ({s:.2f})")


def save_ui(image: np.ndarray, prediction: Prediction, guess: bool = True) -> None:
    """Save the drawing with its true label into our class's handwriting set, then clear the canvas.
    The label starts at the model's answer; with `guess` off (not a digit) it starts unchosen, so that
    one careless click does not file a dot or a scribble under the model's guess."""
    with st.form("save-drawing", border=False), st.container(horizontal=True, vertical_alignment="bottom"):
        label = st.selectbox("It really is a", range(10), index=prediction.digit if guess else None, filter_mode=None,
                             placeholder="digit?", width=130)
        if st.form_submit_button("Save with label", icon=":material/save:"):
            if label is None:
                st.warning("Choose which digit it is first.")
                return
            sample_id = HandwritingStore().add(int(label), png_bytes(image), prediction.model_input)
            _clear_canvas()
            flash.later(f"Saved as {a_or_an(label)} {label} (drawing #{sample_id}). Draw the next one!",
                        icon=":material/save:")
            st.rerun(scope="fragment")  # the Draw page's fragment shows the message


def png_bytes(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(image).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def pixels_ui(prediction: Prediction) -> None:
    """The model's input as a heatmap of its 784 numbers."""
    from mnist_core.plots import image_heatmap  # Plotly: only when this view is open

    st.plotly_chart(image_heatmap(prediction.model_input, "The 784 numbers the model reads", height=420,
                                  show_scale=True, zmax=1.0), width="content",
                    config={"displayModeBar": False})  # its toolbar covered the title on a phone
    st.caption("One number per square, 28 rows of 28: 0 is black, 1 is white (the bar beside the picture). "
               "Point at a square, or tap it, to see its number.")


def number_ui(image: np.ndarray, model, options: PrepOptions) -> None:
    """The number read, and each digit as the model saw it with its answer."""
    from mnist_core.predict import read_number

    reading = read_number(image, model, options)
    if reading is None:
        st.info("Write a number with the digits side by side, e.g. 2026.")
        return
    st.metric("Number", reading.text)
    pictures_ui([(pred.model_input, f"{pred.digit} ({pred.confidence:.0%})") for pred in reading.digits], height=84)


def remember_drawing(prediction: Prediction) -> None:
    """The last drawing's model input, for the Augment page's "My drawing"."""
    st.session_state[keys.LAST_DRAWING] = prediction.model_input
