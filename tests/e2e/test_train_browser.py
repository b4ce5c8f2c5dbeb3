"""End to end: start a small training job in a real browser, watch it update, leave and come back, stop it."""

import re
import time

import pytest

pytestmark = pytest.mark.e2e

PROGRESS = '[data-testid="stProgress"]'
CURVES = '[data-testid="stPlotlyChart"] .js-plotly-plot'


def progress_text(page) -> str:
    return page.locator(PROGRESS).first.inner_text().strip()


LAST_X = f"(document.querySelector('{CURVES}')?.data?.[0]?.x || [-1]).slice(-1)[0]"


def curve_end(page) -> float:
    """Where the live per-batch loss line ends, in epochs (the plotly figure's own data)."""
    return page.evaluate(f"() => {LAST_X}")


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Tab")


def nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()


def test_start_watch_leave_return_and_stop_a_training_job(page, app_url):
    # From the home page, as a class would (a deep link before any visit to / runs Streamlit's old
    # pages-directory mode, without app.py's navigation)
    page.goto(app_url)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Train").wait_for(timeout=60_000)
    nav(page, "Train")
    page.get_by_role("button", name="Start training").wait_for(timeout=120_000)

    # A small job that would run for minutes: an MLP on 5,000 images, batch 32, 200 epochs
    architecture = page.get_by_role("combobox", name=re.compile("Architecture"))
    architecture.evaluate("e => e.scrollIntoView({block: 'center'})")  # room below it for the list
    architecture.click()
    page.get_by_role("option", name=re.compile(r"^mlp")).click()
    set_number(page, "Epochs (1-200)", 200)
    set_number(page, "Batch size", 32)
    page.get_by_text("More settings", exact=False).first.click()  # the rest of the settings, folded away
    set_number(page, "Training images", 5000)
    # Another student has the Train page open (another browser: another session)
    other = page.context.browser.new_context(viewport=page.viewport_size)
    watcher = other.new_page()
    watcher.goto(f"{app_url}/train")
    watcher.get_by_role("button", name="Start training").wait_for(timeout=120_000)
    assert not watcher.get_by_text("Other runs on this server").count()
    clicked = time.perf_counter()
    page.get_by_role("button", name="Start training").click()

    # At once: it says it is preparing (building the model) before the first batch
    page.locator(PROGRESS).first.wait_for(timeout=30_000)
    print(f"progress bar shown {time.perf_counter() - clicked:.2f} s after Start")
    assert "preparing" in progress_text(page)

    # The progress bar and the curves appear, and they keep moving
    page.wait_for_function(f"() => (document.querySelector('{CURVES}')?.data?.[0]?.x || []).length > 0",
                           timeout=180_000)  # the first batches wait for graph tracing (slow on a busy machine)
    first_text, first_end = progress_text(page), curve_end(page)
    assert re.search(r"epoch \d+/200, batch \d+/\d+", first_text)
    page.wait_for_function(
        f"""([text, end]) => {{
            const bar = document.querySelector('{PROGRESS}');
            return bar && bar.innerText.trim() !== text && {LAST_X} > end;
        }}""",
        arg=[first_text, first_end], timeout=120_000)

    # The other student's page lists the run and follows its epochs without a reload
    watcher.get_by_text("Other runs on this server").wait_for(timeout=30_000)
    listed = watcher.locator('[data-testid="stMarkdownContainer"]', has_text=re.compile(r"training: epoch \d+/200"))
    listed.first.wait_for(timeout=60_000)
    seen = listed.first.inner_text()
    watcher.wait_for_function(
        """seen => [...document.querySelectorAll('[data-testid=stMarkdownContainer]')]
                   .some(m => /training: epoch \\d+\\/200/.test(m.innerText) && m.innerText !== seen)""",
        arg=seen, timeout=60_000)
    other.close()

    # The per-batch curve flows on across epoch boundaries (no drop: each batch's own loss, not the running
    # mean of its epoch, which starts afresh at every epoch)
    page.wait_for_function(f"() => {LAST_X} > 3.2", timeout=120_000)
    xs, ys = page.evaluate(f"() => {{ const d = document.querySelector('{CURVES}').data[0]; return [d.x, d.y]; }}")
    steps = [abs(b - a) for a, b in zip(ys, ys[1:], strict=False)]
    typical = sorted(steps)[int(0.9 * len(steps))]
    for boundary in (1, 2, 3):
        k = next(i for i, x in enumerate(xs) if x > boundary)
        assert abs(ys[k] - ys[k - 1]) <= 3 * typical + 1e-9, (boundary, ys[k - 3: k + 3], typical)

    # Leaving the page and coming back: the job is still running
    nav(page, "Models")
    page.get_by_text("Upload a model").wait_for(timeout=60_000)
    nav(page, "Train")
    page.locator(PROGRESS).first.wait_for(timeout=60_000)
    assert re.search(r"epoch \d+/200", progress_text(page))

    # Stop: it ends after the current batch and the best weights are saved
    page.locator('[data-testid="stMain"]').get_by_role("button", name="Stop").click()
    done = page.locator('[data-testid="stAlertContentSuccess"]', has_text="Stopped early")
    done.wait_for(timeout=300_000)  # after the last batch: scoring, calibrating and saving
    saved = re.search(r"saved as \S*mlp-([\d.]+)ep", done.inner_text())
    assert saved and float(saved.group(1)) < 200  # named after the epochs it really trained
    # the weights kept: a whole epoch's, or the part epoch's at the stop, said as such (not as 'epoch 4')
    kept = re.search(r"kept the weights (of epoch (\d+)|at the stop, ([\d.]+) epochs in)", done.inner_text())
    assert kept and (int(kept.group(2) or 0) <= float(saved.group(1)) if kept.group(2) else
                     kept.group(3) == saved.group(1)), done.inner_text()
    # the live view is gone and the final curves stay (stale elements of the last run may linger a moment)
    page.wait_for_function(f"""() => document.querySelectorAll('{PROGRESS}').length === 0
                                     && document.querySelectorAll('{CURVES}').length === 1""", timeout=30_000)
