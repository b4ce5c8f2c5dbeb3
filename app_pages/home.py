"""Home: what the app is, and which model is active."""

import streamlit as st

from ui import session_model
from ui.guard import friendly_errors, literal

st.title("MNIST Digit Lab")
st.markdown(
    "Draw a digit and watch a neural network read it; explore the 70,000 handwritten digits it learned "
    "from; see how augmentation varies them; train your own network and compare."
)

with st.container(horizontal=True, gap="large"):  # a row that wraps where the four do not fit (a tablet)
    st.page_link("app_pages/draw.py", label="Draw a digit", icon=":material/draw:")
    st.page_link("app_pages/explore.py", label="Explore the dataset", icon=":material/query_stats:")
    st.page_link("app_pages/augment.py", label="Preview augmentation", icon=":material/tune:")
    st.page_link("app_pages/train.py", label="Train a model", icon=":material/model_training:")

with friendly_errors("The model summary"):
    model = session_model.stored()
    st.subheader("The model in this browser" if session_model.is_own_choice() else "The class's model")
    card = model.card
    facts = [f"{card.parameters:,} parameters"] if card.parameters else []
    if card.test_accuracy is not None:
        facts.append(f"{card.test_accuracy:.2%} accuracy on the 10,000 MNIST test digits")
    st.markdown(f"**{literal(model.name)}**: {literal(card.description or 'a Keras model')}  \n" + ", ".join(facts))
