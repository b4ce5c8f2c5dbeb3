"""MNIST Digit Lab: explore the dataset, preview augmentations, train a CNN and draw digits.

Run with `streamlit run app.py`.
"""

import streamlit as st

from ui.present import apply_url_settings, read_present_flag, style


def run() -> None:
    st.set_page_config(page_title="MNIST Digit Lab", page_icon=":material/draw:", layout="wide")
    pages = [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/draw.py", title="Draw", icon=":material/draw:", url_path="draw"),
        st.Page("app_pages/handwriting.py", title="Our handwriting", icon=":material/photo_library:", url_path="handwriting"),
        st.Page("app_pages/explore.py", title="Explore", icon=":material/query_stats:", url_path="explore"),
        st.Page("app_pages/augment.py", title="Augment", icon=":material/tune:", url_path="augment"),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
    ]
    nav = st.navigation(pages, position="hidden" if read_present_flag() else "sidebar")
    apply_url_settings({p.url_path or "home": p for p in pages})
    style()
    nav.run()


# `streamlit run app.py` executes this file as a script on every rerun (not as __main__ in all
# versions), so the entry point is called unconditionally.
run()
