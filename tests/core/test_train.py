import threading

import numpy as np
import pytest

from mnist_core.augment import AugmentConfig
from mnist_core.errors import ConfigError
from mnist_core.progress import TrainingProgress
from mnist_core.train import train
from mnist_core.train_config import PRESETS, TrainConfig
from mnist_core.train_data import split_data


def _tiny(mnist, n=600):
    return mnist.x_train[:n], mnist.y_train[:n]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": -3}, "epochs"),
        ({"batch_size": 0}, "batch size"),
        ({"learning_rate": 50.0}, "learning rate"),
        ({"learning_rate": 0.0}, "learning rate"),
        ({"optimizer": "magic"}, "optimizer"),
        ({"architecture": "nope"}, "architecture"),
        ({"validation_split": 0.9}, "validation split"),
        ({"train_subset": 5}, "subset"),
    ],
)
def test_out_of_range_settings_are_refused(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes)


def test_batch_larger_than_the_data_is_refused():
    config = TrainConfig(batch_size=512, train_subset=500, validation_split=0.2)
    with pytest.raises(ConfigError, match="larger than the 400 training images"):
        split_data(np.zeros((1000, 28, 28), np.uint8), np.zeros(1000, np.uint8), config)


def test_config_round_trips_through_its_card_dict():
    config = PRESETS["best"]
    again = TrainConfig.from_dict(config.to_dict())
    assert again == config and isinstance(again.augment, AugmentConfig)


def test_training_learns_and_reports_progress(mnist):
    x, y = _tiny(mnist, 2000)
    progress = TrainingProgress()
    config = TrainConfig(architecture="simple_cnn", epochs=2, batch_size=64, validation_split=0.2, learning_rate=2e-3)
    result = train(config, x, y, progress=progress)
    snap = progress.snapshot()
    assert snap.status == "done" and snap.fraction == pytest.approx(1.0)
    assert [row["epoch"] for row in snap.history] == [1, 2]
    assert snap.batches == 25 and len(snap.batch_log) == 50  # a point per batch
    losses = [row["loss"] for row in snap.history]
    assert losses[1] < losses[0]
    assert snap.history[-1]["val_accuracy"] > 0.6  # chance is 0.1; 1600 images, 2 epochs
    assert result.best_epoch in (1, 2) and not result.stopped_early


def test_stop_ends_after_the_current_batch_and_keeps_best_weights(mnist):
    import keras

    x, y = _tiny(mnist, 2000)
    progress = TrainingProgress()

    class StopInEpochTwo(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if progress.epoch == 2 and batch == 3:
                threading.Thread(target=progress.request_stop).start()

    config = TrainConfig(architecture="simple_cnn", epochs=5, batch_size=64, validation_split=0.2)
    result = train(config, x, y, progress=progress, callbacks=[StopInEpochTwo()])
    snap = progress.snapshot()
    assert snap.status == "stopped" and result.stopped_early
    assert snap.epoch == 2 and snap.batch <= 6  # stopped within a couple of batches
    rows = snap.history
    assert rows[-1]["epoch"] == 2 and "fraction" not in rows[0]
    assert rows[-1]["fraction"] == pytest.approx(snap.batch / snap.batches)  # where the stopped epoch ended
    best = rows[result.best_epoch - 1]
    assert best["val_loss"] == min(r["val_loss"] for r in rows)  # the best validated weights are kept
    from mnist_core.evaluate import evaluate
    from mnist_core.train_data import split_data

    _, _, x_val, y_val = split_data(x, y, config)
    assert evaluate(result.model, x_val, y_val).accuracy == pytest.approx(best["val_accuracy"], abs=1e-6)


def test_augmented_training_runs(mnist):
    x, y = _tiny(mnist, 400)
    config = TrainConfig(architecture="mlp", epochs=1, batch_size=100, validation_split=0.0,
                         augment=AugmentConfig(rotation=10, shift=0.1, thickness=0.5))
    result = train(config, x, y)
    assert len(result.history) == 1


def test_targets_one_hot_and_uniform_for_non_digits():
    from mnist_core.train_data import targets

    t = targets(np.array([3, -1]))
    np.testing.assert_array_equal(t[0], np.eye(10)[3])
    np.testing.assert_allclose(t[1], np.full(10, 0.1))


def test_outlier_exposure_makes_the_model_unsure_of_scribbles(mnist):
    from mnist_core.calibrate import non_digit_set
    from mnist_core.predict import probabilities
    from mnist_core.synth import SCRIBBLE_KINDS, TRAINING_SCRIBBLES

    x, y = _tiny(mnist, 3000)
    unseen = tuple(k for k in SCRIBBLE_KINDS if k not in TRAINING_SCRIBBLES)
    others = non_digit_set(60, seed=7, kinds=TRAINING_SCRIBBLES + unseen)
    tops = {}
    for share in (0.0, 0.15):
        config = TrainConfig(architecture="simple_cnn", epochs=3, batch_size=64, validation_split=0.1, outliers=share)
        result = train(config, x, y)
        tops[share] = probabilities(result.model, others).max(axis=1).mean()
        assert result.history[-1]["val_accuracy"] > 0.85  # digits are still learned
    assert tops[0.15] < tops[0.0] - 0.1


@pytest.mark.parametrize("text, digits", [("0-4", (0, 1, 2, 3, 4)), ("5, 7,9", (5, 7, 9)), ("", ()), ("0-9", ()),
                                          ("3", (3,)), ("2-3,3-4", (2, 3, 4)),
                                          # as keyboards around the world type them (QA: refused)
                                          ("５-９", (5, 6, 7, 8, 9)), ("٥-٩", (5, 6, 7, 8, 9)),
                                          ("0–4", (0, 1, 2, 3, 4)), ("0、1、2", (0, 1, 2)), ("३,४", (3, 4))])
def test_digit_lists_are_parsed(text, digits):
    from mnist_core.train_config import parse_digits

    assert parse_digits(text) == digits


@pytest.mark.parametrize("text", ["a", "1-", "10", "4-12", "-3", "1..3", "4-2", "٥٥", "½"])
def test_bad_digit_lists_are_refused(text):
    from mnist_core.train_config import parse_digits

    with pytest.raises(ConfigError):
        parse_digits(text)


def test_training_on_chosen_digits_sees_only_those(mnist):
    config = TrainConfig(architecture="mlp", epochs=1, batch_size=50, train_subset=500, validation_split=0.2,
                         digits=(0, 1, 2, 3, 4))
    x_tr, y_tr, x_val, y_val = split_data(mnist.x_train, mnist.y_train, config)
    assert len(x_tr) == 400 and len(x_val) == 100
    assert set(np.unique(np.concatenate([y_tr, y_val]))) == {0, 1, 2, 3, 4}
    assert TrainConfig.from_dict(config.to_dict()).digits == (0, 1, 2, 3, 4)


def test_every_epoch_row_says_when_it_ended(mnist):
    x, y = _tiny(mnist, 400)
    progress = TrainingProgress()
    train(TrainConfig(architecture="mlp", epochs=2, batch_size=100, validation_split=0.0), x, y, progress=progress)
    seconds = [row["seconds"] for row in progress.snapshot().history]
    assert len(seconds) == 2 and 0 <= seconds[0] <= seconds[1]


def test_each_batch_is_logged_as_itself_not_as_the_running_mean_of_its_epoch(mnist):
    """Keras's batch logs are running means that drop at every new epoch; the progress log holds each
    batch's own loss: weighted by batch size, they add up to the epoch's loss exactly."""
    x, y = _tiny(mnist, 1000)
    progress = TrainingProgress()
    config = TrainConfig(architecture="mlp", epochs=2, batch_size=96, validation_split=0.0, learning_rate=3e-3)
    train(config, x, y, progress=progress)
    snap = progress.snapshot()
    sizes = np.array([min(96, 1000 - 96 * k) for k in range(snap.batches)], float)  # the last batch is smaller
    for epoch, row in enumerate(snap.history, start=1):
        losses = np.array([loss for pos, loss, _ in snap.batch_log if epoch - 1 < pos <= epoch])
        accs = np.array([acc for pos, _, acc in snap.batch_log if epoch - 1 < pos <= epoch])
        assert len(losses) == snap.batches
        assert (losses * sizes).sum() / sizes.sum() == pytest.approx(row["loss"], rel=1e-4)
        assert (accs * sizes).sum() / sizes.sum() == pytest.approx(row["accuracy"], rel=1e-4)
    first = snap.batch_log[: snap.batches]
    assert first[-1][1] < first[0][1] * 0.8  # learning: the last batch of epoch 1 is well below the first
    assert first[-1][1] < snap.history[0]["loss"]  # ... and below the epoch's mean, which a running mean shows


def test_digits_in_the_worlds_styles_join_the_training_set_and_the_config_round_trips(mnist):
    from mnist_core.train_config import WorldMix

    world = WorldMix(styles=0.2, scans=0.1, edits=0.05, redraws=0.05)
    config = TrainConfig(architecture="mlp", epochs=1, batch_size=50, train_subset=400, validation_split=0.0,
                         world=world)
    progress = TrainingProgress()
    train(config, mnist.x_train, mnist.y_train, progress=progress)
    assert progress.snapshot().batches == -(-(400 + 80 + 40 + 20 + 20) // 50)  # 400 MNIST + 160 in the world's styles
    again = TrainConfig.from_dict(config.to_dict())  # as a card stores it, and reads it back
    assert again.world == world and again == config
    with pytest.raises(ConfigError, match="world mix 'styles'"):
        WorldMix(styles=1.5)


def test_training_on_chosen_digits_adds_only_those_from_the_worlds_styles(mnist, monkeypatch):
    """The transfer demo (digits 0-4) with the Best recipe: the world's styles are made for all ten
    digits, and 5-9 came in with them."""
    import mnist_core.train as train_module
    from mnist_core.train_config import WorldMix

    seen = {}
    real = train_module.make_dataset

    def make_dataset(x, y, *args, **kwargs):  # the first call is the training set's
        seen.setdefault("y", np.asarray(y))
        return real(x, y, *args, **kwargs)

    monkeypatch.setattr(train_module, "make_dataset", make_dataset)
    config = TrainConfig(architecture="mlp", epochs=1, batch_size=50, train_subset=400, validation_split=0.0,
                         digits=(0, 1, 2, 3, 4), world=WorldMix(styles=0.3, scans=0.1, redraws=0.1))
    train(config, mnist.x_train, mnist.y_train)
    labels = seen["y"]
    assert set(np.unique(labels.argmax(axis=1) if labels.ndim == 2 else labels)) <= {0, 1, 2, 3, 4}
    assert len(labels) > (mnist.y_train[:400] < 5).sum()  # styled digits did join
