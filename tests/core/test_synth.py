import numpy as np
import pytest
from scipy import ndimage

from mnist_core.preprocess import disc_footprint, prepare
from mnist_core.synth import (
    HELD_OUT_SCRIBBLES,
    LETTERS,
    SCRIBBLE_KINDS,
    TRAINING_SCRIBBLES,
    disc_max,
    redraw,
    scribble,
)

NEW_KINDS = ("heart", "question", "S", "letters", "tick", "arrow", "box", "smiley", "flower", "house")


def test_training_and_held_out_kinds_split_all_kinds():
    assert set(TRAINING_SCRIBBLES) | set(HELD_OUT_SCRIBBLES) == set(SCRIBBLE_KINDS)
    assert not set(TRAINING_SCRIBBLES) & set(HELD_OUT_SCRIBBLES)
    assert {"zigzag", "blob", "hatch", "star", "letter", "spiral"} <= set(TRAINING_SCRIBBLES)
    assert {"heart", "question", "S"} <= set(TRAINING_SCRIBBLES)  # the shapes read as 0, 7 and 5 before
    assert {"grid", "triangle", "wave"} <= set(HELD_OUT_SCRIBBLES)
    assert set(NEW_KINDS) <= set(SCRIBBLE_KINDS)


@pytest.mark.parametrize("kind", NEW_KINDS)
def test_new_kinds_draw_ink_deterministically(kind):
    a = [scribble(np.random.default_rng(s), kinds=(kind,)) for s in range(6)]
    b = [scribble(np.random.default_rng(s), kinds=(kind,)) for s in range(6)]
    for img, same in zip(a, b, strict=True):
        assert img.shape == (280, 280, 4) and img.dtype == np.uint8
        assert np.array_equal(img, same)
        ink = img[..., 0] > 128
        assert 0.005 < ink.mean() < 0.4  # some ink, not a filled canvas
        rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
        assert rows[-1] - rows[0] > 60 and cols[-1] - cols[0] > 40  # a shape, not a speck
        assert prepare(img) is not None
    assert not all(np.array_equal(a[0], other) for other in a[1:])  # random shapes, sizes and places


def test_question_mark_has_a_dot_under_its_hook():
    img = scribble(np.random.default_rng(0), kinds=("question",))[..., 0] > 128
    labels, n = ndimage.label(img)
    assert n == 2
    (top, _), (bottom, _) = sorted(ndimage.find_objects(labels), key=lambda s: s[0].start)
    assert bottom.start > top.stop  # the dot is below the hook


def test_letters_are_not_digit_look_alikes():
    assert not set(LETTERS) & set("OIlZSBGbgqzsD")


def test_disc_max_is_grey_dilation_with_a_disc():
    rng = np.random.default_rng(0)
    for radius in (0, 1, 3, 8, 15):
        a = rng.random((int(rng.integers(20, 90)), int(rng.integers(20, 90))))
        expected = ndimage.grey_dilation(a, footprint=disc_footprint(radius)) if radius else a
        assert np.array_equal(disc_max(a, radius), expected)


def test_redraw_thickens_and_thins_to_the_pen(mnist):
    digit = mnist.x_test[0]
    for pen in (8.0, 36.0):
        widths = []
        for seed in range(4):
            ink = redraw(digit, np.random.default_rng(seed), height=(0.8, 0.8), pen=(pen, pen), speck_chance=0)[..., 0]
            shape = ink > 128
            widths.append(2.0 * shape.sum() / (shape & ~ndimage.binary_erosion(shape)).sum())
        assert np.median(widths) == pytest.approx(pen, rel=0.35)
