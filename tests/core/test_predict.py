import numpy as np
import pytest

from mnist_core.export import OnnxModel
from mnist_core.paths import DEFAULT_MODEL_PATH
from mnist_core.predict import MODELS, classify, probabilities
from mnist_core.synth import digit_image


def test_empty_canvas_gives_none(default_model):
    assert classify(np.zeros((280, 280, 4), np.uint8), default_model) is None


@pytest.mark.parametrize("digit", range(10))
def test_plain_drawn_digits_are_recognised(default_model, digit):
    pred = classify(digit_image(digit), default_model)
    assert pred.digit == digit, f"drew {digit}, got {pred.digit} ({np.round(pred.probabilities, 2)})"
    assert pred.probabilities.shape == (10,) and pred.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert pred.model_input.shape == (28, 28)


def test_classify_uses_the_active_model_when_none_is_given():
    pred = classify(digit_image(7))
    assert pred.digit == 7
    assert MODELS.is_ready(DEFAULT_MODEL_PATH)  # its ONNX export answered: no TensorFlow needed
    assert isinstance(MODELS.predictor(DEFAULT_MODEL_PATH), OnnxModel)
    assert MODELS.predictor(DEFAULT_MODEL_PATH) is MODELS.predictor(DEFAULT_MODEL_PATH)  # loaded once
    assert MODELS.get(DEFAULT_MODEL_PATH) is MODELS.get(DEFAULT_MODEL_PATH)  # the Keras model too, for "Why"
    assert MODELS.is_loaded(DEFAULT_MODEL_PATH)


def test_read_number_through_the_onnx_export():
    from mnist_core.predict import read_number
    from mnist_core.synth import DIGIT_STROKES, place, render

    strokes = place(DIGIT_STROKES[4], 40, 40, 100, 190) + place(DIGIT_STROKES[2], 300, 40, 100, 190)
    assert read_number(render(strokes, (280, 560), 18), MODELS.predictor(DEFAULT_MODEL_PATH)).text == "42"


def test_bad_image_raises_value_error(default_model):
    with pytest.raises(ValueError):
        classify(np.zeros((10,)), default_model)


def test_mnist_test_digits_through_the_drawing_path(mnist, default_model):
    """The preprocessing must not hurt MNIST itself: 500 test digits through prepare()."""
    from mnist_core.preprocess import prepare

    x = np.stack([prepare(img) for img in mnist.x_test[:500]])
    acc = (probabilities(default_model, x).argmax(1) == mnist.y_test[:500]).mean()
    assert acc >= 0.98


WARM_UP_PROBE = """
import json, sys, threading
from mnist_core.paths import DEFAULT_MODEL_PATH
import mnist_core.predict as predict
before = "scipy.ndimage" in sys.modules
predict.MODELS.preload(DEFAULT_MODEL_PATH)
for thread in threading.enumerate():
    if thread.name == "model-preload":
        thread.join(120)
print("RESULT", json.dumps({"before": before, "after": "scipy.ndimage" in sys.modules,
                            "ready": predict.MODELS.is_ready(DEFAULT_MODEL_PATH)}))
"""


def test_importing_predict_needs_no_scipy_and_the_background_load_warms_the_whole_draw_path():
    """A fresh server's first page imports mnist_core.predict without SciPy (~0.15 s saved); the model's
    background load then classifies a made-up stroke, which imports it, while the visitor draws."""
    import json
    import subprocess
    import sys

    from tests.conftest import REPO

    out = subprocess.run([sys.executable, "-c", WARM_UP_PROBE], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.split("RESULT", 1)[1]) == {"before": False, "after": True, "ready": True}

