"""Nothing is written inside the repository at run time; server settings keep the protections on."""

import tomllib

from mnist_core.synth import digit_image
from tests.conftest import REPO
from tests.pages.test_smoke import PAGES, app
from ui.draw_ui import DRAWING_OVERRIDE

SKIP = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache"}


def repo_files() -> dict[str, float]:
    files = {}
    for path in REPO.rglob("*"):
        if path.is_file() and not SKIP.intersection(path.relative_to(REPO).parts):
            files[str(path.relative_to(REPO))] = path.stat().st_mtime
    return files


def test_using_every_page_writes_nothing_inside_the_repository(mnist):
    before = repo_files()
    for page in PAGES:
        app(page)
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(6)})
    at.button(key="FormSubmitter:save-drawing-Save with label").click().run()  # a real save
    at = app("app_pages/draw.py", **{DRAWING_OVERRIDE: digit_image(6)})
    at.segmented_control(key="w_draw_view").set_value("why").run()  # builds the neighbour index cache
    assert repo_files() == before


def test_server_settings_keep_xsrf_on_and_cap_uploads():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    server = config.get("server", {})
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True
    assert 0 < server["maxUploadSize"] <= 100
    assert config["client"]["showErrorDetails"] == "none"  # no tracebacks in the browser
