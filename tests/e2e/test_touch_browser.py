"""End to end: a class on phones and tablets, and a browser in high contrast (QA, touch and forced colours).

A finger's swipe over a chart scrolls the page (Plotly's drag panned the Evaluate matrix out of view);
buttons and segmented controls are a fingertip tall; no chart toolbar covers a legend. In Windows' high
contrast the chosen option of a segmented control and the sliders stay visible.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import wait_idle

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
SCROLL = "() => document.querySelector('[data-testid=stMain]').scrollTop"


def swipe_up(page, x: float, y: float, distance: float = 250, steps: int = 12) -> None:
    """A finger put down at (x, y) and moved up: real touch events, as a phone's browser sends them."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent",
                 {"type": "touchMove", "touchPoints": [{"x": x, "y": y - distance * i / steps}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(1200)


def test_a_phone_swipe_over_a_chart_scrolls_and_controls_fit_a_finger(browser, app_url):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/explore")
        chart = page.locator("[data-testid=stPlotlyChart]").first
        chart.wait_for(timeout=120_000)
        wait_idle(page)
        chart.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(600)
        box, before = chart.bounding_box(), page.evaluate(SCROLL)
        swipe_up(page, box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.7)
        assert page.evaluate(SCROLL) > before + 100  # the page moved, not the chart
        # no toolbar over the legend: a finger cannot hover to use it
        assert page.locator(".modebar-container").evaluate_all(
            "els => els.every(e => getComputedStyle(e).display === 'none')")
        # Evaluate's matrix can be clicked, so Streamlit gives it 'pan': a swipe slid its rows out of view
        page.goto(f"{app_url}/evaluate")
        page.get_by_text("Where does it go wrong?").wait_for(timeout=120_000)
        wait_idle(page)
        matrix = page.locator(".js-plotly-plot").filter(has_text="what the model said").first
        matrix.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(600)
        rows = "e => JSON.stringify(e._fullLayout.yaxis.range)"
        before, box = matrix.evaluate(rows), matrix.bounding_box()
        swipe_up(page, box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.6)
        assert matrix.evaluate(rows) == before
        short = page.locator("button[data-variant]").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().height).filter(h => h > 0 && h < 40)")
        assert not short, f"segmented control buttons under 40 px: {short}"
    finally:
        context.close()


def test_high_contrast_shows_the_chosen_option_and_the_sliders(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, forced_colors="active")
    page = context.new_page()
    try:
        page.goto(f"{app_url}/draw")
        page.get_by_text("The prediction appears here").wait_for(timeout=120_000)
        wait_idle(page)
        colours = page.locator("button[data-variant]").evaluate_all(
            "els => els.map(e => [e.dataset.selected === 'true', getComputedStyle(e).backgroundColor])")
        chosen = {bg for selected, bg in colours if selected}
        others = {bg for selected, bg in colours if not selected}
        assert chosen and others and not chosen & others, colours  # Pen and Eraser looked alike
        thumb = page.locator("[data-testid=stSlider] [role=group] > div > div:not([data-testid])").last
        assert thumb.evaluate("e => getComputedStyle(e).forcedColorAdjust") == "none"
        assert thumb.evaluate("e => getComputedStyle(e).borderTopWidth") != "0px"  # it vanished
    finally:
        context.close()


PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36")


def test_a_phone_on_its_side_starts_with_the_sidebar_closed(browser, app_url):
    """844x390 is wider than Streamlit's limit for an open sidebar: it took 300 px and left the canvas
    140 px wide, below the fold. A phone's browser (its user agent says 'Mobile') starts with it closed;
    a tablet or a laptop as wide keeps it."""
    widths = {}
    for name, agent in (("phone", PHONE_UA), ("laptop", None)):
        context = browser.new_context(viewport={"width": 844, "height": 390}, has_touch=name == "phone",
                                      is_mobile=name == "phone", **({"user_agent": agent} if agent else {}))
        page = context.new_page()
        try:
            page.goto(f"{app_url}/draw")
            page.get_by_text("The prediction appears here").wait_for(timeout=120_000)
            wait_idle(page)
            widths[name] = page.evaluate(
                "() => { const s = document.querySelector('[data-testid=stSidebar]');"
                " return s && s.dataset.collapsed === 'false' ? s.getBoundingClientRect().width : 0; }")
        finally:
            context.close()
    assert widths["phone"] == 0 and widths["laptop"] > 200, widths
