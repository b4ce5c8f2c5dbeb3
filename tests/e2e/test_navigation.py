"""A fresh server's very first visit may be a deep link (/draw): it must get the app's navigation."""

import pytest

from tests.e2e.server import running_app

pytestmark = pytest.mark.e2e


def test_first_visit_to_a_deep_link_gets_the_app_navigation(browser, tmp_path):
    with running_app(tmp_path / "home") as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{url}/draw")
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.wait_for(timeout=60_000)
        page.get_by_role("heading", name="Draw a digit").wait_for(timeout=60_000)
        links = nav.inner_text()
        assert "Our handwriting" in links and "Explore" in links  # titles from st.navigation
        assert "app" not in links.split()  # not the pages-folder listing ("app", "augment", ...)
        page.close()
