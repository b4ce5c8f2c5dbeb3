import numpy as np
import pytest

from mnist_core.explain import NeighbourIndex, build_index, embed, feature_maps, gradcam, load_or_build_index, saliency
from mnist_core.models import build_model
from mnist_core.paths import DEFAULT_MODEL_PATH
from mnist_core.preprocess import prepare
from mnist_core.synth import digit_image


@pytest.fixture(scope="module")
def seven():
    return prepare(digit_image(7))


def test_gradcam_is_a_28x28_map_on_the_ink(default_model, seven):
    cam = gradcam(default_model, seven)
    assert cam.shape == (28, 28) and cam.min() >= 0 and cam.max() == pytest.approx(1.0)
    # the evidence lies where the digit is, not in the empty corners
    assert cam[seven > 0.3].mean() > cam[:4, :4].mean()


def test_saliency_for_models_without_convolutions(seven):
    mlp = build_model("mlp")
    sal = gradcam(mlp, seven)
    assert sal.shape == (28, 28) and np.isfinite(sal).all()
    np.testing.assert_allclose(sal, saliency(mlp, seven))


def test_feature_maps_of_the_first_two_layers(default_model, seven):
    maps = feature_maps(default_model, seven, n_layers=2)
    assert len(maps) == 2
    for _name, m in maps:
        assert m.ndim == 3 and m.shape[0] == m.shape[1] >= 24 and (m >= 0).all()  # after ReLU (26x26, 24x24)
    assert feature_maps(build_model("mlp"), seven) == []


def test_nearest_neighbours_of_a_training_digit_is_itself(mnist, default_model, tmp_path):
    x, y = mnist.x_train[:300], mnist.y_train[:300]
    index = build_index(default_model, x, y, size=300)
    found, sims = index.nearest(embed(default_model, x[42:43])[0], k=5)
    assert found[0] == 42 and sims[0] == pytest.approx(1.0, abs=1e-4)
    assert (np.diff(sims) <= 1e-6).all()
    assert (y[found] == y[42]).mean() >= 0.6


def test_index_is_cached_on_disk_and_reused(mnist, default_model, tmp_path):
    x, y = mnist.x_train[:200], mnist.y_train[:200]
    a = load_or_build_index(default_model, DEFAULT_MODEL_PATH, x, y, tmp_path, size=100)
    files = list(tmp_path.glob("neighbours-*.npz"))
    assert len(files) == 1
    b = load_or_build_index(default_model, DEFAULT_MODEL_PATH, x[:0], y[:0], tmp_path, size=100)  # no data needed now
    np.testing.assert_array_equal(a.indices, b.indices)
    files[0].write_bytes(b"damaged")
    c = load_or_build_index(default_model, DEFAULT_MODEL_PATH, x, y, tmp_path, size=100)  # rebuilt
    assert isinstance(c, NeighbourIndex) and len(c.indices) == 100
