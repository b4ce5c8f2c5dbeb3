"""Synthetic drawings: digit strokes rendered the way the canvas renders them.

Used by tests, the browser test (the same strokes become mouse moves) and the drawn-digit benchmark.
Strokes are polylines in unit coordinates (x right, y down, 0..1 inside the digit's box).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> Stroke:
    """Points on an elliptical arc; angles in degrees, 0 = right, 90 = down."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, end, n)]


# One plain way of writing each digit, in strokes as a person would draw them.
DIGIT_STROKES: dict[int, list[Stroke]] = {
    0: [_arc(0.5, 0.5, 0.36, 0.5, -90, 270, 40)],
    1: [[(0.35, 0.15), (0.55, 0.0), (0.55, 1.0)]],
    2: [_arc(0.5, 0.28, 0.38, 0.28, 190, 380, 20) + [(0.1, 1.0), (0.95, 1.0)]],
    3: [_arc(0.45, 0.25, 0.38, 0.25, 200, 450, 20) + _arc(0.45, 0.73, 0.42, 0.27, -90, 160, 20)],
    4: [[(0.6, 0.0), (0.05, 0.68), (0.95, 0.68)], [(0.7, 0.35), (0.7, 1.0)]],
    5: [[(0.85, 0.0), (0.2, 0.0), (0.15, 0.45)] + _arc(0.47, 0.68, 0.4, 0.32, -110, 160, 20)],
    6: [[(0.7, 0.0), (0.35, 0.3), (0.14, 0.62)] + _arc(0.48, 0.7, 0.34, 0.3, 180, 540, 30)],
    7: [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)]],
    8: [_arc(0.5, 0.25, 0.3, 0.25, 90, 450, 24) + _arc(0.5, 0.74, 0.38, 0.26, -90, 270, 24)],
    9: [_arc(0.5, 0.3, 0.36, 0.3, 0, 360, 30) + [(0.86, 0.3), (0.8, 1.0)]],
}


def place(strokes: list[Stroke], left: float, top: float, width: float, height: float) -> list[Stroke]:
    """Map unit-box strokes into a pixel box."""
    return [[(left + x * width, top + y * height) for x, y in s] for s in strokes]


def render(strokes: list[Stroke], size: tuple[int, int] = (280, 280), pen: float = 20.0,
           ink: int = 255, paper: int = 0, alpha_only: bool = False) -> np.ndarray:
    """Draw pixel-coordinate strokes with round caps, like the canvas: (H, W, 4) RGBA uint8.

    ink/paper set the colours (white on black by default); alpha_only draws on a transparent
    background with the ink in the alpha channel.
    """
    w, h = size[1], size[0]
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0) if alpha_only else (paper, paper, paper, 255))
    draw = ImageDraw.Draw(img)
    colour = (ink, ink, ink, 255)
    r = pen / 2
    for stroke in strokes:
        if len(stroke) > 1:
            draw.line(stroke, fill=colour, width=max(1, round(pen)), joint="curve")
        for x, y in stroke:  # round caps and joints
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    return np.asarray(img)


def digit_image(digit: int, size: int = 280, pen: float = 20.0, box: tuple[float, float, float, float] | None = None,
                **kwargs) -> np.ndarray:
    """A canvas-like RGBA image of `digit` in `box` (left, top, width, height; default centred, 70% high)."""
    if box is None:
        box = (size * 0.3, size * 0.15, size * 0.4, size * 0.7)
    return render(place(DIGIT_STROKES[digit], *box), (size, size), pen, **kwargs)
