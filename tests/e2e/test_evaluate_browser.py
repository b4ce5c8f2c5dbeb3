"""End to end: a click on a confusion-matrix cell opens the gallery of those misread test digits."""

import re

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
    pattern = rf"^read {cell['p']} \d+%\s+true {cell['t']} \d+%$"
    count = """([pattern, expected]) => [...document.querySelectorAll('[data-testid=stMarkdownContainer]')]
                 .filter(m => new RegExp(pattern).test(m.innerText.trim())).length === expected"""
    try:  # the previous gallery's elements go once the run is drawn
        page.wait_for_function(count, arg=[pattern, expected], timeout=30_000)
    finally:
        texts = [t.strip() for t in page.locator('[data-testid="stMarkdownContainer"]').all_inner_texts()]
        assert sum(bool(re.match(pattern, t)) for t in texts) == expected
