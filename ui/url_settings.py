"""A page's settings in the address bar, so that a teacher can share a link to the very same view.

A page names its settings once (URL name -> the widget key showing it, its default, how to read it
from the URL). On the first run of a visit the URL wins (a value that does not fit is ignored, with
a toast); at the end of every run the current values go back into the URL, defaults left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui.nav import page_is_new


@dataclass(frozen=True)
class Setting:
    key: str  # the st.session_state key of the widget that shows it
    default: Any
    parse: Callable[[str], Any]  # URL text -> value; ValueError when it does not fit
    text: Callable[[Any], str] = str  # value -> URL text


def choice(*options: Any) -> Callable[[str], Any]:
    """Parse one of `options` (compared as text)."""
    names = {str(o): o for o in options}

    def parse(raw: str) -> Any:
        if raw not in names:
            raise ValueError(raw)
        return names[raw]
    return parse


def number(kind: type, low: float, high: float) -> Callable[[str], Any]:
    """Parse an int or float within [low, high]."""
    def parse(raw: str) -> Any:
        value = kind(raw)
        if not low <= value <= high:
            raise ValueError(raw)
        return value
    return parse


def pair(raw: str) -> tuple[float, float]:
    """'3~12.5' -> (3.0, 12.5), low first."""
    low, high = (float(v) for v in raw.split("~"))
    if not low <= high:
        raise ValueError(raw)
    return low, high


def pair_text(value: tuple[float, float]) -> str:
    return "~".join(f"{v:g}" for v in value)


def flag(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError(raw)
    return raw == "1"


def read_url(settings: dict[str, Setting]) -> None:
    """On the first run of a visit, put the URL's settings into the widgets' state."""
    if not page_is_new():
        return
    for name, setting in settings.items():
        raw = st.query_params.get(name)
        if raw is None:
            continue
        try:
            st.session_state[setting.key] = setting.parse(raw)
        except (ValueError, TypeError):
            st.toast(f"Ignored ?{name}={raw[:20]} from the link: it does not fit.", icon=":material/warning:")


def write_url(settings: dict[str, Setting], defaults: dict[str, Any] | None = None,
              only: Iterable[str] | None = None) -> None:
    """The current values into the URL; a value equal to its default (or `defaults[name]`) is left out.

    Args:
        settings: the page's settings.
        defaults: defaults that depend on other settings (e.g. a range's full span).
        only: the settings that apply to what is shown; the others are taken out of the URL.
    """
    wanted = set(settings if only is None else only)
    for name, setting in settings.items():
        value = st.session_state.get(setting.key)
        default = (defaults or {}).get(name, setting.default)
        text = None if name not in wanted or value is None or value == default else setting.text(value)
        if text is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != text:
            st.query_params[name] = text
