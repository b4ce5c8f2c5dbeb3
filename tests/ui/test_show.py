"""Display helpers: the grid of copies with red frames."""

import numpy as np

from ui.show import montage


def test_montage_tiles_in_rows_and_frames_flagged_digits():
    digits = np.stack([np.full((2, 2), v, np.uint8) for v in (10, 20, 30)])
    out = montage(digits, cols=2, factor=1, gap=1, flagged=np.array([False, True, False]))
    assert out.shape == (2 * 3 + 1, 2 * 3 + 1, 3)  # 2 rows, 2 columns of 2x2 with 1-pixel gaps
    assert (out[1:3, 1:3] == 10).all() and (out[1:3, 4:6] == 20).all() and (out[4:6, 1:3] == 30).all()
    assert tuple(out[0, 5]) == (214, 39, 40)  # red frame around the second digit
    assert tuple(out[0, 1]) == (200, 200, 200)  # plain grey gap elsewhere
    assert tuple(out[5, 5]) == (200, 200, 200)  # the empty fourth cell


def test_clicked_customdata_is_the_last_clicked_points_numbers_or_none():
    """One reader of a clicked chart point for Explore's map and gallery and Inside's figures."""
    from ui.show import clicked_customdata

    assert clicked_customdata(None) is None
    assert clicked_customdata({"selection": {"points": []}}) is None
    assert clicked_customdata({"selection": {}}) is None
    assert clicked_customdata({"selection": {"points": [{"customdata": 7}, {"x": 1}]}}) == [7]  # the last with data
    assert clicked_customdata({"selection": {"points": [{"customdata": [3, 11, 12]}]}}) == [3, 11, 12]
    assert clicked_customdata({"selection": {"points": [{"customdata": ["a label"]}]}}) is None  # not ours
    assert clicked_customdata({"selection": {"points": [{"customdata": [True]}]}}) is None
