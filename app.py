"""MNIST Digit Lab: explore the dataset, preview augmentations, train a CNN and draw digits.

Run with `streamlit run app.py`.
"""

import streamlit as st

from ui.cache import load_in_background
from ui.present import apply_url_settings, read_present_flag, style
from ui.runtime import keep_keras_state


def run() -> None:
    keep_keras_state()  # Streamlit would reset Keras (and run a full GC) after every rerun
    st.set_page_config(page_title="MNIST Digit Lab", page_icon=":material/draw:", layout="wide")
    pages = [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/draw.py", title="Draw", icon=":material/draw:", url_path="draw"),
        st.Page("app_pages/handwriting.py", title="Our handwriting", icon=":material/photo_library:", url_path="handwriting"),
        st.Page("app_pages/explore.py", title="Explore", icon=":material/query_stats:", url_path="explore"),
        st.Page("app_pages/augment.py", title="Augment", icon=":material/tune:", url_path="augment"),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
        st.Page("app_pages/evaluate.py", title="Evaluate", icon=":material/fact_check:", url_path="evaluate"),
        st.Page("app_pages/models.py", title="Models", icon=":material/inventory_2:", url_path="models"),
    ]
    nav = st.navigation(pages, position="hidden" if read_present_flag() else "sidebar")
    apply_url_settings({p.url_path or "home": p for p in pages})
    style()
    nav.run()
    # Once the first page has been drawn (not before: importing TensorFlow holds the GIL for seconds
    # and would slow that page down), load the active model in a background thread, so that Draw
    # answers at once when the class gets there. No-op once loaded or loading.
    load_in_background()


# `streamlit run app.py` executes this file as a script on every rerun (not as __main__ in all
# versions), so the entry point is called unconditionally, except in a training worker: Python's
# multiprocessing (spawn) re-imports the parent's main script there as "__mp_main__".
if __name__ != "__mp_main__":
    run()
