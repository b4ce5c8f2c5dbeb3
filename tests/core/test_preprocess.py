import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from mnist_core.preprocess import (
    PrepOptions,
    bounding_box,
    centre,
    fit_box,
    prepare,
    prepare_steps,
    stroke_width,
    to_ink,
)
from mnist_core.preprocess import _erase_edge_lines as erase_edge_lines
from mnist_core.synth import digit_image, render


def _com(img):
    return np.array(ndimage.center_of_mass(img))


def _check_mnist_like(x):
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() == pytest.approx(1.0)
    rows, cols = bounding_box(x)
    assert max(rows.stop - rows.start, cols.stop - cols.start) in (19, 20, 21)  # the 20-pixel box
    np.testing.assert_allclose(_com(x), [13.5, 13.5], atol=1.0)  # centred by mass


def test_canvas_rgba_light_on_dark_becomes_mnist_like():
    _check_mnist_like(prepare(digit_image(3)))


def test_empty_canvas_blank_and_transparent_give_none():
    assert prepare(np.zeros((280, 280, 4), np.uint8)) is None
    opaque_black = np.zeros((280, 280, 4), np.uint8)
    opaque_black[..., 3] = 255
    assert prepare(opaque_black) is None
    assert prepare(np.full((50, 50), 255, np.uint8)) is None  # all paper, dark-on-light reading


def test_one_dot_is_still_an_image():
    img = np.zeros((280, 280), np.uint8)
    img[140:150, 140:150] = 255
    x = prepare(img)
    assert x is not None and x.shape == (28, 28)


def test_position_does_not_matter():
    a = prepare(digit_image(7, box=(20, 20, 100, 150)))
    b = prepare(digit_image(7, box=(150, 100, 100, 150)))
    np.testing.assert_allclose(a, b, atol=0.05)


@pytest.mark.parametrize("height_share", [0.3, 0.5, 0.95])
def test_size_from_30_to_95_percent_of_the_canvas(height_share):
    h = 280 * height_share
    x = prepare(digit_image(4, box=(140 - h * 0.3, (280 - h) / 2, h * 0.6, h), pen=20))
    _check_mnist_like(x)


def test_dark_on_light_equals_light_on_dark():
    light = prepare(digit_image(5))
    dark = prepare(digit_image(5, ink=0, paper=255))
    np.testing.assert_allclose(light, dark, atol=1e-5)


def test_ink_only_in_alpha_on_transparent_background():
    x = prepare(digit_image(2, alpha_only=True))
    np.testing.assert_allclose(x, prepare(digit_image(2)), atol=1e-5)


@pytest.mark.parametrize("pen, widest", [(3, 4.0), (8, 4.0), (20, 4.0), (45, 4.5), (70, 5.5)])
def test_strokes_from_thin_to_very_thick_end_near_mnist_width(pen, widest):
    """MNIST strokes are 2.1-3.7 px wide (p10-p90); a 70 px pen on a 200 px digit is a blob already."""
    steps = prepare_steps(digit_image(1, pen=pen))
    width = stroke_width(steps.model_input)
    assert 1.8 <= width <= widest, f"pen {pen} -> width {width:.2f} in 28x28"


def test_fixing_stroke_can_be_switched_off():
    thin = digit_image(1, pen=3)
    fixed, raw = prepare(thin), prepare(thin, PrepOptions(fix_stroke=False))
    assert fixed.sum() > 1.5 * raw.sum()


def test_digit_touching_the_edge():
    img = digit_image(0, box=(0, 0, 120, 280))
    _check_mnist_like(prepare(img))


@pytest.mark.parametrize("size", [16, 32, 64, 500])
def test_scans_of_other_sizes(size):
    """A digit bitmap of any size: same result as the canvas drawing, up to resampling."""
    scale = size / 280
    img = digit_image(8, size=size, pen=max(1.5, 20 * scale), box=(84 * scale, 42 * scale, 112 * scale, 196 * scale))
    x = prepare(img[..., 0])  # grayscale
    ref = prepare(digit_image(8))
    assert np.corrcoef(x.ravel(), ref.ravel())[0, 1] > (0.7 if size < 28 else 0.8)


def test_noisy_paper_scan_reads_like_a_clean_one():
    rng = np.random.default_rng(0)
    clean = 255 - digit_image(3)[..., 0].astype(float)  # dark ink on white paper
    noisy = np.clip(clean * 0.85 + 20 + rng.normal(0, 12, clean.shape), 0, 255).astype(np.uint8)  # grey, grainy paper
    x, ref = prepare(noisy), prepare(clean.astype(np.uint8))
    assert (x[ref == 0] > 0.1).mean() < 0.01  # the paper stays background
    assert np.corrcoef(x.ravel(), ref.ravel())[0, 1] > 0.9


# A 0 scanned into a 16x16 box it is stretched to fill, as Semeion's and USPS's digits are: its ink
# runs along more than half of the border (drawn for this test)
TIGHT_ZERO = """
.....########...
...####.....##..
..####......###.
.###.........###
###...........##
###...........##
##............##
##............##
##............##
##............##
##...........###
##...........##.
###.........###.
.###........##..
..##.......##...
...########.....
"""


def _bitmap(text):
    return np.array([[c == "#" for c in line] for line in text.split()], np.uint8) * 255


@pytest.mark.parametrize("ink, paper", [(255, 0), (0, 255), (200, 40)])
def test_ink_across_most_of_the_border_stays_ink(ink, paper):
    """A scan stretched to fill its box: the border is mostly ink, yet the ink is not taken for paper."""
    zero = _bitmap(TIGHT_ZERO)
    border = np.concatenate([zero[0], zero[-1], zero[:, 0], zero[:, -1]])
    assert (border > 0).mean() > 0.5  # the case: the ink holds most of the border
    x = prepare(np.where(zero > 0, ink, paper).astype(np.uint8))
    assert x[13, 13] == 0 and x.max() > 0.7  # a hollow 0, not a filled blob
    assert np.corrcoef(x.ravel(), prepare(zero).ravel())[0, 1] > 0.99


@pytest.mark.parametrize("dark_on_light", [False, True])
def test_a_bold_digit_cropped_tight_reads_like_the_whole_drawing(dark_on_light):
    """Cropped to its ink, a bold 8 covers much of the border and much of the image: it stays an 8."""
    img = digit_image(8, pen=40)[..., 0]
    rows, cols = np.flatnonzero(img.max(1)), np.flatnonzero(img.max(0))
    tight = img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if dark_on_light:
        tight = 255 - tight
    x, ref = prepare(tight), prepare(img)
    assert np.corrcoef(x.ravel(), ref.ravel())[0, 1] > 0.9


# A 5 scanned into its box, its top bar apart from the rest (a broken stroke): its ink is in two pieces
# and its paper in one, so the pieces alone would call the ink paper (drawn for this test)
BROKEN_FIVE = """
......##########
......##########
................
..##............
..##............
.##.............
.##..######.....
.##########.....
...........###..
.............###
..............##
..............##
##............##
###..........###
.###........###.
...##########...
"""


@pytest.mark.parametrize("text", [TIGHT_ZERO, BROKEN_FIVE], ids=["zero", "broken five"])
@pytest.mark.parametrize("dark_on_light", [False, True])
def test_three_cues_find_the_paper_where_each_alone_may_fail(text, dark_on_light):
    """With no margin, the digit reads as it does with one (whose clean edge leaves no doubt)."""
    digit = _bitmap(text)
    framed = np.pad(digit, 4)
    if dark_on_light:
        digit, framed = 255 - digit, 255 - framed
    assert np.corrcoef(prepare(digit).ravel(), prepare(framed).ravel())[0, 1] > 0.95


@pytest.mark.parametrize("dark_on_light", [False, True])
def test_a_bold_1_cropped_tight_is_mostly_ink_and_stays_ink(dark_on_light):
    img = digit_image(1, pen=50)[..., 0]
    rows, cols = np.flatnonzero(img.max(1) > 128), np.flatnonzero(img.max(0) > 128)
    tight = img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    assert (tight > 128).mean() > 0.5  # the case: most of the image is ink
    x = prepare(255 - tight if dark_on_light else tight)
    assert np.corrcoef(x.ravel(), prepare(img).ravel())[0, 1] > 0.9


def test_paper_noise_is_read_from_the_paper_not_from_ink_on_the_border():
    """A grainy scan cropped tight: the ink that crosses the border does not raise the noise floor
    (which would erase the faint strokes)."""
    rng = np.random.default_rng(1)
    zero = _bitmap(TIGHT_ZERO).astype(float)
    big = np.kron(zero, np.ones((8, 8)))  # 128x128
    scan = np.clip(235 - big * 0.55 + rng.normal(0, 6, big.shape), 0, 255).astype(np.uint8)  # faint grey ink
    x, ref = prepare(scan), prepare(big.astype(np.uint8))
    assert x[13, 13] < 0.05 and x.max() > 0.9
    assert np.corrcoef(x.ravel(), ref.ravel())[0, 1] > 0.95


# Lines along the edges of a scan: a form's box, ruled paper, an underline


def _lined(img, sides, width=6, level=255, at=0):
    """`img` with a line `width` pixels wide, `at` pixels in from the edge, along each of `sides`."""
    img = img.copy()
    h, w = img.shape
    spans = {"t": np.s_[at : at + width], "b": np.s_[h - at - width : h - at],
             "l": np.s_[:, at : at + width], "r": np.s_[:, w - at - width : w - at]}
    for side in sides:
        img[spans[side]] = np.maximum(img[spans[side]], level)
    return img


@pytest.mark.parametrize("digit", [1, 4, 7])
@pytest.mark.parametrize(
    "sides, at, level",
    [("tblr", 0, 255), ("tlr", 0, 255), ("tl", 0, 255), ("tb", 8, 160), ("b", 12, 255)],
    ids=["box", "three sides of a box", "corner of a box", "ruled paper, grey lines", "underlined"],
)
@pytest.mark.parametrize("dark_on_light", [False, True])
def test_lines_along_the_edges_are_paper(digit, sides, at, level, dark_on_light):
    """A digit cut out of a form or a notebook reads as the digit alone: its box (once its paper was
    read from the box, and the digit became a negative), the ruled lines, the underline are erased."""
    plain = digit_image(digit, pen=16)[..., 0]
    lined = _lined(plain, sides, at=at, level=level)
    if dark_on_light:
        plain, lined = 255 - plain, 255 - lined
    x = prepare(lined)
    assert np.corrcoef(x.ravel(), prepare(plain).ravel())[0, 1] > 0.98


def test_a_box_the_digit_touches_is_erased_too():
    """With lines on two sides or more, a line the digit runs into (no paper between them) goes too."""
    plain = digit_image(1, pen=16)[..., 0]
    rows = np.flatnonzero(plain.max(axis=1))
    boxed = _lined(plain[: rows[-1] + 3], "tblr")  # the 1's foot reaches into the bottom line
    assert boxed[-7].max() > 0  # the case: ink in the row next to the bottom line
    ref = prepare(plain)
    assert np.corrcoef(prepare(boxed).ravel(), ref.ravel())[0, 1] > 0.95


# A 7 cropped tight: its bar runs across the whole image at the edge, and its stem reaches the row below
# only at the image's right end; a rule that took any full row at the edge for a line would erase the bar
TIGHT_SEVEN = """
################
################
.............###
............###.
...........###..
..........###...
.........###....
........###.....
.......###......
......###.......
.....###........
....###.........
....###.........
...###..........
...###..........
..###...........
"""
# A 5 cropped tight whose bar, broken off, spans the whole width with paper below it: one line with a gap,
# but the rest of the digit reaches the other edges, so it is the digit's own bar
BROKEN_FIVE_FULL_BAR = "\n".join(["#" * 16] * 2 + BROKEN_FIVE.split()[2:])


# A bold 2 as a binary scan with a margin (MNIST test digit 9111 through styles.scan_like, as bench_world
# makes it): taken the other way round, its margins look like a box of lines and its full-width base like
# the gap of paper inside them; the paper must hold most of the image, and the 2's ink does not
BOLD_TWO_SCAN = """
..................
..................
..#########.......
.###########......
.####...####......
..###....####.....
...#.....####.....
.......#####......
.......#####......
......#####.......
....#######.......
...######.........
..######..........
.#############....
.###############..
.##############...
..................
..................
"""


@pytest.mark.parametrize("text", [TIGHT_SEVEN, BROKEN_FIVE_FULL_BAR, BOLD_TWO_SCAN],
                         ids=["seven", "broken five", "bold two with a margin"])
@pytest.mark.parametrize("dark_on_light", [False, True])
def test_a_digit_cropped_tight_keeps_its_own_bars(text, dark_on_light):
    digit = _bitmap(text)
    if dark_on_light:
        digit = 255 - digit
    assert np.array_equal(erase_edge_lines(digit / 255.0), digit / 255.0)


@pytest.mark.parametrize("dark_on_light", [False, True])
def test_a_seven_cropped_tight_reads_like_the_seven_with_a_margin(dark_on_light):
    digit = _bitmap(TIGHT_SEVEN)
    framed = np.pad(digit, 4)
    if dark_on_light:
        digit, framed = 255 - digit, 255 - framed
    assert np.corrcoef(prepare(digit).ravel(), prepare(framed).ravel())[0, 1] > 0.95


@pytest.mark.mnist
def test_no_line_is_found_in_mnist_digits_cropped_tight_or_stretched(mnist):
    """On real digits with no lines, nothing changes: as MNIST gives them, cropped tight to their ink
    (every edge touched), and stretched to fill a 16x16 box as Semeion's are."""
    for a in mnist.x_test[:300]:
        rows, cols = np.flatnonzero(a.max(axis=1) > 50), np.flatnonzero(a.max(axis=0) > 50)
        tight = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        stretched = np.asarray(Image.fromarray(tight).resize((16, 16), Image.Resampling.BOX))
        for img in (a, tight, stretched):
            gray = img.astype(np.float32) / 255
            assert np.array_equal(erase_edge_lines(gray), gray)


def test_images_too_small_to_tell_a_line_from_a_stroke_are_left_alone():
    """At 8x8 a digit's bar spans the image as a line would."""
    eight = np.zeros((8, 8), np.float32)
    eight[0] = 1.0  # a full "line" at the edge, then paper
    eight[3:6, 3:5] = 1.0
    assert np.array_equal(erase_edge_lines(eight), eight)
    big = np.kron(eight, np.ones((4, 4), np.float32))  # the same at 32x32 is a line and a digit
    assert not np.array_equal(erase_edge_lines(big), big)


def _zigzag_over_everything(pen=20, margin=3, turns=30):
    """A scribble over the whole canvas, edge to edge: nearly all of it is ink."""
    pts = []
    for i in range(turns):
        pts += [(margin, margin + i * (280 - 2 * margin) / (turns - 1)),
                (280 - margin, margin + (i + 0.5) * (280 - 2 * margin) / (turns - 1))]
    return render([pts], (280, 280), pen)


def test_a_known_paper_is_taken_as_it_is():
    """Where the paper is known (the Draw canvas: black), a scribble that inks most of the canvas stays
    ink; found from the image alone, the ink is taken for the paper (the image is mostly ink)."""
    img = _zigzag_over_everything(pen=12, turns=20)
    assert (img[..., 0] > 128).mean() > 0.9  # the case: mostly ink
    known = to_ink(img, paper="dark")
    assert known.mean() > 0.85
    assert to_ink(img).mean() < 0.15  # found from the image: the ink is the paper
    light = 255 - img[..., 0]  # the same, dark ink on white paper
    np.testing.assert_allclose(to_ink(light, paper="light"), known, atol=1e-5)
    digit = digit_image(3)  # and an ordinary drawing reads the same either way
    np.testing.assert_array_equal(prepare(digit, PrepOptions(paper="dark")), prepare(digit))


def test_mostly_ink_is_a_canvas_painted_over_not_the_boldest_digit():
    from mnist_core.preprocess import mostly_ink

    boldest = max((digit_image(d, pen=40, box=(10, 10, 260, 260)) for d in range(10)),
                  key=lambda img: (img[..., 0] > 128).mean())  # the widest pen, across the whole canvas
    assert not mostly_ink(to_ink(boldest, paper="dark"))
    assert mostly_ink(to_ink(_zigzag_over_everything(pen=12, turns=20), paper="dark"))


def test_an_unknown_paper_is_refused():
    with pytest.raises(ValueError, match="paper must be one of"):
        to_ink(np.zeros((28, 28)), paper="grey")


def test_stray_specks_are_dropped():
    clean = digit_image(6)
    specked = clean.copy()
    specked[5:9, 270:274, :3] = 255  # a speck in the far corner
    specked[260:262, 3:5, :3] = 255
    np.testing.assert_allclose(prepare(specked), prepare(clean), atol=1e-5)
    assert not np.allclose(prepare(specked, PrepOptions(drop_specks=False)), prepare(clean), atol=0.05)


def test_steps_are_kept_for_display():
    steps = prepare_steps(digit_image(9))
    assert steps.ink.shape == (280, 280)
    assert steps.cropped.shape[0] < 280 and max(steps.boxed.shape) == 20
    assert steps.model_input.shape == (28, 28)


def test_without_crop_whole_canvas_is_scaled():
    x = prepare(digit_image(1), PrepOptions(crop=False, fix_stroke=False))
    rows, cols = bounding_box(x)
    assert rows.stop - rows.start < 17  # the digit is 70% of the canvas, so smaller than the box


def test_centre_by_mass_or_by_box():
    boxed = np.zeros((12, 10), np.float32)
    boxed[:3, :] = 1.0  # mass at the top
    by_mass, by_box = centre(boxed), centre(boxed, by_mass=False)
    assert _com(by_mass)[0] == pytest.approx(13.5, abs=0.6)
    assert _com(by_box)[0] < 10
    tall = np.zeros((20, 10), np.float32)
    tall[:5] = 1.0
    assert centre(tall).sum() == pytest.approx(tall.sum())  # shifted only as far as the field allows


def test_fit_box_keeps_aspect():
    out = fit_box(np.ones((100, 50), np.float32))
    assert out.shape == (20, 10)
    assert fit_box(np.ones((100, 50), np.float32), keep_aspect=False).shape == (20, 20)


def test_mnist_digits_go_through_almost_unchanged(mnist):
    x = mnist.x_test[:100]
    diffs = [np.abs(prepare(a) - a / 255.0).mean() for a in x]
    assert np.median(diffs) < 0.08


@pytest.mark.parametrize(
    "bad, reason",
    [
        (np.zeros((28,)), "shape"),
        (np.zeros((28, 28, 2)), "shape"),
        (np.zeros((1, 28)), "too small"),
        (np.full((28, 28), np.nan), "NaN"),
        (np.zeros((5000, 5000), np.uint8), "too large"),
        (np.array([["a"] * 28] * 28), "dtype"),
    ],
)
def test_unreadable_input_raises_value_error_with_a_reason(bad, reason):
    with pytest.raises(ValueError, match=reason):
        prepare(bad)


def test_float_images_in_either_range():
    img = digit_image(3)[..., 0]
    np.testing.assert_allclose(to_ink(img.astype(np.float32) / 255), to_ink(img.astype(np.float64)), atol=1e-6)


@pytest.mark.parametrize("kind", ["counts 0-16 (8x8 digits' format)", "signed, ink +1", "signed, ink -1",
                                  "16-bit", "dim 8-bit (brightest 16)"])
def test_any_numeric_range_reads_like_the_8_bit_image(kind):
    """Values outside [0, 1] are scaled by the image's own range, not assumed to be 0-255: a digit
    given as 0-16 counts, as a signed [-1, 1] array or in 16 bits is the same digit, not an empty
    (too faint) or half-clipped one."""
    big = Image.fromarray(digit_image(7)[..., 0])
    img = np.asarray(big.resize((40, 40), Image.Resampling.BOX)).astype(np.float64)  # 0-255, grey edges
    assert len(np.unique(img)) > 30  # grey edges, which clipping or too faint a scale would lose
    given = {
        "counts 0-16 (8x8 digits' format)": img / 255 * 16,
        "signed, ink +1": img / 255 * 2 - 1,
        "signed, ink -1": 1 - img / 255 * 2,
        "16-bit": (img * 257).astype(np.uint16),
        "dim 8-bit (brightest 16)": (img / 255 * 16).round().astype(np.uint8),
    }[kind]
    x, ref = prepare(given), prepare(img.astype(np.uint8))
    assert x is not None
    if kind.startswith("dim"):  # 17 levels of grey instead of 256
        assert np.corrcoef(x.ravel(), ref.ravel())[0, 1] > 0.98
    else:
        np.testing.assert_allclose(x, ref, atol=0.01)


def test_render_helper_draws_round_strokes():
    img = render([[(10, 10), (50, 10)]], size=(60, 60), pen=6)
    assert img.shape == (60, 60, 4) and img[10, 30, 0] == 255 and img[40, 30, 0] == 0


def test_a_faint_thin_stroke_is_thickened_to_full_ink():
    """A thin pen, shrunk to the working size, leaves a line at 0.4-0.9; thickened, it must be full ink."""
    from mnist_core.preprocess import fix_stroke

    img = np.zeros((80, 40), np.float32)
    img[10:70, 19] = np.linspace(0.45, 0.9, 60)  # a 1 px vertical line, uneven and faint
    out = fix_stroke(img, scale=20 / 80, width=1.0)
    assert out.shape[0] > img.shape[0]  # it was thickened (padded by the disc)
    core = out[out.shape[0] // 2, :]
    assert core.max() == 1.0 and (core >= 0.999).sum() >= 5  # several full-ink pixels across the stroke
    assert out.max() <= 1.0 and out.min() >= 0.0
