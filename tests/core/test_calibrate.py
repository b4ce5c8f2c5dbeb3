import numpy as np
import pytest

from mnist_core.calibrate import (
    CONFUSABLE_PAIRS,
    NOT_A_DIGIT,
    SURE,
    UNSURE,
    Calibration,
    ambiguity,
    cached_inputs,
    calibrate,
    drawn_set,
    fit,
)


def _onehot_like(top, labels, predicted):
    probs = np.full((len(top), 10), 0.0)
    for i, (t, p) in enumerate(zip(top, predicted, strict=True)):
        probs[i] = (1 - t) / 9
        probs[i, p] = t
    return probs


def test_fit_on_known_numbers():
    # 100 digits: the 10 least confident are wrong
    top = np.linspace(0.3, 1.0, 100)
    labels = np.zeros(100, int)
    predicted = np.where(np.arange(100) < 10, 1, 0)
    others = _onehot_like(np.full(20, 0.35), np.zeros(20, int), np.zeros(20, int))
    cal = fit(_onehot_like(top, labels, predicted), labels, others, precision=1.0, keep_digits=0.99)
    assert top[10] <= cal.digit_at <= top[12]  # 1% of the right ones fall below
    assert cal.sure_at == pytest.approx(max(top[10], cal.digit_at), abs=1e-3)  # all above are right
    assert cal.measured["non_digits_caught"] == 1.0


def test_verdicts():
    cal = Calibration(sure_at=0.9, digit_at=0.5)
    assert cal.verdict(np.array([0.95] + [0.05 / 9] * 9)) == SURE
    assert cal.verdict(np.array([0.7, 0.3] + [0] * 8)) == UNSURE
    assert cal.verdict(np.full(10, 0.1)) == NOT_A_DIGIT


def test_card_round_trip_and_missing_card():
    cal = Calibration(0.8, 0.4, {"drawn_digits": 5})
    assert Calibration.from_card({"calibration": cal.to_dict()}) == cal
    assert Calibration.from_card({}) == Calibration()
    assert Calibration.from_card({"calibration": {"sure_at": "x"}}) == Calibration()


def test_calibrating_the_shipped_model_on_drawings(mnist, default_model):
    cal = calibrate(default_model, mnist.x_test, mnist.y_test, n_digits=300, n_other=60)
    assert 0.0 < cal.digit_at <= cal.sure_at <= 1.0
    assert cal.measured["drawn_accuracy"] > 0.9
    assert cal.measured["non_digits_not_sure_or_caught"] > 0.5  # most scribbles do not get a plain answer


def _probs(**top):
    p = np.full(10, 0.0)
    for digit, value in top.items():
        p[int(digit[1:])] = value
    return p / p.sum()


def test_ambiguity_names_a_close_confusable_pair_best_first():
    assert ambiguity(_probs(d7=0.55, d1=0.4, d2=0.05)) == "7 or 1? Many people write 1 with a flag and cross their 7s."
    assert ambiguity(_probs(d1=0.5, d7=0.45, d2=0.05)).startswith("1 or 7? ")
    assert ambiguity(_probs(d9=0.6, d4=0.4)).startswith("9 or 4? ")


def test_no_ambiguity_when_one_answer_clearly_wins_or_the_pair_is_not_confusable():
    assert ambiguity(_probs(d1=0.9, d7=0.1)) is None  # 7 has less than a quarter of 1's probability
    assert ambiguity(_probs(d1=1.0)) is None
    assert ambiguity(_probs(d0=0.5, d1=0.5)) is None  # nobody mixes up 0 and 1
    assert ambiguity(np.full(10, 0.1)) is None  # a tie of everything: the two "best" are 0 and 1


def test_ambiguity_threshold_and_bad_input():
    assert ambiguity(_probs(d1=0.75, d7=0.25), close=0.4) is None  # 7 has a third of 1's probability
    assert ambiguity(_probs(d1=0.75, d7=0.25), close=0.3) is not None
    with pytest.raises(ValueError, match="10 finite"):
        ambiguity(np.ones(9) / 9)
    with pytest.raises(ValueError, match="10 finite"):
        ambiguity(np.full(10, np.nan))


def test_every_confusable_pair_is_two_digits_with_a_sentence():
    for pair, message in CONFUSABLE_PAIRS.items():
        assert len(pair) == 2 and pair <= set(range(10))
        assert message.endswith(".") and len(message) < 90
    assert frozenset({1, 7}) in CONFUSABLE_PAIRS and frozenset({4, 9}) in CONFUSABLE_PAIRS


def test_cached_inputs_are_made_once_and_a_broken_cache_file_is_made_again(lab_home):
    calls = []

    def make():
        calls.append(1)
        return np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2])

    a = cached_inputs(("test", 1), make)
    b = cached_inputs(("test", 1), make)
    assert len(calls) == 1 and all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    cached_inputs(("test", 2), make)
    assert len(calls) == 2  # another key
    for f in (lab_home / "cache" / "inputs").iterdir():
        f.write_bytes(b"not an npz")
    again = cached_inputs(("test", 1), make)
    assert len(calls) == 3 and np.array_equal(again[0], a[0])


def test_cached_drawn_set_equals_a_fresh_one(mnist, lab_home, monkeypatch):
    first = drawn_set(mnist.x_test, mnist.y_test, 20, seed=3)
    monkeypatch.setenv("MNIST_LAB_HOME", str(lab_home / "elsewhere"))  # an empty cache: drawn afresh
    fresh = drawn_set(mnist.x_test, mnist.y_test, 20, seed=3)
    monkeypatch.setenv("MNIST_LAB_HOME", str(lab_home))
    again = drawn_set(mnist.x_test, mnist.y_test, 20, seed=3)
    assert np.array_equal(first[0], fresh[0]) and np.array_equal(first[0], again[0])
    assert np.array_equal(first[1], again[1]) and first[0].dtype == np.float32
