"""Drive the Draw page like a person: strokes become mouse moves on the real canvas."""

from __future__ import annotations

from mnist_core.synth import DIGIT_STROKES, place

CANVAS = '[data-testid="stBidiComponentIsolated"] canvas.upper-canvas'


def open_draw(page, url: str) -> None:
    """Open /draw and wait until its first run is done (model loaded, the hint to draw is shown)."""
    page.goto(f"{url}/draw")
    page.get_by_text("The prediction appears here").wait_for(timeout=120_000)
    canvas_box(page)


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
