"""Hard examples: the loss of the true label, the top-k per digit, and a real model finding flipped labels."""

import numpy as np
import pytest

from mnist_core import hard
from mnist_core.paths import cache_dir


def test_losses_are_the_cross_entropy_of_the_true_label():
    p = np.array([[0.9, 0.1] + [0] * 8, [0.5, 0.5] + [0] * 8, [1.0] + [0] * 9])
    loss = hard.losses(p, np.array([0, 1, 1]))
    np.testing.assert_allclose(loss, [-np.log(0.9), -np.log(0.5), -np.log(hard.EPS)], rtol=1e-5)
    assert loss.dtype == np.float32


def test_losses_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match="labels"):
        hard.losses(np.zeros((3, 10)), np.zeros(2, int))


def test_hardest_per_digit_picks_the_highest_losses_of_each_digit():
    labels = np.array([0, 0, 0, 1, 1, 2])
    loss = np.array([0.1, 3.0, 2.0, 0.5, 0.7, 9.0])
    top = hard.hardest_per_digit(loss, labels, k=2)
    assert len(top) == 10
    assert top[0].tolist() == [1, 2] and top[1].tolist() == [4, 3] and top[2].tolist() == [5]
    assert all(t.size == 0 for t in top[3:])


class SumModel:
    """A transparent stand-in for a Keras model: 'predicts' digit (number of inked pixels) mod 10."""

    calls = 0

    def __call__(self, x, training=False):
        SumModel.calls += 1
        ink = (np.asarray(x) > 0.5).sum(axis=(1, 2, 3)) % 10
        return np.eye(10, dtype=np.float32)[ink] * 0.9 + 0.01


def test_score_images_caches_on_disk_per_model_and_data():
    x = np.zeros((4, 28, 28), np.uint8)
    for i in range(4):
        x[i, 0, :i] = 255  # i inked pixels -> "digit" i
    y = np.array([0, 1, 5, 3])  # image 2 is "mislabelled"
    SumModel.calls = 0
    scores = hard.score_images(SumModel(), x, y, model_id="sum-1")
    assert scores.predicted.tolist() == [0, 1, 2, 3]
    assert int(np.argmax(scores.losses)) == 2
    np.testing.assert_allclose(scores.confidence, 0.91)
    calls = SumModel.calls
    again = hard.score_images(SumModel(), x, y, model_id="sum-1")
    assert SumModel.calls == calls  # read from disk
    np.testing.assert_array_equal(again.probabilities, scores.probabilities)
    assert len(list(cache_dir().glob("scores-sum-1-*.npy"))) == 1
    hard.score_images(SumModel(), x, y, model_id="sum-2")  # another model: computed again
    assert SumModel.calls > calls


def test_model_file_id_changes_with_the_contents(tmp_path):
    f = tmp_path / "m.keras"
    f.write_bytes(b"one")
    first = hard.model_file_id(f)
    f.write_bytes(b"two")
    assert first.startswith("m-") and hard.model_file_id(f) != first


def test_a_real_model_puts_flipped_labels_at_the_top(mnist, default_model):
    x, y = mnist.x_test[:500], mnist.y_test[:500].astype(np.int64).copy()
    flipped = np.array([3, 50, 200])
    y[flipped] = (y[flipped] + 5) % 10
    scores = hard.score_images(default_model, x, y)
    worst = np.argsort(-scores.losses)[:6]
    assert set(flipped) <= set(worst.tolist())
    for i in flipped:  # each is the hardest of the digit it was (wrongly) given
        assert hard.hardest_per_digit(scores.losses, y, k=3)[y[i]][0] in flipped
