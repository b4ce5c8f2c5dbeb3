"""Presenter mode and settings in the URL: `?present=1&page=draw&model=default`.

- present=1: large type and a large canvas for a projector at 1280x720, fewer controls, fixed seed.
- page=NAME: open that page (draw, explore, augment, train, ...).
- model=NAME: this browser session uses that stored model ("default" = the shipped one); other
  sessions and the server-wide active model are not changed.
"""

from __future__ import annotations

import streamlit as st

from ui import keys, session_model

URL_APPLIED = "url_applied"  # bool: the ?page=...&model=... settings were applied once

PRESENT_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
[data-testid="stMetricValue"] { font-size: 4.5rem; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
[data-testid="stHeader"] { height: 0; }
.block-container { padding-top: 1rem; }
</style>
"""
SEED = 0  # presenter mode fixes every random choice


def read_present_flag() -> bool:
    """?present=1 turns presenter mode on for this session, ?present=0 off; returns the mode."""
    value = st.query_params.get("present")
    if value is not None:
        st.session_state[keys.PRESENT] = value.lower() in ("1", "true", "yes", "on")
    return presenting()


def apply_url_settings(pages: dict[str, st.Page]) -> None:
    """Apply ?model and ?page once per session."""
    params = st.query_params
    if st.session_state.get(URL_APPLIED):
        return
    st.session_state[URL_APPLIED] = True
    if "model" in params:
        use_model(params["model"])
    target = pages.get(params.get("page", "").lower())
    if target is not None:  # keep the page's own settings (?view=..., ?tab=...) in its address
        st.switch_page(target, query_params={k: v for k, v in params.to_dict().items() if k != "page"})


def use_model(name: str) -> None:
    """This session uses stored model `name`; a bad or unknown name is reported, not fatal."""
    problem = session_model.choose(name)
    if problem:
        st.toast(f"Model from the URL not used: {problem}", icon=":material/warning:")


def presenting() -> bool:
    return bool(st.session_state.get(keys.PRESENT))


def style() -> None:
    if presenting():
        st.markdown(PRESENT_CSS, unsafe_allow_html=True)
