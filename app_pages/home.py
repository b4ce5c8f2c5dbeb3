"""Home: what the app is, and which model is active."""

import streamlit as st

from mnist_core.store import ModelStore
from ui.guard import friendly_errors

st.title("MNIST Digit Lab")
st.markdown(
    "Draw a digit and watch a neural network read it; explore the 70,000 handwritten digits it learned "
    "from; see how augmentation varies them; train your own network and compare."
)

c1, c2, c3, c4 = st.columns(4)
c1.page_link("app_pages/draw.py", label="Draw a digit", icon=":material/draw:")
c2.page_link("app_pages/explore.py", label="Explore the dataset", icon=":material/query_stats:")
c3.page_link("app_pages/augment.py", label="Preview augmentation", icon=":material/tune:")
c4.page_link("app_pages/train.py", label="Train a model", icon=":material/model_training:")

st.subheader("Active model")
with friendly_errors("The model summary"):
    store = ModelStore()
    active = store.get(store.active_name())
    card = active.card
    acc = card.get("metrics", {}).get("test_accuracy")
    facts = [f"{card['parameters']:,} parameters"] if "parameters" in card else []
    if acc:
        facts.append(f"{acc:.2%} accuracy on the 10,000 MNIST test digits")
    st.markdown(f"**{active.name}**: {card.get('description', 'a Keras model')}  \n" + ", ".join(facts))
