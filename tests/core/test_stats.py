"""Dataset statistics against small hand-made images whose answers are known by construction."""

import numpy as np
import pytest

from mnist_core import stats


def canvas(n: int = 1, side: int = 8) -> np.ndarray:
    return np.zeros((n, side, side), np.uint8)


def ring() -> np.ndarray:
    """A square '0': a 5x5 outline with one hole."""
    x = canvas()
    x[0, 1:6, 1:6] = 255
    x[0, 2:5, 2:5] = 0
    return x[0]


def eight() -> np.ndarray:
    """Two stacked squares sharing a side: an '8' with two holes."""
    x = np.zeros((10, 8), np.uint8)
    x[1:8, 2:5] = 255
    x[2, 3] = x[6, 3] = 0  # holes at rows 2 and 6
    return x[:8]


def test_label_counts_and_imbalance_sentence():
    counts = stats.label_counts(np.array([0, 1, 1, 9, 9, 9]))
    assert counts.tolist() == [1, 2, 0, 0, 0, 0, 0, 0, 0, 3]
    sentence = stats.imbalance_sentence({"training": np.array([100] * 9 + [200])})
    assert "most common digit is 9" in sentence and "2.00 times as many 9s as 0s" in sentence
    assert "imbalanced" in sentence


def test_the_imbalance_sentence_says_each_sets_own_figures(mnist):
    """QA: the sentence gave the training set's figures under a chart of both sets, and said '1.24 times
    fewer' for 'as common'. MNIST's own counts: 1 is 11.24% of training and 11.35% of test digits."""
    sentence = stats.imbalance_sentence({"training": stats.label_counts(mnist.y_train),
                                         "test": stats.label_counts(mnist.y_test)})
    assert ("In the training set the most common digit is 1 (11.2% of images) and the least common 5 (9.0%): "
            "1.24 times as many 1s as 5s.") in sentence
    assert "In the test set the most common digit is 1 (11.3% of images) and the least common 5 (8.9%): " \
           "1.27 times as many 1s as 5s." in sentence and sentence.endswith("nearly balanced.")


def test_intensity_histogram_counts_each_value_and_the_black_share():
    x = np.array([[[0, 0, 0, 255], [7, 7, 0, 0]]], np.uint8)
    counts, black = stats.intensity_histogram(x)
    assert counts.shape == (256,) and counts.sum() == 8
    assert (counts[0], counts[7], counts[255]) == (5, 2, 1)
    assert black == pytest.approx(5 / 8)


def test_intensity_histogram_refuses_scaled_images():
    with pytest.raises(ValueError, match="uint8"):
        stats.intensity_histogram(np.zeros((1, 2, 2), np.float32))


def test_mean_and_std_images():
    x = np.zeros((2, 2, 2), np.uint8)
    x[0, 0, 0], x[1, 0, 0] = 100, 200  # pixel (0, 0): 100 and 200 -> mean 150, std 50
    x[:, 1, 1] = 255  # pixel (1, 1): always 255 -> std 0
    mean, std = stats.mean_std(x)
    np.testing.assert_allclose(mean, [[150, 0], [0, 255]])
    np.testing.assert_allclose(std, [[50, 0], [0, 0]])


def test_mean_and_std_by_digit_match_numpy_per_digit():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (50, 4, 4), dtype=np.uint8)
    y = np.arange(50) % 3  # digits 0, 1, 2 only
    mean, std = stats.mean_std_by_digit(x, y)
    assert mean.shape == std.shape == (10, 4, 4)
    for d in range(3):
        np.testing.assert_allclose(mean[d], x[y == d].mean(axis=0))
        np.testing.assert_allclose(std[d], x[y == d].std(axis=0), atol=1e-9)
    assert not mean[3:].any() and not std[3:].any()  # digits with no images


def test_inked_share_counts_images_with_any_ink_at_each_pixel():
    x = canvas(4, 2)
    x[:, 0, 0] = 255  # always inked
    x[0, 1, 1] = 1  # faint, in one image of four
    share = stats.inked_share(x)
    np.testing.assert_allclose(share, [[1, 0], [0, 0.25]])
    np.testing.assert_allclose(stats.inked_share(x, threshold=1), [[1, 0], [0, 0]])


def test_pixel_stats_bundles_everything():
    x = np.stack([ring(), ring() // 2])
    p = stats.pixel_stats(x, np.array([0, 0]))
    assert p.histogram.sum() == x.size and (p.value_min, p.value_max) == (0, 255)
    assert p.black_share == pytest.approx((64 - 16) / 64)
    np.testing.assert_allclose(p.mean, p.mean_by_digit[0])
    assert p.inked[1, 1] == 1.0 and p.inked[0, 0] == 0.0


@pytest.mark.parametrize("bad", [np.zeros((3, 4), np.uint8), np.zeros((0, 4, 4), np.uint8)])
def test_pixel_stats_refuses_bad_shapes(bad):
    with pytest.raises(ValueError):
        stats.pixel_stats(bad, np.zeros(len(bad), np.uint8))


def test_features_of_a_ring():
    f = stats.image_features(ring()[None])
    assert set(f) == set(stats.FEATURES)
    assert f["ink"][0] == pytest.approx(16.0)  # 16 white pixels
    assert (f["width"][0], f["height"][0], f["aspect"][0]) == (5, 5, 1)
    assert (f["pieces"][0], f["holes"][0]) == (1, 1)
    assert f["slant"][0] == pytest.approx(0.0, abs=1e-6)  # symmetric
    assert f["thickness"][0] == pytest.approx(1.0)  # 2 * 16 pixels / (20 outer + 12 inner edges)


def test_holes_and_pieces_of_hand_made_shapes():
    bar = canvas()
    bar[0, 1:7, 3] = 255  # a '1': no hole
    two_dots = canvas()
    two_dots[0, 1, 1] = two_dots[0, 5, 5] = 255
    diagonal = canvas()
    diagonal[0, [2, 3, 4], [2, 3, 4]] = 255  # touching corners: one piece (8-connected), no hole
    x = np.concatenate([ring()[None], eight()[None], bar, two_dots, diagonal, canvas()])
    f = stats.image_features(x)
    assert f["holes"].tolist() == [1, 2, 0, 0, 0, 0]
    assert f["pieces"].tolist() == [1, 1, 1, 2, 1, 0]


def test_bounding_box_and_an_empty_image():
    x = canvas(2)
    x[0, 2:4, 1:7] = 200  # 6 wide, 2 high
    f = stats.image_features(x)
    assert (f["width"].tolist(), f["height"].tolist()) == ([6, 0], [2, 0])
    assert f["aspect"].tolist() == [3, 0]
    assert all(v[1] == 0 for v in f.values())  # no ink: every feature 0


def test_slant_sign_and_angle():
    right, left, upright = canvas(1, 9), canvas(1, 9), canvas(1, 9)
    for r in range(9):
        right[0, r, 8 - r] = 255  # '/' leans right by 45 degrees
        left[0, r, r] = 255  # '\'
        upright[0, r, 4] = 255
    assert stats.slant(right)[0] == pytest.approx(45.0)
    assert stats.slant(left)[0] == pytest.approx(-45.0)
    assert stats.slant(upright)[0] == pytest.approx(0.0)
    assert stats.slant(canvas())[0] == 0.0


def test_thick_strokes_measure_thicker():
    thin, thick = canvas(1, 12), canvas(1, 12)
    thin[0, 1:11, 5] = 255
    thick[0, 1:11, 4:8] = 255
    f = stats.image_features(np.concatenate([thin, thick]))
    # 2 * area / perimeter: 2 * 10 / 22 and 2 * 40 / 28
    np.testing.assert_allclose(f["thickness"], [20 / 22, 80 / 28], rtol=1e-6)


def test_feature_quantiles_per_digit():
    values = np.array([1.0, 2, 3, 4, 5, 10])
    labels = np.array([0, 0, 0, 0, 0, 1])
    q = stats.feature_quantiles(values, labels, (0.0, 0.5, 1.0))
    assert q.shape == (10, 3)
    np.testing.assert_allclose(q[0], [1, 3, 5])
    np.testing.assert_allclose(q[1], [10, 10, 10])
    assert np.isnan(q[2:]).all()


def test_select_images_filters_and_sorts():
    labels = np.array([1, 7, 1, 1, 7])
    features = {"ink": np.array([50.0, 80, 20, 35, 90])}
    assert stats.select_images(labels, features).tolist() == [0, 1, 2, 3, 4]
    assert stats.select_images(labels, features, digit=1).tolist() == [0, 2, 3]
    # the thinnest 1s first
    assert stats.select_images(labels, features, 1, "ink", order="ascending").tolist() == [2, 3, 0]
    assert stats.select_images(labels, features, None, "ink", low=40, high=85, order="descending").tolist() == [1, 0]
    assert stats.select_images(labels, features, 7, "ink", low=100).tolist() == []


@pytest.mark.parametrize("kwargs, message", [({"feature": "colour"}, "unknown feature"),
                                              ({"feature": "ink", "order": "random"}, "unknown order"),
                                              ({"order": "ascending"}, "feature")])
def test_select_images_refuses_unknown_choices(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stats.select_images(np.array([1]), {"ink": np.array([1.0])}, **kwargs)


def test_features_on_real_mnist_match_what_a_reader_expects(mnist):
    x, y = mnist.x_test[:2000], mnist.y_test[:2000]
    f = stats.image_features(x)
    median = {name: stats.feature_quantiles(v, y)[:, 2] for name, v in f.items()}
    assert median["holes"][8] == 2 and median["holes"][0] == 1 and median["holes"][1] == 0
    assert np.argmin(median["ink"]) == 1 and np.argmin(median["width"]) == 1  # 1s are the thinnest
    assert (median["pieces"] == 1).all()


def test_feature_words_are_short_and_plain():
    from mnist_core.stats import FEATURES, feature_words

    assert feature_words("holes", 0) == "no hole" and feature_words("holes", 2) == "2 holes"
    assert feature_words("pieces", 1) == "1 piece"
    assert feature_words("slant", 12.3) == "12° right" and feature_words("slant", -4) == "4° left"
    assert feature_words("slant", 0.2) == "upright" and feature_words("width", 14) == "14 px wide"
    assert all(len(feature_words(name, 123.456)) <= 20 for name in FEATURES)  # fits under a thumbnail
