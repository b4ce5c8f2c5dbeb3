"""End to end: move an augmentation slider in a real browser and watch the grid of copies change."""

import pytest

pytestmark = pytest.mark.e2e

GRID = '[data-testid="stMain"] [data-testid="stImage"] img'


def grid_src(page) -> str:
    page.locator(GRID).last.wait_for(state="visible", timeout=90_000)
    return page.locator(GRID).last.get_attribute("src")


def wait_for_new_grid(page, old: str) -> str:
    page.wait_for_function(
        "([sel, old]) => { const imgs = document.querySelectorAll(sel);"
        " return imgs.length && imgs[imgs.length - 1].src && !imgs[imgs.length - 1].src.endsWith(old); }",
        arg=[GRID, old.split("/")[-1]], timeout=60_000,
    )
    return grid_src(page)


def test_moving_the_rotation_slider_changes_the_copies(page, app_url):
    page.goto(f"{app_url}/augment")
    before = grid_src(page)
    thumb = page.locator('.st-key-aug_rotation input[type="range"]')  # react-aria's hidden range input
    assert thumb.input_value() == "12"
    thumb.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    after = wait_for_new_grid(page, before)
    assert after != before
    assert thumb.input_value() == "22"
    page.get_by_text("rotation 22", exact=False).first.wait_for(timeout=30_000)

    # past the risky limit the page says so
    page.keyboard.press("End")  # 180 degrees
    page.locator('[data-testid="stAlert"]', has_text="rotation past 45").wait_for(timeout=60_000)
    assert wait_for_new_grid(page, after) != after
