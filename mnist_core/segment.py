"""Split a drawing of several digits ("2026") into one image per digit, left to right.

Connected components of the ink are grouped into digits by horizontal overlap (the bar of a 5 or
the two strokes of a 4 are separate components of one digit); a group far wider than tall (two
digits that touch) is cut at the column with the least ink.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .preprocess import INK_THRESHOLD, drop_specks, to_ink

OVERLAP = 0.4  # components whose column ranges overlap by this share of the narrower one join
MAX_ASPECT = 1.5  # a group wider than this times its height is cut in two (touching digits)
MIN_HEIGHT_SHARE = 0.25  # a group shorter than this share of the tallest is merged into its neighbour


@dataclass(frozen=True)
class Segment:
    left: int  # column range in the input image
    right: int
    top: int
    bottom: int
    ink: np.ndarray  # (H, W) float32 ink of this digit only, same size as the input


def _column_groups(labels: np.ndarray, n: int) -> list[list[int]]:
    """Group component ids whose column ranges overlap enough, scanning left to right."""
    from scipy import ndimage

    boxes = ndimage.find_objects(labels, max_label=n)
    comps = sorted(
        ((i + 1, b[1].start, b[1].stop, b[0].start, b[0].stop) for i, b in enumerate(boxes) if b is not None),
        key=lambda c: c[1],
    )
    groups: list[list[int]] = []
    spans: list[list[int]] = []  # [left, right, top, bottom] of each group
    for cid, left, right, top, bottom in comps:
        if spans:
            g_left, g_right = spans[-1][0], spans[-1][1]
            overlap = min(right, g_right) - max(left, g_left)
            narrower = min(right - left, g_right - g_left)
            if overlap > OVERLAP * narrower:
                groups[-1].append(cid)
                s = spans[-1]
                spans[-1] = [min(s[0], left), max(s[1], right), min(s[2], top), max(s[3], bottom)]
                continue
        groups.append([cid])
        spans.append([left, right, top, bottom])
    return _merge_small(groups, spans)


def _merge_small(groups: list[list[int]], spans: list[list[int]]) -> list[list[int]]:
    """Fold groups much shorter than the tallest (a detached bar or dot) into the nearest neighbour."""
    tallest = max(s[3] - s[2] for s in spans)
    while len(groups) > 1:
        small = [k for k, s in enumerate(spans) if s[3] - s[2] < MIN_HEIGHT_SHARE * tallest]
        if not small:
            break
        i = small[0]
        gap_left = spans[i][0] - spans[i - 1][1] if i > 0 else np.inf
        gap_right = spans[i + 1][0] - spans[i][1] if i + 1 < len(groups) else np.inf
        a, b = sorted((i, i - 1 if gap_left <= gap_right else i + 1))
        groups[a] += groups.pop(b)
        s, t = spans[a], spans.pop(b)
        spans[a] = [min(s[0], t[0]), max(s[1], t[1]), min(s[2], t[2]), max(s[3], t[3])]
    return groups


def _cut_wide(ink: np.ndarray) -> list[np.ndarray]:
    """Cut an image of touching digits at its thinnest column while it is much wider than tall."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    if width <= MAX_ASPECT * height:
        return [ink]
    profile = ink[:, cols[0] : cols[-1] + 1].sum(axis=0)
    lo, hi = int(width * 0.25), int(width * 0.75)
    cut = cols[0] + lo + int(np.argmin(profile[lo:hi]))
    left, right = ink.copy(), ink.copy()
    left[:, cut:] = 0
    right[:, :cut] = 0
    return [*_cut_wide(left), *_cut_wide(right)]


def segment(image: np.ndarray, paper: str = "auto") -> list[Segment]:
    """The digits of a drawing, left to right; [] when there is no ink. `paper`: see preprocess.to_ink.

    Raises:
        ValueError: the image cannot be read (see preprocess.to_ink).
    """
    from scipy import ndimage

    ink = drop_specks(to_ink(image, paper))
    labels, n = ndimage.label(ink > INK_THRESHOLD, structure=np.ones((3, 3)))
    if n == 0:
        return []
    # the faint anti-aliased rim around strokes belongs to the nearest component
    _, (iy, ix) = ndimage.distance_transform_edt(labels == 0, return_indices=True)
    owner = labels[iy, ix] * (ink > 0)
    pieces = []
    for group in _column_groups(labels, n):
        pieces += _cut_wide(np.where(np.isin(owner, group), ink, 0.0).astype(np.float32))
    segments = []
    for piece in pieces:
        rows, cols = (
            np.flatnonzero((piece > INK_THRESHOLD).any(axis=1)),
            np.flatnonzero((piece > INK_THRESHOLD).any(axis=0)),
        )
        if rows.size:
            segments.append(Segment(int(cols[0]), int(cols[-1]) + 1, int(rows[0]), int(rows[-1]) + 1, piece))
    return sorted(segments, key=lambda s: s.left)
