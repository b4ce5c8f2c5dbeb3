"""Presenter mode and settings in the URL: `?present=1&page=draw&model=default`.

- present=1: large type and a large canvas for a projector at 1280x720, fewer controls.
  It stays in the address bar on every page (a reload, a reconnect or a bookmark keeps it), and a
  small "Leave presenter mode" button at the top of every page switches it off.
- page=NAME: open that page (draw, explore, augment, train, ...).
- model=NAME: this browser session uses that stored model ("default" = the shipped one); other
  sessions and the server-wide active model are not changed.
"""

from __future__ import annotations

import streamlit as st

from ui import auth, flash, keys, session_model

URL_APPLIED = "url_applied"  # bool: the ?page=...&model=... settings were applied once
BAR = "present-bar"  # key of the presenter bar's container (CSS class st-key-present-bar)

# Always: a metric's value shrinks with its column instead of being cut ("99.7..."): the metric is a
# size container and its value's font follows the container's width (cqi), up to the theme's size.
BASE_CSS = """
<style>
[data-testid="stMetric"] { container-type: inline-size; }
[data-testid="stMetricValue"] { font-size: min(2.25rem, 19cqi); }
/* A row of controls in a container keyed "wrap-...": each column as wide as its content, the last one
   taking the rest, and the row wrapping instead of cutting a control (Train's kind, preset and note). */
[class*="st-key-wrap-"] [data-testid="stHorizontalBlock"] { flex-wrap: wrap; row-gap: 0.5rem; }
[class*="st-key-wrap-"] [data-testid="stColumn"] { flex: 0 0 auto !important; width: auto !important;
  min-width: 0 !important; }
[class*="st-key-wrap-"] [data-testid="stColumn"]:last-child { flex: 1 1 16rem !important; }
/* A segmented control or pills wider than its room (a phone, a projector's large type) wraps its
   buttons onto a second line instead of running over the next column or off the screen. */
[data-testid="stButtonGroup"] > div { flex-wrap: wrap; row-gap: 0.25rem; }
/* Keyboard focus that shows: a page link focused with Tab had only a faint grey background, like the
   current page's */
a:focus-visible, [data-testid="stSidebarNavLink"]:focus-visible, [data-testid="stPageLink-NavLink"]:focus-visible {
  outline: 3px solid #1c83e1 !important; outline-offset: 2px; }
/* Chart text darker than the theme's grey (3.7:1 on white, washed out on a projector): ticks, axis and
   chart titles, legends and colour bars at 7:1 */
.js-plotly-plot :is(.xtick, .ytick, .g-xtitle, .g-ytitle, .gtitle, .legendtext, .legendtitletext, .cbaxis,
  .cbtitle) text, .js-plotly-plot :is(.legendtext, .gtitle) { fill: #4b4e5a !important; }
/* A finger, not a mouse (phones, tablets): buttons and the choices of a segmented control at least 40 px
   tall (32 was under a fingertip), and no chart toolbar (it covered legends and titles, and its buttons
   wait for a hover a finger does not make) */
@media (pointer: coarse) {
  button[data-testid^="stBaseButton-"], button[data-variant], [data-testid="stTab"] { min-height: 40px; }
  .js-plotly-plot .modebar-container { display: none; }
}
/* Windows' high contrast (forced colours) paints every background the same: the chosen option of a
   segmented control, a tab, a radio button and a switch looked like the others, and sliders and switches
   vanished. Marked with the system's highlight instead. */
@media (forced-colors: active) {
  button[data-variant][data-selected="true"], [data-testid="stTab"][data-selected="true"] {
    forced-color-adjust: none; background: Highlight !important; color: HighlightText !important; }
  button[data-variant][data-selected="true"] p, [data-testid="stTab"][data-selected="true"] p { color: HighlightText; }
  [data-testid="stSlider"] [role="group"] > div > div:not([data-testid]) { forced-color-adjust: none;
    background: Highlight; border: 2px solid CanvasText; }
  [data-testid="stSlider"] [data-testid="stSliderThumbValue"] p { color: CanvasText; }
  [data-testid="stCheckbox"] label > div:not([data-testid]) { border: 2px solid CanvasText; }
  [data-testid="stCheckbox"] label > div:not([data-testid]) > div { forced-color-adjust: none;
    background: CanvasText; }
  [data-testid="stCheckbox"][data-selected="true"] label > div:not([data-testid]) { forced-color-adjust: none;
    background: Highlight; }
  [data-testid="stRadioOption"] > div:first-of-type > div { border: 2px solid CanvasText; }
  [data-testid="stRadioOption"][data-selected="true"] > div:first-of-type > div > div {
    forced-color-adjust: none; background: CanvasText; }
}
</style>
"""
PRESENT_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
[data-testid="stMetricValue"] { font-size: clamp(1.6rem, 28cqi, 4.5rem); }
[data-testid="stMetricLabel"] p { font-size: 1.15rem; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
[data-testid="stHeader"] { height: 0; background: transparent; }
[data-testid="stMainBlockContainer"] { padding-top: 2.6rem; padding-bottom: 2rem; }
[data-testid="stMainBlockContainer"] h1 { padding-top: 0.5rem; }
.st-key-present-bar { position: fixed; top: 0.35rem; left: 1rem; z-index: 999991; width: auto; gap: 0.4rem;
  background: #fff; border-radius: 0.5rem; }  /* text scrolled under it does not show between its buttons */
:has(> .st-key-present-bar) { display: contents; }
.st-key-present-bar button { min-height: 0; padding: 0.1rem 0.6rem; font-size: 0.8rem; }
/* Draw's title, switch and button wrap only when they do not fit (a tablet standing up) */
.st-key-wrap-draw-head [data-testid="stColumn"]:last-child { flex: 1 1 auto !important; }
.st-key-present-bar p { font-size: 0.8rem; }
/* On a phone the bar would run under Streamlit's menu button at the top right: smaller type there */
@media (max-width: 480px) {
  .st-key-present-bar { left: 0.6rem; gap: 0.3rem; }
  .st-key-present-bar button { padding: 0.1rem 0.4rem; }
  .st-key-present-bar p { font-size: 0.68rem; }
  /* a toast is as wide as its (larger) type wants: keep it on the screen */
  [data-testid="stToast"] { max-width: calc(100vw - 3rem); }
}
</style>
"""
ON, OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def sidebar_state(user_agent: str | None) -> str:
    """'collapsed' on a phone (its browser says 'Mobi'), else Streamlit's 'auto' (open on a wide screen).
    A phone on its side is wider than Streamlit's limit: the open sidebar took 300 of its 844 px and left
    the canvas 140 px, below the fold (QA); the pages are one tap away in its menu."""
    return "collapsed" if user_agent and "Mobi" in user_agent else "auto"


def read_present_flag() -> bool:
    """?present=1 turns presenter mode on for this session, ?present=0 off; returns the mode.

    While it is on, `present=1` is kept in the address bar: Streamlit drops the query when another
    page is opened, and without it a reload would bring back the sidebar and the small canvas.
    """
    value = st.query_params.get("present")
    if value is not None and value.lower() not in ON + OFF:  # ?present=2: said, and taken out of the address
        flash.later(f"Ignored ?present={value[:10]} from the link: present=1 turns presenter mode on, "
                    "present=0 off.", icon=":material/warning:")
        del st.query_params["present"]
        value = None
    if value is not None:
        st.session_state[keys.PRESENT] = value.lower() in ON
    on = presenting()
    if on and value not in ON:
        st.query_params["present"] = "1"
    return on


def leave() -> None:
    """Switch presenter mode off for this session and take it out of the address bar."""
    st.session_state[keys.PRESENT] = False
    if "present" in st.query_params:
        del st.query_params["present"]


def bar_ui(pages: list[st.Page], current: str) -> None:
    """In presenter mode: a small fixed bar at the top left (the top right shows Streamlit's running status),
    with the pages and the way out. `current`: the page shown (its url_path)."""
    if not presenting():
        return
    with st.container(key=BAR, horizontal=True):
        # a new menu on each page and for each teacher state (the key names them): the one a page was chosen
        # in, or the teacher locked in, closes instead of staying open over the next page's canvas
        role = "teacher" if auth.is_teacher() else "student"
        with st.popover("Pages", icon=":material/menu:", key=f"present-pages-{current or 'home'}-{role}"):
            for page in pages:
                st.page_link(page)
            # a teacher who unlocked at the projector locks again here (presenter mode has no sidebar; the
            # bar has no room for a third button on a phone)
            auth.status_ui(compact=True)
        st.button("Leave presenter mode", icon=":material/close_fullscreen:", on_click=leave, key="leave-present",
                  help="Back to the normal layout, with the sidebar")


def apply_url_settings(pages: dict[str, st.Page]) -> None:
    """Apply ?model and ?page once per session."""
    params = st.query_params
    if st.session_state.get(URL_APPLIED):
        return
    st.session_state[URL_APPLIED] = True
    # what does not fit is said after the page switch below too (a toast now would be lost with this run),
    # and taken out of the address
    if "model" in params and not use_model(params["model"], later=True):
        del params["model"]
    target = pages.get(params.get("page", "").lower())
    if "page" in params and target is None:
        flash.later(f"There is no page '{params['page'][:30]}': the pages are {', '.join(pages)}.",
                    icon=":material/warning:")
        del params["page"]
    if target is not None:  # keep the page's own settings (?view=..., ?tab=...) in its address
        st.switch_page(target, query_params={k: v for k, v in params.to_dict().items() if k != "page"})


def use_model(name: str, later: bool = False) -> bool:
    """This session uses stored model `name`; a bad or unknown name is reported (now, or with `later` on
    the next run: a page switch follows), not fatal. Returns whether it is used."""
    problem = session_model.choose(name)
    if problem:
        (flash.later if later else st.toast)(f"Model from the URL not used: {problem}", icon=":material/warning:")
    return not problem


def presenting() -> bool:
    return bool(st.session_state.get(keys.PRESENT))


def style() -> None:
    st.html(BASE_CSS + (PRESENT_CSS if presenting() else ""))  # style only: takes no room on the page
