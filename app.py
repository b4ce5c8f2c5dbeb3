"""MNIST Digit Lab: explore the dataset, preview augmentations, train a CNN and draw digits.

Run with `streamlit run app.py`.
"""

import streamlit as st

from ui.present import apply_url_settings, read_present_flag, style


def run() -> None:
    st.set_page_config(page_title="MNIST Digit Lab", page_icon="✏️", layout="wide")
    pages = [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/draw.py", title="Draw", icon="✏️", url_path="draw"),
        st.Page("pages/handwriting.py", title="Our handwriting", icon="🗂️", url_path="handwriting"),
        st.Page("pages/explore.py", title="Explore", icon="🔎", url_path="explore"),
        st.Page("pages/augment.py", title="Augment", icon="🎛️", url_path="augment"),
        st.Page("pages/train.py", title="Train", icon="🏋️", url_path="train"),
    ]
    nav = st.navigation(pages, position="hidden" if read_present_flag() else "sidebar")
    apply_url_settings({p.url_path or "home": p for p in pages})
    style()
    nav.run()


if __name__ == "__main__":
    run()
