"""The teacher role (issue 13): students look, the teacher changes what the class shares.

The "Our handwriting" page is tested as both roles with AppTest; for the Models and Draw pages (wired
by the lead) the ui/auth.py API they call is tested directly, in a running script.
"""

from __future__ import annotations

import unicodedata

import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.handwriting import HandwritingStore
from mnist_core.preprocess import prepare
from mnist_core.synth import digit_image
from tests.conftest import REPO
from ui import auth
from ui.auth import Policy, Throttle, server_is_local

PAGE = "app_pages/handwriting.py"
CODE = "owl-7421"


class Clock:
    """A monotonic clock the test moves by hand (the passcode throttle reads it)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(auth.time, "monotonic", clock)
    monkeypatch.setattr(auth, "THROTTLE", Throttle())
    server = auth.SERVER_THROTTLE
    monkeypatch.setattr(auth, "SERVER_THROTTLE", Throttle(free=server.free, most=server.most))
    return clock


@pytest.fixture
def classroom(monkeypatch, clock):
    """The server opened to the class (`--server.address 0.0.0.0`) with a teacher passcode."""
    from streamlit import config

    config.set_option("server.address", "0.0.0.0")
    monkeypatch.setenv("MNIST_LAB_TEACHER_CODE", CODE)


def app(page: str = PAGE, **query) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(page).run() if page else at


def fill(labels: list[int]) -> list[int]:
    store = HandwritingStore()
    return [store.add(d, None, prepare(digit_image(d))) for d in labels]


def problems(at: AppTest) -> list[str]:
    return [e.value for e in at.exception] + [e.value for e in at.error if "passcode" not in e.value]


def shown_ids(at: AppTest) -> list[int]:
    return [int(s.key.split("-")[1]) for s in at.selectbox if s.key and s.key.startswith("label-")]


def delete_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("delete-")]


def unlock(at: AppTest, code: str, form: str = "unlock-manage_handwriting") -> AppTest:
    at.text_input(key=f"{form}-code").input(code)
    return at.button(key=f"FormSubmitter:{form}-Unlock").click().run()


def locked_message(at: AppTest) -> bool:
    return any("Only the teacher can relabel, delete or export" in i.value for i in at.info)


# -- the handwriting page as both roles ------------------------------------------------------------------


def test_on_the_teachers_own_laptop_everything_stays_open():
    ids = fill([1, 7])
    at = app()
    assert not problems(at) and not locked_message(at)
    assert shown_ids(at) == ids[::-1] and not any(s.disabled for s in at.selectbox if s.key.startswith("label-"))
    assert sorted(delete_buttons(at)) == sorted(f"delete-{i}" for i in ids)
    assert len(at.download_button) == 2


def test_a_student_sees_the_drawings_and_changes_nothing(classroom):
    ids = fill([1, 7, 7])
    at = app()
    assert not problems(at)
    assert locked_message(at), "a friendly 'ask your teacher'"
    assert shown_ids(at) == ids[::-1], "the gallery is there"
    assert all(s.disabled for s in at.selectbox if s.key.startswith("label-")), "labels shown, not editable"
    assert delete_buttons(at) == [] and len(at.download_button) == 0
    assert any("Downloading the class's drawings is for the teacher" in c.value for c in at.caption)
    # a hostile client sends a value for the disabled selectbox anyway: nothing is relabelled
    at.session_state[f"label-{ids[0]}-1"] = 9
    at.run()
    assert not problems(at)
    assert [s.label for s in HandwritingStore().list()][::-1] == [1, 7, 7]
    # the accuracy check stays everyone's
    assert at.toggle(key="check_accuracy") is not None


def test_the_passcode_unlocks_this_session_only(classroom):
    ids = fill([2, 5])
    at = unlock(app(), CODE)
    assert not problems(at) and not locked_message(at)
    assert any("Teacher mode is on" in t.value for t in at.toast)
    assert sorted(delete_buttons(at)) == sorted(f"delete-{i}" for i in ids) and len(at.download_button) == 2
    at.button(key=f"delete-{ids[1]}").click().run()
    assert [s.id for s in HandwritingStore().list()] == [ids[0]]
    at.selectbox(key=f"label-{ids[0]}-2").set_value(8).run()
    assert HandwritingStore().get(ids[0]).label == 8
    assert not locked_message(at.run()), "still unlocked on the next run"
    other = app()  # another browser: still a student
    assert locked_message(other) and delete_buttons(other) == []


def test_the_teacher_deletes_a_flood_of_drawings_at_once_and_a_student_cannot(classroom, lab_home):
    """QA saved 26 drawings in 23 s from one tab; deleting them one by one took two clicks each."""
    import sqlite3

    old = fill([4])[0]
    store = HandwritingStore()
    with sqlite3.connect(store.path) as con:  # saved yesterday
        con.execute("UPDATE samples SET created = '2000-01-01T00:00:00+00:00' WHERE id = ?", (old,))
    fill([1, 1, 7, 7, 7])
    student = app()
    assert not [b for b in student.button if b.key == "recent-delete"]
    at = unlock(app(), CODE)
    assert at.button(key="recent-delete").label == "Delete 5 drawings"  # the last 5 minutes: not yesterday's
    at.button(key="recent-delete").click().run()
    assert not problems(at) and [s.id for s in store.list()] == [old]
    assert any("5 drawings of the last 5 minutes deleted" in t.value for t in at.toast)
    assert any("Nothing was saved in the last 5 minutes" in c.value for c in at.caption)


def test_wrong_passcodes_are_refused_and_slow_down(classroom, clock):
    fill([3])
    at = app()
    for _ in range(3):
        at = unlock(at, "owl-7420")
        assert any("not the teacher passcode" in e.value for e in at.error) and locked_message(at)
    at = unlock(at, CODE)  # right, but too soon after three wrong ones
    assert any("Too many wrong passcodes: wait 1 s" in e.value for e in at.error) and locked_message(at)
    clock.now += 1.5
    at = unlock(at, CODE)
    assert not locked_message(at) and delete_buttons(at)


def test_a_class_guessing_does_not_lock_the_teacher_out(classroom, clock):
    """Thirty students each guess once from their own computer (a QA pass: 25 guesses made the teacher
    wait 28 s); the teacher's right passcode goes through at once and clears the server's count."""
    for student in range(30):
        assert auth.try_unlock("owl-7420", client=f"10.0.0.{student + 10}") == "That is not the teacher passcode."
    fill([3])
    at = app()
    at = unlock(at, CODE)
    assert not locked_message(at) and delete_buttons(at)
    assert auth.SERVER_THROTTLE.wait_left("server") == 0


def test_a_passcode_on_a_local_server_locks_it_too(monkeypatch, clock):
    monkeypatch.setenv("MNIST_LAB_TEACHER_CODE", CODE)
    fill([4])
    at = app()
    assert locked_message(at) and delete_buttons(at) == []


def test_a_server_open_to_the_network_without_a_passcode_says_how_to_set_one(clock):
    from streamlit import config

    config.set_option("server.address", "")  # Streamlit's default: every network interface
    fill([4])
    at = app()
    assert locked_message(at) and delete_buttons(at) == []
    assert any("MNIST_LAB_TEACHER_CODE" in c.value for c in at.caption)
    assert not [t for t in at.text_input if t.key and t.key.endswith("-code")], "no form that cannot work"


def test_a_damaged_collection_is_set_aside_only_by_the_teacher(classroom, lab_home):
    path = lab_home / "handwriting.sqlite"
    path.write_bytes(b"this is not a database" * 300)
    at = app()
    assert not at.exception and any("damaged" in e.value and str(lab_home) not in e.value for e in at.error)
    assert any("Only the teacher can set a damaged collection aside" in i.value for i in at.info)
    assert not [b for b in at.button if "aside" in (b.label or "")]
    at = unlock(at, CODE, form="unlock-set_aside")
    at.button[[b.label for b in at.button].index(
        "Keep the damaged file aside and start a new, empty collection")].click().run()
    aside = list(lab_home.glob("handwriting.sqlite.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"this is not a database" * 300
    assert any("Save with label" in i.value for i in at.info)


def test_an_empty_database_file_is_reported_with_the_way_out(lab_home):
    path = lab_home / "handwriting.sqlite"
    path.write_bytes(b"")
    at = app()
    assert not at.exception and any("empty file (0 bytes)" in e.value for e in at.error)
    at.button[0].click().run()  # the teacher's own laptop: open
    assert path.exists() is False or path.stat().st_size > 0
    assert len(list(lab_home.glob("handwriting.sqlite.damaged-*"))) == 1


def test_a_read_only_home_shows_the_drawings_with_one_clear_message(lab_home, monkeypatch):
    import os

    ids = fill([6, 9])
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if mode & os.W_OK and str(p).startswith(
        str(lab_home)) else real_access(p, mode, *a, **k))
    at = app()
    assert not at.exception and not at.error
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "can be viewed but not changed here" in warnings[0]
    assert str(lab_home) not in warnings[0]
    assert shown_ids(at) == ids[::-1] and all(s.disabled for s in at.selectbox if s.key.startswith("label-"))
    assert len(at.download_button) == 2, "the teacher can still take a copy"


# -- sign-in (st.login) ------------------------------------------------------------------------------------


@pytest.fixture
def sign_in(monkeypatch, clock):
    import streamlit.auth_util
    from streamlit import config

    config.set_option("server.address", "0.0.0.0")
    monkeypatch.setattr(streamlit.auth_util, "is_authlib_installed", lambda: True)
    return {
        "auth": {"redirect_uri": "http://lab:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "id",
                 "client_secret": "secret", "server_metadata_url": "https://id.example/.well-known/openid-configuration"},
        "teacher": {"emails": ["Ms.Smith@school.example"]},
    }


@pytest.mark.parametrize("user, teacher", [
    ({"is_logged_in": True, "email": "ms.smith@school.example", "email_verified": True}, True),
    ({"is_logged_in": True, "email": "ms.smith@school.example", "email_verified": False}, False),
    ({"is_logged_in": True, "email": "pupil@school.example"}, False),
    ({"is_logged_in": False}, False),
    ({"email": "test@example.com"}, False),  # AppTest's default user: not signed in
])
def test_signing_in_with_a_listed_email_makes_the_teacher(sign_in, user, teacher):
    fill([5])
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.secrets = sign_in
    at.user = user
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert bool(delete_buttons(at)) is teacher and locked_message(at) is not teacher
    if not teacher:
        labels = [b.label for b in at.button]
        assert ("Sign in as the teacher" in labels) is not user.get("is_logged_in", False)


@pytest.mark.parametrize("email, teacher", [("ms.smith@school.example", True), ("pupil@school.example", False)])
def test_the_teachers_emails_from_the_environment(sign_in, monkeypatch, email, teacher):
    """MNIST_LAB_TEACHERS (comma-separated, any case and spacing) lists the teachers instead of secrets.toml."""
    monkeypatch.setenv("MNIST_LAB_TEACHERS", " Ms.Smith@School.example , x@y.example")
    del sign_in["teacher"]
    fill([5])
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.secrets = sign_in
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert bool(delete_buttons(at)) is teacher and locked_message(at) is not teacher


# -- the API the Models and Draw pages use ------------------------------------------------------------------


def probe_script():
    import streamlit as st

    from ui import auth

    st.session_state["can"] = {a.name: auth.can(a) for a in auth.Action}
    st.session_state["teacher"] = auth.is_teacher()
    for action in auth.Action:
        auth.explain(action, unlock=action is auth.Action.MANAGE_MODELS)


def probe(**secrets) -> AppTest:
    at = AppTest.from_function(probe_script, default_timeout=30)
    if secrets:
        at.secrets = secrets
    return at.run()


def test_the_api_on_the_teachers_laptop():
    at = probe()
    assert at.session_state["teacher"] and all(at.session_state["can"].values()) and not at.info


def test_the_api_for_a_student_and_for_the_teacher(classroom, monkeypatch):
    at = probe()
    assert at.session_state["can"] == {"MANAGE_MODELS": False, "MANAGE_HANDWRITING": False, "SET_ASIDE": False,
                                       "SAVE_DRAWING": True, "STOP_TRAINING": False}
    assert any("Only the teacher can change the class's models" in i.value for i in at.info)
    assert len([t for t in at.text_input if t.key == "unlock-manage_models-code"]) == 1, "one unlock form"
    at = unlock(at, CODE, form="unlock-manage_models")
    assert at.session_state["teacher"] and all(at.session_state["can"].values()) and not at.info
    monkeypatch.setenv("MNIST_LAB_STUDENT_SAVES", "0")
    at = probe()
    assert at.session_state["can"]["SAVE_DRAWING"] is False
    assert any("Saving drawings is switched off" in i.value for i in at.info)


def test_settings_from_secrets_toml(clock):
    from streamlit import config

    config.set_option("server.address", "0.0.0.0")
    at = probe(teacher={"code": "from-secrets", "student_saves": False})
    assert at.session_state["can"]["SAVE_DRAWING"] is False
    at = unlock(at, "from-secrets", form="unlock-manage_models")
    assert at.session_state["teacher"]


def test_a_students_model_choice_stays_in_their_session(classroom):
    from mnist_core.card import ModelCard
    from mnist_core.models import build_model
    from mnist_core.store import ModelStore

    store = ModelStore()
    store.save(build_model("mlp"), "mine", ModelCard("mine", architecture="mlp"))
    student = app("app_pages/draw.py", model="mine")
    assert any("**mine** (this browser's choice" in c.value for c in student.caption)
    assert store.active_name() == "default"
    neighbour = app("app_pages/draw.py")
    assert any("**default** (the class's model" in c.value for c in neighbour.caption)


# -- the pieces ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address, local", [
    ("localhost", True), ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("[::1]", True),
    ("", False), (None, False), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("lab.local", False),
])
def test_which_addresses_are_this_computer_only(address, local):
    assert server_is_local(address if address is not None else "") is local


def test_the_throttle_lets_a_few_tries_through_then_doubles_the_wait():
    throttle = Throttle(free=3, most=60)
    now = 0.0
    for _ in range(3):
        assert throttle.wait_left("a", now) == 0
        throttle.failed("a", now)
    waits = []
    for _ in range(8):
        waits.append(throttle.wait_left("a", now))
        now += waits[-1]
        throttle.failed("a", now)
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    assert throttle.wait_left("b", now) == 0, "other addresses are not slowed"
    throttle.succeeded("a")
    assert throttle.wait_left("a", now) == 0
    throttle.failed("c", 0)
    for _ in range(5):
        throttle.failed("c", 0)
    assert throttle.wait_left("c", 5000) == 0, "forgotten after an hour"


def test_policy_open_only_when_local_and_nothing_set_up():
    assert Policy(True, False, False, frozenset(), True).open
    assert not Policy(True, True, False, frozenset(), True).open
    assert not Policy(False, False, False, frozenset(), True).open
    assert not Policy(False, False, True, frozenset(), True).can_unlock
    assert Policy(False, False, True, frozenset({"t@s"}), True).can_unlock


def test_passcodes_of_any_length_and_alphabet_compare_safely(classroom, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_TEACHER_CODE", "Éléphant-ü 42")
    at = probe()
    for typed in ("", "É", "x" * 10_000, "Éléphant-ü 4"):
        at = unlock(at, typed, form="unlock-manage_models")
        assert not at.session_state["teacher"]
        auth.THROTTLE.succeeded("this computer")
        auth.SERVER_THROTTLE.succeeded("server")
    # typed with its accents as separate marks (NFD), as some keyboards compose them: the same passcode
    at = unlock(at, unicodedata.normalize("NFD", "Éléphant-ü 42"), form="unlock-manage_models")
    assert at.session_state["teacher"]


def status_script():
    import streamlit as st

    from ui import auth

    with st.sidebar:
        auth.status_ui()
    st.session_state["teacher"] = auth.is_teacher()
    auth.explain(auth.Action.MANAGE_MODELS)


def test_the_sidebar_status_shows_the_teacher_the_way_back(classroom):
    at = AppTest.from_function(status_script, default_timeout=30).run()
    assert not at.sidebar.button and not at.sidebar.caption, "nothing for a student"
    at = unlock(at, CODE, form="unlock-manage_models")
    assert at.session_state["teacher"] and at.sidebar.caption[0].value == "Teacher mode is on in this browser."
    at.sidebar.button(key="teacher-lock").click().run()
    assert not at.session_state["teacher"]


def test_in_presenter_mode_the_teacher_locks_from_the_bar(classroom, lab_home):
    """Presenter mode hides the sidebar, and its Lock with it: the bar's Pages menu offers it once unlocked."""
    at = app(present="1")
    assert not [b for b in at.button if b.key == "teacher-lock"], "nothing for a student"
    at = unlock(at, CODE)
    assert at.button(key="teacher-lock") and not at.sidebar.button
    menu = pages_menu_id(at)
    at.button(key="teacher-lock").click().run()
    assert not [b for b in at.button if b.key == "teacher-lock"] and locked_message(at)
    # a new menu (a popover's key is its identity in the browser): the one Lock was pressed in closes
    assert pages_menu_id(at) not in (None, menu)


def pages_menu_id(at: AppTest) -> str | None:
    """The id of presenter mode's Pages menu (its key is part of it)."""
    def walk(node):
        if getattr(node, "type", None) == "popover" and node.proto.popover.label == "Pages":
            return node.proto.id
        return next((found for c in getattr(node, "children", {}).values() if (found := walk(c))), None)
    return walk(at._tree)


# -- stores that fail safe, as the pages show them -----------------------------------------------------------


@pytest.fixture
def read_only_home(lab_home, monkeypatch):
    import errno
    import os

    import mnist_core.handwriting as hw

    real_access = os.access

    def access(path, mode, *args, **kwargs):
        return False if mode & os.W_OK and str(path).startswith(str(lab_home)) else real_access(path, mode, *args,
                                                                                                   **kwargs)

    def mkstemp(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(hw.tempfile, "mkstemp", mkstemp)
    return lab_home


def test_a_read_only_home_without_drawings_says_so_once(read_only_home):
    at = app()
    assert not at.exception and not at.error
    assert len(at.warning) == 1
    assert "No drawings have been saved yet, and none can be" in at.warning[0].value


def test_saving_on_the_draw_page_in_a_read_only_home_says_why(lab_home, request):
    from ui.draw_ui import DRAWING_OVERRIDE

    fill([1])
    request.getfixturevalue("read_only_home")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state[DRAWING_OVERRIDE] = digit_image(6)
    at.run()
    at.switch_page("app_pages/draw.py").run()
    at.button(key="FormSubmitter:save-drawing-Save with label").click().run()
    assert not at.exception
    assert any("can be viewed but not changed here" in e.value and "Nothing was saved" in e.value for e in at.error)
    assert len(HandwritingStore()) == 1


def test_the_models_page_locks_the_class_wide_actions_for_a_student(classroom):
    from mnist_core.card import ModelCard
    from mnist_core.models import build_model
    from mnist_core.store import ModelStore

    ModelStore().save(build_model("mlp"), "mine", ModelCard("mine", architecture="mlp"))
    student = app("app_pages/models.py")
    labels = [b.label for b in student.button]
    assert "Make active" not in labels and not student.get("file_uploader")
    assert any("Only the teacher can change the class's models" in i.value for i in student.info)
    assert any(b.label.startswith("Download") for b in student.get("download_button"))  # taking a copy is fine
    teacher = unlock(student, CODE, form="unlock-manage_models")
    assert "Make active" in [b.label for b in teacher.button] and teacher.get("file_uploader")
    teacher.selectbox(key="models-chosen").set_value("mine").run()
    next(b for b in teacher.button if b.label == "Make active").click().run()
    assert ModelStore().active_name() == "mine"


def test_a_student_cannot_save_drawings_when_the_teacher_turned_it_off(classroom, monkeypatch):
    from mnist_core.synth import digit_image
    from ui.draw_ui import DRAWING_OVERRIDE

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state[DRAWING_OVERRIDE] = digit_image(3)
    at.run()
    at.switch_page("app_pages/draw.py").run()
    assert any(b.label == "Save with label" for b in at.button)
    monkeypatch.setenv("MNIST_LAB_STUDENT_SAVES", "0")
    at.run()
    assert not any(b.label == "Save with label" for b in at.button)


# -- the server's training slot ------------------------------------------------------------------------


@pytest.fixture
def someone_elses_run():
    """A run of another browser holding the training slot (a thread that lives until stopped)."""
    import threading

    from mnist_core.runs import RunSpec
    from mnist_core.train_config import PRESETS
    from ui import jobs

    job = jobs.TrainingJob(RunSpec(PRESETS["best"], name="best-200ep"))
    job.progress.update(status="running", epoch=3, epochs=200, batches=469, started=1.0)
    done = threading.Event()  # a real run takes a moment to stop: this one ends when the test is over
    job.thread = threading.Thread(target=lambda: done.wait(60), daemon=True)
    job.thread.start()
    jobs.register(job)
    yield job
    done.set()
    job.thread.join(5)


def test_the_teacher_stops_a_students_run_that_holds_the_training_slot(classroom, someone_elses_run):
    """A student's 200-epoch run would hold the only slot for hours (a hostile-input QA pass): everyone
    sees it on the Train page; only the teacher may stop it."""
    at = app("app_pages/train.py")
    assert not problems(at)
    assert any("best-200ep" in m.value and "epoch 3/200" in m.value for m in at.markdown)
    assert not [b for b in at.button if b.key == f"stop-other-{someone_elses_run.id}"]
    assert any("Only the teacher can stop other people's training runs" in i.value for i in at.info)
    at = unlock(at, CODE, form="unlock-stop_training")
    at.button(key=f"stop-other-{someone_elses_run.id}").click().run()
    assert someone_elses_run.progress.stop_requested
    assert any("best-200ep" in m.value and "stopping" in m.value for m in at.markdown)


def test_a_waiting_run_says_how_long_until_it_starts_and_runs_of_one_name_tell_apart(someone_elses_run):
    """Two students' Quick runs were both 'simple_cnn-3ep' in each other's lists, and a waiting one said only
    'place 1 in the queue': each run now says when it was asked for, and a waiting one how long the run
    training now has left."""
    import time

    from mnist_core.runs import RunSpec
    from mnist_core.train_config import PRESETS
    from ui import jobs
    from ui.train_ui import _wait_words

    someone_elses_run.progress.update(started=time.time() - 120, epoch=2, epochs=4, batch=0, batches=100)
    mine = jobs.TrainingJob(RunSpec(PRESETS["quick"], name="quick-{epochs}ep"))
    with jobs.QUEUE._cond:
        jobs.QUEUE._waiting.append(mine)
    try:
        words = _wait_words(mine)
        # a quarter of its batches done in 2 minutes: 6 to go
        assert words == "It starts by itself when the run training now (**best-200ep**) ends, in about 6 min.", words
        assert _wait_words(someone_elses_run).startswith("It starts by itself when the job before it ends")
    finally:
        with jobs.QUEUE._cond:
            jobs.QUEUE._waiting.remove(mine)
    at = app("app_pages/train.py")
    assert any(m.value.startswith("**best-200ep**, asked for just now: training: epoch 2/4") for m in at.markdown), \
        [m.value for m in at.markdown]


def test_the_teacher_empties_a_queue_filled_from_many_tabs_at_once(classroom, someone_elses_run):
    """QA queued six runs in a minute from new tabs; the teacher had to stop them one by one."""
    import threading

    from mnist_core.runs import RunSpec
    from mnist_core.train_config import PRESETS
    from ui import jobs

    done, waiting = threading.Event(), []
    for i in range(3):
        job = jobs.TrainingJob(RunSpec(PRESETS["quick"], name=f"queued-{i}"))
        job.thread = threading.Thread(target=lambda: done.wait(60), daemon=True)
        job.thread.start()
        jobs.register(job)
        waiting.append(job)
    with jobs.QUEUE._cond:  # in the server's queue behind the running one
        jobs.QUEUE._waiting.extend(waiting)
    try:
        at = app("app_pages/train.py")
        assert not [b for b in at.button if b.key == "stop-waiting"], "not for a student"
        at = unlock(at, CODE, form="unlock-stop_training")
        assert at.button(key="stop-waiting").label == "Stop the 3 waiting runs"
        at.button(key="stop-waiting").click().run()
        assert all(job.progress.stop_requested for job in waiting)
        assert not someone_elses_run.progress.stop_requested  # the running one goes on
        assert not [b for b in at.button if b.key == "stop-waiting"]
    finally:
        with jobs.QUEUE._cond:
            for job in waiting:
                jobs.QUEUE._waiting.remove(job)
        done.set()


def test_in_presenter_mode_the_empty_collection_says_where_saving_is(lab_home):
    """Presenter mode's Draw page has no Save with label: the projector must not send the class to look
    for it there."""
    at = app(present="1")
    assert any("presenter mode's Draw page has no saving" in i.value for i in at.info)
    at = app()
    assert any("press **Save with label**" in i.value for i in at.info)
    assert not any("presenter mode" in i.value for i in at.info)
