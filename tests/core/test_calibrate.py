import numpy as np
import pytest

from mnist_core.calibrate import NOT_A_DIGIT, SURE, UNSURE, Calibration, calibrate, fit


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
