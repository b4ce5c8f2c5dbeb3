"""The teacher role in a real browser: the handwriting page locked for a student, unlocked with the code."""

from __future__ import annotations

import pytest

from mnist_core.handwriting import HandwritingStore
from mnist_core.preprocess import prepare
from mnist_core.synth import digit_image
from tests.e2e.helpers import wait_idle
from tests.e2e.server import running_app

pytestmark = pytest.mark.e2e
CODE = "owl-7421"
LOCKED = "Only the teacher can relabel, delete or export"


def open_handwriting(page, url: str) -> None:
    page.goto(f"{url}/handwriting")
    page.get_by_role("heading", name="Our handwriting", exact=True).wait_for(timeout=60_000)
    page.get_by_text("#1 ·").first.wait_for(timeout=60_000)  # the gallery is drawn
    wait_idle(page)


def unlock(page, code: str) -> None:
    page.get_by_role("button", name="I am the teacher").click()
    box = page.get_by_label("Teacher passcode")
    box.wait_for(timeout=10_000)
    box.fill(code)
    page.get_by_role("button", name="Unlock").click()


def test_a_student_is_locked_out_and_the_teacher_unlocks_with_the_code(browser, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    store = HandwritingStore(home / "handwriting.sqlite")
    ids = [store.add(d, None, prepare(digit_image(d))) for d in (2, 7)]
    env = {"MNIST_LAB_TEACHER_CODE": CODE, "MNIST_LAB_PRELOAD": "0"}
    with running_app(home, extra_env=env) as url:
        student = browser.new_context(viewport={"width": 1280, "height": 720})
        page = student.new_page()
        open_handwriting(page, url)
        page.get_by_text(LOCKED).wait_for(timeout=10_000)
        assert page.get_by_role("button", name="Delete").count() == 0
        assert page.get_by_role("button", name="Download .npz").count() == 0

        unlock(page, "owl-0000")
        page.get_by_text("That is not the teacher passcode.").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Delete").count() == 0

        page.keyboard.press("Escape")
        wait_idle(page)
        unlock(page, CODE)
        page.get_by_text(LOCKED).wait_for(state="detached", timeout=30_000)
        page.get_by_role("button", name="Delete").first.wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Delete").count() == 2
        page.get_by_role("button", name="Download .npz").wait_for(timeout=30_000)  # further down the same rerun

        page.get_by_role("button", name="Delete").first.click()  # the newest drawing's popover
        page.get_by_role("button", name="Yes, delete it").click()
        page.get_by_text(f"Drawing #{ids[1]} was deleted.").wait_for(timeout=30_000)
        assert [s.id for s in HandwritingStore(home / "handwriting.sqlite").list()] == [ids[0]]

        # the app's own links keep the tab unlocked; a reload locks it again (as the README says)
        page.locator('[data-testid=stSidebarNav] a', has_text="Models").click()
        page.get_by_role("heading", name="Models").first.wait_for(timeout=60_000)
        page.locator('[data-testid=stSidebarNav] a', has_text="Our handwriting").click()
        page.get_by_role("button", name="Delete").first.wait_for(timeout=60_000)
        assert page.get_by_text(LOCKED).count() == 0
        page.reload()
        page.get_by_text(LOCKED).wait_for(timeout=60_000)

        other = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()  # another student
        open_handwriting(other, url)
        other.get_by_text(LOCKED).wait_for(timeout=10_000)
        assert other.get_by_role("button", name="Delete").count() == 0
        other.context.close()
        student.close()
