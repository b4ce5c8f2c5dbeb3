import numpy as np
import pytest

from mnist_core import styles
from mnist_core.styles import STYLES, scan_like, scan_set, style_set


def _rng(seed=0):
    return np.random.default_rng(seed)


def _mean_image(name, n=60, seed=0):
    x, _ = style_set([name], n, seed=seed)
    return x.astype(np.float32).mean(axis=0) / 255.0


def test_every_style_makes_mnist_format_digits_of_its_label():
    names = list(STYLES)
    x, y = style_set(names, 2 * len(names), seed=1)
    assert x.shape == (2 * len(names), 28, 28) and x.dtype == np.uint8
    assert y.dtype == np.int64
    assert list(y[: len(names)]) == [STYLES[n][0] for n in names]
    ink = x.reshape(len(x), -1).max(axis=1)
    assert (ink == 255).all()  # every sample has full ink somewhere
    for img in x:  # normalised like MNIST: the longer side of the ink's box is 20 pixels
        rows, cols = np.flatnonzero(img.max(1) > 0), np.flatnonzero(img.max(0) > 0)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (20, 21)


def test_deterministic_per_seed_independent_of_n_and_held_out_streams_differ():
    names = ["1 flag", "7 crossed", "4 open top"]
    a, ya = style_set(names, 9, seed=5)
    b, yb = style_set(names, 9, seed=5)
    assert np.array_equal(a, b) and np.array_equal(ya, yb)
    assert np.array_equal(style_set(names, 4, seed=5)[0], a[:4])  # sample i depends only on (seed, i)
    assert not np.array_equal(style_set(names, 9, seed=6)[0], a)
    held = style_set(names, 9, seed=5, held_out=True)[0]
    assert not any(np.array_equal(h, t) for h in held for t in a)


def test_unknown_style_is_refused():
    with pytest.raises(KeyError, match="unknown styles"):
        style_set(["1 with a hat"], 3)


def test_one_flag_is_an_up_stroke_reaching_left_and_down_from_the_top():
    for seed in range(40):
        stroke = np.asarray(styles.one_flag(_rng(seed))[0])  # the flag, then the stem from its top (0, 0) down
        start, top = stroke[0], np.zeros(2)
        assert np.abs(stroke - top).sum(axis=1).min() < 1e-9
        from_stem = 90 - np.degrees(np.arctan2(start[1] - top[1], top[0] - start[0]))  # the stem is vertical
        length = np.hypot(*(start - top))
        assert 19.9 <= from_stem <= 60.1 and 0.19 <= length <= 0.71
        if from_stem > 50:
            assert length < 0.6  # a long flag far from the stem would be a 7's bar
    # in the images: a flagged 1 puts ink on the upper left, where a plain stick has little
    flagged, stick = _mean_image("1 flag"), _mean_image("1 stick")
    upper_left = (slice(4, 12), slice(4, 12))
    assert flagged[upper_left].mean() > 2 * stick[upper_left].mean()


def test_one_with_base_has_a_bar_at_the_bottom():
    for seed in range(10):
        strokes = styles.one_flag_base(_rng(seed))
        (x0, y0), (x1, y1) = strokes[1]
        assert y0 > 0.95 and y1 > 0.95 and x1 - x0 > 0.2


def test_crossed_seven_has_a_bar_across_the_middle_of_its_stem():
    for seed in range(20):
        main, bar = styles.seven_crossed(_rng(seed))[:2]
        (x0, y0), (x1, y1) = bar
        assert 0.35 < (y0 + y1) / 2 < 0.65 and abs(y1 - y0) < 0.1
        stem = np.asarray(main)
        at = stem[np.argmin(np.abs(stem[:, 1] - y0) + (stem[:, 1] < 0.1))]  # the stem at the bar's height
        assert x0 < at[0] < x1
    crossed, plain = _mean_image("7 crossed"), _mean_image("7 plain")
    middle_rows = slice(11, 17)
    assert crossed[middle_rows].sum() > 1.2 * plain[middle_rows].sum()


def test_curved_seven_bends_its_stem():
    bends = []
    for seed in range(30):
        stem = np.asarray(styles.seven_curved(_rng(seed))[0])
        stem = stem[stem[:, 1] > 0.05]
        chord = stem[0] + (stem[-1] - stem[0]) * ((stem[:, 1:2] - stem[0, 1]) / (stem[-1, 1] - stem[0, 1]))
        bends.append(np.abs(stem[:, 0] - chord[:, 0]).max())
    assert min(bends) > 0.03


def test_open_four_leaves_its_top_open():
    for seed in range(30):
        arm, stem = styles.four_open(_rng(seed))
        arm_top, stem_top = np.asarray(arm[0]), np.asarray(stem[0])
        assert np.hypot(*(arm_top - stem_top)) > 0.2


def test_one_stroke_four_is_a_single_stroke_that_goes_back_up():
    for seed in range(20):
        strokes = styles.four_one_stroke(_rng(seed))
        assert len(strokes) == 1
        ys = np.asarray(strokes[0])[:, 1]
        lowest_before_turn = ys[: int(np.argmin(ys[5:])) + 5].max()
        assert lowest_before_turn - ys[5:].min() > 0.2  # down to the bar, then back up the stem
        assert ys[-1] == pytest.approx(1.0)


def test_curved_four_bends_its_arm_out_to_the_left_and_its_stem_starts_below_the_top():
    for seed in range(30):
        arm, stem = styles.four_curved(_rng(seed))
        arm, stem = np.asarray(arm), np.asarray(stem)
        top, bar_end = arm[0], arm[-1]
        assert arm[:, 0].min() < top[0] - 0.1  # the arm swings left of where it starts...
        assert arm[:, 0].min() < min(top[0], 0.15) + 0.05 and bar_end[0] > 0.8  # ...then the bar runs right
        assert stem[0, 1] >= 0.05 and stem[-1, 1] == pytest.approx(1.0)  # the stem: from below the top, down
        assert arm[0, 0] < stem[0, 0]  # open at the top: the arm starts left of the stem


def test_square_nine_has_a_flat_top_and_a_straight_stem_from_its_corner():
    for seed in range(30):
        strokes = [np.asarray(s) for s in styles.nine_square(_rng(seed))]
        ink = np.vstack(strokes)
        top = ink[ink[:, 1] < 0.05]
        assert top[:, 0].max() - top[:, 0].min() > 0.35  # a flat top across most of the head
        right = ink[:, 0][ink[:, 1] < 0.3].max()
        low = ink[ink[:, 1] > 0.9]
        assert (abs(low[:, 0] - right) < 0.15).any()  # the stem comes down from the head's right side


def test_nine_tails():
    for seed in range(20):
        straight = np.asarray(styles.nine_straight(_rng(seed))[0])
        assert abs(straight[-1, 0] - straight[-2, 0]) < 0.1  # a vertical tail
        curved = np.asarray(styles.nine_curved(_rng(seed))[0])
        assert curved[-1, 0] < curved[curved[:, 1] > 0.5, 0].max() - 0.2  # the tail ends curling left
        cursive = np.asarray(styles.nine_cursive(_rng(seed))[0])
        bottom = cursive[cursive[:, 1] > 0.85]
        assert bottom[:, 0].min() < cursive[:, 0].max() - 0.2  # the tail sweeps down to the left
        g = np.asarray(styles.nine_g(_rng(seed))[0])
        tail = g[g[:, 1] > 0.6]
        assert tail[-1, 1] < tail[:, 1].max() - 0.2  # the tail loops back up


def test_low_bar_four_has_its_bar_low_and_a_short_stem_across_it():
    for seed in range(30):
        arm, stem = (np.asarray(s) for s in styles.four_low_bar(_rng(seed)))
        corner = arm[int(np.argmin(arm[:, 0]))]
        assert corner[1] > 0.6  # the bar is in the lower third
        assert arm[0, 0] > corner[0] + 0.15 and arm[0, 1] < 0.05  # the arm slants down to the left from the top
        bar = arm[arm[:, 1] > 0.5]
        bar_y = bar[np.argmin(abs(bar[:, 0] - stem[0, 0])), 1]  # the bar's height where the stem crosses it
        assert 0.3 < stem[0, 1] < bar_y and stem[-1, 1] == 1.0  # the stem starts just above the bar


def test_loops_of_two_and_zero_and_the_small_loop_of_six():
    for seed in range(20):
        two = np.asarray(styles.two_loop(_rng(seed))[0])
        bottom = two[two[:, 1] > 0.7]
        assert bottom[:, 1].min() < 0.9 and np.ptp(bottom[:, 0]) > 0.4  # a loop above the base, then the base
        zero = np.asarray(styles.zero_small_loop(_rng(seed))[0])
        assert zero[:, 1].min() < -0.05 or np.sum(zero[:, 1] < 0.3) > 12  # a loop at the top (above or inside)
        six = np.asarray(styles.six_small_loop(_rng(seed))[0])
        assert np.ptp(six[six[:, 1] > 0.5, 1]) < 0.5  # the loop fills less than half the height


def test_flat_top_three_and_one_stroke_five():
    for seed in range(20):
        three = styles.three_flat_top(_rng(seed))[0]
        (x0, y0), (x1, y1) = three[0], three[1]
        assert abs(y1 - y0) < 0.05 and x1 - x0 > 0.5
        assert len(styles.five_one_stroke(_rng(seed))) == 1


def test_hand_changes_every_sample_but_keeps_strokes():
    strokes = STYLES["7 crossed"][1](_rng(0))
    a, b = styles.hand(strokes, _rng(1)), styles.hand(strokes, _rng(2))
    assert len(a) == len(b) == 2
    assert not np.allclose(a[0][: len(b[0])], b[0][: len(a[0])])


def test_scan_like_is_binary_low_resolution_and_stretched_at_most_max_stretch():
    stick = np.zeros((100, 100), np.uint8)
    stick[10:90, 45:55] = 255
    ratios = []
    for seed in range(40):
        scan = scan_like(stick, _rng(seed))
        assert set(np.unique(scan)) <= {0, 255}
        assert 12 <= max(scan.shape) - 2 <= 20
        assert scan[0].max() == 0 and scan[:, 0].max() == 0  # a blank margin
        rows, cols = np.flatnonzero(scan.max(1)), np.flatnonzero(scan.max(0))
        ratios.append((cols[-1] - cols[0] + 1) / (rows[-1] - rows[0] + 1) / 0.125)
    assert max(ratios) > 1.5  # the narrow stick was stretched wider, sometimes
    assert max(ratios) <= styles.MAX_STRETCH * 1.5  # but never into a square blob (rounding at ~2 px)


def test_a_scan_with_no_margin_is_the_same_scan_touching_its_edges():
    stick = np.zeros((100, 100), np.uint8)
    stick[10:90, 30:70] = 255
    framed, tight = scan_like(stick, _rng(5)), scan_like(stick, _rng(5), margin=0)
    assert np.array_equal(framed[1:-1, 1:-1], tight)
    assert min(tight[0].max(), tight[-1].max(), tight[:, 0].max(), tight[:, -1].max()) == 255


def test_scan_like_refuses_a_blank_image():
    with pytest.raises(ValueError, match="no ink"):
        scan_like(np.zeros((28, 28), np.uint8), _rng())


def test_scan_set_of_mnist_like_digits():
    x = np.zeros((5, 28, 28), np.uint8)
    for i in range(5):
        x[i, 4:24, 12 + i // 2 : 15 + i // 2] = 255
    out, pick = scan_set(x, 8, seed=3)
    assert out.shape == (8, 28, 28) and out.dtype == np.uint8 and pick.shape == (8,)
    assert np.array_equal(scan_set(x, 8, seed=3)[0], out)
    assert (out.reshape(8, -1).max(1) > 0).all()
    tight, same = scan_set(x, 8, seed=3, margin=0)
    assert np.array_equal(same, pick) and tight.shape == out.shape  # the same digits, without the margin


def test_open_nine_leaves_a_gap_on_the_left_of_its_loop():
    for seed in range(20):
        loop, tail = styles.nine_open(_rng(seed))
        loop = np.asarray(loop)
        cx, cy = (loop[:, 0].max() + loop[:, 0].min()) / 2, (loop[:, 1].max() + loop[:, 1].min()) / 2
        angles = np.degrees(np.arctan2(loop[:, 1] - cy, loop[:, 0] - cx)) % 360
        assert not ((angles > 170) & (angles < 190)).any()  # nothing drawn around the left side
        assert tail[-1][1] > 0.9


def _mnist_like(label):
    img = np.zeros((28, 28), np.uint8)
    if label == 1:
        img[4:24, 13:16] = 255
    else:  # a 7: a bar and a diagonal stem
        img[4:7, 6:22] = 255
        for r in range(7, 24):
            c = 21 - (r - 7) * 8 // 17
            img[r, c - 1 : c + 2] = 255
    return img


def test_edits_add_a_flag_to_a_one_and_a_bar_to_a_seven():
    one, seven = _mnist_like(1), _mnist_like(7)
    for seed in range(10):
        flagged = styles.edit_digit(one, 1, _rng(seed)) > 127
        plain = np.kron(one, np.ones((4, 4))) > 127
        assert flagged.shape == (112, 112)
        assert flagged[:, :52].sum() > plain[:, :52].sum() + 50  # new ink left of the stem
        crossed = styles.edit_digit(seven, 7, _rng(seed)) > 127
        bare = np.kron(seven, np.ones((4, 4))) > 127
        middle = slice(16 + 36, 16 + 56)
        assert crossed[middle].sum() > bare[middle].sum() + 100
    assert styles.edit_digit(one, 3, _rng()) is None


def test_world_data_is_balanced_cached_and_labelled():
    x = np.stack([_mnist_like(1), _mnist_like(7)] * 50)
    y = np.array([1, 7] * 50)
    xe, ye = styles.world_data(x, y, styles_share=0.5, scans_share=0.1, edits_share=0.1, seed=2, redraws_share=0.1)
    assert xe.shape == (80, 28, 28) and xe.dtype == np.uint8 and ye.dtype == np.int64
    assert np.array_equal(np.bincount(ye[:50], minlength=10), np.full(10, 5))  # generated: 5 of each digit
    assert set(ye[50:].tolist()) <= {1, 7}  # scans, edits and redraws keep MNIST's labels
    assert (xe.reshape(80, -1).max(axis=1) == 255).all()
    again = styles.world_data(x, y, styles_share=0.5, scans_share=0.1, edits_share=0.1, seed=2, redraws_share=0.1)
    assert np.array_equal(again[0], xe) and np.array_equal(again[1], ye)
    assert styles.balanced_names(12)[:3] == ["0 plain", "1 stick", "2 plain"]
    names = styles.balanced_names(40, weights={1: 3, 7: 1})
    assert [styles.STYLES[k][0] for k in names[:5]] == [1, 7, 1, 1, 1]  # 1s three times a round, 7s once
    assert names[:5] == ["1 stick", "7 plain", "1 serif", "1 flag", "1 flag and base"]


def test_the_readme_counts_the_styles_the_shipped_model_learnt():
    from mnist_core.store import ModelStore
    from tests.conftest import REPO

    readme = " ".join((REPO / "README.md").read_text().split())
    assert f"digits drawn stroke by stroke in {len(STYLES)} styles" in readme
    card = ModelStore().default().card
    assert card.train_config["world"]["styles"] > 0  # the shipped model was trained on them
