"""Estimates of a run's length: from this machine's measured speed, and close to the real thing."""

import json
import time

import pytest

from mnist_core import speed
from mnist_core.augment import DRAWING_AUGMENT
from mnist_core.speed import SpeedProfile, StepCost, describe, estimate_seconds
from mnist_core.train_config import PRESETS, TrainConfig


def test_an_estimate_grows_with_epochs_images_and_augmentation():
    profile = SpeedProfile("m", {"mlp/float32": StepCost(1.0, 0.01, 0.002)}, augment_ms_per_image=0.02)
    base = TrainConfig(architecture="mlp", epochs=2, train_subset=10000, validation_split=0.0)
    one = estimate_seconds(base, profile, calibrate=False)
    assert estimate_seconds(TrainConfig(**{**base.to_dict(), "epochs": 4}), profile, calibrate=False) > 1.9 * one
    assert estimate_seconds(TrainConfig(**{**base.to_dict(), "augment": DRAWING_AUGMENT}), profile) > one
    assert estimate_seconds(TrainConfig(architecture="simple_cnn"), profile) is None  # not measured: no guess


def test_lengths_read_as_a_person_would_say_them():
    assert describe(42) == "about 40 s" and describe(130) == "about 2 min" and describe(4300) == "about 1 h 12 min"


def test_a_profile_is_kept_for_this_machine_only(lab_home):
    profile = SpeedProfile(speed.machine_signature(), {"mlp/float32": StepCost(1.0, 0.01, 0.002)}, 0.02)
    speed.save_profile(profile)
    assert speed.load_profile().steps == profile.steps
    data = json.loads(speed.profile_path().read_text())
    speed.profile_path().write_text(json.dumps({**data, "machine": "another machine"}))
    assert speed.load_profile() is None  # a copied home folder from another computer is measured again


@pytest.mark.slow
def test_the_estimate_is_within_a_generous_factor_of_a_real_run(mnist):
    from mnist_core.train import train

    profile = speed.measure(("mlp",))
    config = TrainConfig(architecture="mlp", epochs=2, batch_size=128, train_subset=12000, validation_split=0.1,
                         augment=PRESETS["best"].augment)
    scoring = 10000 * profile.steps["mlp/float32"].predict_ms / 1000  # train() does not score MNIST test
    estimate = estimate_seconds(config, profile, calibrate=False) - scoring
    start = time.perf_counter()
    train(config, mnist.x_train, mnist.y_train)
    real = time.perf_counter() - start
    assert estimate / 3 < real < estimate * 3, (estimate, real)


def test_the_training_process_measures_the_machine_by_default_and_not_when_told_not_to(monkeypatch, lab_home):
    """MNIST_LAB_MEASURE unset (a user's server): the warm training process measures what it can before
    a job needs it, and keeps it for the Train page's estimates; =0 (this suite's setting): never."""
    from mnist_core import worker

    monkeypatch.setenv("MNIST_LAB_MEASURE", "0")
    worker._measure_speed(lambda: True)
    assert speed.load_profile() is None
    monkeypatch.delenv("MNIST_LAB_MEASURE")
    budget = iter(range(2))  # a job arrives once the first architecture is timed: stop, keep what it has
    worker._measure_speed(lambda: next(budget, None) is not None)
    profile = speed.load_profile()
    assert profile is not None and len(profile.steps) == 1
    cost = next(iter(profile.steps.values()))  # a step was timed: it takes time (its split into fixed and
    assert cost.fixed_ms + 128 * cost.per_image_ms > 0  # per image is noise-prone: CI once read 0 per image)
    # once the job is done, the worker measures again (the Train page said "being measured" for good
    # when a student's job came in the first minute): it goes on from what it has
    budget = iter(range(2))
    worker._measure_speed(lambda: next(budget, None) is not None)
    assert len(speed.load_profile().steps) == 2


def test_a_real_run_sets_the_next_estimate_of_the_same_run_to_its_length():
    """A measurement taken while the server was busy said 59 min for a run that took 37: the run that
    trained all its epochs corrects it, for that model only; a short run or an unmeasured model teaches nothing."""
    profile = SpeedProfile("m", {"mlp/float32": StepCost(10.0, 1.0, 0.2, setup_ms=500.0),
                                 "simple_cnn/float32": StepCost(20.0, 2.0, 0.4)})
    config = TrainConfig(architecture="mlp", epochs=2, train_subset=30000, validation_split=0.1)
    before = estimate_seconds(config, profile)
    fit = estimate_seconds(config, profile, n_test=0, calibrate=False)
    end = before - fit  # scoring MNIST test and calibrating: not model.fit's time, never corrected
    other = estimate_seconds(TrainConfig(architecture="simple_cnn"), profile)

    assert speed.learn_from_run(profile, config, seconds=3 * fit)
    assert estimate_seconds(config, profile) == pytest.approx(3 * fit + end)
    longer = TrainConfig(**{**config.to_dict(), "epochs": 4})
    assert estimate_seconds(longer, profile, n_test=0, calibrate=False) == pytest.approx(
        3 * estimate_seconds(longer, profile, n_test=0, calibrate=False, learned=False))
    assert estimate_seconds(TrainConfig(architecture="simple_cnn"), profile) == other  # another model: as measured

    assert not speed.learn_from_run(profile, config, seconds=speed.LEARN_FROM_SECONDS / 2)  # mostly start-up
    assert not speed.learn_from_run(profile, TrainConfig(architecture="row_lstm"), seconds=100.0)  # never measured
    assert speed.learn_from_run(profile, config, seconds=1000 * fit)  # a machine that was very busy
    assert estimate_seconds(config, profile, n_test=0, calibrate=False) == pytest.approx(speed.LEARN_RANGE[1] * fit)


def test_what_runs_taught_is_kept_and_an_older_profile_still_loads(lab_home):
    profile = SpeedProfile(speed.machine_signature(), {"mlp/float32": StepCost(10.0, 1.0, 0.2)}, 0.02)
    speed.save_profile(profile)
    data = json.loads(speed.profile_path().read_text())
    assert speed.load_profile().learned == {}  # a profile saved before runs taught anything
    del data["learned"]
    speed.profile_path().write_text(json.dumps(data))
    assert speed.load_profile().learned == {}
    config = TrainConfig(architecture="mlp", epochs=1)
    speed.remember_run(config, seconds=100.0, n_images=60000)
    assert estimate_seconds(config, speed.load_profile(), n_test=0, calibrate=False) == pytest.approx(100.0)


def test_an_estimate_counts_only_the_digits_trained_on():
    profile = SpeedProfile("m", {"mlp/float32": StepCost(0.0, 0.01, 0.002)})
    all_ten = estimate_seconds(TrainConfig(architecture="mlp", epochs=3), profile, n_test=0, calibrate=False)
    half = estimate_seconds(TrainConfig(architecture="mlp", epochs=3, digits=(0, 1, 2, 3, 4)), profile, n_test=0,
                            calibrate=False)
    assert half == pytest.approx(all_ten / 2, rel=0.01)


def test_a_training_run_corrects_this_machines_estimates(mnist, lab_home, monkeypatch):
    """runs.run (the Train page's worker and the CLI): a run from scratch that trains all its epochs
    teaches the saved profile its length; a stopped run does not."""
    from mnist_core.data import MnistData
    from mnist_core.progress import TrainingProgress
    from mnist_core.runs import RunSpec, file_saver, run

    monkeypatch.setattr(speed, "LEARN_FROM_SECONDS", 0.0)  # this test's run is seconds long
    measured = StepCost(100.0, 2.0, 0.2)  # far slower than this tiny run really is (~5 s for its 2 epochs)
    speed.save_profile(SpeedProfile(speed.machine_signature(), {"mlp/float32": measured}, 0.02))
    data = MnistData(mnist.x_train[:2000], mnist.y_train[:2000], mnist.x_test[:200], mnist.y_test[:200])
    config = TrainConfig(architecture="mlp", epochs=2, batch_size=100, train_subset=1000, validation_split=0.2)
    result = run(RunSpec(config, "timed", calibrate=False), data, file_saver(lab_home / "timed.keras"))
    profile = speed.load_profile()
    raw = estimate_seconds(config, profile, n_images=2000, n_test=0, calibrate=False, learned=False)
    ratio = min(max(result.card.training_seconds / raw, speed.LEARN_RANGE[0]), speed.LEARN_RANGE[1])
    # the estimate of model.fit's part is now the card's training time (model.fit's)
    assert estimate_seconds(config, profile, n_images=2000, n_test=0, calibrate=False) == pytest.approx(
        ratio * raw, rel=0.05)
    assert profile.learned["mlp/float32"] < 1.0

    speed.save_profile(SpeedProfile(speed.machine_signature(), {"mlp/float32": measured}, 0.02))
    progress = TrainingProgress()
    progress.request_stop()  # stopped in its first batch: its length says nothing of the whole run's
    run(RunSpec(config, "stopped", calibrate=False), data, file_saver(lab_home / "stopped.keras"), progress=progress)
    assert speed.load_profile().learned == {}
