"""Display helpers: crisp enlargement and the grid of copies with red frames."""

import numpy as np

from ui.show import enlarge, montage


def test_enlarge_makes_blocks_and_reads_floats_as_unit_range():
    x = np.array([[[0.0, 1.0], [0.5, 0.25]]], np.float32)
    big = enlarge(x, 3)
    assert big.shape == (1, 6, 6) and big.dtype == np.uint8
    assert (big[0, :3, 3:] == 255).all() and (big[0, :3, :3] == 0).all() and (big[0, 3:, :3] == 128).all()
    np.testing.assert_array_equal(enlarge(np.array([[7]], np.uint8), 2), [[7, 7], [7, 7]])


def test_montage_tiles_in_rows_and_frames_flagged_digits():
    digits = np.stack([np.full((2, 2), v, np.uint8) for v in (10, 20, 30)])
    out = montage(digits, cols=2, factor=1, gap=1, flagged=np.array([False, True, False]))
    assert out.shape == (2 * 3 + 1, 2 * 3 + 1, 3)  # 2 rows, 2 columns of 2x2 with 1-pixel gaps
    assert (out[1:3, 1:3] == 10).all() and (out[1:3, 4:6] == 20).all() and (out[4:6, 1:3] == 30).all()
    assert tuple(out[0, 5]) == (214, 39, 40)  # red frame around the second digit
    assert tuple(out[0, 1]) == (200, 200, 200)  # plain grey gap elsewhere
    assert tuple(out[5, 5]) == (200, 200, 200)  # the empty fourth cell
