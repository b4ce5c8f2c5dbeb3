"""Turn a drawing (canvas RGBA, any grayscale image or scan) into the model's MNIST-style input.

MNIST itself was made this way: crop to the ink, fit the longer side into a 20x20 box keeping the
aspect ratio (anti-aliased), then place in a 28x28 field so that the centre of mass is in the middle.
We add two steps real drawings need: stray specks are dropped, and the stroke width is brought into
MNIST's range before scaling (a thin pen on a big canvas would otherwise fade to nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .errors import InputError

SIDE = 28  # model input side
BOX = 20  # the longer side of the digit inside the 28x28 field, as in MNIST
MAX_PIXELS = 4096 * 4096  # refuse images larger than this (memory guard)
# The border is paper when this share of its pixels lies within BORDER_SPREAD of its median level;
# otherwise the ink covers much of it, and _light_paper decides which level is the paper.
BORDER_PAPER = 0.75
BORDER_SPREAD = 0.25
PIECE_SHARE = 0.02  # a piece of ink or paper counts from this share of the image (smaller ones are specks)
# Lines at the edges of a scan (a form's box, ruled paper, an underline) run across the image within
# LINE_BAND of its side, cover LINE_FULL of its length, and differ from the paper by LINE_CONTRAST
LINE_BAND = 0.15
LINE_FULL = 0.9
LINE_CONTRAST = 0.3
LINE_MIN_SIDE = 16  # below this a line cannot be told from a stroke (an 8x8 digit's strokes span it)
INK_THRESHOLD = 0.2  # a pixel is ink above this intensity (after background removal)
# A drawing with ink over more than this share of its image is no digit: the boldest digit the canvas's
# widest pen draws across the whole canvas inks < 40% of it (an 8 at pen 80: 75%)
MOSTLY_INK = 0.6
SPECK_SHARE = 0.02  # components holding less than this share of all ink are dropped as specks
TARGET_STROKE = 2.6  # MNIST's median stroke width in the 28x28 field (measured: p10 2.1, p90 3.7)
WORK_SIDE = 80  # large crops are shrunk to this (4x the box) before the stroke is fixed: cheap morphology
THICKENED_FULL_INK = 0.4  # a thickened stroke counts as full ink from this intensity up
STROKE_BAND = (0.8, 1.4)  # widths within this share of the target are left alone (MNIST's p10-p90)


@dataclass(frozen=True)
class PrepOptions:
    """Which normalisation steps run; switching one off shows a class why it matters."""

    crop: bool = True  # crop to the ink's bounding box (off: the whole image is scaled)
    keep_aspect: bool = True  # fit the longer side in the 20x20 box (off: stretch to fill it)
    fix_stroke: bool = True  # bring the stroke width into MNIST's range before scaling
    centre_of_mass: bool = True  # centre by mass (off: centre the bounding box)
    drop_specks: bool = True  # drop small components far smaller than the digit
    # "dark" or "light" where the input's paper is known (the Draw canvas: white ink on black, even when
    # a scribble covers most of it); "auto" finds it from the image
    paper: str = "auto"


@dataclass(frozen=True)
class PrepSteps:
    """Every intermediate image, ink = 1.0 on background 0.0, float32."""

    ink: np.ndarray  # (H, W) the input as ink intensity
    clean: np.ndarray  # (H, W) the same, stray specks dropped
    cropped: np.ndarray  # (h, w) the ink's bounding box (or the whole image, with crop off)
    fixed: np.ndarray  # (<=WORK_SIDE, <=WORK_SIDE) shrunk, its pen brought to MNIST's width (or the crop as is)
    boxed: np.ndarray  # (<=20, <=20) scaled into the box, anti-aliased
    model_input: np.ndarray  # (28, 28) centred: what the model sees
    stroke_width: float  # estimated stroke width of the drawing, in input pixels


# ---------------------------------------------------------------------------------------------
# Step 1: any image -> ink intensity in [0, 1]


PAPERS = ("auto", "dark", "light")


def to_ink(image: np.ndarray, paper: str = "auto") -> np.ndarray:
    """Any supported image -> (H, W) float32 ink in [0, 1], background 0.

    Accepts (H, W) grayscale, (H, W, 1), RGB (H, W, 3) or RGBA (H, W, 4) of any numbers: values in
    [0, 1] are taken as they are; others are scaled by the image's own range (up to its brightest
    pixel for 0-255, 16-bit or 0-16 counts; from its lowest for a signed image such as [-1, 1]).
    Ink may be light on dark, dark on light, or held only in the alpha channel of a transparent
    image: the background is taken from the image's border, unless `paper` says it ("dark", "light").

    Raises:
        ValueError: the array is not an image we can read (wrong shape, empty, NaN, too large).
    """
    if paper not in PAPERS:
        raise InputError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    arr = np.asarray(image)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InputError(f"expected a numeric image array, got dtype {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise InputError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {arr.shape}")
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise InputError(f"image of {arr.shape[0]}x{arr.shape[1]} pixels is too small to hold a digit")
    if arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise InputError(f"image of {arr.shape[0]}x{arr.shape[1]} pixels is too large (limit 4096x4096)")
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        raise InputError("image holds NaN or infinite values")
    low, high = float(arr.min()), float(arr.max())
    if low < 0.0:  # a signed image, such as [-1, 1]: from its lowest to its highest value
        arr = (arr - low) / max(high - low, 1e-6)
    elif high > 1.0:  # 0-255, 16-bit, or counts such as 0-16: up to its brightest pixel
        arr = arr / high
    arr = np.clip(arr, 0.0, 1.0)

    if arr.ndim == 3:
        rgb = arr[..., :3]
        gray = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        if arr.shape[2] == 4:
            alpha = arr[..., 3]
            if alpha.min() < 0.98:  # transparent background: the ink is what is opaque
                return _against_background(alpha)
        arr = gray
    return _against_background(arr, paper)


def _against_background(gray: np.ndarray, paper: str = "auto") -> np.ndarray:
    """Make the background 0 and the ink 1, whichever of dark/light the ink is.

    The paper's level and its noise (scans, photos) are read from the image border; anything
    within the noise is background, as in MNIST, whose background is exactly 0. Where the ink
    covers much of the border (a digit cropped tight, or a scan stretched to fill its box, as
    Semeion's are), the whole image and its shapes have their say too (see _light_paper), and the
    paper's noise is read from the border's paper only. Lines along the edges (a box, ruled paper)
    are first made paper (see _erase_edge_lines). A `paper` that is known ("dark", "light") is taken
    as it is, its level read from the border's pixels on that side.
    """
    if paper != "auto":
        light = paper == "light"
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        border = border[border > 0.5] if light else border[border <= 0.5]
        bg = float(np.median(border)) if border.size else float(light)
        if not border.size:
            border = np.array([bg], np.float32)
        return _ink_above(gray, border, bg)
    gray = _erase_edge_lines(gray)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    bg = float(np.median(border))
    if np.mean(np.abs(border - bg) < BORDER_SPREAD) < BORDER_PAPER:
        mid = (float(border.min()) + float(border.max())) / 2
        light = _light_paper(border > mid, gray > mid)
        border = border[border > mid] if light else border[border <= mid]
        bg = float(np.median(border))
    return _ink_above(gray, border, bg)


def _ink_above(gray: np.ndarray, border: np.ndarray, bg: float) -> np.ndarray:
    """Ink in [0, 1] above the paper's level `bg` and its noise, read from `border` (the paper's pixels
    of the image's border); dark ink on light paper is turned round."""
    if bg > 0.5:  # dark ink on light paper
        gray, border, bg = 1.0 - gray, 1.0 - border, 1.0 - bg
    noise = min(0.3, float(np.percentile(np.abs(border - bg), 90)) * 1.5)
    floor = bg + noise
    span = max(1.0 - floor, 1e-6)
    return np.clip((gray - floor) / span, 0.0, 1.0).astype(np.float32)


def _light_paper(light_border: np.ndarray, light: np.ndarray) -> bool:
    """Whether the paper is the light level of an image whose ink covers much of its border (given
    which of its border's and of its pixels are light).

    Three cues vote: the level that holds most of the border, the one that holds most of the image,
    and the one in more pieces (a digit's ink is one or two strokes, which cut its paper into
    corners and loops). Each fails somewhere: the ink of a scan stretched to fill its box holds most
    of the border, a bold 1 cropped tight is mostly ink, a broken stroke is in pieces. Where both
    levels are in as many pieces, the border's and the image's shares are added.
    """
    from scipy import ndimage  # only for these rare images

    def pieces(mask: np.ndarray) -> int:
        labels, _ = ndimage.label(mask, structure=np.ones((3, 3)))
        sizes = np.bincount(labels.ravel())[1:]
        return int((sizes >= max(2.0, PIECE_SHARE * mask.size)).sum())

    border_share, image_share = float(np.mean(light_border)), float(np.mean(light))
    light_pieces, dark_pieces = pieces(light), pieces(~light)
    if light_pieces == dark_pieces:
        return border_share + image_share > 1.0
    return (border_share > 0.5) + (image_share > 0.5) + (light_pieces > dark_pieces) >= 2


def _erase_edge_lines(gray: np.ndarray) -> np.ndarray:
    """`gray` with the lines along its edges painted over with the paper's level: a form's box around
    a digit (on any of its sides), the lines of ruled paper above and below it, an underline.

    The paper is the level that holds most of the image. A side holds lines where, from its edge
    inward (within LINE_BAND of the image), rows that run across the whole image (LINE_FULL of it)
    lie outside a row of clean paper: a gap between the lines and the digit. A digit cropped tight
    has no such gap, so its own bars (a 7's, a 5's) stay. With lines on two sides or more, lines the
    digit touches are erased too; a single line only where the digit then touches no other edge.
    Images without such lines, or smaller than LINE_MIN_SIDE, are returned as they are.
    """
    h, w = gray.shape
    low, high = float(gray.min()), float(gray.max())
    if min(h, w) < LINE_MIN_SIDE or high - low < LINE_CONTRAST:
        return gray
    mid = (low + high) / 2
    step = max(1, int(np.sqrt(h * w / 4096)))  # the paper's level from ~4,000 pixels: a canvas costs ~1 ms less
    sample = gray[::step, ::step]
    light = (sample > mid).mean() > 0.5  # a bold digit's ink may fill its box, not most of the image
    paper = float(np.median(sample[sample > mid] if light else sample[sample <= mid]))
    far = np.abs(gray - paper) >= LINE_CONTRAST  # ink or line
    band_h, band_w = max(1, int(np.ceil(LINE_BAND * h))), max(1, int(np.ceil(LINE_BAND * w)))
    # lines across the other sides cross every row of a side; they do not break its gap
    edge_rows = (np.arange(h) < band_h) | (np.arange(h) >= h - band_h)
    edge_cols = (np.arange(w) < band_w) | (np.arange(w) >= w - band_w)
    cross_rows = (far.mean(axis=1) >= LINE_FULL) & edge_rows
    cross_cols = (far.mean(axis=0) >= LINE_FULL) & edge_cols
    sides = {"top": _lines_from_edge(far, band_h, cross_cols),
             "bottom": _lines_from_edge(far[::-1], band_h, cross_cols),
             "left": _lines_from_edge(far.T, band_w, cross_rows),
             "right": _lines_from_edge(far.T[::-1], band_w, cross_rows)}
    gapped = [side for side, (_, gap) in sides.items() if gap]
    lined = [side for side, (n, _) in sides.items() if n]
    if not gapped:
        return gray
    keep = lined if len(lined) >= 2 else gapped
    n = {side: sides[side][0] if side in keep else 0 for side in sides}
    inner = far[n["top"] : h - n["bottom"], n["left"] : w - n["right"]]
    if not inner.any() or inner.mean() > 0.5:  # the paper holds most of what the lines enclose
        return gray
    rows, cols = np.flatnonzero(inner.any(axis=1)), np.flatnonzero(inner.any(axis=0))
    touches = {"top": rows[0] == 0, "bottom": rows[-1] == inner.shape[0] - 1,
               "left": cols[0] == 0, "right": cols[-1] == inner.shape[1] - 1}
    if len(keep) < 2 and any(touches[side] for side in sides if side not in keep):
        return gray  # one line, and the digit reaches another edge: maybe a bar of its own
    out = gray.copy()
    out[: n["top"]] = paper
    out[h - n["bottom"] :] = paper
    out[:, : n["left"]] = paper
    out[:, w - n["right"] :] = paper
    return out


def _lines_from_edge(far: np.ndarray, band: int, cross: np.ndarray) -> tuple[int, bool]:
    """How many rows of `far` (True where ink or line; row 0 at the edge) hold lines at this side, and
    whether a row of clean paper (but for the lines across it, `cross`) follows them."""
    rows = far[:band]
    full = rows.mean(axis=1) >= LINE_FULL
    inked = (rows[:, ~cross] if (~cross).any() else rows).any(axis=1) & ~full  # the digit reaches the row
    stop = int(np.argmax(inked)) if inked.any() else len(rows)
    full[stop:] = False
    if not full.any():
        return 0, False
    last = int(np.flatnonzero(full)[-1]) + 1
    return last, last < stop  # a row of paper lies between the last line and the digit


# ---------------------------------------------------------------------------------------------
# Steps 2-4


def drop_specks(ink: np.ndarray) -> np.ndarray:
    """Zero connected components that hold less than SPECK_SHARE of the ink."""
    from scipy import ndimage  # here, not at import: a fresh server's first page needs no SciPy (~0.15 s)

    mask = ink > INK_THRESHOLD
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n <= 1:
        return ink
    mass = ndimage.sum_labels(ink, labels, index=np.arange(1, n + 1))
    keep = np.concatenate([[False], mass >= SPECK_SHARE * mass.sum()])
    # keep the faint halo (anti-aliasing) around kept strokes too
    grown = ndimage.binary_dilation(keep[labels], iterations=2)
    return np.where(grown, ink, 0.0).astype(np.float32)


def mostly_ink(ink: np.ndarray) -> bool:
    """Whether ink (to_ink's) covers more than MOSTLY_INK of the image: a canvas painted over, not a digit."""
    return bool(np.mean(ink > INK_THRESHOLD) > MOSTLY_INK)


def bounding_box(ink: np.ndarray) -> tuple[slice, slice] | None:
    """Rows and columns holding ink, or None when there is none."""
    mask = ink > INK_THRESHOLD
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels: twice the inked area over the outline length."""
    from scipy import ndimage

    mask = ink > 0.5
    area = int(mask.sum())
    if area == 0:
        return 0.0
    outline = int((mask & ~ndimage.binary_erosion(mask)).sum())
    return 2.0 * area / max(outline, 1)


def shrink(cropped: np.ndarray, side: int = WORK_SIDE) -> tuple[np.ndarray, float]:
    """Area-average so the longer side is at most `side`; returns the image and the factor applied."""
    factor = side / max(cropped.shape)
    if factor >= 1.0:
        return cropped, 1.0
    h, w = cropped.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    img = Image.fromarray(cropped.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX)
    return np.asarray(img, dtype=np.float32), factor


def fix_stroke(cropped: np.ndarray, scale: float, width: float | None = None) -> np.ndarray:
    """Thicken or thin the strokes so that, once scaled by `scale`, they are MNIST-wide.

    Grey dilation/erosion with a disc, in the image's own pixels; `width` is the stroke width in
    those pixels (measured here when not given). Erosion never removes more than a third of the
    width, so thin parts of a bold digit survive.
    """
    from scipy import ndimage

    width = stroke_width(cropped) if width is None else width
    if width == 0.0:
        return cropped
    want = TARGET_STROKE / scale  # target width in input pixels
    change = want - width
    radius = int(round(abs(change) / 2))
    if change < 0:
        radius = min(radius, int(width / 3))
    if radius < 1 or (STROKE_BAND[0] * want <= width <= STROKE_BAND[1] * want):
        return cropped
    disc = disc_footprint(radius)
    if change > 0:
        padded = np.pad(cropped, radius)
        thick = ndimage.grey_dilation(padded, footprint=disc)
        # a thin pen, shrunk, leaves a faint, uneven line (0.4-0.9 along the stroke) and dilation keeps
        # that level; a pen stroke has full ink in its core, as MNIST's do (+1.4 points on thin pens)
        return np.clip(thick / THICKENED_FULL_INK, 0.0, 1.0).astype(np.float32)
    return ndimage.grey_erosion(cropped, footprint=disc).astype(np.float32)


def disc_footprint(radius: int) -> np.ndarray:
    """A filled disc of the given radius: the footprint of pen-like dilation and erosion."""
    y, x = np.ogrid[-radius : radius + 1, -radius : radius + 1]
    return x * x + y * y <= radius * radius


def fit_box(cropped: np.ndarray, keep_aspect: bool = True) -> np.ndarray:
    """Scale so the longer side is BOX pixels (aspect kept), anti-aliased with Pillow's Lanczos."""
    h, w = cropped.shape
    if keep_aspect:
        s = BOX / max(h, w)
        size = (max(1, round(w * s)), max(1, round(h * s)))
    else:
        size = (BOX, BOX)
    img = Image.fromarray(cropped.astype(np.float32), mode="F")
    out = np.asarray(img.resize(size, Image.Resampling.LANCZOS), dtype=np.float32)
    out = np.clip(out, 0.0, 1.0)
    peak = out.max(initial=0.0)
    return out / peak if peak > 0 else out


def centre(boxed: np.ndarray, by_mass: bool = True) -> np.ndarray:
    """Paste into a 28x28 field with the centre of mass (or the box centre) in the middle."""
    from scipy import ndimage

    h, w = boxed.shape
    if by_mass and boxed.sum() > 0:
        cy, cx = ndimage.center_of_mass(boxed)
    else:
        cy, cx = (h - 1) / 2, (w - 1) / 2
    # top-left corner that puts (cy, cx) at the field's centre, kept inside the field
    top = int(np.clip(round((SIDE - 1) / 2 - cy), 0, SIDE - h))
    left = int(np.clip(round((SIDE - 1) / 2 - cx), 0, SIDE - w))
    field = np.zeros((SIDE, SIDE), dtype=np.float32)
    field[top : top + h, left : left + w] = boxed
    return field


# ---------------------------------------------------------------------------------------------
# The whole pipeline


def prepare_steps(image: np.ndarray, options: PrepOptions = PrepOptions()) -> PrepSteps | None:
    """Run every normalisation step and keep each intermediate image; None when there is no ink."""
    ink = to_ink(image, options.paper)
    clean = drop_specks(ink) if options.drop_specks else ink
    box = bounding_box(clean)
    if box is None:
        return None
    cropped = clean[box] if options.crop else clean
    width = stroke_width(cropped)  # at full resolution: a thin pen would vanish in a shrunk copy
    fixed = cropped
    if options.fix_stroke:
        fixed, factor = shrink(cropped)
        fixed = fix_stroke(fixed, BOX / max(fixed.shape), width * factor)
        if options.crop and bounding_box(fixed) is not None:  # dilation pads the crop; trim back to the ink
            fixed = fixed[bounding_box(fixed)]
    boxed = fit_box(fixed, keep_aspect=options.keep_aspect)
    return PrepSteps(ink, clean, cropped, fixed, boxed, centre(boxed, options.centre_of_mass), width)


def prepare(image: np.ndarray, options: PrepOptions = PrepOptions()) -> np.ndarray | None:
    """Canvas RGBA or grayscale image -> (28, 28) float32 in [0, 1], or None when there is no ink.

    Raises:
        ValueError: the image cannot be read (see `to_ink`).
    """
    steps = prepare_steps(image, options)
    return None if steps is None else steps.model_input
