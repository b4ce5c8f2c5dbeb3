"""MNIST Digit Lab: explore the dataset, preview augmentations, train a CNN and draw digits.

Run with `streamlit run app.py`.
"""

import os

import streamlit as st

from mnist_core import housekeeping
from ui import auth, flash, session_model
from ui.nav import PAGES, note_page
from ui.present import apply_url_settings, bar_ui, read_present_flag, sidebar_state, style
from ui.runtime import keep_keras_state


def run() -> None:
    keep_keras_state()  # Streamlit would reset Keras (and run a full GC) after every rerun
    housekeeping.clean_once()  # leftovers of a killed save; once per process
    st.set_page_config(page_title="MNIST Digit Lab", page_icon=":material/draw:", layout="wide",
                       initial_sidebar_state=sidebar_state(st.context.headers.get("User-Agent")))
    pages = [st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path or None, default=not p.url_path)
             for p in PAGES]
    nav = st.navigation(pages, position="hidden" if read_present_flag() else "sidebar")
    apply_url_settings({p.url_path or "home": p for p in pages})
    style()
    bar_ui(pages, nav.url_path)  # presenter mode: the pages and the way out, small, at the top left
    if not read_present_flag():
        with st.sidebar:
            auth.status_ui()
    flash.show()
    note_page(nav.url_path)
    nav.run()
    # Once the first page has been drawn (not before: it would compete with that page), load this
    # session's model for Draw (its ONNX export: ONNX Runtime, no TensorFlow) in a background thread,
    # so that Draw answers the first stroke at once. No-op once loaded or loading.
    if os.environ.get("MNIST_LAB_PRELOAD", "1") != "0":
        session_model.preload()


# `streamlit run app.py` executes this file as a script on every rerun (not as __main__ in all
# versions), so the entry point is called unconditionally, except in a training worker: Python's
# multiprocessing (spawn) re-imports the parent's main script there as "__mp_main__".
if __name__ != "__mp_main__":
    run()
