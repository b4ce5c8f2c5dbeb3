"""Train, Evaluate and Models pages driven through Streamlit's AppTest (real scripts, real store)."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.card import ModelCard
from mnist_core.errors import ConfigError
from mnist_core.models import build_model
from mnist_core.store import ModelStore, read_card
from mnist_core.train_config import PRESETS
from tests.conftest import REPO
from tests.pages.test_smoke import app, errors
from ui.guard import literal
from ui.train_ui import TRAIN_JOB


def button(at, label):
    return next(b for b in at.button if b.label == label)


def wait_for_job(at):
    job = at.session_state[TRAIN_JOB]
    assert job.wait(300), "the job did not finish"
    at.run()
    return job


# ---------------------------------------------------------------------------------------------
# Train


@pytest.mark.parametrize(
    "key, value, message",
    [("quick-subset", 50, "training subset"), ("quick-digits", "1-12", "not a digit")],
)
def test_out_of_range_settings_are_refused_before_anything_runs(mnist, key, value, message):
    at = app("app_pages/train.py")
    widget = at.text_input(key=key) if key.endswith("digits") else at.number_input(key=key)
    widget.set_value(value)
    button(at, "Start training").click().run()
    assert any(message in e.value and "Not started" in e.value for e in at.error), errors(at)
    assert TRAIN_JOB not in at.session_state
    assert not at.exception


def test_each_number_field_has_the_range_the_run_accepts(mnist):
    """A typed value outside a field's range is marked in the field (and never used): QA typed
    99999999999999999999999 epochs, saw it, and a 3-epoch run started. The ranges are TrainConfig's."""
    from mnist_core.train_config import TrainConfig

    at = app("app_pages/train.py")
    fields = {"quick-epochs": ("epochs", 1, 200), "quick-batch": ("batch_size", 1, 4096),
              "quick-subset": ("train_subset", 0, 60000), "quick-seed": ("seed", 0, 2**31 - 1)}
    for key, (field, lo, hi) in fields.items():
        widget = at.number_input(key=key)
        assert (widget.proto.min, widget.proto.max) == pytest.approx((lo, hi)), key
        TrainConfig(**{field: type(lo)(lo)}), TrainConfig(**{field: type(hi)(hi)})  # both ends are accepted
        below = lo - (1 if isinstance(lo, int) else lo / 2 or 0.01)
        with pytest.raises(ConfigError):
            TrainConfig(**{field: type(lo)(below)})


def test_the_learning_rate_and_validation_share_are_chosen_not_typed(mnist):
    """QA in a German browser typed a learning rate of 0,001: the number box read it as 1 (the comma
    dropped), the largest rate, and the run ended at 11% with no word why. Chosen on a slider, every
    choice is one the run accepts; the presets' rates are among them, and the choice is the run's."""
    from mnist_core.train_config import TrainConfig
    from ui.train_ui import LEARNING_RATES

    at = app("app_pages/train.py")
    rates = at.select_slider(key="quick-lr")
    assert [float(o) for o in rates.options] == list(LEARNING_RATES)
    for rate in LEARNING_RATES:
        TrainConfig(learning_rate=rate)  # accepted
    assert {c.learning_rate for c in PRESETS.values()} <= set(LEARNING_RATES)
    from mnist_core.finetune import FinetuneConfig  # fine-tuning's automatic rates too

    assert {FinetuneConfig(mode=m).lr for m in ("head", "all")} <= set(LEARNING_RATES)
    assert rates.value == PRESETS["quick"].learning_rate
    val = at.slider(key="quick-val")
    assert (val.min, val.max, val.value) == pytest.approx((0.0, 0.5, PRESETS["quick"].validation_split))
    TrainConfig(validation_split=0.0), TrainConfig(validation_split=0.5)
    at.selectbox(key="quick-arch").set_value("mlp")
    at.number_input(key="quick-epochs").set_value(1)
    at.number_input(key="quick-subset").set_value(300)
    at.select_slider(key="quick-lr").set_value(3e-4)
    at.slider(key="quick-val").set_value(0.2)
    button(at, "Start training").click().run()
    job = wait_for_job(at)
    assert not at.exception and not errors(at), errors(at)
    config = ModelStore().get(job.result.card.name).card.train_config
    assert config["learning_rate"] == 3e-4 and config["validation_split"] == pytest.approx(0.2)
    assert any("Finished 1 epoch;" in s.value for s in at.success), [s.value for s in at.success]  # not '1 epochs'


def test_a_batch_larger_than_the_subset_is_refused(mnist):
    at = app("app_pages/train.py")
    at.number_input(key="quick-subset").set_value(200)
    at.number_input(key="quick-batch").set_value(512)
    at.slider(key="quick-val").set_value(0.0)
    button(at, "Start training").click().run()
    assert any("larger than the 200 training images" in e.value for e in at.error)


def test_architectures_show_their_parameter_counts():
    at = app("app_pages/train.py")
    options = at.selectbox(key="quick-arch").options
    assert any(o.startswith("simple_cnn (34,826 parameters)") for o in options)
    assert len(options) == 4


def test_a_tiny_training_job_runs_in_the_background_and_is_stored(mnist):
    at = app("app_pages/train.py")
    at.selectbox(key="quick-arch").set_value("mlp")
    at.number_input(key="quick-epochs").set_value(2)
    at.number_input(key="quick-subset").set_value(400)
    at.slider(key="quick-val").set_value(0.25)
    button(at, "Start training").click().run()
    assert not at.exception, at.exception
    job = wait_for_job(at)
    assert not at.exception and not errors(at), errors(at)
    assert job.progress.snapshot().status == "done"
    name = job.result.card.name
    assert any(name in s.value and "Test accuracy" in s.value for s in at.success)
    card = ModelStore().get(name).card
    assert card.train_config["train_subset"] == 400 and card.train_config["architecture"] == "mlp"
    assert len(card.history) == 2 and "val_accuracy" in card.history[0]
    assert card.calibration is not None and card.source == "Train page"
    # leaving the page and coming back shows the same job
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/train.py").run()
    assert at.session_state[TRAIN_JOB] is job and any(name in s.value for s in at.success)
    assert at.query_params["job"] in (job.id, [job.id])
    # so does a reload (a new session) of the page's URL, which names the job
    again = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    again.query_params["job"] = job.id
    again.run()
    again.switch_page("app_pages/train.py").run()
    assert again.session_state[TRAIN_JOB] is job and any(name in s.value for s in again.success)


def test_handwriting_option_says_there_is_none_yet_and_refuses(mnist):
    at = app("app_pages/train.py")
    at.segmented_control(key="kind").set_value("Fine-tune").run()
    source = at.radio(key="ft-source")
    assert any("no saved handwriting yet" in str(o) for o in source.options)
    rate = at.select_slider(key="ft-lr")  # starts at auto, and says what auto is, as fine-tuning computes it
    assert rate.value == 0.0 and rate.help == "Auto: 0.01 for a new head, 0.0001 when all layers are unfrozen"
    source.set_value("handwriting")
    button(at, "Start fine-tuning").click().run()
    assert any("no saved handwriting yet" in e.value for e in at.error)
    assert TRAIN_JOB not in at.session_state


def test_finetuning_a_stored_model_shows_before_and_after(mnist):
    ModelStore().save(build_model("mlp"), "blank-mlp", ModelCard("blank-mlp", architecture="mlp"))
    at = app("app_pages/train.py")
    at.segmented_control(key="kind").set_value("Fine-tune").run()
    at.selectbox(key="ft-parent").set_value("blank-mlp")
    at.text_input(key="ft-digits").set_value("5-9")
    at.number_input(key="ft-subset").set_value(500)
    at.number_input(key="ft-epochs").set_value(1)
    button(at, "Start fine-tuning").click().run()
    job = wait_for_job(at)
    assert not errors(at), errors(at)
    labels = [m.label for m in at.metric]
    assert "MNIST test" in labels and "MNIST test, chosen digits" in labels
    card = read_card(ModelStore().get(job.result.card.name).path)
    assert card.parent.name == "blank-mlp" and card.finetune["digits"] == [5, 6, 7, 8, 9]


# ---------------------------------------------------------------------------------------------
# Evaluate


def test_evaluate_shows_accuracy_scores_and_a_cell_gallery(mnist):
    at = app("app_pages/evaluate.py")
    assert not at.exception and not errors(at), errors(at)
    card_acc = ModelStore().default().card.test_accuracy
    assert next(m for m in at.metric if m.label == "Test accuracy").value == f"{card_acc:.2%}"
    assert any(m.value == "**The most confident mistakes**" for m in at.markdown)
    assert any("Rows are the true digit" in c.value for c in at.caption)
    cell = at.selectbox(key="eval-cell")
    assert any(o.endswith("(1 digit)") for o in cell.options) and not any("(1 digits)" in o for o in cell.options)
    cell.select_index(1).run()  # the cell with the most mistakes
    true, pred = at.session_state["eval-cell"]
    assert any(m.value.startswith(f"**Test digits {true} read as {pred}**") for m in at.markdown)
    assert at.get("plotly_chart")  # the matrix and that cell's digits beside it
    assert any("Only one model is stored" in i.value for i in at.info)


def test_evaluates_f1_example_is_what_the_page_computes(mnist):
    """The page's caption: 'recall 100% with precision 50% gives F1 67%, not 75%' - as its own scores say."""
    from mnist_core.evaluate import scores

    at = app("app_pages/evaluate.py")
    caption = next(c.value for c in at.caption if "harmonic mean" in c.value)
    assert "recall 100% with precision 50% gives F1 67%" in caption
    cm = np.zeros((10, 10), int)
    cm[7, 7], cm[1, 7] = 5, 5  # every 7 read as 7 (recall 100%); half of the answers '7' are 1s (precision 50%)
    precision, recall, f1 = scores(cm)
    assert (recall[7], precision[7], f"{f1[7]:.0%}") == (1.0, 0.5, "67%")


def test_evaluate_says_which_mistakes_are_label_errors(mnist):
    from mnist_core.label_errors import MNIST_TEST_LABEL_ERRORS

    at = app("app_pages/evaluate.py")
    wrong_labels = [m.value for m in at.markdown if "a label error, perhaps not a model error" in m.value]
    # the shipped model (99.7%) reads several of the 15 the way the reviewers did: they top its mistakes
    assert wrong_labels and all(any(f"#{i}" in v for i in MNIST_TEST_LABEL_ERRORS) for v in wrong_labels)
    # QA: 'where the model's answer is the better one' was said of all six; for two it is not (#2462: the
    # reviewers said 0, the model 8; #2130: they split). The count is what the model and reviewers say.
    mistakes = next(m for m in at.metric if m.label == "Mistakes")
    assert "6 of them are digits whose label most human reviewers did not choose" in mistakes.proto.help
    assert "on 4 of those most reviewers gave the model's answer" in mistakes.proto.help


def test_a_wrong_answer_is_never_said_to_be_100_percent_sure(mnist):
    """QA: Evaluate's confident mistakes said '100%' for wrong answers the model gave at 99.85%: a learner
    reads certainty. '>99%' unless it was exactly sure."""
    import json

    from ui.show import sure

    assert (sure(0.9985), sure(1.0), sure(0.994), sure(0.001), sure(0.0)) == (">99%", "100%", "99%", "<1%", "0%")
    at = app("app_pages/evaluate.py")
    chart = next(c for c in at.get("plotly_chart") if "test #" in c.proto.spec)
    shown = json.dumps(json.loads(chart.proto.spec)["data"])
    assert ">99%" in shown and " 100%" not in shown and "(100%)" not in shown


def test_evaluate_compares_two_models(mnist):
    ModelStore().save(build_model("mlp"), "untrained", ModelCard("untrained", architecture="mlp"))
    at = app("app_pages/evaluate.py")
    at.selectbox(key="eval-model").set_value("untrained").run()
    at.selectbox(key="eval-other").set_value("default").run()
    assert not errors(at), errors(at)
    accuracies = {m.label: m.value for m in at.metric}
    assert float(accuracies["First model"].rstrip("%")) < 30 < float(accuracies["Second model"].rstrip("%"))
    assert any("First: **untrained**; second: **default**" in c.value for c in at.caption)


# ---------------------------------------------------------------------------------------------
# Models


def test_models_page_activates_and_deletes_but_never_the_default(mnist):
    store = ModelStore()
    store.save(build_model("mlp"), "mine", ModelCard("mine", architecture="mlp", metrics={"test_accuracy": 0.5}))
    at = app("app_pages/models.py")
    assert not errors(at), errors(at)
    table = at.dataframe[0].value
    assert list(table["name"]) == ["default", "mine"] and list(table["active"]) == ["active", ""]
    at.selectbox(key="models-chosen").set_value("mine").run()
    button(at, "Make active").click().run()
    assert store.active_name() == "mine"
    assert list(at.dataframe[0].value["active"]) == ["", "active"]
    button(at, "Yes, delete mine").click().run()
    assert [m.name for m in store.list()] == ["default"] and store.active_name() == "default"
    at.selectbox(key="models-chosen").set_value("default").run()
    assert button(at, "Make active").disabled
    assert not any(b.label == "Yes, delete default" for b in at.button)  # the default's delete is disabled


# ---------------------------------------------------------------------------------------------
# Augment -> Train: what you previewed is what is trained, and what the card records


def test_augment_settings_carry_to_train_and_into_the_saved_card(mnist):
    at = app("app_pages/augment.py")
    at.toggle(key="aug_on_elastic").set_value(True).run()
    at.slider(key="aug_elastic").set_value(1.7).run()
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/augment.py").run()  # leaving the page forgets nothing
    assert at.toggle(key="aug_on_elastic").value is True and at.slider(key="aug_elastic").value == 1.7
    at.switch_page("app_pages/train.py").run()
    assert at.toggle(key="quick-aug_on_elastic").value is True  # the same widget group, the same values
    assert at.slider(key="quick-aug_elastic").value == 1.7
    assert at.toggle(key="quick-aug_on_rotation").value is True  # Augment's other settings came too
    at.selectbox(key="quick-arch").set_value("mlp")
    at.number_input(key="quick-epochs").set_value(1)
    at.number_input(key="quick-subset").set_value(300)
    button(at, "Start training").click().run()
    job = wait_for_job(at)
    assert not errors(at), errors(at)
    card = ModelStore().get(job.result.card.name).card
    assert card.augment["elastic"] == 1.7 and card.train_config["augment"]["elastic"] == 1.7
    assert card.augment["rotation"] == 12  # the Augment page's starting recipe, as previewed


def test_the_augment_page_says_truly_when_train_uses_its_settings(mnist):
    """QA: Augment said 'what you set here is also what the Train page trains with' while showing the
    Best preset's recipe; Train's Quick (no augmentation) went on without it. It says when they do."""
    from mnist_core.augment import DRAWING_AUGMENT

    at = app("app_pages/augment.py")
    assert any("start as the Best preset's; once you change one" in c.value for c in at.caption)
    assert DRAWING_AUGMENT == PRESETS["best"].augment  # "the Best preset's"
    at.switch_page("app_pages/train.py").run()  # looked, changed nothing: Quick keeps its own recipe
    assert at.toggle(key="quick-aug_on_rotation").value is False
    assert any(c.value.startswith("The preset's recipe.") for c in at.caption)
    at.switch_page("app_pages/augment.py").run()
    at.toggle(key="aug_on_elastic").set_value(True).run()
    at.switch_page("app_pages/train.py").run()
    assert at.toggle(key="quick-aug_on_rotation").value is True and at.toggle(key="quick-aug_on_elastic").value
    assert any(c.value.startswith("Your settings, the same as on the Augment page") for c in at.caption)


def test_train_offers_every_transform_of_the_augment_page_with_its_limits():
    from mnist_core.augment import AugmentConfig

    at = app("app_pages/train.py")
    at.segmented_control(key="preset").set_value("Best").run()
    toggles = {t.key.removeprefix("best-aug_on_") for t in at.toggle if t.key and t.key.startswith("best-aug_on_")}
    assert toggles == set(AugmentConfig.LIMITS)  # all ten, as on Augment
    rotation = at.slider(key="best-aug_rotation")
    assert (rotation.min, rotation.max) == AugmentConfig.LIMITS["rotation"][:2] and rotation.value == 12


def test_a_store_that_cannot_be_written_is_refused_before_any_training(mnist, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MNIST_MODELS_DIR", str(blocker / "models"))  # mkdir fails, even for root
    at = app("app_pages/train.py")
    at.selectbox(key="quick-arch").set_value("mlp")
    button(at, "Start training").click().run()
    assert any("model store cannot be written" in e.value for e in at.error), errors(at)
    assert TRAIN_JOB not in at.session_state and not at.exception


def test_each_preset_and_the_run_say_how_long_they_take_here(mnist):
    from mnist_core.speed import SpeedProfile, StepCost, machine_signature, save_profile

    at = app("app_pages/train.py")
    assert any("length not known yet" in c.value for c in at.caption)  # no profile yet: no made-up figure
    save_profile(SpeedProfile(machine_signature(), {
        "simple_cnn/float32": StepCost(1.0, 0.2, 0.05, 2000.0), "mlp/float32": StepCost(1.0, 0.01, 0.005, 1000.0),
        "default_cnn/float32": StepCost(1.0, 1.0, 0.2, 4000.0),
        "default_cnn/mixed_bfloat16": StepCost(1.0, 0.8, 0.15, 5000.0),
        "row_lstm/float32": StepCost(1.0, 0.2, 0.05, 2000.0)}, augment_ms_per_image=0.03))
    at.run()
    presets = next(c.value for c in at.caption if c.value.startswith("**Quick**"))
    assert "about" in presets and "min" in presets.split("**Best**")[1]  # 40 epochs of the big CNN: minutes
    assert any(c.value.startswith("This run: about") for c in at.caption)


def test_the_finetune_picker_never_shows_none_or_a_made_up_accuracy():
    ModelStore().save(build_model("mlp"), "uploaded-one", ModelCard("uploaded-one", architecture="sequential",
                                                                    metrics={"test_accuracy": 0.0}))
    at = app("app_pages/train.py")
    at.segmented_control(key="kind").set_value("Fine-tune").run()
    options = at.selectbox(key="ft-parent").options
    mine = next(o for o in options if o.startswith("uploaded-one"))
    assert mine == "uploaded-one (uploaded, not evaluated yet)"
    assert not [o for o in options if "None" in o or "0.00%" in o]


def test_the_teacher_renames_a_model_and_an_upload_shows_no_none(mnist, tmp_path):
    model = build_model("mlp")
    model.save(tmp_path / "from home.keras")
    store = ModelStore()
    store.import_upload((tmp_path / "from home.keras").read_bytes(), "from home.keras")  # a card with no scores
    at = app("app_pages/models.py")
    table = at.dataframe[0].value
    row = table[table["name"] == "from-home"].iloc[0]
    assert "None" not in " ".join(map(str, row.values)) and row["test accuracy"] == "not evaluated yet"
    at.selectbox(key="models-chosen").set_value("from-home").run()
    at.text_input(key="rename-from-home").set_value("kims-model").run()
    next(b for b in at.button if b.key == "confirm-rename").click().run()
    assert not errors(at), errors(at)
    assert [m.name for m in store.list()] == ["default", "kims-model"]
    assert at.selectbox(key="models-chosen").value == "kims-model"
    at.text_input(key="rename-kims-model").set_value("default").run()
    next(b for b in at.button if b.key == "confirm-rename").click().run()
    assert any("reserved" in e.value for e in at.error)  # said in place; nothing changed
    assert [m.name for m in store.list()] == ["default", "kims-model"]


def test_names_in_any_alphabet_are_kept(tmp_path):
    """A class in Athens, Beijing or Delhi names its models in its own letters: an upload 'μοντέλο τάξης.keras'
    was stored as 'model', a rename to '模型' was refused as 'not a valid name', and 'हिंदी मॉडल.keras' lost its
    vowel signs ('ह__द_-म_डल')."""
    model = build_model("mlp")
    model.save(tmp_path / "m.keras")
    store = ModelStore()
    assert store.import_upload((tmp_path / "m.keras").read_bytes(), "μοντέλο τάξης.keras").name == "μοντέλο-τάξης"
    assert store.import_upload((tmp_path / "m.keras").read_bytes(), "हिंदी मॉडल.keras").name == "हिंदी-मॉडल"
    at = app("app_pages/models.py")
    at.selectbox(key="models-chosen").set_value("μοντέλο-τάξης").run()
    assert any(c.value.startswith("Origin: uploaded as μοντέλο τάξης.keras") for c in at.caption)
    at.text_input(key="rename-μοντέλο-τάξης").set_value("模型").run()
    next(b for b in at.button if b.key == "confirm-rename").click().run()
    assert not errors(at), errors(at)
    assert [m.name for m in store.list()] == ["default", "हिंदी-मॉडल", "模型"] and store.get("模型").path.is_file()
    at.text_input(key="rename-模型").set_value("a\u202eb").run()  # a right-to-left override hides text
    next(b for b in at.button if b.key == "confirm-rename").click().run()
    assert any("not a valid name" in e.value for e in at.error)
    assert [m.name for m in store.list()] == ["default", "हिंदी-मॉडल", "模型"]


def test_a_model_deleted_elsewhere_is_said_and_one_deleted_here_too():
    """A student had a model chosen on Models when the teacher deleted it in another browser: the page
    showed another model without a word (and the Download of the one shown a moment before failed)."""
    store = ModelStore()
    for name in ("first", "second"):
        store.save(build_model("mlp"), name, ModelCard(name, architecture="mlp"))
    at = app("app_pages/models.py")
    at.selectbox(key="models-chosen").set_value("first").run()
    store.delete("first")  # in the teacher's browser
    at.run()
    assert any("**first** is no longer on this server" in t.value for t in at.toast), [t.value for t in at.toast]
    assert at.selectbox(key="models-chosen").value == "default" and not errors(at)
    at.selectbox(key="models-chosen").set_value("second").run()
    next(b for b in at.button if b.key == "confirm-delete").click().run()  # deleted here: said as done
    toasts = [t.value for t in at.toast]
    assert toasts == ["Deleted **second**."], toasts
    assert at.selectbox(key="models-chosen").value == "default" and [m.name for m in store.list()] == ["default"]


def test_names_are_shown_as_they_are_not_as_formatting(tmp_path):
    """A model called 'b_-__md__-_x_' (from an upload named '<b>bold</b> **md** $x$.keras') was shown
    as 'b_-md-x' in bold, and its delete button as 'Yes, delete _-': names reach markdown escaped."""
    model = build_model("mlp")
    model.save(tmp_path / "m.keras")
    store = ModelStore()
    name = store.import_upload((tmp_path / "m.keras").read_bytes(), "<b>bold</b> **md** $x$.keras").name
    assert "__md__" in name
    at = app("app_pages/models.py")
    at.selectbox(key="models-chosen").set_value(name).run()
    shown = [m.value for m in at.markdown if "for good" in m.value]
    assert shown == [f"Delete **{literal(name)}** and its card for good?"] and "\\_\\_md\\_\\_" in shown[0]
    # beside the picker, its origin (the upload's file name), and wherever else a page names the model
    assert any(m.value.startswith(f"**{literal(name)}**: ") for m in at.markdown)
    assert any(c.value.startswith("Origin: uploaded as b\\_ \\_\\_md\\_\\_ \\_x\\_.keras") for c in at.caption), \
        [c.value for c in at.caption]
    store.activate(name)
    for page in ("app_pages/draw.py", "app_pages/home.py"):
        text = [e.value for e in [*app(page).caption, *app(page).markdown]]
        assert any(f"**{literal(name)}**" in t for t in text) and not any(f"**{name}**" in t for t in text), page
    at.text_input(key=f"rename-{name}").set_value("b_x_").run()
    next(b for b in at.button if b.key == "confirm-rename").click().run()
    assert any("is now called **b\\_x\\_**" in t.value for t in at.toast), [t.value for t in at.toast]


def epoch_table_script():
    from ui.train_ui import _epoch_table

    _epoch_table([{"epoch": 1, "loss": 0.3, "seconds": 19.2}, {"epoch": 2, "loss": 0.2, "seconds": 39.2},
                  {"epoch": 3, "loss": 0.1, "seconds": 56.6}])


def partial_epoch_table_script():
    from ui.train_ui import _epoch_table

    _epoch_table([{"epoch": 1, "loss": 0.3, "seconds": 19.2}, {"epoch": 2, "loss": 0.2, "seconds": 25.8,
                                                                 "fraction": 0.33}])


def test_an_epoch_stopped_part_of_the_way_says_so():
    """A run stopped a third into its second epoch listed that part as 'epoch 2', like a whole one."""
    at = AppTest.from_function(partial_epoch_table_script, default_timeout=30).run()
    assert list(at.dataframe[0].value["epoch"]) == ["1", "2 (stopped 33% in)"]


def test_the_epoch_table_shows_each_epochs_own_time():
    """A learner read 'epoch 3: 56.6 s' from the time since the start; each epoch took about 19 s."""
    at = AppTest.from_function(epoch_table_script, default_timeout=30).run()
    assert list(at.dataframe[0].value["seconds"]) == pytest.approx([19.2, 20.0, 17.4])


def test_adding_with_no_file_chosen_says_what_to_do():
    """A file the uploader refuses (model.keras.exe) leaves it empty: 'Add to the store' said nothing."""
    at = app("app_pages/models.py")
    at.button(key="FormSubmitter:upload-Add to the store").click().run()
    assert any("Choose a .keras file first" in w.value for w in at.warning), [w.value for w in at.warning]
    assert [m.name for m in ModelStore().list()] == ["default"]


def options_script():
    import streamlit as st

    from ui.train_ui import training_options_ui

    config = training_options_ui(False)
    if config is not None:
        st.session_state["config"] = config


def test_the_best_preset_started_from_the_page_is_the_shipped_models_recipe(mnist):
    """QA: Best from the page trained on MNIST alone (the world's styles, scans and re-drawings left
    out), so a student who pressed it did not get the recipe of the model that ships, and the page
    gave two lengths for it ('Best: about 1 h 11 min', 'This run: about 41 min')."""
    at = AppTest.from_function(options_script, default_timeout=60).run()
    at.segmented_control(key="preset").set_value("Best").run()
    button(at, "Start training").click().run()
    assert not at.exception and not errors(at), errors(at)
    assert at.session_state["config"] == PRESETS["best"]


def accuracy_table_script():
    from ui.train_ui import _epoch_table

    _epoch_table([{"epoch": 1, "loss": 2.2047, "accuracy": 0.1783, "val_accuracy": 0.25, "seconds": 20.5}])


def test_the_epoch_tables_figures_are_written_one_way_in_any_browser():
    """QA in a German browser: the accuracy columns followed the browser's language ('17,83 %') beside
    loss and seconds in English ('2.2047'). All are printf formats now, in percent."""
    import json

    at = AppTest.from_function(accuracy_table_script, default_timeout=30).run()
    table = at.dataframe[0]
    assert table.value["accuracy"][0] == pytest.approx(17.83) and table.value["val_accuracy"][0] == pytest.approx(25)
    formats = {name: c.get("type_config", {}).get("format") for name, c in json.loads(table.proto.columns).items()}
    assert formats["accuracy"] == formats["val_accuracy"] == "%.2f%%" and formats["loss"] == "%.4f"
