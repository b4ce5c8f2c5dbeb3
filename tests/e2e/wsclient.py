"""A Streamlit session without a browser: the app's own websocket protocol, for load tests.

A browser session is one websocket to /_stcore/stream carrying protobuf messages: the page asks
for a script run (a BackMsg with `rerun_script` and every widget's value) and the server streams
back what the script draws (ForwardMsg deltas) until `script_finished`. Drawing on the canvas is
exactly that: the canvas component sends its new value, a PNG of the drawing as a data URL, in a
rerun. `StreamlitSession` sends the same messages, so one machine can play 20 students without
paying for 20 Chromium renderers (which on 2 cores measure the browsers, not the server).

    async with StreamlitSession(url, page="draw") as s:
        await s.run()                          # first visit
        seconds, shown = await s.draw(png)     # one mouse-up: time until the Prediction metric
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import time
from typing import Any

import numpy as np
import websockets
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


def png_data_url(rgba: np.ndarray) -> str:
    """(H, W, 4) uint8 canvas pixels -> 'data:image/png;base64,...' as the canvas component sends them."""
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class StreamlitSession:
    """One app session over the websocket (what one browser tab is to the server)."""

    def __init__(self, base_url: str, page: str = "", query: str = "", timeout: float = 60.0):
        self.ws_url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.page, self.query, self.timeout = page, query, timeout
        self.ws: Any = None
        self.widgets: dict[str, Any] = {}  # widget id -> WidgetState we send with every rerun
        self.elements: list[Any] = []  # the elements of the last run, in arrival order
        self.metrics: dict[str, str] = {}  # metric label -> value, from the last run
        self.texts: list[str] = []  # markdown / alert bodies of the last run
        self.buttons: dict[str, str] = {}  # button label -> widget id, from the last run
        self.canvas_id = ""
        self.canvas_fragment = ""  # the st.fragment the canvas is drawn in ("" = none): a stroke reruns only it
        self.page_hash = ""
        self.exceptions: list[str] = []  # tracebacks the app showed (must stay empty)
        self.auto_reruns: dict[str, float] = {}  # fragment id -> seconds, for st.fragment(run_every=...)
        self._next_poll: dict[str, float] = {}  # fragment id -> when to rerun it next

    async def __aenter__(self) -> StreamlitSession:
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=self.timeout)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    def _rerun_msg(self, trigger: str | None = None, fragment: str = "", auto: bool = False) -> bytes:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_name = self.page
        cs.page_script_hash = self.page_hash
        if fragment:  # a widget inside a fragment (or its timer) reruns only that fragment, as in a browser
            cs.fragment_id, cs.is_auto_rerun = fragment, auto
        for state in self.widgets.values():
            cs.widget_states.widgets.append(state)
        if trigger:
            cs.widget_states.widgets.add(id=trigger, trigger_value=True)
        return msg.SerializeToString()

    def _take(self, fwd: ForwardMsg) -> None:
        kind = fwd.WhichOneof("type")
        if kind == "new_session":
            self.page_hash = fwd.new_session.page_script_hash or self.page_hash
        elif kind == "page_info_changed" or kind == "navigation":
            self.page_hash = getattr(getattr(fwd, kind), "page_script_hash", "") or self.page_hash
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            el = fwd.delta.new_element
            self.elements.append(el)
            what = el.WhichOneof("type")
            if what == "metric":
                self.metrics[el.metric.label] = el.metric.body
            elif what == "bidi_component" and "canvas" in el.bidi_component.id:
                self.canvas_id = el.bidi_component.id
                self.canvas_fragment = fwd.delta.fragment_id
            elif what == "button":
                self.buttons[el.button.label] = el.button.id
            elif what == "markdown":
                self.texts.append(el.markdown.body)
            elif what == "alert":
                self.texts.append(el.alert.body)
            elif what == "progress":
                self.texts.append(el.progress.text)
            elif what == "exception":
                self.exceptions.append(f"{el.exception.type}: {el.exception.message}")

    async def _receive(self, until: float) -> ForwardMsg | None:
        """The next message, or None at `until`; meanwhile rerun the page's st.fragment(run_every=...)
        on their schedule, as the browser does (a fragment waiting for the model, live progress)."""
        while True:
            now = time.perf_counter()
            due = [f for f, at in self._next_poll.items() if at <= now]
            for frag in due:
                await self.ws.send(self._rerun_msg(fragment=frag, auto=True))
                self._next_poll[frag] = now + self.auto_reruns[frag]
            wake = min([*self._next_poll.values(), until]) - time.perf_counter()
            if time.perf_counter() >= until:
                return None
            try:
                raw = await asyncio.wait_for(self.ws.recv(), max(wake, 0.005))
            except TimeoutError:
                continue
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "new_session" and not fwd.metadata.run.fragment_ids:
                # a full-app run starts: as the browser does, forget the fragment timers (the run
                # registers the fragments it still draws again), or our stale polls would keep
                # interrupting it
                self.auto_reruns.clear()
                self._next_poll.clear()
            elif kind == "auto_rerun":
                frag, every = fwd.auto_rerun.fragment_id, fwd.auto_rerun.interval
                if frag not in self.auto_reruns:
                    self._next_poll[frag] = time.perf_counter() + every
                self.auto_reruns[frag] = every
            elif kind == "stop_auto_rerun":
                for frag in fwd.stop_auto_rerun.fragment_ids:
                    self.auto_reruns.pop(frag, None)
                    self._next_poll.pop(frag, None)
            self._take(fwd)
            return fwd

    async def run(self, trigger: str | None = None, until_metric: tuple[str, str] | None = None,
                  fragment: str = "") -> float:
        """Ask for a script run (of only `fragment`, when given); seconds until `until_metric` (label,
        value) is shown, or (when None) until the run finishes. Fragments keep polling meanwhile, so a
        page that shows its answer only after a fragment's st.rerun() (the model still loading) is
        waited for as a browser would. Raises TimeoutError past self.timeout."""
        self.elements, self.metrics, self.texts, self.buttons = [], {}, [], {}
        start = time.perf_counter()
        shown = None
        await self.ws.send(self._rerun_msg(trigger, fragment))
        while True:
            fwd = await self._receive(start + self.timeout)
            if fwd is None:
                raise TimeoutError(f"no {until_metric or 'end of the run'} within {self.timeout:.0f} s")
            if shown is None and until_metric and self.metrics.get(until_metric[0]) == until_metric[1]:
                shown = time.perf_counter() - start
            if fwd.WhichOneof("type") != "script_finished":
                continue
            if shown is not None:  # read to the end of the run, so the next one starts clean
                return shown
            if until_metric is None and fwd.script_finished in (ForwardMsg.FINISHED_SUCCESSFULLY,
                                                                ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
                                                                ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                return time.perf_counter() - start

    async def draw(self, rgba: np.ndarray | str, expect: str) -> float:
        """Send a drawing (canvas pixels, or their png_data_url made beforehand, as the browser makes it
        before it sends) as the canvas does on mouse-up: a rerun of the canvas's fragment, if it is in
        one. Seconds until Prediction shows `expect`."""
        if not self.canvas_id:
            raise RuntimeError("no canvas on this page (run the page first)")
        url = rgba if isinstance(rgba, str) else png_data_url(rgba)
        value = {"drawing": {"raw": {"version": "5.3.0", "objects": [{"type": "path"}]}, "data": url}}
        self.widgets[self.canvas_id] = _json_state(self.canvas_id, value)
        return await self.run(until_metric=("Prediction", expect), fragment=self.canvas_fragment)

    async def watch(self, seconds: float) -> None:
        """Stay on the page for `seconds` like an open tab: fragments rerun on their schedule (a Train
        page polls its live progress every second)."""
        until = time.perf_counter() + seconds
        while await self._receive(until) is not None:
            pass

    async def wait_for_text(self, part: str | re.Pattern, timeout: float = 120.0) -> float:
        """Stay on the page until some text containing `part` (a string, or a regex it matches) is
        shown; seconds waited."""
        start = time.perf_counter()

        def found() -> bool:
            return any((part.search(t) if isinstance(part, re.Pattern) else part in t) for t in self.texts)

        while not found():
            if await self._receive(start + timeout) is None:
                raise TimeoutError(f"{part!r} not shown within {timeout:.0f} s")
        return time.perf_counter() - start

    async def click(self, label: str) -> float:
        """Click the button (or form submit button) labelled `label` in the last run."""
        if label not in self.buttons:
            raise RuntimeError(f"no button {label!r} on the page; buttons: {sorted(self.buttons)}")
        return await self.run(trigger=self.buttons[label])


def _json_state(widget_id: str, value: Any):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=widget_id, json_value=json.dumps(value))
