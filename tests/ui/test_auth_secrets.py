"""The teacher settings in secrets.toml: looked for on every stroke, so a missing file is not looked for again
and again (Streamlit does that under a lock); a file or a new secrets object is read at once."""

import time

from ui import auth


class NoFile:
    def __init__(self):
        self.looked = 0

    def load_if_toml_exists(self) -> bool:
        self.looked += 1
        return False


class WithFile:
    def load_if_toml_exists(self) -> bool:
        return True

    def get(self, section):
        return {"teacher": {"code": "from-the-file"}}.get(section)


def test_a_missing_secrets_file_is_looked_for_again_only_after_a_moment(monkeypatch):
    missing = NoFile()
    monkeypatch.setattr(auth.st, "secrets", missing)
    auth._no_secrets.clear()
    assert [auth._secret("teacher", "code") for _ in range(50)] == [None] * 50
    assert missing.looked == 1
    later = time.monotonic() + auth.NO_SECRETS_RECHECK + 1
    monkeypatch.setattr(auth.time, "monotonic", lambda: later)
    assert auth._secret("teacher", "code") is None and missing.looked == 2


def test_secrets_that_appear_are_read_at_once(monkeypatch):
    monkeypatch.setattr(auth.st, "secrets", NoFile())
    auth._no_secrets.clear()
    assert auth._secret("teacher", "code") is None
    monkeypatch.setattr(auth.st, "secrets", WithFile())  # another object (AppTest swaps in its own)
    assert auth._secret("teacher", "code") == "from-the-file"
    assert auth._secret("auth") is None
