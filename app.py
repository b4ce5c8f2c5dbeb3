"""MNIST Digit Lab: explore the dataset, preview augmentations, train a CNN and draw digits.

Run with `streamlit run app.py`.
"""

import streamlit as st


def run() -> None:
    st.set_page_config(page_title="MNIST Digit Lab", page_icon="✏️", layout="wide")
    pages = [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/draw.py", title="Draw", icon="✏️", url_path="draw"),
        st.Page("pages/explore.py", title="Explore", icon="🔎", url_path="explore"),
        st.Page("pages/augment.py", title="Augment", icon="🎛️", url_path="augment"),
        st.Page("pages/train.py", title="Train", icon="🏋️", url_path="train"),
        st.Page("pages/evaluate.py", title="Evaluate", icon="🧪", url_path="evaluate"),
        st.Page("pages/models.py", title="Models", icon="🗂️", url_path="models"),
    ]
    st.navigation(pages).run()


if __name__ == "__main__":
    run()
