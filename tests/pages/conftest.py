"""Page tests run as on the teacher's own laptop unless they say otherwise: the server answers only this
computer and no teacher passcode is set, so every action is open (ui/auth.py). tests/pages/test_roles.py
switches to a classroom server where it needs one."""

import sys

import pytest


@pytest.fixture(autouse=True)
def teachers_laptop(monkeypatch):
    from streamlit import config

    for name in ("MNIST_LAB_TEACHER_CODE", "MNIST_LAB_TEACHERS", "MNIST_LAB_STUDENT_SAVES"):
        monkeypatch.delenv(name, raising=False)
    before = config.get_option("server.address")
    config.set_option("server.address", "localhost")
    yield
    config.set_option("server.address", before)


@pytest.fixture(autouse=True)
def main_module_kept():
    """An AppTest leaves its script as sys.modules["__main__"]; a training process spawned later (tests/ui)
    re-runs the parent's __main__ first: app.py guards against that, a from_function script does not (it
    calls its function with arguments that exist only in AppTest). Put the real one back."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main
