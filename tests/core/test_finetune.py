import numpy as np
import pytest

from mnist_core.errors import ConfigError, ModelError
from mnist_core.finetune import (
    HEAD_NAME,
    FinetuneConfig,
    finetune,
    finetune_data,
    load_handwriting,
    split_handwriting,
    to_uint8,
    tunable_model,
)
from mnist_core.models import build_model
from mnist_core.train import train
from mnist_core.train_config import TrainConfig


@pytest.mark.parametrize("arch", ["mlp", "simple_cnn", "default_cnn", "row_lstm"])
def test_head_mode_trains_only_a_new_head(arch):
    parent = build_model(arch)
    n_features = parent.layers[-1].input.shape[-1]
    tuned = tunable_model(parent, "head")
    assert [w.name for w in tuned.trainable_weights] == ["kernel", "bias"]
    assert tuple(tuned.trainable_weights[0].shape) == (n_features, 10)
    assert tuned.layers[-1].name == HEAD_NAME
    assert all(not layer.trainable for layer in tuned.layers[:-1] if layer.weights)
    frozen = sum(int(np.prod(w.shape)) for w in tuned.non_trainable_weights)
    assert frozen == parent.count_params() - (n_features + 1) * 10  # all but the old head, which is gone


def test_all_mode_unfreezes_every_layer():
    parent = build_model("default_cnn")
    expected = len(parent.trainable_weights)
    for layer in parent.layers:
        layer.trainable = False
    tuned = tunable_model(parent, "all")
    assert len(tuned.trainable_weights) == expected > 2
    assert tuned.layers[-1].name != HEAD_NAME


def test_head_mode_refuses_a_model_without_a_final_dense():
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10),
                              keras.layers.Softmax()])
    with pytest.raises(ModelError, match="mode 'all'"):
        tunable_model(model, "head")


@pytest.mark.parametrize(
    "changes, message",
    [({"mode": "middle"}, "mode"), ({"source": "web"}, "data"), ({"subset": 5}, "MNIST images"),
     ({"replay": -1}, "replay"), ({"epochs": 0}, "epochs"), ({"learning_rate": 3.0}, "learning rate"),
     ({"digits": (3, 11)}, "digits"), ({"holdout": 0.9}, "held-out")],
)
def test_bad_finetune_settings_are_refused(changes, message):
    with pytest.raises(ConfigError, match=message):
        FinetuneConfig(**changes)


def test_default_learning_rate_is_lower_when_everything_is_unfrozen():
    assert FinetuneConfig(mode="all").lr < FinetuneConfig(mode="head").lr
    assert FinetuneConfig(mode="all", learning_rate=3e-4).train_config().learning_rate == 3e-4


def test_pretrain_on_0_to_4_then_a_new_head_learns_5_to_9(mnist, tmp_path):
    import keras

    pre = train(TrainConfig(architecture="mlp", epochs=2, batch_size=32, train_subset=2000, validation_split=0.1,
                            digits=(0, 1, 2, 3, 4)), mnist.x_train, mnist.y_train)
    pre.model.save(tmp_path / "first-half.keras")
    parent = keras.saving.load_model(tmp_path / "first-half.keras")
    features_before = [w.copy() for w in parent.get_weights()[:-2]]
    config = FinetuneConfig(mode="head", digits=(5, 6, 7, 8, 9), subset=2000, epochs=3, batch_size=32)
    out = finetune(parent, config, mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test)
    assert out.trainable_weights == 2 and out.images == 2000
    assert out.before["mnist_test_digits"] < 0.05  # never saw a 5-9
    assert out.after["mnist_test_digits"] > 0.6  # chance is 0.2 among five digits
    features_after = out.result.model.get_weights()[:-2]
    for a, b in zip(features_before, features_after, strict=True):
        np.testing.assert_array_equal(a, b)  # the frozen feature layers did not move


def test_mnist_data_follows_digits_and_subset(mnist):
    x, y = finetune_data(FinetuneConfig(digits=(5, 9), subset=300), mnist.x_train, mnist.y_train)
    assert len(x) == 300 and set(np.unique(y)) == {5, 9} and x.dtype == np.uint8


def drawn_handwriting(mnist, n=40):
    """MNIST test digits re-drawn as canvas drawings: a stand-in for the class's saved handwriting."""
    from mnist_core.calibrate import drawn_set

    return drawn_set(mnist.x_test, mnist.y_test, n, seed=3)


def test_handwriting_is_mixed_with_mnist_replay(mnist):
    hw = drawn_handwriting(mnist, 40)
    config = FinetuneConfig(source="handwriting", replay=600)
    x, y = finetune_data(config, mnist.x_train, mnist.y_train, hw)
    repeat = round(600 / (3 * 40))
    assert len(x) == 40 * repeat + 600 and x.dtype == np.uint8
    hw_u8 = to_uint8(hw[0])
    is_hw = np.array([any(np.array_equal(img, h) for h in hw_u8[:5]) for img in x])
    assert is_hw.sum() == 5 * repeat  # each of those drawings appears `repeat` times
    with pytest.raises(ConfigError, match="no saved handwriting yet"):
        finetune_data(config, mnist.x_train, mnist.y_train, None)


def test_handwriting_holdout_is_kept_out_of_training(mnist):
    x, y = drawn_handwriting(mnist, 40)
    x_fit, y_fit, x_held, y_held = split_handwriting(x, y, 0.25, seed=0)
    assert len(x_held) == 10 and len(x_fit) == 30
    fit_set = {a.tobytes() for a in x_fit}
    assert not any(a.tobytes() in fit_set for a in x_held)
    assert len(split_handwriting(x[:5], y[:5], 0.25)[2]) == 0  # too few to hold any out


def test_finetune_on_handwriting_reports_before_and_after_on_held_out_drawings(mnist, tmp_path):
    import keras

    pre = train(TrainConfig(architecture="mlp", epochs=1, batch_size=64, train_subset=1000, validation_split=0.0),
                mnist.x_train, mnist.y_train)
    pre.model.save(tmp_path / "p.keras")
    config = FinetuneConfig(mode="all", source="handwriting", replay=500, epochs=1, batch_size=64)
    out = finetune(keras.saving.load_model(tmp_path / "p.keras"), config, mnist.x_train, mnist.y_train,
                   mnist.x_test, mnist.y_test, handwriting=drawn_handwriting(mnist, 40))
    assert out.handwriting_held_out == 10
    assert set(out.before) == set(out.after) == {"mnist_test", "handwriting"}
    assert 0.0 <= out.after["handwriting"] <= 1.0 and out.after["mnist_test"] > 0.5


def test_no_handwriting_store_yet_means_none(lab_home):
    assert load_handwriting() is None
