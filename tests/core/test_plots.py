"""Picture helpers: crisp enlargement (the one helper every page uses)."""

import numpy as np

from mnist_core.plots import enlarge, heat_overlay


def test_enlarge_by_a_factor_makes_blocks_and_reads_floats_as_unit_range():
    x = np.array([[[0.0, 1.0], [0.5, 0.25]]], np.float32)
    big = enlarge(x, 3)
    assert big.shape == (1, 6, 6) and big.dtype == np.uint8
    assert (big[0, :3, 3:] == 255).all() and (big[0, :3, :3] == 0).all() and (big[0, 3:, :3] == 128).all()
    np.testing.assert_array_equal(enlarge(np.array([[7]], np.uint8), 2), [[7, 7], [7, 7]])
    assert enlarge(np.zeros((5, 28, 28), np.uint8), 2).shape == (5, 56, 56)


def test_enlarge_to_a_height_keeps_the_proportions_and_the_pixels_crisp():
    img = np.zeros((20, 10), np.float32)
    img[:10] = 1.0
    big = enlarge(img, height=150)
    assert big.shape == (150, 75) and set(np.unique(big)) == {0, 255}  # nearest neighbour: no grey edge
    assert (big[:75] == 255).all() and (big[75:] == 0).all()
    small = enlarge(np.ones((280, 280), np.float32), height=150)  # a canvas shrinks to the same height
    assert small.shape == (150, 150)


def test_heat_overlay_is_an_rgb_picture_of_the_asked_size():
    out = heat_overlay(np.ones((28, 28), np.float32), np.zeros((28, 28), np.float32), side=196)
    assert out.shape == (196, 196, 3) and out.dtype == np.uint8 and (out == 255).all()  # no heat: the digit


def test_thumbnail_grid_reports_the_clicked_digit_and_frames_the_asked_ones():
    import base64
    import io

    from PIL import Image

    from mnist_core.plots import LABEL_ERROR_COLOUR, thumbnail_grid

    images = np.zeros((10, 28, 28), np.uint8)
    fig = thumbnail_grid(images, [5, 6, 7, 8, 9, 10, 11, 12, 13, 947], [f"c{i}" for i in range(10)],
                         frames=[None] * 9 + [LABEL_ERROR_COLOUR], cols=4)
    points = fig.data[1]
    assert list(points.customdata) == [5, 6, 7, 8, 9, 10, 11, 12, 13, 947]  # what a click selects
    assert [a.text for a in fig.layout.annotations] == [f"c{i}" for i in range(10)]
    assert fig.layout.clickmode == "event+select"
    png = Image.open(io.BytesIO(base64.b64decode(fig.data[0].source.split(",", 1)[1])))
    assert png.size == (4 * 34, 3 * 43)  # 4 columns, 3 rows of 28 px + frame and gap (3 px a side) + caption
    pixels = np.asarray(png.convert("RGB"))
    assert tuple(pixels[2 * 43 + 1, 1 * 34 + 1]) == (214, 39, 40)  # the 10th digit (row 2, column 1) framed red
    assert tuple(pixels[2 * 43, 1 * 34]) == (255, 255, 255)  # a white gap: neighbouring frames do not merge
    assert tuple(pixels[0, 0]) == (255, 255, 255)  # the others are not
