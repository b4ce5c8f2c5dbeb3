"""Adjustments to the Streamlit runtime for a server that keeps Keras models loaded."""

from __future__ import annotations

import sys


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
