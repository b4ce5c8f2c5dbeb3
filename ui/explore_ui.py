"""Widget groups of the Explore page: each draws a few widgets and returns plain values.

Every filter is in the address bar (ui.url_settings), so a teacher can share a link to the same
view: /explore?tab=Gallery&split=test&show=errors&open=947.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnist_core.label_errors import LabelError, label_errors, suspicious_csv
from mnist_core.plots import FLAGGED_COLOUR, LABEL_ERROR_COLOUR, OPEN_COLOUR, thumbnail_grid
from mnist_core.stats import FEATURES, feature_words
from mnist_core.stats_plots import digit_heatmap
from ui.present import presenting
from ui.show import clicked_customdata, sure
from ui.url_settings import Setting, choice, fitted, number, pair, pair_text, read_url, write_url

EXPLORE_TAB = "tab"  # str: the open Explore tab (also the ?tab= query parameter)
EXPLORE_HARD = "explore_hard"  # bool: the hard-examples view was asked for (it loads the model)
FLAGS = "explore_flags"  # dict split -> set of image indices someone flagged as suspicious
ORDERS = {"ascending": "smallest first", "descending": "largest first", "index": "dataset order"}
SHOWS = {"match": "Digits that match", "flagged": "Flagged by me", "errors": "Label errors"}
INTEGER_FEATURES = {"width", "height", "pieces", "holes"}
TSNE_SIZES = [1000, 3000, 5000]
PER_PAGE = 40  # gallery digits per page

# URL name -> the widget's key, its default, how to read it
SETTINGS = {
    "split": Setting("explore_split", "train", choice("train", "test")),
    "stat": Setting("explore_stat", "mean", choice("mean", "std")),
    "box": Setting("explore_box", "ink", choice(*FEATURES)),
    "show": Setting("gallery_show", "match", choice(*SHOWS)),
    "digit": Setting("gallery_digit", "any", choice("any", *range(10))),
    "feature": Setting("gallery_feature", "ink", choice(*FEATURES)),
    "order": Setting("gallery_order", "ascending", choice(*ORDERS)),
    "range": Setting("gallery_range", None, pair, pair_text),
    "pg": Setting("gallery_page", 1, number(int, 1, 10_000)),
    "open": Setting("gallery_open", None, number(int, 0, 59_999)),
    "map": Setting("explore_map", "pca", choice("pca", "tsne")),
    "n": Setting("explore_tsne", 3000, choice(*TSNE_SIZES)),
    "k": Setting("explore_k", 6, number(int, 3, 12)),
}
TAB_SETTINGS = {  # which settings each tab shows (the others leave the URL)
    "Overview": (), "Pixels": ("stat", "box"), "Gallery": ("show", "digit", "feature", "order", "range", "pg", "open"),
    "Map": ("map", "n"), "Hard examples": ("k",),
}


def start() -> None:
    """First run of a visit: the link's settings into the widgets; then every setting gets its default."""
    read_url(SETTINGS)
    for setting in SETTINGS.values():
        st.session_state.setdefault(setting.key, setting.default)


def finish(tab: str, range_default: tuple[float, float] | None = None) -> None:
    """The settings of the open tab into the URL (the split always)."""
    write_url(SETTINGS, defaults={"range": range_default}, only=("split", *TAB_SETTINGS.get(tab, ())))


def key(name: str) -> str:
    return SETTINGS[name].key


def _first_page() -> None:
    st.session_state[key("pg")] = 1


def _new_filter() -> None:
    """Another digit or feature: the range starts again from the full span."""
    st.session_state[key("range")] = None
    _first_page()


# ---------------------------------------------------------------------------------------------
# Gallery


@dataclass(frozen=True)
class GalleryQuery:
    digit: int | None  # None: every digit
    feature: str
    low: float
    high: float
    order: str  # "ascending", "descending" or "index"
    full: tuple[float, float]  # the feature's whole span for this digit (the range's default)


def gallery_query_ui(features: dict[str, np.ndarray], labels: np.ndarray,
                     split: str) -> tuple[str, GalleryQuery | None]:
    """What the gallery shows: the digits that match a label, a feature range and an order (e.g. the
    thinnest 1s), or the ones flagged here, or the known label errors. One row of controls.

    Returns:
        (show, query): "match", "flagged" or "errors"; the query when show is "match", else None.
    """
    c0, c1, c2, c3, c4 = st.columns([1.35, 0.75, 1.05, 1.15, 2.2], vertical_alignment="bottom")
    with c0:
        show = show_ui(split)
    if show != "match":
        return show, None
    digit = c1.selectbox("Digit", ["any", *range(10)], key=key("digit"), filter_mode=None, on_change=_new_filter)
    feature = c2.selectbox("Feature", list(FEATURES), format_func=str.capitalize, key=key("feature"), filter_mode=None,
                           on_change=_new_filter,
                           help="\n".join(f"- **{name}**: {FEATURES[name][0]}" for name in FEATURES))
    order = c3.selectbox("Order", list(ORDERS), format_func=ORDERS.get, key=key("order"),
                         filter_mode=None, on_change=_first_page)
    digit = None if digit == "any" else int(digit)
    values = features[feature] if digit is None else features[feature][labels == digit]
    kind = int if feature in INTEGER_FEATURES else float
    low, high = kind(values.min()), kind(values.max())
    if feature not in INTEGER_FEATURES:
        low, high = math.floor(low * 100) / 100, math.ceil(high * 100) / 100  # two decimals, holding every value
    chosen = st.session_state.get(key("range"))
    if chosen is None or not low <= chosen[0] <= chosen[1] <= high:  # a new filter, or a link's range that no
        st.session_state[key("range")] = (low, high)  # longer fits: the full span
    else:
        st.session_state[key("range")] = (kind(chosen[0]), kind(chosen[1]))
    if high > low:
        step = 1 if kind is int else round((high - low) / 100, 2) or 0.01
        low_high = c4.slider(f"Keep {feature} between", low, high, step=step, key=key("range"), on_change=_first_page)
    else:
        low_high = (low, high)
    return show, GalleryQuery(digit, feature, float(low_high[0]), float(low_high[1]), order, (low, high))


def show_ui(split: str) -> str:
    """What the gallery shows: the digits that match, the ones flagged here, or the known label errors."""
    options = [s for s in SHOWS if s != "errors" or label_errors(split)]
    if st.session_state.get(key("show")) not in options:
        st.session_state[key("show")] = "match"
    counts = {"flagged": len(flags(split)), "errors": len(label_errors(split))}
    return st.selectbox("Show", options, key=key("show"), filter_mode=None, on_change=_first_page,
                        format_func=lambda s: SHOWS[s] + (f" ({counts[s]})" if s in counts else ""))


def page_ui(found: np.ndarray, about: str) -> np.ndarray:
    """What is shown in words, and the page number beside it (when there is more than one page);
    returns that page's indices."""
    pages = max(1, -(-len(found) // PER_PAGE))
    if not 1 <= int(st.session_state.get(key("pg")) or 1) <= pages:
        st.session_state[key("pg")] = fitted(int(st.session_state[key("pg")]), 1, "page", f" (only {pages:,})")
    words, number = st.columns([2.2, 1], vertical_alignment="bottom")
    words.caption(about)
    page = 1
    if pages > 1:
        page = number.number_input(f"Page, of {pages:,}", 1, pages, key=key("pg"))
    return found[(page - 1) * PER_PAGE: page * PER_PAGE]


def on_thumbnail_click(chart: str) -> None:
    """A click on a thumbnail opens that digit (a callback; a click that carries no digit is ignored)."""
    data = clicked_customdata(st.session_state.get(chart))
    if data:  # a click beside the thumbnails (a deselection) carries none
        st.session_state[key("open")] = int(data[0])


# The captions under the thumbnails shrink with the grid's width (a phone's or a tablet's narrow column gives
# each digit ~40 px, where 13-px captions ran into each other): the chart is a size container, and the font
# size is set so that the longest caption (of ~0.6 em a character) fits its digit's share of the width
CAPTIONS_FIT = """<style>
.st-key-CHART { container-type: inline-size; }
.st-key-CHART .annotation-text { font-size: max(7px, min(13px, SIZEcqw)) !important; }
</style>"""


def gallery_grid_ui(images: np.ndarray, labels: np.ndarray, shown: np.ndarray, split: str, captions: list[str],
                    chart: str) -> None:
    """The digits as clickable thumbnails, framed: red a label error found by review, orange flagged, blue open."""
    errors, flagged, opened = label_errors(split), flags(split), st.session_state.get(key("open"))
    frames = [LABEL_ERROR_COLOUR if int(i) in errors else FLAGGED_COLOUR if int(i) in flagged
              else OPEN_COLOUR if i == opened else None for i in shown]
    hover = [f"#{i}: labelled {labels[i]}, {c}" + (" (label error)" if int(i) in errors else "") + "<br>click to open"
             for i, c in zip(shown, captions, strict=True)]
    cols = 8
    texts = [f"{labels[i]}: {c}" for i, c in zip(shown, captions, strict=True)]
    longest = max(len(t) for t in texts)
    st.html(CAPTIONS_FIT.replace("CHART", chart).replace("SIZE", f"{100 / (cols * longest * 0.6):.2f}"))
    st.plotly_chart(thumbnail_grid(images[shown], shown, texts,
                                   hover, frames, cols=cols, unit_px=2.45 if presenting() else 1.75,
                                   caption_size=13),
                    key=chart, on_select=lambda: on_thumbnail_click(chart), selection_mode="points",
                    config={"displayModeBar": False})
    legend = [f":red[red]: label error ({len(errors)} doubted by human review)"] if any(int(i) in errors
                                                                                       for i in shown) else []
    legend += [":orange[orange]: flagged by you"] if any(int(i) in flagged for i in shown) else []
    st.caption("Click a digit to open it." + (" Frames: " + "; ".join(legend) + "." if legend else ""))


def open_digit_ui(images: np.ndarray, labels: np.ndarray, features: dict[str, np.ndarray], split: str) -> None:
    """The opened digit, large, with its facts in words, what review said of its label, and the flag."""
    n = len(labels)
    if (st.session_state.get(key("open")) or 0) >= n:  # a test index after switching to... a smaller split
        st.toast(f"There is no digit #{st.session_state[key('open')]:,} in the {split} set (#0 to #{n - 1:,}): "
                 "none is open.", icon=":material/info:")
        st.session_state[key("open")] = None
    index = st.number_input("Open digit #", 0, n - 1, key=key("open"), placeholder="click a digit")
    if index is None:
        st.info("Click a digit in the gallery to open it here, or type its number.")
        return
    index = int(index)
    st.plotly_chart(digit_heatmap(images[index], f"{split} #{index}: labelled {labels[index]}", height=340),
                    width="stretch", key="explore-open")
    st.caption(" · ".join(feature_words(name, features[name][index]) for name in FEATURES))
    error: LabelError | None = label_errors(split).get(index)
    if error is not None:
        st.warning(f"**Label error**: {error.describe()}. Human review (Northcutt et al. 2021) found this label "
                   "wrong.", icon=":material/report:")
    flag_ui(split, index, labels)


def flags(split: str) -> set[int]:
    return st.session_state.setdefault(FLAGS, {}).setdefault(split, set())


def _toggle_flag(split: str, index: int) -> None:
    chosen = flags(split)
    chosen.symmetric_difference_update({index})


def flag_ui(split: str, index: int, labels: np.ndarray) -> None:
    """Flag the open digit as suspicious (or not), and download every flagged index as CSV."""
    chosen = flags(split)
    row = st.container(horizontal=True, gap="small")  # the two buttons wrap rather than cut their labels
    flagged = index in chosen
    row.button("Unflag" if flagged else "Flag as suspicious", icon=":material/flag:", on_click=_toggle_flag,
               args=(split, index), key="explore-flag",
               help="Mark digits whose label looks wrong, then download the list")
    if chosen:
        row.download_button(f"Download {len(chosen)} flagged", suspicious_csv(split, sorted(chosen), labels),
                            file_name=f"mnist-{split}-flagged.csv", mime="text/csv", icon=":material/download:",
                            key="explore-flags-csv", help="A CSV file: split, index, label, what human review said")


# ---------------------------------------------------------------------------------------------
# Hard examples


def hard_examples_ui(split: str, images: np.ndarray, labels: np.ndarray) -> None:
    """The digits the model believes least, per label (loads the model once its button is pressed)."""
    from mnist_core.hard import hardest_per_digit
    from ui import session_model
    from ui.cache import model_scores
    from ui.show import digit_row

    st.write("The digits the model believes least, given their label: badly written ones, and some whose "
             "label is probably wrong. This loads the model and runs it over every image once.")
    k = st.slider("Digits per label", 3, 12, key=key("k"))
    if st.button(f"Find the hard {split} examples", type="primary", icon=":material/search:"):
        st.session_state[EXPLORE_HARD] = True
    if not st.session_state.get(EXPLORE_HARD):
        return
    scores, known = model_scores(session_model.stored(), split), label_errors(split)
    wrong = int((scores.predicted != labels).sum())
    st.caption(f"The model gets {wrong:,} of {len(labels):,} {split} digits wrong ({wrong / len(labels):.2%}). "
               "Under each digit: its number, then its label → the model's answer (how sure it is); "
               "*label error*: most human reviewers did not choose its label.")
    for d, chosen in enumerate(hardest_per_digit(scores.losses, labels, k)):
        st.markdown(f"**Labelled {d}**")
        digit_row(images[chosen], [f"#{i}  \n{d} → **{scores.predicted[i]}** ({sure(scores.confidence[i])})"
                                   + ("  \n:red[*label error*]" if int(i) in known else "") for i in chosen], slots=k)
