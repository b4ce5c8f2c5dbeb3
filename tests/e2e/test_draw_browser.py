"""End to end: a real browser draws on the real canvas of a running app."""

import pytest

from tests.e2e.helpers import canvas_box, clear_canvas, draw_digit, metric_value

pytestmark = pytest.mark.e2e


def test_draw_a_one_then_a_zero(page, app_url):
    page.goto(f"{app_url}/draw")
    canvas_box(page)
    assert page.locator('[data-testid="stMetric"]', has_text="Prediction").count() == 0
    draw_digit(page, 1)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => m.innerText.includes('Prediction'))",
        timeout=30_000,
    )
    assert metric_value(page, "Prediction") == "1"
    clear_canvas(page)
    draw_digit(page, 0)
    assert metric_value(page, "Prediction") == "0"
