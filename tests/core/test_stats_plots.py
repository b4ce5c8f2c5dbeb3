"""Figure builders: the right traces and data, readable fonts, and nothing rendered."""

import numpy as np
import plotly.graph_objects as go

from mnist_core import stats_plots


def fonts_ok(fig: go.Figure) -> bool:
    return fig.layout.font.size >= 14


def test_intensity_histogram_is_log_scaled_and_names_the_black_share():
    counts = np.zeros(256, int)
    counts[0], counts[255] = 800, 200
    fig = stats_plots.intensity_histogram(counts, 0.8)
    assert isinstance(fig, go.Figure) and fonts_ok(fig)
    assert fig.layout.yaxis.type == "log" and "80.0%" in fig.layout.title.text
    assert "the next peak is at 255, near-white ink" in fig.layout.title.text
    np.testing.assert_array_equal(fig.data[0].y, counts)
    counts[253] = 300  # MNIST's second peak is at 253 (QA: the title said 255)
    assert "the next peak is at 253" in stats_plots.intensity_histogram(counts, 0.8).layout.title.text


def test_heatmap_grid_has_one_map_per_image_and_a_shared_scale():
    maps = np.random.default_rng(0).random((11, 28, 28))
    fig = stats_plots.heatmap_grid(maps, ["all", *map(str, range(10))], cols=6)
    assert len(fig.data) == 11 and fonts_ok(fig)
    assert {t.zmax for t in fig.data} == {maps.max()}
    assert [t.showscale for t in fig.data].count(True) == 1
    assert [a.text for a in fig.layout.annotations][:2] == ["all", "0"]


def test_digit_heatmap_keeps_the_pixels_and_their_orientation():
    img = np.zeros((28, 28), np.uint8)
    img[0, 27] = 255
    fig = stats_plots.digit_heatmap(img, "#5: labelled 1")
    np.testing.assert_array_equal(fig.data[0].z, img)
    assert fig.data[0].zmax == 255 and tuple(fig.layout.yaxis.range) == (27.5, -0.5)  # row 0 at the top


def test_feature_boxes_draw_precomputed_quartiles():
    q = np.tile(np.array([1.0, 2, 3, 4, 5]), (10, 1)) + np.arange(10)[:, None]
    fig = stats_plots.feature_boxes(q, "ink", "pixels")
    assert len(fig.data) == 10 and fonts_ok(fig)
    box = fig.data[3]
    assert (box.lowerfence[0], box.q1[0], box.median[0], box.q3[0], box.upperfence[0]) == (4, 5, 6, 7, 8)
    assert fig.layout.yaxis.title.text == "ink (pixels)"


def test_embedding_map_carries_image_indices_for_clicks():
    coords = np.arange(20, dtype=float).reshape(10, 2)
    labels = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 9])
    indices = np.arange(100, 110)
    fig = stats_plots.embedding_map(coords, labels, indices)
    assert [t.name for t in fig.data] == ["0", "1", "2", "9"]
    np.testing.assert_array_equal(fig.data[1].customdata, [102, 103, 104])
    assert [a.text for a in fig.layout.annotations] == ["<b>0</b>", "<b>1</b>", "<b>2</b>", "<b>9</b>"]
    assert fonts_ok(fig)


def test_map_labels_of_close_digits_are_spread_apart_and_point_at_their_centres(mnist):
    """MNIST's PCA map puts the middles of 3, 5, 8 and 2 (and of 4, 7, 9) within a label of each other."""
    from mnist_core.embed import pca_map

    emb = pca_map(mnist.x_train[:5000], fit_sample=5000)
    labels = mnist.y_train[:5000]
    fig = stats_plots.embedding_map(emb.coords, labels, emb.indices)
    span = np.ptp(emb.coords.astype(float), axis=0)
    notes = fig.layout.annotations
    written = np.array([(a.ax, a.ay) for a in notes]) / span  # where each label is written, in map shares
    for i in range(10):
        for j in range(i + 1, 10):
            gap = np.abs(written[i] - written[j])
            assert (gap >= np.array(stats_plots.LABEL_BOX) - 1e-5).any(), (i, j, gap)  # no two labels overlap
    centres = np.array([np.median(emb.coords[labels == d], axis=0) for d in range(10)])
    np.testing.assert_allclose([(a.x, a.y) for a in notes], centres, rtol=1e-5)  # the arrow ends on the middle
    moved = [a.showarrow for a in notes]
    assert 0 < sum(moved) < 10  # those in a crowd moved (and say where they belong); the lone ones did not
    close = np.abs(centres[:, None] - centres[None]) / span < np.array(stats_plots.LABEL_BOX)
    for d in range(10):
        if close[d].all(axis=1).sum() > 1:  # its middle lies within a label of another's
            assert moved[d], d


def test_spread_labels_leaves_labels_that_are_apart_where_they_are():
    centres = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.2]])
    coords = np.array([[0.0, 0.0], [1.0, 1.0]])
    assert stats_plots.spread_labels(centres, coords) == [tuple(c) for c in centres]
    crowded = stats_plots.spread_labels(np.array([[0.5, 0.5], [0.5, 0.5], [0.51, 0.5]]), coords)
    assert len(set(crowded)) == 3

def test_colour_scales_are_safe_from_streamlits_placeholder_colours():
    """Streamlit repaints #000001-#000020 in charts: magma's #000004 came out pink at 0."""
    from mnist_core.stats_plots import colour_scale, heatmap_grid

    assert colour_scale("magma")[0] == [0.0, "#000000"]
    fig = heatmap_grid(np.zeros((2, 28, 28)), ["a", "b"], colorscale="magma")
    assert all(str(c).lower() != "#000004" for _, c in fig.data[0].colorscale)
