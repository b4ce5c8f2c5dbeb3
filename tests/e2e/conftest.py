"""A real `streamlit run` server and Debian's Chromium driven by Playwright (no `playwright install`)."""

from __future__ import annotations

import os

import pytest

from tests.e2e.server import CHROMIUM_FLAGS, chromium_path, running_app


@pytest.fixture(scope="session")
def app_home(tmp_path_factory):
    """The MNIST_LAB_HOME of the e2e session's app (its models and the class's handwriting)."""
    return tmp_path_factory.mktemp("e2e-home")


@pytest.fixture(scope="session")
def app_url(app_home):
    """The app, started once for the e2e session."""
    with running_app(app_home) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    exe = chromium_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and in CI the browser tests must run")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = context.new_page()
    yield pg
    context.close()
