"""Drive the Draw page like a person: strokes become mouse moves on the real canvas."""

from __future__ import annotations

from mnist_core.synth import DIGIT_STROKES, place

CANVAS = '[data-testid="stBidiComponentIsolated"] canvas.upper-canvas'


def open_draw(page, url: str) -> None:
    """Open /draw and wait until its first run is done (model loaded, the hint to draw is shown)."""
    page.goto(f"{url}/draw")
    page.get_by_text("The prediction appears here").wait_for(timeout=120_000)
    canvas_box(page)
    wait_idle(page)


def wait_idle(page, settle_ms: int = 1000) -> None:
    """Wait until Streamlit runs no script (no status widget) for a moment: a stroke drawn while the
    first runs are still settling (the canvas reports its initial state) can be dropped."""
    for _ in range(3):
        page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
        page.wait_for_timeout(settle_ms // 3)


def canvas_box(page) -> dict:
    canvas = page.locator(CANVAS).first
    canvas.wait_for(state="visible", timeout=60_000)
    return canvas.bounding_box()


def draw_digit(page, digit: int, box: tuple[float, float, float, float] = (0.3, 0.15, 0.4, 0.7),
               steps_per_segment: int = 4) -> None:
    """Draw `digit` with the mouse; box is (left, top, width, height) as shares of the canvas."""
    bb = canvas_box(page)
    left, top = bb["x"] + box[0] * bb["width"], bb["y"] + box[1] * bb["height"]
    for stroke in place(DIGIT_STROKES[digit], left, top, box[2] * bb["width"], box[3] * bb["height"]):
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(x, y, steps=steps_per_segment)
        page.mouse.up()


def metric_value(page, label: str, timeout: float = 30_000) -> str:
    """The value of the st.metric with this label, once it is shown."""
    metric = page.locator('[data-testid="stMetric"]', has_text=label).first
    metric.wait_for(state="visible", timeout=timeout)
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def clear_canvas(page) -> None:
    page.get_by_role("button", name="Clear").click()
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for(state="detached", timeout=30_000)


def wait_for_metric(page, label: str, value: str, timeout: float = 30_000) -> str:
    """Wait until the st.metric with this label shows `value`; returns what it shows in the end."""
    try:
        page.wait_for_function(
            """([label, value]) => [...document.querySelectorAll('[data-testid=stMetric]')].some(m =>
                 m.querySelector('[data-testid=stMetricLabel]')?.innerText.trim() === label &&
                 m.querySelector('[data-testid=stMetricValue]')?.innerText.trim() === value)""",
            arg=[label, value],
            timeout=timeout,
        )
    except Exception:  # noqa: BLE001 - report what is shown instead
        pass
    return metric_value(page, label, timeout=1000)


def draw_and_read(page, digit: int, label: str = "Prediction", **box) -> str:
    """Draw `digit` and return what the metric shows. If the stroke produced no answer at all within
    15 s (a first stroke on a freshly mounted canvas is sometimes dropped: known issue), draw the
    same strokes over it once more. The answer itself must still be `digit`."""
    draw_digit(page, digit, **box)
    shown = wait_for_metric_or_none(page, label, str(digit), 15_000)
    if shown is None:
        draw_digit(page, digit, **box)
        shown = wait_for_metric(page, label, str(digit))
    return shown


def wait_for_metric_or_none(page, label: str, value: str, timeout: float) -> str | None:
    """Like wait_for_metric, but None when no such metric is shown at all."""
    if page.locator('[data-testid="stMetric"]', has_text=label).count() == 0:
        try:
            page.locator('[data-testid="stMetric"]', has_text=label).first.wait_for(timeout=timeout)
        except Exception:  # noqa: BLE001
            return None
    return wait_for_metric(page, label, value, timeout=timeout)
