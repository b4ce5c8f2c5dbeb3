"""A page's settings in the address bar, so that a teacher can share a link to the very same view.

A page names its settings once (URL name -> the session-state key holding it, its default, how to read
it from the URL). On the first run of a visit the URL wins (a value that does not fit is ignored, with
a toast; one beyond what the page has, such as layer 99 of an 8-layer model, becomes the nearest that
is there, with a toast: `fitted`); at the end of every run the current values go back into the URL,
defaults left out.

Two ways to hold a setting:
- in its widget's own state (`Setting.key` is the widget's key): for controls that are always drawn
  (Explore's filters, Augment's transforms). `read_url` / `write_url` below.
- apart from its widgets (`UrlSettings`): for settings that must outlive their widget (Draw's step
  switches while another view is shown, Inside's unit picked by a click). Widgets are drawn through
  `UrlSettings.widget`; presenter mode can hide chosen controls (`?hide=a,b`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from ui import flash
from ui.nav import page_is_new
from ui.present import presenting

log = logging.getLogger("mnist_lab")


@dataclass(frozen=True)
class Setting:
    key: str  # the st.session_state key holding it
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


def flag_text(value: bool) -> str:
    return "1" if value else "0"


def read_url(settings: dict[str, Setting]) -> None:
    """On the first run of a visit, put the URL's settings into their session state."""
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


def fitted(value: float, fit: float, what: str, why: str = "") -> float:
    """`fit` in place of `value`, a setting (from a link, or chosen before) that does not fit what is shown
    now, with a toast that says so: a link asking for layer 99 of an 8-layer model gets the last layer."""
    if fit != value:
        st.toast(f"There is no {what} {value:g} here{why}: showing {what} {fit:g}.", icon=":material/info:")
    return fit


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


def safe(callback: Callable) -> Callable:
    """A widget callback runs before the page, outside its error guard: log a failure and say so instead."""
    @functools.wraps(callback)
    def run(*args) -> None:
        try:
            callback(*args)
        except Exception:  # noqa: BLE001 - never a traceback in front of a class
            log.exception("callback %s failed", callback.__name__)
            flash.later("That change could not be applied; the details are in the server log.", ":material/warning:")
    return run


class UrlSettings:
    """Settings held apart from their widgets (session-state keys `prefix_name`), in the page's URL.

    `settings` maps a URL name to (default, parse); booleans are written 1/0.
    """

    def __init__(self, prefix: str, settings: dict[str, tuple[Any, Callable[[str], Any]]],
                 hideable: tuple[str, ...] = ()):
        self.prefix, self.hideable = prefix, hideable
        self.settings = {name: Setting(f"{prefix}_{name}", default, parse,
                                       flag_text if isinstance(default, bool) else str)
                         for name, (default, parse) in settings.items()}

    def widget_key(self, name: str) -> str:
        return f"w_{self.settings[name].key}"

    def get(self, name: str) -> Any:
        """A setting's value (from the URL, a widget or a click), else its default."""
        return st.session_state.get(self.settings[name].key, self.settings[name].default)

    def put(self, name: str, value: Any) -> None:
        st.session_state[self.settings[name].key] = value

    def reset(self, *names: str) -> None:
        for name in names:
            self.put(name, self.settings[name].default)

    def read_url(self) -> None:
        read_url(self.settings)

    def write_url(self) -> None:
        write_url(self.settings)

    def current(self) -> dict[str, str]:
        """The settings that differ from their defaults, as query parameters."""
        return {name: s.text(self.get(name)) for name, s in self.settings.items() if self.get(name) != s.default}

    def hidden(self, name: str) -> bool:
        """Whether presenter mode was asked (?hide=...) to leave this control out."""
        return presenting() and name in st.query_params.get("hide", "").split(",")

    def widget(self, name: str, draw: Callable, *args, on_change: Callable[[], None] | None = None,
               **kwargs) -> Any:
        """Draw `draw(*args, key=..., on_change=...)` for setting `name` unless hidden; returns the setting.

        `name` may be "control:setting" when the name `hide=` knows differs from the setting's.
        """
        control, setting = name.split(":")[0], name.split(":")[-1]
        if not self.hidden(control):
            key = self.widget_key(setting)
            st.session_state[key] = self.get(setting)  # the widget starts from the setting
            draw(*args, key=key, on_change=self._keep, args=(setting, on_change), **kwargs)
        return self.get(setting)

    @safe
    def _keep(self, name: str, then: Callable[[], None] | None = None) -> None:
        """A widget changed: its value becomes the setting (a cleared choice keeps the old one)."""
        value = st.session_state.get(self.widget_key(name))
        if value is not None:
            self.put(name, value)
        if then is not None:
            then()

    def share_ui(self, path: str, note: str = "", presenter_hide: str = "") -> None:
        """The link to this very view, plain and for a projector (presenter mode, chosen controls hidden)."""
        if presenting():
            return
        base = st.context.url or path
        extra = {"hide": presenter_hide} if presenter_hide else {}
        hiding = (f", and `hide=` leaves out controls you do not want to explain ({', '.join(self.hideable)}); "
                  "their values still apply." if self.hideable else ".")
        # A switch, not an expander: an expander's content is sent and drawn even while it is closed, and
        # the links' code blocks (copy buttons) load the browser's code highlighter, which delayed a new
        # visitor's first answer on Draw by ~0.3 s. Now they are drawn only for whoever asks.
        # no icon in the label: a screen reader read its code (":material/link:") aloud as part of the name
        if not st.toggle("Share this view", key=f"share:{self.prefix}",
                         help="Two links to this very view: one plain, one for a projector"):
            return
        with st.container(border=True):
            # one element, as it is redrawn with every stroke on Draw: the links are code blocks (copy buttons)
            st.markdown(f"This link opens the page on this same view{f' {note}' if note else ''}:\n\n"
                        f"```\n{base}?{urlencode(self.current())}\n```\n\n"
                        f"For a projector: large type{hiding}\n\n"
                        f"```\n{base}?{urlencode({'present': 1, **self.current(), **extra})}\n```")
