"""End to end: a click on a confusion-matrix cell shows those misread test digits beside the matrix."""

import pytest

pytestmark = pytest.mark.e2e

# The off-diagonal cell with the most mistakes, and where it is in the plot (from plotly's own layout)
BUSIEST_CELL = """gd => {
    const o = gd.data[gd.data.length - 1], L = gd._fullLayout;
    let best = -1, k = -1;
    o.customdata.forEach(([t, p], i) => {
        const count = parseInt(String(o.text[i]).replace(/,/g, ''));
        if (t !== p && count > best) { best = count; k = i; }
    });
    const [t, p] = o.customdata[k];
    return {t, p, count: best, x: L.xaxis._offset + L.xaxis.l2p(p), y: L.yaxis._offset + L.yaxis.l2p(t)};
}"""


def test_clicking_a_confusion_cell_shows_those_mistakes(page, app_url):
    page.goto(app_url)
    nav = page.locator('[data-testid="stSidebarNav"] a', has_text="Evaluate").first
    nav.wait_for(timeout=60_000)
    nav.click()
    page.get_by_text("Two models side by side").wait_for(timeout=180_000)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=120_000)  # the run is over
    plot = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first
    plot.scroll_into_view_if_needed()
    plot.evaluate("gd => new Promise(done => (gd._fullLayout ? done() : gd.on('plotly_afterplot', done)))")
    cell = plot.evaluate(BUSIEST_CELL)
    assert cell["count"] > 0
    box = plot.bounding_box()
    page.mouse.click(box["x"] + cell["x"], box["y"] + cell["y"])
    page.get_by_text(f"Test digits {cell['t']} read as {cell['p']}, most confident first").wait_for(timeout=60_000)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=60_000)
    expected = min(cell["count"], 24)
    grid = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').nth(1)  # the digits, beside the matrix
    shown = """gd => gd.data && gd.data[1] && gd.data[1].customdata.length"""
    page.wait_for_function(f"([n]) => {{ const gd = document.querySelectorAll('[data-testid=stPlotlyChart] "
                           f".js-plotly-plot')[1]; return gd && ({shown})(gd) === n; }}", arg=[expected],
                           timeout=30_000)
    assert grid.evaluate(shown) == expected
    captions = grid.evaluate("gd => gd.layout.annotations.map(a => a.text)")
    assert all(c.endswith("%") for c in captions)  # how sure the model was, under each digit
