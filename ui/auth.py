"""The teacher role: who may change what the whole class shares.

Only the teacher may (the `Action`s): make a model active for everyone, upload, rename or delete
models; relabel, delete or export the class's saved drawings; set a damaged store aside. Students
may save drawings into the class's collection if the teacher allows it (a setting, on by default).
Everything else stays everyone's: drawing, exploring, previewing, training models of one's own
session, and `?model=NAME`, which changes only that browser's session.

When is anything locked?

- **Open**, as before: the server answers only this computer (`server.address` is localhost or a
  loopback address, as `.streamlit/config.toml` sets it) and neither a passcode nor sign-in is set
  up. The teacher's own laptop, alone.
- Otherwise the teacher's actions need the teacher, who either
  - types the **passcode** (`MNIST_LAB_TEACHER_CODE`, or `code` under `[teacher]` in
    `.streamlit/secrets.toml`) into the small unlock form: compared in constant time, a few wrong
    tries from one address slow down, and the unlocked state lives in that browser session only; or
  - **signs in** with `st.login` (an `[auth]` section in secrets.toml, Authlib installed) with an email
    listed under `[teacher] emails` (or `MNIST_LAB_TEACHERS`, comma-separated).
  On a server open to the network with neither set up, the teacher's actions are off for everyone,
  and the message says how to switch them on.

Pages ask `can(action)` and, where the answer is no, call `explain(action)`: a friendly "ask your
teacher" with the unlock form.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import os
import threading
import time
import unicodedata
from dataclasses import dataclass

import streamlit as st

from ui import flash

CODE_ENV = "MNIST_LAB_TEACHER_CODE"
TEACHERS_ENV = "MNIST_LAB_TEACHERS"
STUDENT_SAVES_ENV = "MNIST_LAB_STUDENT_SAVES"
UNLOCKED = "teacher_unlocked"  # session_state: the fingerprint of the passcode this session typed


class Action(enum.Enum):
    """What only the teacher may do (SAVE_DRAWING: students too, if the teacher allows it)."""

    MANAGE_MODELS = "change the class's models (make one active for everyone, upload, rename or delete one)"
    MANAGE_HANDWRITING = "relabel, delete or export the class's saved drawings"
    SET_ASIDE = "set a damaged collection aside and start a new one"
    SAVE_DRAWING = "save drawings into the class's collection"
    STOP_TRAINING = "stop other people's training runs"


# ---------------------------------------------------------------------------------------------
# Settings


# "No secrets file" is remembered for a moment: Streamlit looks for the file again on every call, under a
# lock, and Draw asks on every stroke (a third of a stroke's server time with 60 students drawing at once).
NO_SECRETS_RECHECK = 2.0  # seconds; a secrets.toml added while the server runs counts within this time
_no_secrets: dict[int, float] = {}  # id(st.secrets) -> monotonic time until which it had no file


def _secret(section: str, key: str | None = None):
    """A value from .streamlit/secrets.toml, or None (no file, no section, no key)."""
    try:
        secrets = st.secrets  # (AppTest swaps in its own object: a new object is looked at afresh)
        if time.monotonic() < _no_secrets.get(id(secrets), 0.0):
            return None
        if not secrets.load_if_toml_exists():
            _no_secrets.clear()
            _no_secrets[id(secrets)] = time.monotonic() + NO_SECRETS_RECHECK
            return None
        value = secrets.get(section)
        return value if key is None or value is None else value.get(key)
    except Exception:  # noqa: BLE001 - a broken secrets file means "not set up", never a crash
        return None


def _flag(value: object, default: bool) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class Policy:
    """Who may do what on this server, from its settings."""

    local: bool  # the server answers only this computer
    has_code: bool  # a teacher passcode is set
    sign_in: bool  # st.login is set up (an [auth] section and Authlib)
    teachers: frozenset[str]  # emails that count as the teacher after signing in (lower case)
    student_saves: bool  # students may save drawings into the class's collection
    login_provider: str | None = None  # st.login(provider) when secrets.toml names several

    @property
    def open(self) -> bool:
        """Everything open as before: only this computer reaches the server, nothing set up to lock it."""
        return self.local and not self.has_code and not self.sign_in

    @property
    def can_unlock(self) -> bool:
        return self.has_code or (self.sign_in and bool(self.teachers))


def server_is_local(address: str | None = None) -> bool:
    """Whether the server listens on this computer only (Streamlit's `server.address`; unset = everywhere)."""
    address = st.get_option("server.address") if address is None else address
    host = str(address or "").strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # unset (every interface) or a host name: assume others can reach it
        return False


def _code() -> str | None:
    code = os.environ.get(CODE_ENV) or _secret("teacher", "code")
    return str(code) if code not in (None, "") else None


def _sign_in_set_up() -> bool:
    if not _secret("auth"):
        return False
    try:
        from streamlit.auth_util import is_authlib_installed

        return bool(is_authlib_installed())
    except Exception:  # noqa: BLE001 - an older or newer Streamlit: no sign-in
        return False


def policy() -> Policy:
    """The settings as they are now (the environment on every call; secrets.toml as `_secret` reads it)."""
    emails = os.environ.get(TEACHERS_ENV)
    listed = emails.split(",") if emails else (_secret("teacher", "emails") or [])
    if isinstance(listed, str):
        listed = listed.split(",")
    saves = os.environ.get(STUDENT_SAVES_ENV)
    return Policy(
        local=server_is_local(),
        has_code=_code() is not None,
        sign_in=_sign_in_set_up(),
        teachers=frozenset(str(e).strip().lower() for e in listed if str(e).strip()),
        student_saves=_flag(saves if saves is not None else _secret("teacher", "student_saves"), True),
        login_provider=_secret("teacher", "login_provider"),
    )


# ---------------------------------------------------------------------------------------------
# Who is the teacher


def _fingerprint(code: str) -> bytes:
    """The same for the same passcode however a keyboard composed its letters ('é' one character or
    'e' and an accent: NFC)."""
    return hashlib.sha256(unicodedata.normalize("NFC", code).encode("utf-8")).digest()


def _signed_in() -> tuple[str, bool] | None:
    """(email, whether the provider verified it) of the signed-in user; None when nobody is signed in."""
    try:
        user = st.user.to_dict()
    except Exception:  # noqa: BLE001
        return None
    if not user.get("is_logged_in"):
        return None
    email = str(user.get("email") or "").strip().lower()
    return email, user.get("email_verified") is not False


def _teacher_email(rules: Policy) -> str | None:
    """The signed-in teacher's email: signed in, verified, and listed; else None."""
    signed = _signed_in() if rules.sign_in else None
    return signed[0] if signed and signed[1] and signed[0] in rules.teachers else None


def is_teacher(rules: Policy | None = None) -> bool:
    """Whether this browser session acts as the teacher."""
    rules = rules or policy()
    if rules.open:
        return True
    code = _code()
    unlocked = st.session_state.get(UNLOCKED)
    if code is not None and isinstance(unlocked, bytes) and hmac.compare_digest(unlocked, _fingerprint(code)):
        return True
    return _teacher_email(rules) is not None


def can(action: Action) -> bool:
    """Whether this session may do `action` now."""
    rules = policy()
    if is_teacher(rules):
        return True
    return action is Action.SAVE_DRAWING and rules.student_saves


# ---------------------------------------------------------------------------------------------
# The passcode: constant-time comparison, slower after a few wrong tries


class Throttle:
    """Wrong passcodes, counted per client address and for the whole server.

    The first `free` wrong tries cost nothing; after that each try must wait 1, 2, 4, ... seconds (at
    most `most`) after the last wrong one. A right passcode clears that address's count.
    """

    def __init__(self, free: int = 3, most: float = 60.0, forget_after: float = 3600.0):
        self.free, self.most, self.forget_after = free, most, forget_after
        self._lock = threading.Lock()
        self._fails: dict[str, tuple[int, float]] = {}

    def wait_left(self, key: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._fails.get(key, (0, 0.0))
        if count < self.free or now - last > self.forget_after:
            return 0.0
        return max(0.0, min(self.most, 2.0 ** (count - self.free)) - (now - last))

    def failed(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._fails.get(key, (0, 0.0))
            self._fails[key] = (1 if now - last > self.forget_after else count + 1, now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


THROTTLE = Throttle()  # per client address
# all addresses together: someone who changes address. A class of thirty may each guess twice before it
# slows anyone (one student guessing on is slowed by THROTTLE), and the right passcode clears it, so a
# class's guesses do not lock the teacher out
SERVER_THROTTLE = Throttle(free=60, most=30.0)


def _client() -> str:
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001
        address = None
    return address if isinstance(address, str) and address else "this computer"  # None: a local browser


def try_unlock(typed: str, client: str | None = None) -> str | None:
    """Unlock the teacher's actions in this session with the passcode; returns why not, or None."""
    code = _code()
    if code is None:
        return "No teacher passcode is set on this server."
    client = client or _client()
    wait = max(THROTTLE.wait_left(client), SERVER_THROTTLE.wait_left("server"))
    if wait > 0:
        return f"Too many wrong passcodes: wait {wait:.0f} s, then try again."
    if not hmac.compare_digest(_fingerprint(str(typed)), _fingerprint(code)):
        THROTTLE.failed(client)
        SERVER_THROTTLE.failed("server")
        return "That is not the teacher passcode."
    THROTTLE.succeeded(client)
    SERVER_THROTTLE.succeeded("server")
    st.session_state[UNLOCKED] = _fingerprint(code)
    return None


def lock() -> None:
    """Back to a student's rights in this session (a signed-in teacher signs out instead)."""
    st.session_state.pop(UNLOCKED, None)


# ---------------------------------------------------------------------------------------------
# On the page


def explain(action: Action, unlock: bool = True) -> None:
    """Where `action` is not allowed: say so kindly, and offer the teacher a way in (`unlock`)."""
    if can(action):
        return
    rules = policy()
    if action is Action.SAVE_DRAWING:
        st.info("Saving drawings is switched off on this server: ask your teacher.", icon=":material/lock:")
    else:
        st.info(f"Only the teacher can {action.value} here: ask your teacher.", icon=":material/lock:")
    if not rules.can_unlock:
        how = ("sign-in is set up but no teacher email is listed (`emails` under `[teacher]` in secrets.toml)"
               if rules.sign_in else f"no teacher passcode is set: restart the app with {CODE_ENV} set")
        st.caption(f"Teacher: this app can be reached from other computers, and {how}. See the README, "
                   "“In the classroom”.")
        return
    if unlock:
        unlock_ui(key=f"unlock-{action.name.lower()}")


def unlock_ui(key: str = "unlock") -> None:
    """The teacher's way in: a small passcode form and/or a sign-in button, in a popover."""
    rules = policy()
    with st.popover("I am the teacher", icon=":material/lock_open:"):
        if rules.sign_in and rules.teachers:
            signed = _signed_in()
            if signed:
                st.caption(f"Signed in as {signed[0] or 'someone'}, which is not a (verified) teacher account.")
                if st.button("Sign out", key=f"{key}-logout"):
                    st.logout()
            elif st.button("Sign in as the teacher", icon=":material/login:", key=f"{key}-login"):
                if rules.login_provider:
                    st.login(str(rules.login_provider))
                else:
                    st.login()
        if rules.has_code:
            with st.form(key, border=False, clear_on_submit=True):
                typed = st.text_input("Teacher passcode", type="password", key=f"{key}-code")
                if st.form_submit_button("Unlock", icon=":material/lock_open:"):
                    problem = try_unlock(typed)
                    if problem:
                        st.error(problem)
                    else:
                        flash.later("Teacher mode is on in this browser (until you lock it or close the tab).",
                                    icon=":material/lock_open:")
                        st.rerun()


def status_ui(compact: bool = False) -> None:
    """For the sidebar (or, `compact`, presenter mode's menu: the button alone): in a session that acts as
    the teacher (on a locked server), say so and offer the way back to a student's view. Nothing
    otherwise: pages offer the unlock form where something is locked."""
    rules = policy()
    if rules.open or not is_teacher(rules):
        return
    email = _teacher_email(rules)
    if email:
        if not compact:
            st.caption(f"Teacher: signed in as {email}")
        if st.button("Sign out", icon=":material/logout:", key="teacher-logout",
                     help=f"Teacher: signed in as {email}"):
            st.logout()
    else:
        if not compact:
            st.caption("Teacher mode is on in this browser.")
        if st.button("Lock teacher mode" if compact else "Lock", icon=":material/lock:", key="teacher-lock",
                     help="Teacher mode is on in this browser: back to a student's view"):
            lock()
            st.rerun()
