"""The slim path: the Draw page answers drawings without ever importing TensorFlow.

A fresh interpreter (no other test has imported TensorFlow there) runs the real app with AppTest,
opens Draw, gets a digit and a number read, and then looks at what Python has imported.
"""

import json
import os
import subprocess
import sys

from tests.conftest import REPO

PROBE = """
import json, sys
from streamlit.testing.v1 import AppTest
from mnist_core.synth import DIGIT_STROKES, digit_image, place, render
from ui.draw_ui import DRAWING_OVERRIDE

at = AppTest.from_file({app!r}, default_timeout=120)
at.session_state[DRAWING_OVERRIDE] = digit_image(7)
at.run()  # the home page: its first view starts loading the Draw model in the background
at.switch_page("app_pages/draw.py").run()
answers = {{"digit": next((m.value for m in at.metric if m.label == "Prediction"), None)}}
strokes = place(DIGIT_STROKES[4], 40, 40, 100, 190) + place(DIGIT_STROKES[2], 300, 40, 100, 190)
at.session_state[DRAWING_OVERRIDE] = render(strokes, (280, 560), 18)
at.toggle[0].set_value(True).run()
answers["number"] = next((m.value for m in at.metric if m.label == "Number"), None)
answers["errors"] = [str(e.value) for e in at.exception] + [e.value for e in at.error]
answers["modules"] = sorted(m for m in ("tensorflow", "keras", "tf2onnx", "onnxruntime") if m in sys.modules)
print("RESULT", json.dumps(answers))
import threading  # let a background load finish: a daemon thread inside an import at exit can crash it
for thread in threading.enumerate():
    if thread.name == "model-preload":
        thread.join(60)
"""


def test_draw_answers_without_importing_tensorflow(lab_home):
    env = {**os.environ, "MNIST_LAB_PRELOAD": "1"}
    out = subprocess.run([sys.executable, "-c", PROBE.format(app=str(REPO / "app.py"))], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.split("RESULT", 1)[1])
    assert result["digit"] == "7" and result["number"] == "42", result
    assert not result["errors"], result["errors"]
    assert result["modules"] == ["onnxruntime"], f"imported on the Draw path: {result['modules']}"


HANDWRITING_PROBE = """
import json, sys
from streamlit.testing.v1 import AppTest
from mnist_core.handwriting import HandwritingStore
from mnist_core.preprocess import prepare
from mnist_core.synth import digit_image

store = HandwritingStore()
for d in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]:
    store.add(d, None, prepare(digit_image(d)))
at = AppTest.from_file({app!r}, default_timeout=120)
at.run()
at.switch_page("app_pages/handwriting.py").run()
at.toggle(key="check_accuracy").set_value(True).run()
result = {{m.label: m.value for m in at.metric}}
result["errors"] = [str(e.value) for e in at.exception] + [e.value for e in at.error]
result["modules"] = sorted(m for m in ("tensorflow", "keras", "onnxruntime") if m in sys.modules)
print("RESULT", json.dumps(result))
import threading
for thread in threading.enumerate():
    if thread.name == "model-preload":
        thread.join(60)
"""


def test_the_handwriting_accuracy_check_runs_without_tensorflow(lab_home):
    out = subprocess.run([sys.executable, "-c", HANDWRITING_PROBE.format(app=str(REPO / "app.py"))], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.split("RESULT", 1)[1])
    assert result.get("Drawings checked") == "10" and result.get("Accuracy") == "100.0%", result
    assert not result["errors"], result["errors"]
    assert result["modules"] == ["onnxruntime"], f"imported by the accuracy check: {result['modules']}"
