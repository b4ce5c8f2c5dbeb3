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


# Other common ways of writing some digits (crossed 7, serif 1, closed 4, straight-stemmed 9, ...).
STYLE_VARIANTS: dict[str, tuple[int, list[Stroke]]] = {
    "7 crossed": (7, [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)], [(0.3, 0.5), (0.85, 0.5)]]),
    "1 with serif and base": (1, [[(0.25, 0.2), (0.55, 0.0), (0.55, 1.0)], [(0.25, 1.0), (0.85, 1.0)]]),
    "1 plain stick": (1, [[(0.5, 0.0), (0.5, 1.0)]]),
    "4 closed": (4, [[(0.7, 1.0), (0.7, 0.0), (0.1, 0.65), (0.95, 0.65)]]),
    "9 straight stem": (9, [_arc(0.45, 0.27, 0.35, 0.27, 0, 360, 30) + [(0.8, 0.27), (0.8, 1.0)]]),
    "2 with a loop": (2, [_arc(0.5, 0.28, 0.38, 0.28, 190, 380, 20) + [(0.15, 0.95)]
                          + _arc(0.25, 0.88, 0.12, 0.1, -90, 270, 12) + [(0.95, 1.0)]]),
    "6 curved": (6, [[(0.85, 0.05), (0.55, 0.02), (0.3, 0.18), (0.15, 0.45)]
                     + _arc(0.47, 0.72, 0.33, 0.27, 180, 540, 30)]),
    "3 flat top": (3, [[(0.1, 0.0), (0.9, 0.0), (0.45, 0.42)] + _arc(0.45, 0.7, 0.42, 0.28, -90, 160, 20)]),
    "5 two strokes": (5, [[(0.85, 0.0), (0.2, 0.0)],
                          [(0.2, 0.0), (0.15, 0.45)] + _arc(0.47, 0.68, 0.4, 0.32, -110, 160, 20)]),
    "8 two loops": (8, [_arc(0.5, 0.25, 0.28, 0.25, 0, 360, 24), _arc(0.5, 0.74, 0.36, 0.26, 0, 360, 24)]),
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


# ---------------------------------------------------------------------------------------------
# Drawn-path benchmark data


def redraw(digit: np.ndarray, rng: np.random.Generator, canvas: int = 280, height: tuple[float, float] = (0.3, 0.95),
           pen: tuple[float, float] = (6.0, 40.0), speck_chance: float = 0.1) -> np.ndarray:
    """Re-draw an MNIST digit as a canvas drawing: random size, place and pen width.

    The 28x28 digit is scaled up to the chosen height, thresholded into a shape, its strokes
    thinned or thickened to the chosen pen with a disc, and placed at a random spot of an
    opaque black canvas; sometimes a stray speck is added far from it. Returns (canvas, canvas, 4) uint8.
    """
    from scipy import ndimage

    img = np.asarray(digit, np.float32) / (255.0 if np.asarray(digit).dtype == np.uint8 else 1.0)
    rows, cols = np.flatnonzero(img.max(1) > 0.3), np.flatnonzero(img.max(0) > 0.3)
    crop = img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h = rng.uniform(*height) * canvas
    scale = h / crop.shape[0]
    w = min(crop.shape[1] * scale, canvas * 0.95)
    size = (max(1, round(w)), max(1, round(h)))
    big = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.Resampling.BILINEAR))
    shape = big > 0.5
    width_now = 2.0 * shape.sum() / max((shape & ~ndimage.binary_erosion(shape)).sum(), 1)
    radius = int(round((rng.uniform(*pen) - width_now) / 2))
    if radius > 0:
        # = binary dilation with preprocess.disc_footprint(radius), exactly, in a fraction of the time
        shape = ndimage.distance_transform_edt(~np.pad(shape, radius)) <= radius
    elif radius < 0:
        shape = thin(shape, max(1.5, width_now / 2 + radius), width_now / 2)
    sh, sw = shape.shape
    sh, sw = min(sh, canvas), min(sw, canvas)
    top, left = rng.integers(0, canvas - sh + 1), rng.integers(0, canvas - sw + 1)
    field = np.zeros((canvas, canvas), np.float32)
    field[top : top + sh, left : left + sw] = shape[:sh, :sw]
    if rng.random() < speck_chance:  # a stray speck in the emptiest corner
        cy, cx = (8 if top > canvas / 2 else canvas - 12), (8 if left > canvas / 2 else canvas - 12)
        field[cy : cy + 4, cx : cx + 4] = 1.0
    field = ndimage.gaussian_filter(field, 0.6)  # the canvas anti-aliases its strokes
    ink = (np.clip(field, 0, 1) * 255).astype(np.uint8)
    return np.dstack([ink, ink, ink, np.full_like(ink, 255)])


def thin(shape: np.ndarray, half_width: float, stroke_half_width: float) -> np.ndarray:
    """Thin a binary shape's strokes (about 2 * stroke_half_width wide) to about 2 * half_width.

    Keeps the pixels within half_width of the stroke's ridge (the local maximum of the distance
    to the background), so thin parts survive where plain erosion would delete them.
    """
    from scipy import ndimage

    edt = ndimage.distance_transform_edt(shape)
    ridge = disc_max(edt, max(int(np.ceil(stroke_half_width)), 1))
    return shape & (edt >= ridge - half_width)


def disc_max(a: np.ndarray, radius: int) -> np.ndarray:
    """The maximum of `a` over a disc around each pixel: exactly ndimage.grey_dilation(a,
    footprint=preprocess.disc_footprint(radius)), edges reflected, but ~15x faster for wide discs.

    The disc is a stack of horizontal runs; each run width is one O(N) 1-D maximum filter.
    """
    from scipy import ndimage

    if radius < 1:
        return np.array(a, copy=True)
    padded = np.pad(a, radius, mode="symmetric")  # ndimage's 'reflect'
    h, w = a.shape
    dy = np.arange(-radius, radius + 1)
    half_widths = np.floor(np.sqrt(radius * radius - dy * dy)).astype(int)
    runs: dict[int, np.ndarray] = {}
    out = None
    for d, k in zip(dy.tolist(), half_widths.tolist(), strict=True):
        if k not in runs:
            runs[k] = ndimage.maximum_filter1d(padded, 2 * k + 1, axis=1)
        rows = runs[k][radius + d : radius + d + h, radius : radius + w]
        out = rows.copy() if out is None else np.maximum(out, rows, out=out)
    return out



def scan(drawing: np.ndarray, side: int, margin: float = 0.15) -> np.ndarray:
    """A canvas drawing as a scanned bitmap: dark ink on white paper, side x side pixels.

    As digit scans are made (USPS's 16x16 digits, say), the digit fills the bitmap: the ink's
    square surroundings, with `margin` of its size around it, are area-averaged down to side x side.
    """
    ink = np.asarray(drawing)[..., 0]
    rows, cols = np.flatnonzero(ink.max(1) > 64), np.flatnonzero(ink.max(0) > 64)
    cy, cx = (rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2
    half = max(rows[-1] - rows[0], cols[-1] - cols[0]) * (0.5 + margin)
    padded = np.pad(255 - ink, int(half) + 2, constant_values=255)
    top, left = int(cy - half) + int(half) + 2, int(cx - half) + int(half) + 2
    square = padded[top : top + int(2 * half), left : left + int(2 * half)]
    return np.asarray(Image.fromarray(square).resize((side, side), Image.Resampling.BOX))


SCRIBBLE_KINDS = ("zigzag", "blob", "hatch", "star", "letter", "spiral", "grid", "triangle", "wave",
                  "heart", "question", "S", "letters", "tick", "arrow", "box", "smiley", "flower", "house")
# grid, triangle, wave, flower and house are kept out of training, for honest checks
HELD_OUT_SCRIBBLES = ("grid", "triangle", "wave", "flower", "house")
TRAINING_SCRIBBLES = tuple(k for k in SCRIBBLE_KINDS if k not in HELD_OUT_SCRIBBLES)

# Letters that are not digit look-alikes (no O, I, l, Z, B, G, U, b, g, q...; S has its own kind), in unit-box strokes.
LETTERS: dict[str, list[Stroke]] = {
    "E": [[(0.9, 0.0), (0.0, 0.0), (0.0, 1.0), (0.9, 1.0)], [(0.0, 0.5), (0.7, 0.5)]],
    "F": [[(0.9, 0.0), (0.0, 0.0), (0.0, 1.0)], [(0.0, 0.48), (0.7, 0.48)]],
    "R": [[(0.0, 1.0), (0.0, 0.0)] + _arc(0.35, 0.25, 0.45, 0.25, -90, 90, 12) + [(0.0, 0.5), (0.9, 1.0)]],
    "N": [[(0.0, 1.0), (0.0, 0.0), (1.0, 1.0), (1.0, 0.0)]],
    "V": [[(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)]],
}


def scribble(rng: np.random.Generator, canvas: int = 280, kinds: tuple[str, ...] = SCRIBBLE_KINDS) -> np.ndarray:
    """Something that is not a digit, of a random kind among `kinds`: (canvas, canvas, 4) RGBA uint8.

    Kinds: the first nine, drawn at a fixed place; heart, question mark, S, letters (E F R N V), tick,
    arrow, box, smiley, flower and house, wobbled a little in a random box.
    """
    kind = SCRIBBLE_KINDS.index(kinds[int(rng.integers(0, len(kinds)))])
    c = canvas
    pen = float(rng.uniform(10, 30))
    if kind == 0:  # random zig-zag scribble
        pts = [tuple(p) for p in rng.uniform(0.15 * c, 0.85 * c, (int(rng.integers(6, 14)), 2))]
        return render([pts], (c, c), pen)
    if kind == 1:  # a filled blob
        img = Image.new("RGBA", (c, c), (0, 0, 0, 255))
        r = rng.uniform(0.2, 0.4) * c
        ImageDraw.Draw(img).ellipse([c / 2 - r, c / 2 - r * 0.8, c / 2 + r, c / 2 + r * 0.8], fill=(255, 255, 255, 255))
        return np.asarray(img)
    if kind == 2:  # hatching: several parallel lines
        n = int(rng.integers(4, 8))
        lines = [[(0.15 * c, (0.15 + 0.7 * i / n) * c), (0.85 * c, (0.2 + 0.7 * i / n) * c)] for i in range(n)]
        return render(lines, (c, c), pen)
    if kind == 3:  # a star / asterisk
        spokes = int(rng.integers(3, 6))
        lines = [[(c / 2 + 0.35 * c * math.cos(a), c / 2 + 0.35 * c * math.sin(a)),
                  (c / 2 - 0.35 * c * math.cos(a), c / 2 - 0.35 * c * math.sin(a))]
                 for a in np.linspace(0, math.pi, spokes, endpoint=False) + rng.uniform(0, 1)]
        return render(lines, (c, c), pen)
    if kind == 4:  # a letter: X, A, H, M, W, K
        letters = {
            "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
            "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.25, 0.55), (0.75, 0.55)]],
            "H": [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
            "M": [[(0, 1), (0, 0), (0.5, 0.6), (1, 0), (1, 1)]],
            "W": [[(0, 0), (0.25, 1), (0.5, 0.4), (0.75, 1), (1, 0)]],
            "K": [[(0, 0), (0, 1)], [(1, 0), (0, 0.55), (1, 1)]],
        }
        strokes = letters["XAHMWK"[int(rng.integers(0, 6))]]
        return render(place(strokes, 0.2 * c, 0.15 * c, 0.6 * c, 0.7 * c), (c, c), pen)
    if kind == 5:  # a spiral
        t = np.linspace(0, 4 * math.pi, 80)
        r = 0.04 * c + 0.03 * c * t
        return render([list(zip(c / 2 + r * np.cos(t), c / 2 + r * np.sin(t), strict=True))], (c, c), pen)
    if kind == 6:  # a grid: '#' with 3-4 lines each way
        n = int(rng.integers(3, 5))
        at = [(0.2 + 0.6 * i / (n - 1)) * c for i in range(n)]
        lines = [[(a, 0.15 * c), (a, 0.85 * c)] for a in at]
        lines += [[(0.15 * c, a), (0.85 * c, a)] for a in at]
        return render(lines, (c, c), pen)
    if kind == 7:  # a triangle
        pts = [(0.5 * c, 0.15 * c), (0.85 * c, 0.8 * c), (0.15 * c, 0.8 * c), (0.5 * c, 0.15 * c)]
        return render([pts], (c, c), pen)
    if kind == 8:  # a wave across the canvas
        x = np.linspace(0.1, 0.9, 60) * c
        y = c / 2 + rng.uniform(0.1, 0.25) * c * np.sin(np.linspace(0, rng.uniform(3, 6) * math.pi, 60))
        return render([list(zip(x, y, strict=True))], (c, c), pen)
    return render(_in_random_box(_SHAPES[SCRIBBLE_KINDS[kind]](rng), rng, c), (c, c), pen)


def _in_random_box(strokes: list[Stroke], rng: np.random.Generator, c: int) -> list[Stroke]:
    """Unit-box strokes, wobbled a little, placed in a random box of a canvas c wide."""
    h = rng.uniform(0.4, 0.8) * c
    w = min(h * rng.uniform(0.7, 1.2), 0.9 * c)
    left, top = rng.uniform(0.05 * c, 0.95 * c - w), rng.uniform(0.05 * c, 0.95 * c - h)
    shaky = [[(x + rng.normal(0, 0.02), y + rng.normal(0, 0.02)) for x, y in s] for s in strokes]
    return place(shaky, left, top, w, h)


def _heart(rng: np.random.Generator) -> list[Stroke]:
    """From the bottom tip up the left side, over both lobes, and back down to the tip."""
    dip, lobe = rng.uniform(0.15, 0.3), rng.uniform(0.22, 0.28)
    return [[(0.5, 1.0), (0.05, 0.45)] + _arc(0.5 - lobe, dip + 0.1, lobe, 0.2, 180, 360, 10)
            + _arc(0.5 + lobe, dip + 0.1, lobe, 0.2, 180, 360, 10) + [(0.95, 0.45), (0.5, 1.0)]]


def _question(rng: np.random.Generator) -> list[Stroke]:
    r = rng.uniform(0.3, 0.45)
    hook = _arc(0.5, r * 0.9, r, r * 0.9, rng.uniform(160, 200), 420, 16) + [(0.5, rng.uniform(0.62, 0.75))]
    dot_y = rng.uniform(0.92, 1.0)
    return [hook, [(0.5, dot_y), (0.5 + rng.uniform(0.0, 0.04), dot_y + 0.01)]]


def _s(rng: np.random.Generator) -> list[Stroke]:
    """A round S: the top bowl anticlockwise into the bottom bowl clockwise."""
    top = _arc(0.5, 0.25, 0.38, 0.25, rng.uniform(-20, 10), -270, 14)
    bottom = _arc(0.5, 0.75, 0.4, 0.25, -90, 150 + rng.uniform(-20, 20), 14)
    return [top + bottom]


def _letters(rng: np.random.Generator) -> list[Stroke]:
    return LETTERS[list(LETTERS)[int(rng.integers(0, len(LETTERS)))]]


def _tick(rng: np.random.Generator) -> list[Stroke]:
    knee = (rng.uniform(0.25, 0.45), 1.0)
    return [[(0.0, rng.uniform(0.45, 0.7)), knee, (1.0, rng.uniform(0.0, 0.15))]]


def _arrow(rng: np.random.Generator) -> list[Stroke]:
    angle = rng.uniform(0, 2 * math.pi)
    dx, dy = math.cos(angle) * 0.5, math.sin(angle) * 0.5
    tip = (0.5 + dx, 0.5 + dy)
    head = [(tip[0] - 0.35 * math.cos(angle + a), tip[1] - 0.35 * math.sin(angle + a)) for a in (0.5, -0.5)]
    return [[(0.5 - dx, 0.5 - dy), tip], [head[0], tip, head[1]]]


def _smiley(rng: np.random.Generator) -> list[Stroke]:
    face = _arc(0.5, 0.5, 0.5, 0.5, 0, 360, 32)
    eyes = [[(x, 0.35), (x + 0.02, 0.38)] for x in (0.33, 0.67)]
    mouth = _arc(0.5, 0.55, 0.25, rng.uniform(0.1, 0.22), 20, 160, 10)
    return [face, *eyes, mouth]


def _box(rng: np.random.Generator) -> list[Stroke]:
    """A square or rectangle, sometimes with a diagonal or a cross inside (a box, an envelope, a flag)."""
    corners = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
    extra = [[], [[(0.0, 0.0), (1.0, 1.0)]], [[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]],
             [[(0.0, 0.0), (0.5, 0.5), (1.0, 0.0)]]][int(rng.integers(0, 4))]
    return [corners, *extra]


def _flower(rng: np.random.Generator) -> list[Stroke]:
    """A small centre with 5-7 round petals around it."""
    petals = int(rng.integers(5, 8))
    out = [_arc(0.5, 0.5, 0.1, 0.1, 0, 360, 12)]
    for a in np.linspace(0, 360, petals, endpoint=False) + rng.uniform(0, 60):
        cx, cy = 0.5 + 0.34 * math.cos(math.radians(a)), 0.5 + 0.34 * math.sin(math.radians(a))
        out.append(_arc(cx, cy, 0.14, 0.14, a, a + 360, 14))
    return out


def _house(rng: np.random.Generator) -> list[Stroke]:
    """A square with a pointed roof, sometimes a door."""
    eaves = rng.uniform(0.3, 0.5)
    body = [(0.05, eaves), (0.05, 1.0), (0.95, 1.0), (0.95, eaves), (0.05, eaves)]
    roof = [(0.0, eaves + 0.02), (rng.uniform(0.4, 0.6), 0.0), (1.0, eaves + 0.02)]
    door = [(0.4, 1.0), (0.4, 0.72), (0.6, 0.72), (0.6, 1.0)]
    return [body, roof, door] if rng.random() < 0.5 else [body, roof]


_SHAPES = {"heart": _heart, "question": _question, "S": _s, "letters": _letters, "tick": _tick, "arrow": _arrow,
           "box": _box, "smiley": _smiley, "flower": _flower,
           "house": _house}
