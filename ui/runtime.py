"""Adjustments to the Streamlit runtime for a server that keeps Keras models loaded and answers a
whole class's strokes at once."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

_TURN = threading.Lock()
TURN_WAIT_S = 5.0  # the longest a session waits for its turn before it runs anyway


@contextmanager
def one_at_a_time(wait: float | None = None) -> Iterator[None]:
    """Run the block while no other session's script runs one: a class's strokes are answered in turn.

    Streamlit runs every session's script in a thread of its own, and all of them share one GIL. When
    thirty students lift their pens at once, thirty threads take the GIL from each other every few
    milliseconds: the switching costs about a third more CPU, and the server thread that sends the
    answers waits behind them all, so every answer arrives at the end. Taken in turn, answers go out
    one by one as they are ready (bench/bench_load_ws.py, 60 sessions at once: median 1.08 -> 0.49 s,
    p95 1.10 -> 0.81 s, server CPU per drawing 21.7 -> 14.6 ms).

    Only short, bounded work goes in a turn (the canvas, classify, the answer; never a model load or
    TensorFlow). A session that waits more than `wait` seconds runs anyway, so a turn that went wrong
    can slow the others but never stop them (default: TURN_WAIT_S). Not reentrant: do not nest turns.
    """
    wait = TURN_WAIT_S if wait is None else wait
    got = _TURN.acquire(timeout=wait)
    if not got:
        log.warning("waited %.1f s for a turn; running anyway", wait)
    try:
        yield
    finally:
        if got:
            _TURN.release()


def keep_keras_state() -> None:
    """Stop Streamlit from calling `keras.backend.clear_session()` after every script and fragment run.

    Streamlit 1.67 does that to reset "stateful modules" (script_runner._clean_problem_modules). Here it
    is harmful: the models this server keeps loaded for every session's predictions are Keras objects,
    and each clear_session() empties TensorFlow's kernel cache and runs a full garbage collection
    (0.1-0.3 s holding the GIL on this machine) after every rerun of every session; with the Train page's
    progress fragment redrawing every second that alone kept a core busy. Matplotlib's figures are still
    closed as before. Safe to call more than once.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if getattr(script_runner._clean_problem_modules, "keeps_keras", False):
        return

    def clean_problem_modules_but_keras() -> None:
        if "matplotlib.pyplot" in sys.modules:
            try:
                sys.modules["matplotlib.pyplot"].close("all")
            except Exception:  # noqa: BLE001, S110 - as Streamlit: never crash the app over this
                pass

    clean_problem_modules_but_keras.keeps_keras = True  # type: ignore[attr-defined]
    script_runner._clean_problem_modules = clean_problem_modules_but_keras
