"""End to end: a real browser draws on the real canvas of a running app."""

import pytest

from tests.e2e.helpers import clear_canvas, draw_and_read, draw_digit, open_draw, wait_for_metric

pytestmark = pytest.mark.e2e


def test_draw_a_one_then_a_zero(page, app_url):
    open_draw(page, app_url)
    assert page.locator('[data-testid="stMetric"]', has_text="Prediction").count() == 0
    assert draw_and_read(page, 1) == "1"
    clear_canvas(page)
    assert draw_and_read(page, 0) == "0"


def test_draw_a_two_digit_number(page, app_url):
    open_draw(page, app_url)
    page.get_by_text("A whole number").click()
    page.wait_for_function(  # the canvas is remounted twice as wide
        """() => [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')].some(h =>
             (h.shadowRoot?.querySelector('canvas.upper-canvas')?.getBoundingClientRect().width || 0) > 400)""",
        timeout=30_000)
    draw_digit(page, 4, box=(0.08, 0.15, 0.25, 0.7))
    draw_digit(page, 7, box=(0.55, 0.15, 0.25, 0.7))
    assert wait_for_metric(page, "Number", "47") == "47"


def test_save_with_label_then_see_it_in_our_handwriting(page, app_url):
    open_draw(page, app_url)
    assert draw_and_read(page, 7) == "7"
    page.get_by_role("button", name="Save with label").click()
    page.get_by_text("Saved as a 7").wait_for(timeout=30_000)
    page.goto(f"{app_url}/handwriting")
    page.get_by_text("7 (1)").first.wait_for(timeout=60_000)
