"""The README's two commands for a fresh machine, run as written in a fresh copy of the project.

Shrunk only in size: the start command runs until the app answers on its port (then it is stopped), the
test command runs one small test file. Both install into a new virtualenv of their own, from PyPI as
a user's machine would (pip's cache makes the second install quick).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.server import free_port

pytestmark = [pytest.mark.slow, pytest.mark.mnist]


def readme_command(section: str) -> str:
    """The one-line bash command in the README's `section` (as a user copies it)."""
    text = (REPO / "README.md").read_text()
    block = re.search(rf"## {re.escape(section)}[^\n]*\n+```bash\n(.+?)\n```", text, re.S)
    assert block, f"no command under '## {section}'"
    lines = block.group(1).strip().splitlines()
    assert len(lines) == 1, "one line, as a user copies it"
    return lines[0]


def fresh_copy(tmp_path: Path) -> Path:
    """The project's committed and new (not ignored) files, without any virtualenv or build output."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, check=True).stdout.decode().split("\0")
    dest = tmp_path / "digit-lab"
    for name in filter(None, files):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def test_the_readme_start_and_test_commands_work_on_a_fresh_copy(mnist, tmp_path):
    repo = fresh_copy(tmp_path)
    data = os.environ["MNIST_DATA_DIR"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(MNIST_LAB_HOME=str(tmp_path / "home"), STREAMLIT_SERVER_PORT=str(port),
               STREAMLIT_SERVER_HEADLESS="true", STREAMLIT_SERVER_ADDRESS="127.0.0.1",
               STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")

    start = readme_command("Start the app").replace("/path/to/mnist", data)
    log = open(tmp_path / "start.log", "w")  # closed below, after the server stops
    proc = subprocess.Popen(["bash", "-c", start], cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline, ok = time.time() + 1500, False  # a fresh virtualenv: TensorFlow alone is ~600 MB
        while time.time() < deadline and proc.poll() is None:
            try:
                ok = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status == 200
            except OSError:
                pass
            if ok:
                break
            time.sleep(1)
        assert ok, (tmp_path / "start.log").read_text()[-3000:]
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/draw", timeout=10).read().decode()
        assert "<title>Streamlit</title>" in page or "streamlit" in page.lower()
        assert (repo / ".venv" / "bin" / "streamlit").exists()  # the command made its own virtualenv
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()

    test = readme_command("Run the tests").replace("/path/to/mnist", data)
    assert test.endswith(".venv/bin/python -m pytest")
    test += " -q -p no:cacheprovider tests/core/test_errors.py"  # one small file: the command, shrunk
    run = subprocess.run(["bash", "-c", test], cwd=repo, env=env, capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert re.search(r"\d+ passed", run.stdout), run.stdout[-2000:]
