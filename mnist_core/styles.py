"""The ways people around the world write digits, drawn as pen strokes; and scan-like copies of any digit.

MNIST's writers were American. Elsewhere a 1 has a long up-stroke flag, 7s are crossed, 4s are open
at the top or written in one stroke, 9s have a straight tail or a "g" loop... Each style here is a
function `(rng) -> strokes` drawing one such way with random proportions, in "height units" (y down
from 0 at the top to 1 at the bottom, x to the right on the same scale). `draw_style` then moves the
pen like a hand would (wobble, slant, rotation, width), renders it like the canvas and normalises it
with `preprocess.prepare`, so the result is an MNIST-format digit.

Scanned digit sets (Semeion, USPS) are binarised, low-resolution and often stretched to fill a square
box, so a 1 becomes wide and a 7 fat: `scan_like` turns any digit into such a scan. `edit_digit` gives
MNIST's own 1s a flag and its 7s a bar. `world_data` makes all of these for training, beside MNIST.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from .preprocess import prepare, to_ink

Stroke = list[tuple[float, float]]
StyleFn = Callable[[np.random.Generator], list[Stroke]]

CANVAS = 140  # styles are rendered on a canvas this big (prepare shrinks large crops to 80 px anyway)
CANVAS_PEN = (0.05, 0.18)  # pen widths on the canvas, as a share of the digit's height (about 6-40 px on 280 px)
SCAN_PEN = (0.08, 0.15)  # a pen on paper, scanned at 16-20 pixels: strokes 1.3-3 pixels wide
MAX_STRETCH = 2.5  # a scan stretches the shorter side of the digit's box at most this much
HELD_OUT_STREAM = 7_777_777  # random streams of held-out samples: never those of training samples


# ---------------------------------------------------------------------------------------------
# Stroke helpers (height units: y 0 top .. 1 bottom)


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> Stroke:
    """Points on an elliptical arc; angles in degrees, 0 = right, 90 = down (screen coordinates)."""
    a = np.radians(np.linspace(start, end, n))
    return list(zip((cx + rx * np.cos(a)).tolist(), (cy + ry * np.sin(a)).tolist(), strict=True))


def _spline(points: Sequence[tuple[float, float]], n: int = 8) -> Stroke:
    """A smooth Catmull-Rom curve through the points (n samples per segment)."""
    p = np.asarray(points, np.float64)
    if len(p) < 3:
        return [tuple(q) for q in p.tolist()]
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    t = np.linspace(0.0, 1.0, n, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3))
    out.append(p[-2][None])
    return [tuple(q) for q in np.vstack(out).tolist()]


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _chance(rng: np.random.Generator, p: float) -> bool:
    return bool(rng.random() < p)


# ---------------------------------------------------------------------------------------------
# The styles. Each returns strokes about 1 high; widths are each digit's natural width.


def zero_plain(rng):
    rx, start = _u(rng, 0.26, 0.42), _u(rng, -130, -50)
    sweep = 360 + _u(rng, -25, 35)  # a small gap or overlap where the pen comes back
    return [_arc(0.5, 0.5, rx, 0.5, start, start + sweep, 36)]


def zero_small_loop(rng):
    """A 0 whose stroke, back at the top, curls into a small loop (or starts with one)."""
    rx, r = _u(rng, 0.25, 0.4), _u(rng, 0.09, 0.17)
    oval = _arc(0.5, 0.5, rx, 0.5, -90, 270, 36)
    # the loop hangs inside the top (a curl) or stands above it (an overshoot)
    cy = r * _u(rng, 0.4, 1.0) * (1 if _chance(rng, 0.5) else -1)
    loop = _arc(0.5 + _u(rng, -0.05, 0.08), cy, r * _u(rng, 0.8, 1.3), r, -90 if cy > 0 else 90,
                (-90 if cy > 0 else 90) + 360 * rng.choice([-1, 1]), 14)
    return [oval + loop] if _chance(rng, 0.5) else [loop[::-1] + oval]


def one_stick(rng):
    bend = _u(rng, -0.04, 0.04)
    return [_spline([(0.0, 0.0), (bend, 0.5), (_u(rng, -0.05, 0.05), 1.0)])]


def _one(rng, length: tuple[float, float], base: bool) -> list[Stroke]:
    """A 1 with an up-stroke flag `length` long (share of the height), 20-60 degrees away from the stem.

    A long flag far from the stem is a 7's bar: flags opening wider than 45 degrees stay short (at
    60 degrees, at most 0.3 of the height), as people write them.
    """
    from_stem = _u(rng, 20, 60)
    ln = _u(rng, length[0], max(length[0], min(length[1], 0.7 - max(from_stem - 45, 0) / 15 * 0.4)))
    angle = math.radians(90 - from_stem)  # below the horizontal
    start = (-ln * math.cos(angle), ln * math.sin(angle))
    mid = ((start[0]) / 2 + _u(rng, -0.03, 0.03), start[1] / 2 + _u(rng, -0.04, 0.02))  # a slightly bowed flag
    stem_end = (_u(rng, -0.06, 0.06), 1.0)
    strokes = [_spline([start, mid, (0.0, 0.0)], 6) + _spline([
        (0.0, 0.0), (stem_end[0] / 2 + _u(rng, -0.03, 0.03), 0.5),
                                                                stem_end], 8)]
    if base:
        half = _u(rng, 0.15, 0.35)
        strokes.append([(stem_end[0] - half * _u(rng, 0.7, 1.3), 1.0 + _u(rng, -0.02, 0.03)),
                        (stem_end[0] + half, 1.0 + _u(rng, -0.03, 0.02))])
    return strokes


def one_serif(rng):
    """MNIST's occasional 1: a short tick at the top."""
    return _one(rng, (0.06, 0.18), base=False)


def one_flag(rng):
    return _one(rng, (0.2, 0.7), base=False)


def one_flag_base(rng):
    return _one(rng, (0.15, 0.6), base=True)


def _two_top(rng) -> tuple[Stroke, float]:
    rx, ry = _u(rng, 0.28, 0.4), _u(rng, 0.2, 0.3)
    top = _arc(0.45, ry, rx, ry, _u(rng, 160, 210), 360 + _u(rng, 0, 40), 16)
    return top, _u(rng, 0.0, 0.15)


def two_plain(rng):
    top, x_end = _two_top(rng)
    neck = ((top[-1][0] + x_end) / 2 + _u(rng, -0.08, 0.08), _u(rng, 0.55, 0.7))
    base_y = 1.0 + _u(rng, -0.04, 0.04)
    return [top + _spline([top[-1], neck, (x_end, 1.0)], 8)[1:] + [(_u(rng, 0.75, 1.0), base_y)]]


def two_loop(rng):
    """A 2 whose diagonal curls into a small loop at the bottom left before the base."""
    top, x_end = _two_top(rng)
    x_end += 0.05
    neck = ((top[-1][0] + x_end) / 2 + _u(rng, -0.06, 0.06), _u(rng, 0.55, 0.7))
    r = _u(rng, 0.09, 0.17)
    loop = _arc(x_end, 1.0 - r, r * _u(rng, 0.8, 1.4), r, 90, 450, 14)
    return [top + _spline([top[-1], neck, (x_end, 1.0)], 8)[1:] + loop
            + [(_u(rng, 0.75, 1.0), 1.0 + _u(rng, -0.04, 0.04))]]


def three_round(rng):
    split = _u(rng, 0.42, 0.52)
    up = _arc(0.42, split / 2, _u(rng, 0.25, 0.36), split / 2, _u(rng, 180, 220), 450, 18)
    low_ry = (1 - split) / 2
    low = _arc(0.42, split + low_ry, _u(rng, 0.3, 0.42), low_ry, -90, _u(rng, 140, 175), 18)
    return [up + low]


def three_flat_top(rng):
    """A 3 with a flat top: a bar, a diagonal down to the middle, then the lower bowl."""
    split = _u(rng, 0.38, 0.5)
    left, right = _u(rng, 0.0, 0.15), _u(rng, 0.7, 0.9)
    middle = (_u(rng, 0.25, 0.45), split)
    low_ry = (1 - split) / 2
    low = _arc(0.42, split + low_ry, _u(rng, 0.3, 0.42), low_ry, -100, _u(rng, 140, 175), 18)
    return [[(left, _u(rng, -0.03, 0.03)), (right, 0.0), middle] + low]


def four_closed(rng):
    bar = _u(rng, 0.55, 0.72)
    stem_x = _u(rng, 0.55, 0.72)
    apex = (stem_x + _u(rng, -0.1, 0.05), 0.0)
    left, right = (_u(rng, -0.05, 0.1), bar), (_u(rng, 0.8, 1.0), bar + _u(rng, -0.04, 0.04))
    if _chance(rng, 0.5):
        return [[(stem_x, 1.0), apex, left, right]]
    return [[apex, left, right], [(stem_x, _u(rng, 0.0, 0.3)), (stem_x + _u(rng, -0.05, 0.05), 1.0)]]


def four_open(rng):
    """A 4 with an open top: the left arm and the stem never meet."""
    bar = _u(rng, 0.5, 0.78)
    corner = (_u(rng, 0.0, 0.12), bar)
    arm_top = (corner[0] + _u(rng, 0.02, 0.35), 0.0)  # the arm stands up or leans right
    stem_x = _u(rng, 0.55, 0.75)
    arm = [arm_top, corner, (_u(rng, 0.85, 1.05), bar + _u(rng, -0.05, 0.03))]
    if _chance(rng, 0.4):  # a rounded corner
        arm = _spline([arm_top, (corner[0] + 0.02, bar - 0.08), (corner[0] + 0.12, bar), arm[2]], 6)
    return [arm, [(stem_x + _u(rng, -0.03, 0.05), _u(rng, 0.0, 0.2)), (stem_x + _u(rng, -0.06, 0.03), 1.0)]]


def four_one_stroke(rng):
    """A 4 in one stroke: down, across, up to the top of the stem, then down it (like a 'u' with a tail)."""
    bar = _u(rng, 0.45, 0.8)
    stem_x = _u(rng, 0.6, 0.8)
    top = _u(rng, 0.0, 0.3)  # how far up the stem the pen goes before coming down
    round_ = _u(rng, 0.03, 0.18)
    corner_x = _u(rng, 0.0, 0.15)
    arm_top = (corner_x + _u(rng, 0.0, 0.35), 0.0)  # a standing or leaning left arm
    down_up = _spline([arm_top, (corner_x, bar - round_), (corner_x + round_ + 0.1, bar + 0.02),
                       (stem_x - 0.05, bar - round_ / 2), (stem_x, top)], 6)
    return [down_up + [(stem_x + _u(rng, -0.04, 0.04), 1.0)]]


def four_curved(rng):
    """A 4 whose left arm curves down into the bar, like a 'c' open at the top (as many Europeans write
    it), and a stem that starts level with the arm's top or lower, often short."""
    bar = _u(rng, 0.45, 0.72)
    stem_x = _u(rng, 0.55, 0.78)
    arm_top = (_u(rng, 0.2, min(0.6, stem_x - 0.1)), _u(rng, 0.0, 0.12))  # standing or leaning right
    side = _u(rng, -0.06, 0.08)  # the curve's leftmost x
    end = (_u(rng, 0.85, 1.05), bar + _u(rng, -0.06, 0.03))
    arm = _spline([arm_top, (side + 0.03, (arm_top[1] + bar) / 2), (side + _u(rng, 0.06, 0.14), bar),
                   ((side + end[0]) / 2, bar + _u(rng, -0.02, 0.04)), end], 6)
    stem = [(stem_x + _u(rng, -0.02, 0.06), _u(rng, 0.05, 0.5)), (stem_x + _u(rng, -0.08, 0.02), 1.0)]
    return [arm, stem]


def four_low_bar(rng):
    """A 4 whose arm is a long stroke slanting down to the left, a bar low across it, and a short stem
    that crosses the bar (a shape many Italian writers make, read as a 6 by an MNIST model)."""
    bar = _u(rng, 0.66, 0.84)
    corner = (_u(rng, -0.02, 0.1), bar)
    arm_top = (_u(rng, 0.25, 0.6), 0.0)
    bow = _u(rng, -0.06, 0.06)  # the arm straight or a little bowed
    end = (_u(rng, 0.85, 1.05), bar + _u(rng, -0.06, 0.04))
    arm = _spline([arm_top, ((arm_top[0] + corner[0]) / 2 + bow, bar / 2), corner, end], 6)
    stem_x = _u(rng, 0.55, 0.8)
    stem = [(stem_x + _u(rng, -0.02, 0.05), bar - _u(rng, 0.05, 0.35)), (stem_x + _u(rng, -0.08, 0.02), 1.0)]
    return [arm, stem]


def five_two_strokes(rng):
    body = _five_body(rng)
    flag = [(body[0][0] - _u(rng, -0.02, 0.08), _u(rng, -0.03, 0.03)),
            (body[0][0] + _u(rng, 0.45, 0.75), _u(rng, -0.1, 0.05))]
    if _chance(rng, 0.4):  # a wavy flag
        flag = _spline([flag[0], ((flag[0][0] + flag[1][0]) / 2, flag[0][1] + _u(rng, -0.06, 0.06)), flag[1]], 6)
    return [body, flag] if _chance(rng, 0.7) else [flag[::-1], body]


def _five_body(rng) -> Stroke:
    knee = _u(rng, 0.38, 0.5)
    x0 = _u(rng, 0.05, 0.2)
    ry = (1 - knee) / 2 + 0.03
    bowl = _arc(0.42, 1 - ry, _u(rng, 0.28, 0.45), ry, _u(rng, -150, -100), _u(rng, 130, 180), 18)
    return [(x0 + _u(rng, -0.02, 0.08), 0.0), (x0, knee)] + bowl


def five_one_stroke(rng):
    """A 5 written without lifting the pen: the flag first, right to left, then down and round."""
    body = _five_body(rng)
    flag = [(body[0][0] + _u(rng, 0.45, 0.7), _u(rng, -0.05, 0.05))]
    if _chance(rng, 0.5):  # a rounded corner where the flag turns down
        return [_spline(flag + [(body[0][0] + 0.06, 0.01), (body[0][0], 0.1), body[1]], 6) + body[2:]]
    return [flag + body]


def six_plain(rng):
    ry = _u(rng, 0.25, 0.32)
    rx = _u(rng, 0.28, 0.38)
    loop = _arc(0.45, 1 - ry, rx, ry, 180, 540 + _u(rng, -30, 20), 28)
    stem = _spline([(_u(rng, 0.55, 0.8), 0.0), (_u(rng, 0.2, 0.35), 0.3), (0.45 - rx, 1 - ry)], 8)
    return [stem[:-1] + loop]


def six_small_loop(rng):
    """A 6 with a long stem and a small loop at the bottom."""
    ry = _u(rng, 0.13, 0.22)
    rx = ry * _u(rng, 0.9, 1.4)
    cx = _u(rng, 0.25, 0.4)
    loop = _arc(cx, 1 - ry, rx, ry, 180, 540 + _u(rng, -30, 10), 22)
    stem = _spline([(_u(rng, 0.45, 0.7), 0.0), (_u(rng, 0.05, 0.2), 0.45), (cx - rx, 1 - ry)], 8)
    return [stem[:-1] + loop]


def _seven(rng, crossed: float, curved: bool, hooked: bool) -> list[Stroke]:
    left, right = (0.0, _u(rng, -0.03, 0.05)), (_u(rng, 0.65, 0.9), 0.0)
    foot = (_u(rng, 0.2, 0.45), 1.0)
    bend = _u(rng, 0.08, 0.18) * (1 if _chance(rng, 0.7) else -1) if curved else _u(rng, -0.03, 0.03)
    mid = ((right[0] + foot[0]) / 2 + bend, 0.5)
    stem = _spline([right, mid, foot], 10)
    head = [(_u(rng, -0.03, 0.05), _u(rng, 0.1, 0.25)), left] if hooked else [left]
    strokes = [head + stem]
    if hooked and _chance(rng, 0.5):  # a foot hook
        strokes[0].append((foot[0] + _u(rng, -0.12, 0.12), foot[1] - _u(rng, 0.0, 0.06)))
    if _chance(rng, crossed):
        y = _u(rng, 0.42, 0.58)
        at = stem[min(int(round(y * len(stem))), len(stem) - 1)][0]
        strokes.append([(at - _u(rng, 0.15, 0.3), y + _u(rng, -0.03, 0.03)),
                        (at + _u(rng, 0.15, 0.3), y + _u(rng, -0.03, 0.03))])
    return strokes


def seven_plain(rng):
    return _seven(rng, crossed=0.0, curved=False, hooked=False)


def seven_crossed(rng):
    return _seven(rng, crossed=1.0, curved=False, hooked=_chance(rng, 0.3))


def seven_curved(rng):
    return _seven(rng, crossed=0.5, curved=True, hooked=_chance(rng, 0.3))


def seven_hooked(rng):
    return _seven(rng, crossed=0.5, curved=_chance(rng, 0.5), hooked=True)


def eight(rng):
    split = _u(rng, 0.4, 0.5)
    up_rx, low_rx = _u(rng, 0.22, 0.32), _u(rng, 0.28, 0.4)
    up = _arc(0.45, split / 2, up_rx, split / 2, 90, 450, 22)
    low = _arc(0.45, split + (1 - split) / 2, low_rx, (1 - split) / 2, -90, 270, 22)
    if _chance(rng, 0.5):  # two separate loops
        return [up, low]
    # one stroke: down the S, round the bottom and back up
    s = _spline([(0.45 + up_rx * 0.7, 0.05), (0.45, 0.0), (0.45 - up_rx, split / 2), (0.45, split),
                 (0.45 + low_rx, split + (1 - split) / 2), (0.45, 1.0), (0.45 - low_rx, split + (1 - split) / 2),
                 (0.45, split), (0.45 + up_rx, split / 2), (0.45 + up_rx * 0.7, 0.05)], 6)
    return [s]


def _nine_loop(rng) -> tuple[Stroke, float, float]:
    ry = _u(rng, 0.2, 0.3)
    rx = _u(rng, 0.25, 0.36)
    start = _u(rng, -20, 20)
    loop = _arc(0.45, ry, rx, ry, start, start - 360 - _u(rng, -10, 25), 24)  # anticlockwise from the right
    return loop, 0.45 + rx, ry


def nine_plain(rng):
    loop, x, y = _nine_loop(rng)
    return [loop + _spline([(x, y), (x - _u(rng, 0.0, 0.08), 0.65), (x - _u(rng, 0.05, 0.2), 1.0)], 8)[1:]]


def nine_straight(rng):
    """A 9 with a straight tail down from the loop's right side."""
    loop, x, y = _nine_loop(rng)
    return [loop + [(x + _u(rng, -0.04, 0.04), 1.0)]]


def nine_curved(rng):
    """A 9 whose tail curves back to the left at the bottom."""
    loop, x, y = _nine_loop(rng)
    tail = _spline([(x, y), (x, 0.7), (x - _u(rng, 0.1, 0.2), 0.97),
                    (x - _u(rng, 0.3, 0.5), 0.92 + _u(rng, -0.05, 0.03))], 6)
    return [loop + tail[1:]]


def nine_open(rng):
    """A 9 whose loop stays open on the left, the tail straight or curling left."""
    ry, rx = _u(rng, 0.2, 0.3), _u(rng, 0.25, 0.36)
    gap = _u(rng, 30, 90)  # degrees left open around the loop's left side
    loop = _arc(0.45, ry, rx, ry, 180 + gap / 2, 540 - gap / 2, 20)  # over the top, round the right and the bottom
    x, y = 0.45 + rx, ry
    tail_end = (x - _u(rng, 0.0, 0.45), 1.0 - _u(rng, 0.0, 0.08))
    return [loop, _spline([(x, y), (x + _u(rng, -0.05, 0.02), 0.7), tail_end], 8)]


def nine_left_tail(rng):
    """A 9 whose tail leaves the loop at its bottom left: the loop starts and ends there."""
    ry, rx = _u(rng, 0.2, 0.3), _u(rng, 0.25, 0.36)
    leave = _u(rng, 95, 150)  # where the tail leaves the loop: 90 = its bottom, 180 = its left side
    loop = _arc(0.45, ry, rx, ry, leave, leave - 360 - _u(rng, -15, 15), 26)
    x, y = loop[-1]
    return [loop + _spline([(x, y), (x + _u(rng, -0.05, 0.05), (y + 1) / 2), (x + _u(rng, -0.2, 0.1), 1.0)], 8)[1:]]


def nine_cursive(rng):
    """A 9 as many Europeans write it fast: a small loop, then a tail sweeping down to the left that
    ends there, hooks back up to the right, or sweeps right along the bottom (an 'S'-like 9)."""
    ry, rx = _u(rng, 0.13, 0.24), _u(rng, 0.16, 0.32)
    cx = _u(rng, 0.45, 0.7)
    leave = _u(rng, 0, 80)  # where the tail leaves the loop: 0 = its right side, 90 = its bottom
    loop = _arc(cx, ry, rx, ry, leave, leave - 360 - _u(rng, -10, 20), 22)
    x, y = loop[-1]
    low = (x - _u(rng, 0.25, 0.6), 1.0 - _u(rng, 0.0, 0.1))
    tail = [(x, y), (x - _u(rng, 0.05, 0.2), (y + 1) / 2 + _u(rng, -0.05, 0.1)), low]
    ending = rng.random()
    if ending < 0.4:  # the tail hooks back up to the right
        tail[-1] = (low[0], 1.0)
        tail.append((low[0] + _u(rng, 0.12, 0.3), 1.0 - _u(rng, 0.08, 0.25)))
    elif ending < 0.6:  # the tail sweeps right along the bottom, rising a little at its end
        tail[-1] = (low[0] - _u(rng, 0.0, 0.1), 1.0 - _u(rng, 0.03, 0.12))
        tail += [(low[0] + _u(rng, 0.1, 0.2), 1.0), (low[0] + _u(rng, 0.35, 0.6), 1.0 - _u(rng, 0.05, 0.2))]
    return [loop + _spline(tail, 8)[1:]]


def nine_g(rng):
    """A 9 like a 'g': the tail ends in a loop back up to the left."""
    loop, x, y = _nine_loop(rng)
    r = _u(rng, 0.12, 0.2)
    tail = _spline([(x, y), (x, 0.75), (x - r, 1.0), (x - 2 * r, 0.88), (x - r * _u(rng, 0.5, 1.0), 0.72),
                    (x + _u(rng, 0.0, 0.12), 0.66)], 6)
    return [loop + tail[1:]]


def nine_square(rng):
    """A 9 with a flat-topped, square-ish head, like a 'q': across the top to the left, down, back to the
    right along the head's bottom, then the stem straight down from the top right corner."""
    right, left = _u(rng, 0.62, 0.85), _u(rng, 0.0, 0.2)
    head = _u(rng, 0.35, 0.55)  # the head's bottom
    round_ = _u(rng, 0.0, 0.08)
    top = [(right, _u(rng, -0.02, 0.04)), (left + round_, 0.0), (left, round_ * 2),
           (left + _u(rng, -0.02, 0.04), head - round_), (left + round_ * 2, head),
           (right + _u(rng, -0.06, 0.02), head + _u(rng, -0.05, 0.03))]
    stem = [(right + _u(rng, -0.02, 0.02), 0.0), (right + _u(rng, -0.1, 0.02), 1.0)]
    if _chance(rng, 0.5):  # in one stroke: up the head's right side to its corner, then down the stem
        return [top + stem]
    return [top, stem]


STYLES: dict[str, tuple[int, StyleFn]] = {
    "0 plain": (0, zero_plain),
    "0 small loop": (0, zero_small_loop),
    "1 stick": (1, one_stick),
    "1 serif": (1, one_serif),
    "1 flag": (1, one_flag),
    "1 flag and base": (1, one_flag_base),
    "2 plain": (2, two_plain),
    "2 loop": (2, two_loop),
    "3 round": (3, three_round),
    "3 flat top": (3, three_flat_top),
    "4 closed": (4, four_closed),
    "4 open top": (4, four_open),
    "4 one stroke": (4, four_one_stroke),
    "4 curved arm": (4, four_curved),
    "4 low bar": (4, four_low_bar),
    "5 two strokes": (5, five_two_strokes),
    "5 one stroke": (5, five_one_stroke),
    "6 plain": (6, six_plain),
    "6 small loop": (6, six_small_loop),
    "7 plain": (7, seven_plain),
    "7 crossed": (7, seven_crossed),
    "7 curved stem": (7, seven_curved),
    "7 hooked": (7, seven_hooked),
    "8": (8, eight),
    "9 plain": (9, nine_plain),
    "9 straight tail": (9, nine_straight),
    "9 curved tail": (9, nine_curved),
    "9 g loop": (9, nine_g),
    "9 open loop": (9, nine_open),
    "9 tail from the left": (9, nine_left_tail),
    "9 cursive": (9, nine_cursive),
    "9 square head": (9, nine_square),
}


# ---------------------------------------------------------------------------------------------
# A hand moving the pen


def _resample(stroke: Stroke, step: float = 0.02) -> np.ndarray:
    """Points along the polyline every `step` (so a warp bends straight lines too): (n, 2)."""
    p = np.asarray(stroke, np.float64)
    if len(p) < 2:
        return p
    seg = np.hypot(*np.diff(p, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] == 0:
        return p[:1]
    t = np.linspace(0.0, s[-1], max(2, int(s[-1] / step) + 1))
    return np.stack([np.interp(t, s, p[:, 0]), np.interp(t, s, p[:, 1])], axis=1)


def hand(strokes: list[Stroke], rng: np.random.Generator) -> list[np.ndarray]:
    """Move strokes as a hand would: wobble, proportions, slant, rotation, strokes a little apart."""
    pts = [_resample(s) for s in strokes]
    allp = np.vstack(pts)
    cx, cy = allp[:, 0].mean(), 0.5
    aspect = math.exp(rng.normal(0.0, 0.15))
    # x moves right by slant * (height above the middle): most hands lean right, some a lot
    slant = float(np.clip(rng.normal(0.15, 0.2), -0.3, 0.7))
    angle = math.radians(rng.normal(0.0, 5.0))
    waves = [(rng.normal(0, 0.025, 2), rng.uniform(0.4, 1.6, 2) * rng.choice([-1, 1], 2),
              rng.uniform(0, 2 * math.pi, 2))
             for _ in range(2)]
    out = []
    for i, p in enumerate(pts):
        x, y = (p[:, 0] - cx) * aspect, p[:, 1] - cy
        for amp, freq, phase in waves:  # a smooth random wobble of the whole field
            arg = 2 * math.pi * (freq[0] * x + freq[1] * y)
            x, y = x + amp[0] * np.sin(arg + phase[0]), y + amp[1] * np.sin(arg + phase[1])
        x = x - slant * y
        x, y = x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle)
        if i:  # a later stroke lands a little off
            x, y = x + rng.normal(0, 0.015), y + rng.normal(0, 0.015)
        out.append(np.stack([x, y], axis=1))
    return out


def render_strokes(strokes: list[np.ndarray], rng: np.random.Generator, canvas: int = CANVAS,
                   pen: tuple[float, float] = CANVAS_PEN) -> np.ndarray:
    """Draw hand-moved strokes at a random size, place and pen on a black canvas: (canvas, canvas) uint8.

    The pen's width is drawn from `pen`, as a share of the digit's height.
    """
    allp = np.vstack(strokes)
    lo, hi = allp.min(0), allp.max(0)
    height = _u(rng, 0.4, 0.85) * canvas
    scale = min(height / max(hi[1] - lo[1], 1e-3), 0.9 * canvas / max(hi[0] - lo[0], 1e-3))
    size = (hi - lo) * scale
    offset = np.array([_u(rng, 0.02 * canvas, canvas * 0.98 - size[0]),
                       _u(rng, 0.02 * canvas, canvas * 0.98 - size[1])])
    pen_px = max(2.0, _u(rng, *pen) * height)
    img = Image.new("L", (canvas, canvas), 0)
    draw = ImageDraw.Draw(img)
    r = pen_px / 2
    for s in strokes:
        px = (s - lo) * scale + offset
        flat = [tuple(q) for q in px.tolist()]
        if len(flat) > 1:
            draw.line(flat, fill=255, width=max(1, round(pen_px)), joint="curve")
        for x, y in (flat[0], flat[-1]):  # round caps
            draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return np.asarray(img)


def style_strokes(name: str, rng: np.random.Generator) -> list[np.ndarray]:
    """One hand-moved sample of a style's strokes (height units)."""
    return hand(STYLES[name][1](rng), rng)


def draw_style(name: str, rng: np.random.Generator, pen: tuple[float, float] = CANVAS_PEN) -> np.ndarray:
    """One sample of a style as a canvas-like drawing: (CANVAS, CANVAS) uint8, white ink on black."""
    return render_strokes(style_strokes(name, rng), rng, pen=pen)



# ---------------------------------------------------------------------------------------------
# Scanned digits


def scan_like(image: np.ndarray, rng: np.random.Generator, margin: int = 1) -> np.ndarray:
    """A digit as a low-resolution binary scan, often stretched to fill a square box, as Semeion's
    and USPS's are: (s, s) uint8, ink 255 on 0, with a margin `margin` pixels wide (0: the ink touches the
    box's edges, as in Semeion).

    The ink's box is fitted into 12-20 pixels; its shorter side is then stretched towards the full
    box (fully half of the time), and the result thresholded to 0/1.
    """
    ink = to_ink(image)
    rows, cols = np.flatnonzero(ink.max(1) > 0.2), np.flatnonzero(ink.max(0) > 0.2)
    if rows.size == 0:
        raise ValueError("the image holds no ink")
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    side = int(rng.integers(12, 21))
    fit = side / max(h, w)
    stretch = 1.0 if _chance(rng, 0.5) else _u(rng, 0.0, 1.0)
    sh, sw = h * fit, w * fit  # then the shorter side grows, at most MAX_STRETCH times
    sh, sw = min(sh + stretch * (side - sh), MAX_STRETCH * sh), min(sw + stretch * (side - sw), MAX_STRETCH * sw)
    size = (max(1, round(sw)), max(1, round(sh)))
    small = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX))
    binary = small > _u(rng, 0.3, 0.6) * max(float(small.max()), 1e-6)
    return np.pad(binary.astype(np.uint8) * 255, margin)


# ---------------------------------------------------------------------------------------------
# Data sets


def _rng(seed: int, i: int, held_out: bool) -> np.random.Generator:
    """Sample i's own random stream: the same sample whatever n is; held-out streams never meet training's."""
    return np.random.default_rng([HELD_OUT_STREAM, seed, i] if held_out else [seed, i])


def _to_uint8(x: np.ndarray | None) -> np.ndarray:
    return np.zeros((28, 28), np.uint8) if x is None else (np.clip(x, 0, 1) * 255).round().astype(np.uint8)


def style_set(names: Sequence[str], n: int, seed: int = 0, scan_share: float = 0.0,
              held_out: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """n samples of the named styles in turn (sample i is of style names[i % len(names)]).

    Args:
        names: keys of STYLES.
        n: how many images.
        seed: the random seed; sample i depends only on (seed, i, held_out).
        scan_share: the share of samples turned into scan-like bitmaps (see scan_like) before normalising.
        held_out: draw from random streams that training never uses (for benchmarks).
    Returns:
        ((n, 28, 28) uint8 MNIST-format images, (n,) int64 labels).
    """
    unknown = [k for k in names if k not in STYLES]
    if unknown:
        raise KeyError(f"unknown styles {unknown}; known: {', '.join(STYLES)}")
    return _style_list([names[i % len(names)] for i in range(n)], seed, scan_share, held_out)


def _style_list(names: Sequence[str], seed: int, scan_share: float,
                held_out: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Sample i of style names[i], for each i."""
    x = np.zeros((len(names), 28, 28), np.uint8)
    y = np.zeros(len(names), np.int64)
    for i, name in enumerate(names):
        rng = _rng(seed, i, held_out)
        as_scan = _chance(rng, scan_share)
        drawing = draw_style(name, rng, pen=SCAN_PEN if as_scan else CANVAS_PEN)
        if as_scan:
            drawing = scan_like(drawing, rng)
        x[i], y[i] = _to_uint8(prepare(drawing)), STYLES[name][0]
    return x, y


def scan_set(x: np.ndarray, n: int, seed: int = 0, held_out: bool = False,
             margin: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Scan-like copies of n images of x picked at random, each with a `margin` (see scan_like),
    normalised: ((n, 28, 28) uint8, (n,) the picked indices)."""
    rng = np.random.default_rng([HELD_OUT_STREAM, seed] if held_out else [seed, 1 << 20])
    pick = rng.choice(len(x), size=n, replace=n > len(x))
    out = np.zeros((n, 28, 28), np.uint8)
    for k, i in enumerate(pick):
        out[k] = _to_uint8(prepare(scan_like(x[i], _rng(seed, int(i) + (1 << 24), held_out), margin)))
    return out, pick


def digit_styles(names: Sequence[str] | None = None) -> dict[int, list[str]]:
    """digit -> the names of its styles (among `names`, default all)."""
    out: dict[int, list[str]] = {}
    for name in names or STYLES:
        out.setdefault(STYLES[name][0], []).append(name)
    return out


def balanced_names(n: int, names: Sequence[str] | None = None, weights: dict[int, int] | None = None) -> list[str]:
    """n style names: digits in rounds (each digit `weights[d]` times a round, default once), and each
    digit's styles in turn."""
    by_digit = digit_styles(names)
    weights = weights or dict.fromkeys(by_digit, 1)
    cycle = [d for rank in range(max(weights.values())) for d in sorted(by_digit) if weights.get(d, 0) > rank]
    seen = dict.fromkeys(by_digit, 0)
    out = []
    for i in range(n):
        d = cycle[i % len(cycle)]
        out.append(by_digit[d][seen[d] % len(by_digit[d])])
        seen[d] += 1
    return out


def world_data(x: np.ndarray, y: np.ndarray, styles_share: float, scans_share: float, seed: int = 0,
               style_scan_share: float = 0.25, edits_share: float = 0.0,
               redraws_share: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Extra training digits in the world's styles, to concatenate to MNIST's (x, y).

    Args:
        x, y: MNIST's training images (N, 28, 28) uint8 and labels.
        styles_share: round(styles_share * N) generated digits, balanced over digits and their styles.
        scans_share: round(scans_share * N) scan-like copies of random images of x (label kept).
        seed: random seed (training streams only: benchmarks draw held-out streams).
        style_scan_share: the share of generated digits turned into scans too.
        edits_share: round(edits_share * N) MNIST 1s given a flag and 7s given a bar (see edit_digit).
        redraws_share: round(redraws_share * N) images of x re-drawn as canvas drawings (synth.redraw:
            random size, place and pen) and normalised, as the Draw page sees drawings.
    Returns:
        ((M, 28, 28) uint8, (M,) int64), cached on disk under paths.cache_dir().
    """
    from .calibrate import cached_inputs

    n = len(x)
    n_styles, n_scans, n_edits, n_redraws = (int(round(share * n)) for share in
                                             (styles_share, scans_share, edits_share, redraws_share))

    def make():
        names = balanced_names(n_styles)
        xs, ys = _style_list(names, seed, style_scan_share)
        scans, pick = scan_set(x, n_scans, seed=seed)
        edits, ye = edit_set(x, y, n_edits, seed=seed)
        redraws, pick_r = redraw_set(x, n_redraws, seed=seed)
        labels = np.asarray(y, np.int64)
        return (np.concatenate([xs, scans, edits, redraws]),
                np.concatenate([ys, labels[pick], ye, labels[pick_r]]))

    digest = hashlib.blake2b(np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes()).hexdigest()
    key = ("world data", n_styles, n_scans, n_edits, n_redraws, seed, style_scan_share, digest)
    return cached_inputs(key, make, code=("styles", "synth", "preprocess"))


def redraw_set(x: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n random images of x re-drawn as canvas drawings and normalised: ((n, 28, 28) uint8, (n,) indices)."""
    from .synth import redraw

    rng = np.random.default_rng([seed, 1 << 22])
    pick = rng.choice(len(x), size=n, replace=n > len(x))
    out = np.zeros((n, 28, 28), np.uint8)
    for k, i in enumerate(pick):
        out[k] = _to_uint8(prepare(redraw(x[i], rng)))
    return out, pick

# ---------------------------------------------------------------------------------------------
# Editing MNIST's own digits: its writers' strokes, with a flag or a bar added

EDITS = ("1 flag", "7 crossed")  # which MNIST digits can be edited, and into what


def _pen_line(canvas: Image.Image, points: list[tuple[float, float]], width: float) -> None:
    draw = ImageDraw.Draw(canvas)
    draw.line(points, fill=255, width=max(1, round(width)), joint="curve")
    r = width / 2
    for x, y in (points[0], points[-1]):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=255)


def edit_digit(digit: np.ndarray, label: int, rng: np.random.Generator, scale: int = 4) -> np.ndarray | None:
    """An MNIST 1 given an up-stroke flag (sometimes a base too), or an MNIST 7 given a bar across its
    stem, drawn with the digit's own stroke width: (28 * scale, 28 * scale) uint8, or None for other digits.
    """
    if label not in (1, 7):
        return None
    big = Image.fromarray(np.asarray(digit, np.uint8)).resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR)
    ink = np.asarray(big) > 127
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size < 2:
        return None
    top, bottom = int(rows[0]), int(rows[-1])
    height = bottom - top + 1
    area = ink.sum()
    width = max(2.0 * area / max(int((ink & ~_eroded(ink)).sum()), 1), scale)  # the stroke's width
    canvas = big.copy()

    def centre_at(row: int) -> float:
        """The ink's middle on this row, or on the nearest row that has ink."""
        inked = rows[np.argmin(np.abs(rows - row))]
        return float(np.flatnonzero(ink[inked]).mean())

    if label == 1:
        at = top + int(width / 2)
        xt = centre_at(min(at, bottom))
        ln, angle = _u(rng, 0.2, 0.6) * height, math.radians(_u(rng, 20, 60))
        start = (xt - ln * math.cos(angle), at + ln * math.sin(angle))
        _pen_line(canvas, [start, (xt, at)], width * _u(rng, 0.8, 1.1))
        if _chance(rng, 0.3):
            xb, half = centre_at(bottom - int(width / 2)), _u(rng, 0.15, 0.3) * height
            yb = bottom - width / 2
            _pen_line(canvas, [(xb - half, yb), (xb + half, yb + _u(rng, -0.03, 0.03) * height)],
                      width * _u(rng, 0.8, 1.1))
    else:
        row = top + int(_u(rng, 0.45, 0.62) * height)
        xs = np.flatnonzero(ink[row])
        if xs.size == 0:
            return None
        xc, half = float(xs.mean()), _u(rng, 0.18, 0.32) * height
        tilt = _u(rng, -0.05, 0.05) * height
        _pen_line(canvas, [(xc - half * _u(rng, 0.8, 1.2), row + tilt), (xc + half, row - tilt)],
                  width * _u(rng, 0.8, 1.1))
    return np.asarray(canvas)


def _eroded(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return ndimage.binary_erosion(mask)


def edit_set(x: np.ndarray, y: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n edited MNIST 1s and 7s (half each), normalised: ((n, 28, 28) uint8, (n,) labels)."""
    rng = np.random.default_rng([seed, 1 << 21])
    ones, sevens = np.flatnonzero(np.asarray(y) == 1), np.flatnonzero(np.asarray(y) == 7)
    out = np.zeros((n, 28, 28), np.uint8)
    labels = np.zeros(n, np.int64)
    for k in range(n):
        pool = ones if k % 2 == 0 else sevens
        i = int(pool[rng.integers(0, len(pool))])
        edited = edit_digit(x[i], int(y[i]), _rng(seed, i + (1 << 25), False))
        out[k], labels[k] = _to_uint8(prepare(edited if edited is not None else x[i])), int(y[i])
    return out, labels
