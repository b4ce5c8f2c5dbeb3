"""The app's pages, named in one place: app.py builds its navigation from this list, tests walk it."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui import keys


@dataclass(frozen=True)
class PageInfo:
    file: str  # the page's script, relative to the repository
    title: str
    icon: str
    url_path: str  # "" for the home page


PAGES = (
    PageInfo("app_pages/home.py", "Home", ":material/home:", ""),
    PageInfo("app_pages/draw.py", "Draw", ":material/draw:", "draw"),
    PageInfo("app_pages/inside.py", "Inside the network", ":material/neurology:", "inside"),
    PageInfo("app_pages/handwriting.py", "Our handwriting", ":material/photo_library:", "handwriting"),
    PageInfo("app_pages/explore.py", "Explore", ":material/query_stats:", "explore"),
    PageInfo("app_pages/augment.py", "Augment", ":material/tune:", "augment"),
    PageInfo("app_pages/train.py", "Train", ":material/model_training:", "train"),
    PageInfo("app_pages/evaluate.py", "Evaluate", ":material/fact_check:", "evaluate"),
    PageInfo("app_pages/models.py", "Models", ":material/inventory_2:", "models"),
)


def note_page(url_path: str) -> None:
    """Record the page this run draws (app.py, on every run)."""
    st.session_state[keys.PAGE_IS_NEW] = st.session_state.get(keys.PAGE) != url_path
    st.session_state[keys.PAGE] = url_path


def page_is_new() -> bool:
    """Whether this run is the first of a visit to the current page (widgets were forgotten in between)."""
    return bool(st.session_state.get(keys.PAGE_IS_NEW, True))
