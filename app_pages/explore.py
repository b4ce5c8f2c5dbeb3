"""Explore the MNIST dataset: labels, pixels, single digits, a map of all of them, and hard cases.

Never imports TensorFlow, except in the hard-examples tab once its button is pressed. Every filter is
in the URL (ui/explore_ui.py), e.g. /explore?tab=Gallery&split=test&show=errors.
"""

import numpy as np
import streamlit as st

from mnist_core import stats, stats_plots
from mnist_core.label_errors import label_errors
from mnist_core.plots import label_distribution
from ui import explore_ui as ui
from ui.cache import image_features, mnist, pca_map, pixel_stats, tsne_is_cached, tsne_map
from ui.guard import friendly_errors
from ui.show import picked_index

head, split_at = st.columns([2, 1], vertical_alignment="bottom")  # room for the switch on one line
head.title("Explore MNIST")

data, tab, full = None, "Overview", None
with friendly_errors("The dataset view"):
    data = mnist()
    ui.start()
    split = split_at.segmented_control("Split", ["train", "test"], key=ui.key("split"), label_visibility="collapsed",
                                       format_func=lambda s: f"{s} set", help="60,000 training digits, 10,000 test")
    split = split or "train"
    images, labels = data.split(split)
    # Lazy tabs: only the open one runs (bind= keeps it in the URL: /explore?tab=Map)
    overview, pixels, gallery, maps, hard = st.tabs(["Overview", "Pixels", "Gallery", "Map", "Hard examples"],
                                                    key=ui.EXPLORE_TAB, bind="query-params")
if data is None:  # the error and what to do about it are on the page already
    st.stop()

if overview.open:
    with overview, friendly_errors("The overview"):
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Training images", f"{len(data.x_train):,}")
        c2.metric("Test images", f"{len(data.x_test):,}")
        c3.metric("Image size", "×".join(map(str, data.x_train.shape[1:])), help="pixels: 28 rows of 28")
        c4.metric("Pixel values", f"{data.x_train.min()}-{data.x_train.max()}",
                  help=f"whole numbers ({data.x_train.dtype}): 0 is black, 255 full-white ink")
        st.subheader("How many of each digit?")
        train_counts, test_counts = stats.label_counts(data.y_train), stats.label_counts(data.y_test)
        st.plotly_chart(label_distribution({"train": train_counts, "test": test_counts}), width="stretch")
        st.write(stats.imbalance_sentence({"training": train_counts, "test": test_counts}))
        st.caption(f"Read from {data.source}.")

if pixels.open:
    tab = "Pixels"
    with pixels, friendly_errors("The pixel statistics"):
        px = pixel_stats(split)
        st.plotly_chart(stats_plots.intensity_histogram(px.histogram, px.black_share), width="stretch")

        # The average digit, and how much digits vary around it (black: the same in every image)
        kind = st.radio("Show each pixel's", ["mean", "std"], horizontal=True, key=ui.key("stat"),
                        format_func={"mean": "average", "std": "spread (standard deviation)"}.get)
        maps_ = [px.mean, *px.mean_by_digit] if kind == "mean" else [px.std, *px.std_by_digit]
        st.plotly_chart(stats_plots.heatmap_grid(np.array(maps_), ["all", *map(str, range(10))], cols=6,
                                                 value_name="average" if kind == "mean" else "spread",
                                                 colorscale="gray" if kind == "mean" else "magma"), width="stretch")
        if kind == "std":
            st.caption("Black: the pixel is the same in every image (always blank). Bright: it changes most "
                       "from one image to the next, where the strokes of different writers fall.")

        # Where the ink goes, and the shape of each digit
        left, right = st.columns([1, 2], gap="large")
        left.markdown("**How often is each pixel inked?**")
        left.plotly_chart(stats_plots.heatmap_grid(px.inked[None], [""], cols=1,
                                                   zmax=1, colorscale="viridis", value_name="share", height=330),
                          width="stretch")
        features = image_features(split)
        name = right.selectbox("Feature", list(stats.FEATURES), format_func=lambda n: stats.FEATURES[n][0],
                               filter_mode=None,
                               key=ui.key("box"))
        quantiles = stats.feature_quantiles(features[name], labels)
        right.plotly_chart(stats_plots.feature_boxes(quantiles, name, stats.FEATURES[name][1]), width="stretch")
        right.caption("Each box holds the middle half of that digit's images, the whiskers 90% of them.")

if gallery.open:
    tab = "Gallery"
    with gallery, friendly_errors("The gallery"):
        features = image_features(split)
        show, query = ui.gallery_query_ui(features, labels, split)
        if query is not None:
            full = query.full
            found = stats.select_images(labels, features, query.digit, query.feature, query.low, query.high,
                                        query.order)
            about = f"{len(found):,} digits match. Under each: its label and its {query.feature}."
        else:
            found = np.array(sorted(ui.flags(split) if show == "flagged" else label_errors(split)), dtype=np.int64)
            about = ("The digits you flagged (open one and press Flag as suspicious)." if show == "flagged" else
                     "Test digits whose label most human reviewers did not choose (Northcutt et al. 2021).")
        left, right = st.columns([3, 2], gap="large")
        with left:
            shown = ui.page_ui(found, about)
            if len(shown):
                name = query.feature if query is not None else "ink"
                ui.gallery_grid_ui(images, labels, shown, split,
                                   [stats.feature_words(name, features[name][i]) for i in shown], "gallery-grid")
            else:
                st.info("No digit to show: widen the range, choose another digit, or flag some first.")
        with right:
            ui.open_digit_ui(images, labels, features, split)

if maps.open:
    tab = "Map"
    with maps, friendly_errors("The map"):
        method = st.radio("Map", ["pca", "tsne"], horizontal=True, label_visibility="collapsed", key=ui.key("map"),
                          format_func={"pca": "PCA of every image", "tsne": "t-SNE of a sample (training set)"}.get)
        left, right = st.columns([3, 1], gap="medium")
        emb = None
        if method == "pca":
            emb, where, where_labels = pca_map(split), images, labels
            about = (f"PCA: {len(emb.indices):,} {split} images placed by the two directions in which their pixels "
                     f"vary most ({emb.explained:.0%} of all variation).")
        else:
            n = right.select_slider("Digits in the sample", ui.TSNE_SIZES, key=ui.key("n"))
            if tsne_is_cached(n) or right.button("Compute the t-SNE map", type="primary"):
                emb, where, where_labels = tsne_map(n), data.x_train, data.y_train
                about = (f"t-SNE of {n:,} training digits: similar digits form islands; the distances between "
                         "islands mean little.")
            else:
                left.info(f"t-SNE of {n:,} digits takes a minute or more the first time; it is then kept on "
                          "disk and loads at once.")
        if emb is not None:
            size = 3 if len(emb.indices) > 20_000 else 5
            event = left.plotly_chart(
                stats_plots.embedding_map(emb.coords, where_labels[emb.indices], emb.indices, marker_size=size,
                                          height=520),
                width="stretch", on_select="rerun", selection_mode="points", key=f"map_{method}_{split}")
            left.caption(about)
            index = picked_index(event)
            if index is None:
                right.info("Click a point on the map to see its digit here.")
            else:
                right.plotly_chart(stats_plots.digit_heatmap(where[index], f"#{index}: labelled {where_labels[index]}",
                                                             height=300, scale=False), width="stretch")

if hard.open:
    tab = "Hard examples"
    with hard, friendly_errors("The hard examples"):
        ui.hard_examples_ui(split, images, labels)

ui.finish(tab, full)
