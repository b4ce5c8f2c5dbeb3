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
    assert next(iter(profile.steps.values())).per_image_ms > 0
    # once the job is done, the worker measures again (the Train page said "being measured" for good
    # when a student's job came in the first minute): it goes on from what it has
    budget = iter(range(2))
    worker._measure_speed(lambda: next(budget, None) is not None)
    assert len(speed.load_profile().steps) == 2
