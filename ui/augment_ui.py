"""Widget groups of the Augment page: each draws a few widgets and returns plain values."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_core.augment import AugmentConfig
from mnist_core.data import MnistData
from ui import keys
from ui.nav import page_is_new
from ui.url_settings import Setting, choice, fitted, number, write_url

# setting -> (label, strength when first switched on, slider step, number format)
CONTROLS = {  # short labels: a projector shows them in a narrow column (the units are on the sliders)
    "rotation": ("Rotation", 15.0, 1.0, "%.0f°"),
    "shift": ("Shift", 0.1, 0.01, "%.2f"),
    "zoom": ("Zoom", 0.12, 0.01, "%.2f"),
    "shear": ("Slant (shear)", 0.25, 0.05, "%.2f"),
    "elastic": ("Elastic", 1.0, 0.1, "%.1f"),
    "thickness": ("Thickness", 1.0, 0.1, "%.1f"),
    "noise": ("Noise", 0.1, 0.01, "%.2f"),
    "blur": ("Blur", 1.0, 0.1, "%.1f"),
    "erasing": ("Erasing", 0.3, 0.05, "%.2f"),
    "contrast": ("Contrast", 0.3, 0.05, "%.2f"),
}
HELP = {  # one short line each: what the transform does, and when it helps (shown under its switch)
    "rotation": "Turns it. For tilted writing; large turns make digits ambiguous (a 6 upside down is a 9).",
    "shift": "Moves it. For digits that are not centred.",
    "zoom": "Resizes it. For small or large writing.",
    "shear": "Slants it. For writers who slant.",
    "elastic": "Bends the strokes. For shaky hands.",
    "thickness": "Changes the pen. Too much erases thin strokes.",
    "noise": "Adds speckle. For grainy scans.",
    "blur": "Softens the edges. For blurry photos.",
    "erasing": "Hides a patch, so no one part is relied on.",
    "contrast": "Fades or darkens the ink. For pale pencil.",
}
GROUPS = {"Shape": ("rotation", "shift", "zoom", "shear", "elastic"),
          "Pen and pixels": ("thickness", "noise", "blur", "erasing", "contrast")}
SOURCES = {"index": "By number", "random": "At random", "label": "By label", "drawing": "My drawing"}


AUGMENT_SEED = "augment_seed"  # int: the Augment page's seed ("Resample" bumps it)
AUGMENT_INDEX = "augment_index"  # int: the training digit the Augment page shows
COPIES = "aug_copies"  # int: how many copies the Augment page shows
# The Augment page's settings in its URL (/augment?rotation=30&shear=0&digit=7): a transform's strength
# (0: off) is left out while it is the page's starting recipe; the rest through ui.url_settings.
URL = {
    "seed": Setting(AUGMENT_SEED, 0, number(int, 0, 1_000_000)),
    "copies": Setting(COPIES, 32, choice(16, 24, 32)),
    "src": Setting("aug_source", "index", choice(*SOURCES)),
    "digit": Setting(AUGMENT_INDEX, 0, number(int, 0, 59_999)),
    "label": Setting("aug_label", 0, choice(*range(10))),
    "nth": Setting("aug_nth", 1, number(int, 1, 7_000)),
}


def _on_key(prefix: str, name: str) -> str:
    return f"{prefix}_on_{name}"


def _value_key(prefix: str, name: str) -> str:
    return f"{prefix}_{name}"


def _read(prefix: str, seed: int) -> AugmentConfig:
    """The AugmentConfig the widgets of `prefix` show."""
    state = st.session_state
    return AugmentConfig(
        **{name: float(state[_value_key(prefix, name)]) for name in CONTROLS if state.get(_on_key(prefix, name))},
        seed=seed,
    )


def shared_config() -> AugmentConfig | None:
    """The augmentation someone set on the Augment or Train page in this session (None: never touched)."""
    return st.session_state.get(keys.AUGMENT_CONFIG)


def _remember(prefix: str) -> None:
    """A control was changed: its settings become the session's augmentation, on both pages."""
    previous = shared_config()
    seed = int(st.session_state.get(AUGMENT_SEED, previous.seed if previous else 0))
    st.session_state[keys.AUGMENT_CONFIG] = _read(prefix, seed)


def forget(prefix: str) -> None:
    """Drop the session's augmentation and the widgets of `prefix` (they start again from the default)."""
    st.session_state.pop(keys.AUGMENT_CONFIG, None)
    for name in CONTROLS:
        st.session_state.pop(_on_key(prefix, name), None)
        st.session_state.pop(_value_key(prefix, name), None)


def _bump_seed(prefix: str) -> None:
    st.session_state[AUGMENT_SEED] = int(st.session_state.get(AUGMENT_SEED, 0)) + 1
    _remember(prefix)


def _control_ui(column, prefix: str, name: str) -> None:
    """One transform: its switch, what it does in one line, and its strength once it is on."""
    label, _, step, fmt = CONTROLS[name]
    low, high, _ = AugmentConfig.LIMITS[name]
    on = column.toggle(label, key=_on_key(prefix, name), on_change=_remember, args=(prefix,))
    column.caption(HELP[name])
    if on:
        column.slider(label, low, high, step=step, format=fmt, key=_value_key(prefix, name),
                      label_visibility="collapsed", on_change=_remember, args=(prefix,))


def _read_url(prefix: str) -> None:
    """A link's transforms (?rotation=30: on at 30; ?rotation=0: off) into the widgets, and into the session's
    augmentation (Train uses it too); a value out of range is ignored."""
    changed = False
    for name in CONTROLS:
        raw = st.query_params.get(name)
        if raw is None:
            continue
        low, high, _ = AugmentConfig.LIMITS[name]
        try:
            value = float(raw)
            if not low <= value <= high:
                raise ValueError(raw)
        except ValueError:
            st.toast(f"Ignored ?{name}={raw[:20]} from the link: {name} goes from {low:g} to {high:g}.",
                     icon=":material/warning:")
            continue
        st.session_state[_on_key(prefix, name)] = value > 0
        if value > 0:
            st.session_state[_value_key(prefix, name)] = value
        changed = True
    if changed:
        _remember(prefix)


def write_page_url(prefix: str, default: AugmentConfig) -> None:
    """The Augment page's settings into its URL: transforms that differ from `default`, and the digit shown."""
    state = st.session_state
    for name in CONTROLS:
        value = float(state[_value_key(prefix, name)]) if state.get(_on_key(prefix, name)) else 0.0
        if value == float(getattr(default, name)):
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != f"{value:g}":
            st.query_params[name] = f"{value:g}"
    source = state.get("aug_source")
    # the digit's settings, if any (at random: the digit drawn, so the link opens the same one)
    shown = {"index": ["digit"], "random": ["digit"], "label": ["label", "nth"]}.get(source, [])
    write_url(URL, only=["seed", "copies", "src", *shown])


def augment_options_ui(default: AugmentConfig, prefix: str = "aug", with_seed: bool = True,
                       in_url: bool = False) -> AugmentConfig:
    """A switch per transform (with its strength once on): one AugmentConfig, the same on every page.

    The widgets start from the session's augmentation (set on this page or another) or, if nobody
    changed it yet, from `default`; a change is kept for the session, so Augment and Train agree and
    leaving a page forgets nothing.

    Args:
        default: what to show before anyone changed anything (the page's or the preset's recipe).
        prefix: widget keys' prefix (one per page, or per preset, so each starts from its default).
        with_seed: show the seed and "Resample" (the Augment page; training has a seed of its own).
        in_url: a link's settings win on the first run of a visit (the Augment page; see write_page_url).
    """
    start = shared_config() or default
    # On the first run of a visit the widgets show the session's augmentation: Streamlit forgets a
    # widget's state on a page without it, and a change made on the other page must show here. Later
    # runs leave them alone (a change made here reaches the session's augmentation through _remember).
    fresh = page_is_new()
    for name, (_, typical, _, _) in CONTROLS.items():
        value = float(getattr(start, name))
        if fresh or _on_key(prefix, name) not in st.session_state:
            st.session_state[_on_key(prefix, name)] = value > 0
        if fresh or _value_key(prefix, name) not in st.session_state:
            st.session_state[_value_key(prefix, name)] = value or typical
    if in_url and fresh:
        _read_url(prefix)
    groups = st.container(horizontal=True, gap="medium")  # side by side, or one below the other when narrow
    for title, names in GROUPS.items():
        column = groups.container(width=215)
        column.markdown(f"**{title}**")
        for name in names:
            _control_ui(column, prefix, name)
    seed = start.seed
    if with_seed:
        from_link = in_url and "seed" in st.query_params  # read by read_url(URL) already
        if (fresh and not from_link) or AUGMENT_SEED not in st.session_state:
            st.session_state[AUGMENT_SEED] = start.seed
        left, right = st.columns([1, 1.2], vertical_alignment="bottom")
        seed = int(
            left.number_input("Seed", 0, 1_000_000, step=1, key=AUGMENT_SEED, on_change=_remember, args=(prefix,))
        )
        right.button(
            "Resample", on_click=_bump_seed, args=(prefix,), width="stretch", help="A new seed: new random copies"
        )
    return _read(prefix, seed)


def _random_index(n: int) -> None:
    st.session_state[AUGMENT_INDEX] = int(np.random.default_rng().integers(n))


def digit_source_ui(data: MnistData) -> tuple[np.ndarray | None, str]:
    """Which digit to augment: by index, at random, by label, or the last drawing from the Draw page.

    Returns:
        (image, caption): a (28, 28) uint8 or float image, or None (with a hint) when there is none.
    """
    n = len(data.x_train)
    for setting in URL.values():
        st.session_state.setdefault(setting.key, setting.default)
    source = st.radio("Digit", list(SOURCES), format_func=SOURCES.get, horizontal=True, key="aug_source",
                      label_visibility="collapsed")  # a radio wraps in a narrow column, where buttons get cut
    if source == "drawing":
        drawing = st.session_state.get(keys.LAST_DRAWING)
        if drawing is None:
            return None, "Draw something on the Draw page first: your last drawing shows up here."
        return np.asarray(drawing, dtype=np.float32), "your drawing"
    if source == "label":
        left, right = st.columns(2)
        digit = left.selectbox("Label", range(10), key="aug_label", filter_mode=None, on_change=st.session_state.update,
                               kwargs={"aug_nth": 1})
        of_digit = np.flatnonzero(data.y_train == digit)
        if not 1 <= st.session_state["aug_nth"] <= len(of_digit):  # a link's number: the last one there is
            st.session_state["aug_nth"] = int(fitted(st.session_state["aug_nth"], len(of_digit),
                                                     f"{digit} number", f" (only {len(of_digit):,})"))
        k = right.number_input(f"Which one (of {len(of_digit):,})", 1, len(of_digit), key="aug_nth")
        index = int(of_digit[k - 1])
    else:
        left, right = st.columns([1.3, 1], vertical_alignment="bottom")
        index = int(left.number_input("Training digit #", 0, n - 1, key=AUGMENT_INDEX, disabled=source == "random"))
        if source == "random":
            right.button("Another one", on_click=_random_index, args=(n,), width="stretch")
    return data.x_train[index], f"#{index}, labelled {data.y_train[index]}"
