"""A page's settings kept in its address, so that a teacher's link opens the same view.

Each setting is a query parameter with a default and a parser. On the first run of a visit the link's
values win (a value that does not fit is ignored, with a toast); on every run the address bar is
rewritten with the settings that differ from their defaults. A widget that shows a setting is drawn
through `widget()`, which starts it from the setting and writes a change back. In presenter mode
`?hide=a,b` leaves out the controls named (their values still apply).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from ui import flash
from ui.nav import page_is_new
from ui.present import presenting

log = logging.getLogger("mnist_lab")
Setting = tuple[Any, Callable[[str], Any]]  # (default, parse a URL value; ValueError when it does not fit)


def choice(*options: str) -> Callable[[str], str]:
    """A parser that accepts one of `options`."""
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(raw)
        return raw
    return parse


def number(kind: type, low: float, high: float) -> Callable[[str], Any]:
    """A parser of an int or float between `low` and `high`."""
    def parse(raw: str):
        value = kind(raw)
        if not low <= value <= high:
            raise ValueError(raw)
        return value
    return parse


def flag(raw: str) -> bool:
    """A parser of on/off: 1, true, on, yes / 0, false, off, no."""
    text = raw.strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    raise ValueError(raw)


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
    """The settings of one page (their session-state keys start with `prefix`)."""

    def __init__(self, prefix: str, settings: dict[str, Setting], hideable: tuple[str, ...] = ()):
        self.prefix, self.settings, self.hideable = prefix, settings, hideable

    def key(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def widget_key(self, name: str) -> str:
        return f"w_{self.key(name)}"

    def get(self, name: str) -> Any:
        """A setting's value (from the URL, a widget or a click), else its default."""
        return st.session_state.get(self.key(name), self.settings[name][0])

    def put(self, name: str, value: Any) -> None:
        st.session_state[self.key(name)] = value

    def reset(self, *names: str) -> None:
        for name in names:
            self.put(name, self.settings[name][0])

    def read_url(self) -> None:
        """On the first run of a visit, the settings in the URL win; a value that does not fit is ignored."""
        if not page_is_new():
            return
        for name, (_, parse) in self.settings.items():
            raw = st.query_params.get(name)
            if raw is not None:
                try:
                    self.put(name, parse(raw))
                except ValueError:
                    st.toast(f"Ignored ?{name}={raw[:20]} from the link: it does not fit.", icon=":material/warning:")

    def current(self) -> dict[str, str]:
        """The settings that differ from their defaults, as query parameters."""
        return {name: _text(self.get(name)) for name, (default, _) in self.settings.items()
                if self.get(name) != default}

    def write_url(self) -> None:
        """The current settings into the URL (defaults left out): the address bar is a shareable link."""
        wanted = self.current()
        for name in self.settings:
            if name not in wanted and name in st.query_params:
                del st.query_params[name]
            elif name in wanted and st.query_params.get(name) != wanted[name]:
                st.query_params[name] = wanted[name]

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
        with st.expander("Share this view", icon=":material/link:"):
            st.caption("This link opens the page on this same view" + (f" {note}" if note else "") + ":")
            st.code(f"{base}?{urlencode(self.current())}", language=None)
            extra = {"hide": presenter_hide} if presenter_hide else {}
            st.caption("For a projector: large type" + (
                f", and `hide=` leaves out controls you do not want to explain ({', '.join(self.hideable)}); "
                "their values still apply." if self.hideable else "."))
            st.code(f"{base}?{urlencode({'present': 1, **self.current(), **extra})}", language=None)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
