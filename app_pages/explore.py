"""Explore the MNIST dataset: labels, pixels, single digits, a map of all of them, and hard cases.

Never imports TensorFlow, except in the hard-examples tab once its button is pressed.
"""

import numpy as np
import streamlit as st

from mnist_core import stats, stats_plots
from mnist_core.hard import hardest_per_digit
from mnist_core.plots import label_distribution
from ui import session_model
from ui.cache import image_features, mnist, model_scores, pca_map, pixel_stats, tsne_is_cached, tsne_map
from ui.explore_ui import EXPLORE_HARD, EXPLORE_TAB, gallery_query_ui
from ui.guard import friendly_errors
from ui.show import digit_grid, digit_row, picked_index

PER_PAGE = 40  # gallery digits per page
TSNE_SIZES = [1000, 3000, 5000]

st.title("Explore MNIST")

data = None
with friendly_errors("The dataset view"):
    data = mnist()
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.caption(f"Read from `{data.source}`")
    split = right.segmented_control("Split", ["train", "test"], default="train", key="explore_split") or "train"
    images, labels = data.split(split)
    # Lazy tabs: only the open one runs (bind= keeps it in the URL: /explore?tab=Map)
    overview, pixels, gallery, maps, hard = st.tabs(["Overview", "Pixels", "Gallery", "Map", "Hard examples"],
                                                    key=EXPLORE_TAB, bind="query-params")
if data is None:  # the error and what to do about it are on the page already
    st.stop()

if overview.open:
    with overview, friendly_errors("The overview"):
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Training images", f"{len(data.x_train):,}")
        c2.metric("Test images", f"{len(data.x_test):,}")
        c3.metric("Image size (pixels)", " x ".join(map(str, data.x_train.shape[1:])))
        c4.metric("Pixel values", f"{data.x_train.dtype}, {data.x_train.min()}-{data.x_train.max()}",
                  help="0 is black, 255 full-white ink")
        st.subheader("How many of each digit?")
        train_counts, test_counts = stats.label_counts(data.y_train), stats.label_counts(data.y_test)
        st.plotly_chart(label_distribution({"train": train_counts, "test": test_counts}), width="stretch")
        st.write(stats.imbalance_sentence(train_counts))

if pixels.open:
    with pixels, friendly_errors("The pixel statistics"):
        px = pixel_stats(split)
        st.plotly_chart(stats_plots.intensity_histogram(px.histogram, px.black_share), width="stretch")

        # The average digit, and how much digits vary around it
        kind = st.radio("Show each pixel's", ["mean", "standard deviation"], horizontal=True)
        maps_ = [px.mean, *px.mean_by_digit] if kind == "mean" else [px.std, *px.std_by_digit]
        st.plotly_chart(stats_plots.heatmap_grid(np.array(maps_), ["all", *map(str, range(10))], cols=6,
                                                 value_name=kind, colorscale="gray" if kind == "mean" else "magma"),
                        width="stretch")

        # Where the ink goes, and the shape of each digit
        left, right = st.columns([1, 2], gap="large")
        left.markdown("**How often is each pixel inked?**")
        left.plotly_chart(stats_plots.heatmap_grid(px.inked[None], [""], cols=1,
                                                   zmax=1, colorscale="viridis", value_name="share", height=330),
                          width="stretch")
        features = image_features(split)
        name = right.selectbox("Feature", list(stats.FEATURES), format_func=lambda n: stats.FEATURES[n][0])
        quantiles = stats.feature_quantiles(features[name], labels)
        right.plotly_chart(stats_plots.feature_boxes(quantiles, name, stats.FEATURES[name][1]), width="stretch")
        right.caption("Each box holds the middle half of that digit's images, the whiskers 90% of them.")

if gallery.open:
    with gallery, friendly_errors("The gallery"):
        features = image_features(split)
        query = gallery_query_ui(features, labels)
        found = stats.select_images(labels, features, query.digit, query.feature, query.low, query.high, query.order)
        pages = max(1, -(-len(found) // PER_PAGE))
        left, right = st.columns([3, 2], gap="large")
        page = left.number_input(f"Page (of {pages:,}; {len(found):,} digits match)", 1, pages, 1,
                                 key=f"page_{query}")
        shown = found[(page - 1) * PER_PAGE: page * PER_PAGE]
        with left:
            digit_grid(images[shown], [f"{labels[i]} · {features[query.feature][i]:.3g}" for i in shown], factor=2)
        if len(shown):
            index = right.selectbox("Open a digit", shown, format_func=lambda i: f"#{i}: labelled {labels[i]}")
            right.plotly_chart(stats_plots.digit_heatmap(images[index], f"{split} #{index}: labelled {labels[index]}",
                                                         height=380), width="stretch")
            right.caption(" · ".join(f"{n} {features[n][index]:.3g}" for n in stats.FEATURES))
        else:
            left.info("No digit matches: widen the range or choose another digit.")

if maps.open:
    with maps, friendly_errors("The map"):
        method = st.radio("Map", ["PCA of every image", "t-SNE of a sample (training set)"], horizontal=True,
                          label_visibility="collapsed")
        left, right = st.columns([3, 1], gap="medium")
        emb = None
        if method.startswith("PCA"):
            emb, where, where_labels = pca_map(split), images, labels
            about = (f"PCA: {len(emb.indices):,} {split} images placed by the two directions in which their pixels "
                     f"vary most ({emb.explained:.0%} of all variation).")
        else:
            n = right.select_slider("Digits in the sample", TSNE_SIZES, 3000)
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
                width="stretch", on_select="rerun", selection_mode="points", key=f"map_{method[:4]}_{split}")
            left.caption(about)
            index = picked_index(event)
            if index is None:
                right.info("Click a point on the map to see its digit here.")
            else:
                right.plotly_chart(stats_plots.digit_heatmap(where[index], f"#{index}: labelled {where_labels[index]}",
                                                             height=300, scale=False), width="stretch")

if hard.open:
    with hard, friendly_errors("The hard examples"):
        st.write("The digits the model believes least, given their label: badly written ones, and some whose "
                 "label is probably wrong. This loads the model and runs it over every image once.")
        k = st.slider("Digits per label", 3, 12, 6)
        if st.button(f"Find the hard {split} examples", type="primary", icon=":material/search:"):
            st.session_state[EXPLORE_HARD] = True
        if st.session_state.get(EXPLORE_HARD):
            scores = model_scores(session_model.stored(), split)
            wrong = int((scores.predicted != labels).sum())
            st.caption(f"The model gets {wrong:,} of {len(labels):,} {split} digits wrong ({wrong / len(labels):.2%}). "
                       "Under each digit: its index, then its label → the model's answer (its confidence).")
            for d, chosen in enumerate(hardest_per_digit(scores.losses, labels, k)):
                st.markdown(f"**Labelled {d}**")
                digit_row(images[chosen], [f"#{i}  \n{d} → **{scores.predicted[i]}** ({scores.confidence[i]:.0%})"
                                           for i in chosen], slots=k)
