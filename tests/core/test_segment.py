import numpy as np
import pytest

from mnist_core.predict import read_number
from mnist_core.segment import segment
from mnist_core.synth import DIGIT_STROKES, place, render


def number_image(digits, width=None, gap=50, pen=18, height=180):
    w = 100
    strokes = []
    for i, d in enumerate(digits):
        strokes += place(DIGIT_STROKES[d], 20 + i * (w + gap), 40, w, height)
    return render(strokes, (280, width or 40 + len(digits) * (w + gap)), pen)


def test_four_digits_are_four_segments_left_to_right():
    segs = segment(number_image([2, 0, 2, 6]))
    assert len(segs) == 4
    assert [s.left for s in segs] == sorted(s.left for s in segs)
    for s in segs:
        assert s.ink.shape == (280, 640) and s.ink[:, : s.left].max() == 0 and s.ink[:, s.right :].max() == 0


def test_a_digit_of_several_strokes_stays_one_segment():
    five = [[(0.85, 0.0), (0.2, 0.0)], [(0.2, 0.02), (0.15, 0.45)] + DIGIT_STROKES[5][0][3:]]  # bar drawn apart
    img = render(place(five, 30, 40, 110, 190) + place(DIGIT_STROKES[4], 200, 40, 100, 190), (280, 360), 16)
    assert len(segment(img)) == 2


def test_touching_digits_are_cut():
    strokes = place(DIGIT_STROKES[0], 20, 40, 110, 180) + place(DIGIT_STROKES[0], 122, 40, 110, 180)
    segs = segment(render(strokes, (280, 300), 18))
    assert len(segs) == 2


def test_empty_drawing_has_no_segments():
    assert segment(np.zeros((100, 300), np.uint8)) == []


@pytest.mark.parametrize("digits", [[2, 0, 2, 6], [4, 7], [1, 9, 8, 5]])
def test_read_number(default_model, digits):
    reading = read_number(number_image(digits), default_model)
    assert reading.text == "".join(map(str, digits))
    assert len(reading.segments) == len(digits)
