import pytest
from streamlit.runtime.scriptrunner import script_runner

from ui.runtime import keep_keras_state


def test_streamlit_reruns_no_longer_reset_keras():
    import keras

    keep_keras_state()  # as app.py does (safe to call more than once)
    first = keras.layers.Dense(1).name
    script_runner._clean_problem_modules()  # what Streamlit calls after every script and fragment run
    second = keras.layers.Dense(1).name
    assert first != second  # keras.backend.clear_session() would have reset the layer name counter
    keras.backend.clear_session()
    assert keras.layers.Dense(1).name == "dense"  # (the oracle: a real clear_session does reset it)



def test_turns_run_one_at_a_time_and_a_late_turn_waits_for_the_one_before():
    import threading
    import time

    from ui.runtime import one_at_a_time

    inside, most, order = [0], [0], []
    lock = threading.Lock()

    def turn(i: int) -> None:
        with one_at_a_time():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            order.append(i)
            time.sleep(0.02)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=turn, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(order) == list(range(6))
    assert most[0] == 1  # never two sessions' turns at once


def test_a_turn_that_fails_ends_and_one_that_never_ends_does_not_stop_the_others(caplog):
    import threading
    import time

    from ui.runtime import one_at_a_time

    with pytest.raises(ValueError), one_at_a_time():
        raise ValueError("a page's error")
    with one_at_a_time(wait=0.1):  # free again: no wait
        pass

    held, release = threading.Event(), threading.Event()

    def stuck() -> None:
        with one_at_a_time():
            held.set()
            release.wait(10)

    t = threading.Thread(target=stuck)
    t.start()
    held.wait(5)
    try:
        start = time.perf_counter()
        with caplog.at_level("WARNING", logger="ui.runtime"), one_at_a_time(wait=0.2):
            waited = time.perf_counter() - start
        assert 0.15 < waited < 2.0  # it waited its time, then ran anyway
        assert "running anyway" in caplog.text
    finally:
        release.set()
        t.join(10)
    with one_at_a_time(wait=0.1):  # the stuck turn ended: free again, and the late one did not release it twice
        pass
