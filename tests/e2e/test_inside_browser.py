"""End to end: on "Inside the network", click a feature-map pixel in a real browser and see its computation."""

import re

import pytest

from tests.e2e.helpers import draw_and_read, open_draw, wait_idle

pytestmark = pytest.mark.e2e


# Where point k of the figure's last trace (the invisible clickable one) is, from plotly's own layout
POINT = """([gd, k]) => {
    const o = gd.data[gd.data.length - 1], L = gd._fullLayout;
    return {x: L.xaxis._offset + L.xaxis.l2p(o.x[k]), y: L.yaxis._offset + L.yaxis.l2p(o.y[k]),
            data: o.customdata[k]};
}"""


def click_point(page, key: str, index: int):
    """Click point `index` of the clickable trace of the st.plotly_chart with this key; returns its customdata."""
    plot = page.locator(f".st-key-{key} .js-plotly-plot").first
    plot.wait_for(state="visible", timeout=90_000)
    plot.scroll_into_view_if_needed()
    point = page.evaluate(POINT, [plot.element_handle(), index])
    box = plot.bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_timeout(300)  # plotly picks the point under the pointer on hover; the click selects it
    page.mouse.down()
    page.mouse.up()
    return point["data"]


def test_clicking_a_feature_map_pixel_shows_its_computation(page, app_url):
    page.goto(f"{app_url}/inside?view=unit&src=test&test=0&layer=1&map=0&row=0&col=0")
    page.get_by_text("How the pixel at row 0, column 0 of map 0 is computed").wait_for(timeout=120_000)
    wait_idle(page)

    assert click_point(page, "inside_unit_map", 12 * 26 + 9) == [12, 9]  # layer 1's maps are 26x26
    page.get_by_text("How the pixel at row 12, column 9 of map 0 is computed").wait_for(timeout=60_000)
    check = page.get_by_text(re.compile(r"Keras's own output at row 12, column 9 of map 0: \d"))
    check.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stMarkdown"]', has_text="Multiply the 3x3x1 input patch").count() == 1
    page.wait_for_function("() => location.search.includes('row=12') && location.search.includes('col=9')",
                           timeout=30_000)  # the address bar is a link to this very view


def test_a_drawing_opens_inside_and_a_map_zooms_on_click(page, app_url):
    open_draw(page, app_url)
    assert draw_and_read(page, 4) == "4"
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Inside the network").click()
    page.get_by_text("for your drawing").wait_for(timeout=120_000)
    wait_idle(page)

    zoomed = page.get_by_text(re.compile(r"^Map \d+, zoomed$")).first
    zoomed.wait_for(timeout=60_000)
    before = zoomed.text_content()  # a plotly title: SVG text
    chosen = click_point(page, "inside_grid", 1)  # the grid's second map: its page holds the strongest map
    assert f"Map {chosen}, zoomed" != before
    page.get_by_text(f"Map {chosen}, zoomed").wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile("How is one pixel computed")).click()
    page.get_by_text(re.compile(rf"How the pixel at row \d+, column \d+ of map {chosen} is computed")).wait_for(
        timeout=60_000)
