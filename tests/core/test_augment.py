import numpy as np
import pytest

from mnist_core.augment import DRAWING_AUGMENT, AugmentConfig, augment
from mnist_core.errors import ConfigError
from mnist_core.preprocess import prepare
from mnist_core.synth import digit_image


@pytest.fixture(scope="module")
def batch():
    return np.repeat(prepare(digit_image(4))[None], 8, axis=0)


def test_zero_strength_is_the_identity(batch):
    np.testing.assert_allclose(augment(batch, AugmentConfig(seed=5)), batch, atol=1e-6)


def test_shapes_range_and_seed_reproducibility(batch):
    cfg = AugmentConfig(rotation=20, shift=0.1, zoom=0.1, shear=0.2, elastic=0.5, thickness=1.0,
                        noise=0.1, blur=1.0, erasing=0.5, contrast=0.3, seed=3)
    a, b = augment(batch, cfg), augment(batch, cfg)
    assert a.shape == batch.shape and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, augment(batch, AugmentConfig(**{**cfg.to_dict(), "seed": 4})))
    assert not np.allclose(a[0], a[1])  # each copy gets its own transform


def test_uint8_input_and_4d_shape(batch):
    u8 = (batch * 255).astype(np.uint8)[..., None]
    out = augment(u8, DRAWING_AUGMENT)
    assert out.shape == u8.shape and out.max() <= 1.0


def test_thickness_thickens_and_thins(batch):
    from mnist_core.layers import RandomThickness

    layer = RandomThickness(1.0, seed=0)
    out = np.asarray(layer(batch[..., None], training=True))[..., 0]
    ink = out.sum(axis=(1, 2)) / batch.sum(axis=(1, 2))
    assert ink.min() < 0.95 and ink.max() > 1.05
    np.testing.assert_array_equal(np.asarray(layer(batch[..., None], training=False))[..., 0], batch)


@pytest.mark.parametrize("field, value", [("rotation", -1), ("rotation", 500), ("noise", float("nan")), ("shift", 2)])
def test_absurd_strengths_are_refused(field, value):
    with pytest.raises(ConfigError, match=field):
        AugmentConfig(**{field: value})


def test_risky_settings_are_named():
    assert AugmentConfig(rotation=60, shift=0.3).risky_settings() == ["rotation", "shift"]
    assert DRAWING_AUGMENT.risky_settings() == []
