"""The Models page's export: download as ONNX, make a missing export, the snippet and the command."""

import shutil
import subprocess
import sys

from mnist_core.card import ModelCard
from mnist_core.export import onnx_path, retrain_command
from mnist_core.models import build_model
from mnist_core.paths import DEFAULT_MODEL_PATH
from mnist_core.store import ModelStore
from mnist_core.train_config import PRESETS, with_overrides
from tests.pages.test_smoke import app, errors
from ui.export_ui import SNIPPET

PAGE = "app_pages/models.py"


def labels(at, kind: str) -> list[str]:
    return [el.proto.label for el in at.get(kind)]


def codes(at) -> list[str]:
    return [c.value for c in at.code]


def test_the_shipped_model_downloads_as_onnx_with_its_command():
    at = app(PAGE)
    assert not errors(at)
    assert labels(at, "download_button") == ["Download .keras", "Download .onnx"]
    assert any("ort.InferenceSession(\"default.onnx\")" in c for c in codes(at))
    assert any(c.startswith("python -m mnist_core train --preset best") for c in codes(at))  # from its card


def test_a_model_trained_in_the_app_gets_its_command_rebuilt():
    config = with_overrides(PRESETS["quick"], epochs=5, digits=(0, 1, 2, 3, 4), optimizer="sgd")
    ModelStore().add(build_model("simple_cnn"), "first-half", ModelCard("first-half", train_config=config.to_dict()))
    at = app(PAGE)
    at.selectbox(key="models-chosen").set_value("first-half").run()
    assert not errors(at)
    assert "python -m mnist_core train --preset quick --out first-half.keras --epochs 5 --digits 0,1,2,3,4" in codes(at)
    assert any("optimizer=sgd" in c.value for c in at.caption)


def test_a_stored_model_without_an_export_can_get_one():
    store = ModelStore()
    stored = store.add(build_model("mlp"), "older", ModelCard("older"))
    onnx_path(stored.path).unlink()  # stored before exports existed
    at = app(PAGE)
    at.selectbox(key="models-chosen").set_value("older").run()
    assert "Download .onnx" not in labels(at, "download_button")
    next(b for b in at.button if b.label == "Make .onnx").click().run()
    assert not errors(at)
    assert onnx_path(stored.path).is_file()
    assert "Download .onnx" in labels(at, "download_button")
    assert any("does not say how it was made" in c.value for c in at.caption)  # no card settings: no command


def test_the_snippet_runs_on_the_downloaded_file(tmp_path):
    shutil.copy(onnx_path(DEFAULT_MODEL_PATH), tmp_path / "default.onnx")
    out = subprocess.run([sys.executable, "-c", SNIPPET.format(file="default.onnx")], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().startswith("[") and out.stdout.strip().endswith("]")


def test_a_fine_tune_and_an_upload():
    from mnist_core.card import ParentRef
    from mnist_core.finetune import FinetuneConfig

    tuned = ModelCard("second-half", parent=ParentRef("first-half"),
                      finetune=FinetuneConfig(digits=(5, 6, 7, 8, 9), epochs=2).to_dict())
    command, notes = retrain_command(tuned, "/models/first-half.keras")
    assert command.startswith("python -m mnist_core finetune /models/first-half.keras --out second-half.keras "
                              "--mode head --source mnist --digits 5,6,7,8,9") and "--epochs 2" in command
    assert notes == []
    assert retrain_command(ModelCard("upload", source="uploaded as x.keras")) == ("", [])


def test_a_parent_that_is_not_in_the_store_is_named_by_its_file():
    from mnist_core.card import ParentRef

    card = ModelCard("grown", parent=ParentRef("my start"), train_config=PRESETS["quick"].to_dict())
    ModelStore().add(build_model("simple_cnn"), "grown", card)
    at = app(PAGE)
    at.selectbox(key="models-chosen").set_value("grown").run()
    assert not errors(at)
    assert "python -m mnist_core train --preset quick --out grown.keras --init 'my start.keras'" in codes(at)
