"""Explore the MNIST dataset: labels and pixels. Never imports TensorFlow."""

import streamlit as st

from mnist_core.plots import label_distribution
from mnist_core.stats import imbalance_sentence, label_counts
from ui.cache import mnist
from ui.guard import friendly_errors

st.title("🔎 Explore MNIST")

with friendly_errors("The dataset view"):
    data = mnist()
    st.caption(f"Read from `{data.source}`")

    # Overview
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Training images", f"{len(data.x_train):,}")
    c2.metric("Test images", f"{len(data.x_test):,}")
    c3.metric("Image size", "28 x 28")
    c4.metric("Pixel values", f"{data.x_train.dtype}, 0-255")

    # Labels
    st.subheader("How many of each digit?")
    train_counts, test_counts = label_counts(data.y_train), label_counts(data.y_test)
    st.plotly_chart(label_distribution({"train": train_counts, "test": test_counts}), width="stretch")
    st.write(imbalance_sentence(train_counts))
