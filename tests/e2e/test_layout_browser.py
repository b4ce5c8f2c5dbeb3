"""End to end: every page fits a classroom projector (1280x720) in presenter mode, and presenter mode survives.

Fails when a metric value, a metric or widget label, a heading, a tab, a button label, a page link or
a toggle's label is cut
(its scrollWidth exceeds its clientWidth: Streamlit ends it with "..."), when a reload or a page
change leaves presenter mode, when Train's Start or Evaluate's mistakes leave the screen, when Draw's
answer and its bars leave a 720-pixel screen, when its canvas is clipped on a tablet or a phone, or
when the blocks of a row overlap on a tablet or a phone (Evaluate's matrix and its digits once did), or
when the gallery's captions run into each other.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import canvas_box, draw_and_read, wait_idle

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1280, "height": 720}
# Text that must never be cut: metric values and labels, widget labels, headings, tabs, buttons, expanders,
# page links, checkbox and toggle labels
CUT_TEXT = """() => {
    const main = document.querySelector('[data-testid=stMain]');
    const picks = '[data-testid=stMetric] *, [data-testid=stWidgetLabel], [data-testid=stWidgetLabel] *,'
        + ' h1, h2, h3, h4, [data-testid=stTab] *, button *, [data-testid=stExpander] summary *,'
        + ' [data-testid=stPageLink] *, [data-testid=stCheckbox] *';
    const cut = [];
    for (const el of main.querySelectorAll(picks)) {
        const text = (el.innerText || '').trim();
        if (!text || el.clientWidth === 0 || el.children.length > 3) continue;
        if (el.scrollWidth > el.clientWidth + 1) {
            cut.push(`${text.slice(0, 60)} (${el.scrollWidth} > ${el.clientWidth})`);
        }
    }
    // a segmented control wider than its column (or the screen) is cut at the column's edge
    for (const el of main.querySelectorAll('[data-testid=stButtonGroup]')) {
        const column = el.closest('[data-testid=stColumn]') || main;
        const right = Math.min(column.getBoundingClientRect().right, window.innerWidth);
        const box = el.getBoundingClientRect();
        // its buttons may run past its own box, over the next column
        const ends = [...el.querySelectorAll('button')].map(b => b.getBoundingClientRect().right);
        const end = Math.max(box.right, ...ends);
        if (box.width > 0 && end > right + 1) {
            cut.push(`${el.textContent.slice(0, 60)} (ends at ${end}, its room at ${right})`);
        }
    }
    return [...new Set(cut)];
}"""

# The canvas, what clips it (walking out of the component's shadow root), and its column
CANVAS_CLIP = """() => {
    const host = document.querySelector('[data-testid=stBidiComponentIsolated]');
    const canvas = (host.shadowRoot || host).querySelector('canvas.upper-canvas');
    const box = canvas.getBoundingClientRect();
    let left = Math.max(box.left, 0), right = Math.min(box.right, window.innerWidth), column = null;
    for (let el = canvas; el;) {
        el = el.parentElement || (el.getRootNode() instanceof ShadowRoot ? el.getRootNode().host : null);
        if (!el || el === document.documentElement) break;
        const r = el.getBoundingClientRect();
        if (getComputedStyle(el).overflowX !== 'visible') {
            left = Math.max(left, r.left);
            right = Math.min(right, r.right);
        }
        if (!column && el.matches('[data-testid=stColumn]')) column = r.width;
    }
    return {canvas: box.width, shown: Math.max(0, right - left), column};
}"""

PAGES = ["", "draw", "inside", "handwriting", "explore", "explore?tab=Pixels", "explore?tab=Gallery",
         "explore?tab=Map", "explore?tab=Hard+examples", "augment", "train", "evaluate", "models"]


@pytest.fixture(scope="module", autouse=True)
def saved_drawings(app_home):
    """The handwriting page is checked with drawings in its gallery (their buttons must fit too)."""
    from mnist_core.handwriting import HandwritingStore
    from mnist_core.preprocess import prepare
    from mnist_core.synth import digit_image

    store = HandwritingStore(app_home / "handwriting.sqlite")
    for digit in (2, 7, 4, 1, 9) if len(store) < 5 else ():
        store.add(digit, None, prepare(digit_image(digit)))


def open_page(browser, url: str, path: str, viewport=PROJECTOR, phone: bool = False):
    context = browser.new_context(viewport=viewport, has_touch=phone, is_mobile=phone)
    page = context.new_page()
    page.goto(f"{url}/{path}")
    page.locator("h1").first.wait_for(timeout=180_000)
    wait_idle(page)
    return page


def with_present(path: str) -> str:
    return path + ("&" if "?" in path else "?") + "present=1"


def assert_no_error(page) -> None:
    errors = page.locator('[data-testid=stException]')
    assert errors.count() == 0, errors.first.inner_text()
    caught = page.locator('[data-testid=stAlert]', has_text="unexpected problem")  # ui/guard.friendly_errors
    assert caught.count() == 0, caught.first.inner_text()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_fits_the_projector_in_presenter_mode(browser, app_url, path):
    page = open_page(browser, app_url, with_present(path))
    try:
        if path == "evaluate":  # the matrix and the mistakes are drawn once the 10,000 digits are read
            page.get_by_text("Two models side by side").wait_for(timeout=180_000)
            wait_idle(page)
        assert_no_error(page)
        assert page.locator('[data-testid=stSidebar]').count() == 0 or not page.locator(
            '[data-testid=stSidebar]').is_visible()
        assert page.evaluate(CUT_TEXT) == [] and page.evaluate(OVERLAPS) == []
        assert page.get_by_role("button", name="Leave presenter mode").is_visible()
    finally:
        page.context.close()


# A table wider than its room scrolls sideways: on a screen as wide as a tablet's, its columns must fit
TABLE_SCROLLS = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stDataFrame]')]
    .map(table => table.querySelector('.dvn-scroller')).filter(s => s && s.scrollWidth > s.clientWidth + 1)
    .map(s => `a table ${s.scrollWidth} px wide in ${s.clientWidth} px`)"""


# Blocks side by side in a row (st.columns, horizontal containers) that overlap: a block is the row's
# flex item and its first child, which may be wider than the item when the item shrank below its content
OVERLAPS = """() => {
    const box = el => {
        const r = el.getBoundingClientRect(), c = (el.firstElementChild || el).getBoundingClientRect();
        return {left: Math.min(r.left, c.left), right: Math.max(r.right, c.right),
                top: Math.min(r.top, c.top), bottom: Math.max(r.bottom, c.bottom)};
    };
    const out = [];
    for (const row of document.querySelectorAll('[data-testid=stMain] [data-testid=stHorizontalBlock]')) {
        const blocks = [...row.children].filter(c => {
            const r = c.getBoundingClientRect();
            return r.width > 0 && r.height > 0;
        });
        for (let i = 0; i < blocks.length; i++) for (let j = i + 1; j < blocks.length; j++) {
            const a = box(blocks[i]), b = box(blocks[j]);
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 2 && h > 2) {
                out.push(`${(blocks[i].innerText || '').slice(0, 30)} | ${(blocks[j].innerText || '').slice(0, 30)}`
                         + ` overlap ${Math.round(w)}x${Math.round(h)}`);
            }
        }
    }
    return out;
}"""


# The gallery's captions under its thumbnails, side by side in a row, that run into each other
CAPTIONS_RUN_TOGETHER = """() => {
    const boxes = [...document.querySelectorAll('.st-key-gallery-grid .annotation-text')]
        .map(t => t.getBoundingClientRect());
    const out = [];
    for (let i = 0; i + 1 < boxes.length; i++) {
        if (Math.abs(boxes[i].top - boxes[i + 1].top) < 2 && boxes[i].right > boxes[i + 1].left + 1) {
            const by = Math.round(boxes[i].right - boxes[i + 1].left);
            out.push(`gallery captions ${i} and ${i + 1} overlap by ${by} px`);
        }
    }
    return out;
}"""


# A two- or three-way switch whose buttons fell onto two lines (Explore's "train set | test set" once did at
# 1024x768 with the sidebar); longer ones and sets of pills may wrap, and anything on a phone
WRAPPED_SWITCHES = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stButtonGroup]')]
    .filter(group => {
        const tops = [...group.querySelectorAll('button')].map(b => b.getBoundingClientRect())
            .filter(r => r.width > 0).map(r => r.top);
        return tops.length > 1 && tops.length <= 3 && Math.max(...tops) - Math.min(...tops) > 10;
    }).map(group => `switch on two lines: ${group.innerText.replace(/\\n+/g, ' | ').slice(0, 60)}`)"""


# Presenter mode's bar of buttons at the top left running into Streamlit's menu button at the top right
# (on a phone "Leave presenter mode" lay 13 px under it)
BAR_UNDER_MENU = """() => {
    const bar = document.querySelector('.st-key-present-bar');
    const menu = document.querySelector('[data-testid=stMainMenu]');
    if (!bar || !menu) return [];
    const a = bar.getBoundingClientRect(), b = menu.getBoundingClientRect();
    const apart = Math.round(b.left - a.right);
    return apart < 8 && a.bottom > b.top && b.bottom > a.top ? [`presenter bar ${apart} px from the menu button`] : [];
}"""

@pytest.mark.parametrize("size, present", [
    pytest.param((1024, 768), True, id="tablet"),
    pytest.param((390, 844), True, id="phone"),
    pytest.param((1024, 768), False, id="tablet-with-sidebar"),
    pytest.param((1280, 720), False, id="projector-with-sidebar"),
    pytest.param((390, 844), False, id="phone-not-presenting"),
])
def test_every_page_fits_a_tablet_and_a_phone(browser, app_url, size, present):
    """The same check of every page, one browser tab per size (a teacher's tablet, a student's phone),
    in presenter mode and, on the wider screens, with the sidebar open too."""
    phone = size[0] < 600
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, has_touch=phone, is_mobile=phone)
    page = context.new_page()
    try:
        cut = {}
        for path in PAGES:
            page.goto(f"{app_url}/{with_present(path) if present else path}")
            page.locator("h1").first.wait_for(timeout=180_000)
            wait_idle(page)
            assert_no_error(page)
            if path == "evaluate":  # the matrix and the mistakes are drawn once the 10,000 digits are read
                page.get_by_text("Two models side by side").wait_for(timeout=180_000)
                wait_idle(page)
            if "Gallery" in path:
                page.locator(".st-key-gallery-grid .annotation-text").first.wait_for(timeout=60_000)
            cut[path or "home"] = (page.evaluate(CUT_TEXT) + page.evaluate(OVERLAPS)
                                   + page.evaluate(CAPTIONS_RUN_TOGETHER) + page.evaluate(BAR_UNDER_MENU)
                                   + ([] if phone else page.evaluate(TABLE_SCROLLS) + page.evaluate(WRAPPED_SWITCHES)))
        assert {path: found for path, found in cut.items() if found} == {}
    finally:
        context.close()


def test_presenter_mode_survives_reloads_and_page_changes_and_can_be_left(browser, app_url):
    page = open_page(browser, app_url, "?present=1&page=evaluate")
    try:
        assert "/evaluate" in page.url and "present=1" in page.url
        page.reload()
        page.locator("h1").first.wait_for(timeout=120_000)
        wait_idle(page)
        assert "present=1" in page.url and not page.locator('[data-testid=stSidebar]').is_visible()
        # another page through the presenter's menu: still presenting, and still after a reload
        page.get_by_role("button", name="Pages").click()
        page.locator('[data-testid=stPageLink] a', has_text="Augment").click()
        page.get_by_role("heading", name="Augmentation preview").wait_for(timeout=60_000)
        wait_idle(page)
        # the menu closes once a page is chosen (it stayed open over the next page: over Draw's canvas)
        assert not page.locator('[data-testid=stPopoverBody]').is_visible()
        page.wait_for_function("() => location.search.includes('present=1')", timeout=30_000)
        page.reload()
        page.get_by_role("heading", name="Augmentation preview").wait_for(timeout=60_000)
        wait_idle(page)
        assert "/augment" in page.url and "present=1" in page.url
        assert not page.locator('[data-testid=stSidebar]').is_visible()
        # the way out: the sidebar is back, and stays back after a reload
        page.get_by_role("button", name="Leave presenter mode").click()
        page.locator('[data-testid=stSidebar]').wait_for(state="visible", timeout=30_000)
        wait_idle(page)
        assert "present=1" not in page.url
        page.reload()
        page.locator('[data-testid=stSidebar]').wait_for(state="visible", timeout=60_000)
    finally:
        page.context.close()


def test_train_start_is_on_the_projector_screen(browser, app_url):
    page = open_page(browser, app_url, "train?present=1")
    try:
        start = page.get_by_role("button", name="Start training").bounding_box()
        assert start is not None and start["y"] + start["height"] <= PROJECTOR["height"], start
    finally:
        page.context.close()


@pytest.mark.parametrize("present", [True, False], ids=["presenting", "with-sidebar"])
def test_evaluate_shows_a_clicked_cells_digits_beside_the_matrix(browser, app_url, present):
    page = open_page(browser, app_url, "evaluate?present=1" if present else "evaluate")
    try:
        page.get_by_text("Two models side by side").wait_for(timeout=180_000)
        wait_idle(page)
        tops = page.locator('[data-testid=stMetric]').evaluate_all(
            "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
        assert len(tops) == 4 and len(set(tops)) == 1, tops  # the four numbers in one row, beside the model box
        matrix = page.locator('.stPlotlyChart .js-plotly-plot').first
        matrix.scroll_into_view_if_needed()
        box = matrix.bounding_box()
        cell = matrix.evaluate("""gd => {  // the busiest mistake cell, where plotly drew it
            const o = gd.data[gd.data.length - 1], L = gd._fullLayout;
            let k = -1, best = -1;
            o.customdata.forEach(([t, p, n], i) => { if (t !== p && n > best) { best = n; k = i; } });
            const [t, p] = o.customdata[k];
            return {t, p, x: L.xaxis._offset + L.xaxis.l2p(p), y: L.yaxis._offset + L.yaxis.l2p(t)};
        }""")
        page.mouse.click(box["x"] + cell["x"], box["y"] + cell["y"])
        title = page.get_by_text(f"Test digits {cell['t']} read as {cell['p']}")
        title.wait_for(timeout=60_000)
        wait_idle(page)
        grid = page.locator('.stPlotlyChart .js-plotly-plot').nth(1)
        digits = grid.bounding_box()
        matrix_box = matrix.bounding_box()
        assert digits["x"] > matrix_box["x"] + matrix_box["width"] - 5  # beside the matrix, not below it
        assert digits["y"] < matrix_box["y"] + matrix_box["height"] / 2 and digits["y"] < PROJECTOR["height"]
        shown = grid.evaluate("gd => gd.data[1].customdata.length")
        assert shown >= 1
        # chart text is dark enough for a projector: the matrix's ticks and the captions under the digits
        fills = {name: page.locator(sel).first.evaluate("e => getComputedStyle(e).fill")
                 for name, sel in (("tick", ".stPlotlyChart .ytick text"),
                                   ("caption", ".stPlotlyChart .annotation-text"))}
        assert all(contrast(fill) >= 4.5 for fill in fills.values()), fills
    finally:
        page.context.close()


def contrast(rgb: str, on: tuple[int, int, int] = (255, 255, 255)) -> float:
    """WCAG contrast ratio of a CSS 'rgb(r, g, b)' colour on `on`."""
    def lum(c):
        c = [v / 255 for v in c]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    a, b = sorted((lum([int(v) for v in rgb[rgb.index("(") + 1:-1].split(",")[:3]]), lum(on)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_draw_answer_and_its_chart_fit_the_projector(browser, app_url):
    page = open_page(browser, app_url, "draw?present=1")
    try:
        page.get_by_text("The prediction appears here").wait_for(timeout=120_000)
        canvas_box(page)
        wait_idle(page)
        assert draw_and_read(page, 3) == "3"
        wait_idle(page)
        chart = page.locator('[data-testid="stImage"] img[src^="data:image/svg"]').first.bounding_box()
        assert chart["y"] + chart["height"] <= PROJECTOR["height"], chart  # the probability bars
    finally:
        page.context.close()


@pytest.mark.parametrize("size, present, number", [
    pytest.param((1024, 768), False, False, id="tablet"),  # a 280 px canvas in a 219 px column
    pytest.param((390, 844), False, False, id="phone"),
    pytest.param((390, 844), True, False, id="phone-presenting"),  # 400 px on a 390 px screen
    pytest.param((1280, 720), False, True, id="number-with-sidebar"),  # 560 px in a 473 px column
])
def test_draw_canvas_is_not_clipped(browser, app_url, size, present, number):
    page = open_page(browser, app_url, "draw?present=1" if present else "draw",
                     viewport={"width": size[0], "height": size[1]}, phone=size[0] < 600)
    try:
        canvas_box(page)
        if number:
            page.get_by_text("A whole number").click()
            wait_idle(page)
            canvas_box(page)
        clip = page.evaluate(CANVAS_CLIP)
        assert clip["shown"] >= clip["canvas"] - 1, clip
    finally:
        page.context.close()


def test_a_click_on_a_gallery_thumbnail_opens_that_digit(browser, app_url):
    page = open_page(browser, app_url, "explore?tab=Gallery&split=test&show=errors&present=1")
    try:
        grid = page.locator('.stPlotlyChart .js-plotly-plot').first
        grid.wait_for(timeout=60_000)
        first = grid.evaluate("""gd => {  // the first thumbnail's centre, where plotly drew it
            const o = gd.data[1], L = gd._fullLayout;
            return {index: o.customdata[0], x: L.xaxis._offset + L.xaxis.l2p(o.x[0]),
                    y: L.yaxis._offset + L.yaxis.l2p(o.y[0])};
        }""")
        box = grid.bounding_box()
        page.mouse.click(box["x"] + first["x"], box["y"] + first["y"])
        page.get_by_text(f"test #{first['index']}: labelled").wait_for(timeout=60_000)
        page.locator('[data-testid=stAlert]', has_text="Label error").wait_for(timeout=30_000)
        wait_idle(page)
        assert f"open={first['index']}" in page.url  # the opened digit is in the link too
    finally:
        page.context.close()


@pytest.mark.parametrize("present", [True, False])
def test_a_toast_stays_on_a_phones_screen(browser, app_url, present):
    """Presenter mode's larger type made a toast 440 px wide on a 390 px phone: it began 50 px off the
    left edge, its icon cut."""
    path = "?page=draw&model=nosuch" + ("&present=1" if present else "")
    page = open_page(browser, app_url, path, viewport={"width": 390, "height": 844}, phone=True)
    try:
        toast = page.locator('[data-testid=stToast]').first
        toast.wait_for(timeout=30_000)
        box = toast.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    finally:
        page.context.close()


def test_a_page_link_focused_with_the_keyboard_is_outlined(browser, app_url):
    """A sidebar link reached with Tab showed only a faint grey background, like the current page's."""
    page = open_page(browser, app_url, "models", viewport={"width": 1024, "height": 768})
    try:
        link = page.locator('[data-testid=stSidebarNavLink]').first
        link.wait_for(timeout=60_000)
        for _ in range(30):  # Tab until the first sidebar link has the focus
            page.keyboard.press("Tab")
            if link.evaluate("e => e === document.activeElement"):
                break
        assert link.evaluate("e => e === document.activeElement")
        style = link.evaluate("e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }")
        assert style == ["solid", "3px"], style
    finally:
        page.context.close()
