import numpy as np
import pytest

from mnist_core.augment import DRAWING_AUGMENT, AugmentConfig, augment, ink_loss_share
from mnist_core.augment import ink_kept as augment_ink_kept
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


def test_summary_names_what_is_on():
    assert AugmentConfig(rotation=12, shift=0.1, seed=3).summary() == "rotation 12, shift 0.1, seed 3"
    assert AugmentConfig(seed=3).summary() == "no augmentation"


def test_risky_settings_are_named():
    assert AugmentConfig(rotation=60, shift=0.3).risky_settings() == ["rotation", "shift"]
    assert DRAWING_AUGMENT.risky_settings() == []


def test_ink_kept_and_loss_share_against_hand_made_variants():
    original = np.zeros((28, 28), np.float32)
    original[10:20, 14] = 1.0  # 10 units of ink
    kept_all, half, a_fifth, doubled = original.copy(), original * 0.5, original * 0.2, original * 2
    variants = np.stack([kept_all, half, a_fifth, doubled, np.zeros_like(original)])
    np.testing.assert_allclose(augment_ink_kept(original, variants), [1.0, 0.5, 0.2, 2.0, 0.0])
    # "most of their ink" lost: under half kept -> a_fifth and the blank one
    assert ink_loss_share(original, variants) == pytest.approx(2 / 5)
    assert ink_loss_share(original, variants, most=0.9) == pytest.approx(1 / 5)
    u8 = (variants * 127).clip(0, 255).astype(np.uint8)  # uint8 is read as 0-255
    np.testing.assert_allclose(augment_ink_kept((original * 127).astype(np.uint8), u8), [1, 0.5, 0.2, 2, 0], atol=0.01)


def test_ink_loss_share_refuses_a_blank_original():
    with pytest.raises(ValueError, match="no ink"):
        ink_loss_share(np.zeros((28, 28)), np.zeros((2, 28, 28)))


def test_risky_shifts_lose_ink_and_safe_settings_do_not(batch):
    original = batch[0]
    copies = np.repeat(original[None], 32, axis=0)
    safe = augment(copies, AugmentConfig(rotation=12, shift=0.1, zoom=0.12, shear=0.25, seed=1))
    wild = augment(copies, AugmentConfig(shift=0.3, zoom=0.5, seed=1))  # the highest each may go
    assert ink_loss_share(original, safe) == 0.0
    assert AugmentConfig(shift=0.3, zoom=0.5).risky_settings() == ["shift", "zoom"]
    assert ink_loss_share(original, wild) > 0.1  # shrunk or pushed out of the frame


@pytest.mark.parametrize("field", list(AugmentConfig.LIMITS))
def test_each_transform_changes_the_digit_keeps_range_and_label(field, batch):
    """Every setting on its own does something, stays in [0, 1], and (as a Keras pipeline) leaves labels alone."""
    low, high, risky = AugmentConfig.LIMITS[field]
    cfg = AugmentConfig(**{field: risky, "seed": 2})
    out = augment(batch, cfg)
    assert out.shape == batch.shape and 0.0 <= out.min() and out.max() <= 1.0
    assert not np.allclose(out, batch, atol=1e-3), f"{field} did nothing"
    labels = np.arange(len(batch))
    import tensorflow as tf

    from mnist_core.augment import build_augmenter

    augmenter = build_augmenter(cfg)
    ds = tf.data.Dataset.from_tensor_slices((batch[..., None], labels)).batch(4)
    seen = np.concatenate([y.numpy() for _, y in ds.map(lambda x, y: (augmenter(x, training=True), y))])
    np.testing.assert_array_equal(seen, labels)  # the label rides along unchanged


def test_never_flips_digits():
    from mnist_core.augment import build_augmenter

    everything = AugmentConfig(**{name: limits[2] for name, limits in AugmentConfig.LIMITS.items()})
    names = [type(layer).__name__ for layer in build_augmenter(everything).layers]
    assert not [n for n in names if "Flip" in n]
    assert "RandomAffine" in names and "RandomElastic" in names


def test_blur_matches_scipy_gaussian_filter():
    from scipy import ndimage

    from mnist_core.layers import _blur

    rng = np.random.default_rng(0)
    x = rng.random((3, 28, 28)).astype(np.float32)
    sigma = np.array([0.5, 1.5, 4.0], np.float32)
    out = np.asarray(_blur(x, sigma))
    for img, s, got in zip(x, sigma, out, strict=True):
        expected = ndimage.gaussian_filter(img.astype(np.float64), s, mode="constant", truncate=30)
        np.testing.assert_allclose(got, expected, atol=2e-5)
    np.testing.assert_allclose(np.asarray(_blur(x, np.zeros(3, np.float32))), x, atol=1e-6)  # width 0: identity


def test_random_blur_accepts_wide_blurs_and_keeps_ink(batch):
    from mnist_core.layers import RandomBlur

    out = np.asarray(RandomBlur(4.0, seed=0)(batch[..., None], training=True))[..., 0]
    assert out.max() < batch.max()  # softer
    np.testing.assert_allclose(out.sum(axis=(1, 2)), batch.sum(axis=(1, 2)), rtol=0.05)  # centred ink stays
    assert len({round(float(v.max()), 4) for v in out}) > 1  # each image its own width


def test_bilinear_sampling_moves_pixels_and_fills_black():
    from mnist_core.layers import _bilinear

    x = np.zeros((1, 28, 28), np.float32)
    x[0, 10, 12] = 1.0
    rows, cols = np.meshgrid(np.arange(28.0), np.arange(28.0), indexing="ij")
    same = np.asarray(_bilinear(x, rows[None], cols[None]))
    np.testing.assert_allclose(same, x, atol=1e-6)
    moved = np.asarray(_bilinear(x, rows[None] - 2, cols[None] + 3))  # read 2 rows up, 3 columns right
    assert moved[0, 12, 9] == pytest.approx(1.0) and moved.sum() == pytest.approx(1.0)
    half = np.asarray(_bilinear(x, rows[None], cols[None] + 0.5))
    assert half[0, 10, 11] == pytest.approx(0.5) and half[0, 10, 12] == pytest.approx(0.5)
    outside = np.asarray(_bilinear(np.ones((1, 28, 28), np.float32), rows[None], cols[None] + 40))
    assert not outside.any()  # black fill


def test_elastic_distorts_in_both_directions_and_keeps_ink(batch):
    from mnist_core.layers import RandomElastic

    out = np.asarray(RandomElastic(2.0, seed=0)(batch[..., None], training=True))[..., 0]
    assert out.shape == batch.shape and not np.allclose(out, batch, atol=1e-3)
    np.testing.assert_allclose(out.sum(axis=(1, 2)), batch.sum(axis=(1, 2)), rtol=0.25)
    # a horizontal stroke only changes under vertical displacement, a vertical one only under horizontal
    lines = np.zeros((2, 28, 28), np.float32)
    lines[0, 14, 4:24] = 1.0
    lines[1, 4:24, 14] = 1.0
    moved = np.asarray(RandomElastic(2.0, seed=3)(np.repeat(lines, 8, axis=0)[..., None], training=True))[..., 0]
    assert np.abs(moved[0::2] - lines[0]).sum() > 1 and np.abs(moved[1::2] - lines[1]).sum() > 1


def test_the_maxima_are_sensible_and_old_cards_with_larger_values_still_load(tmp_path):
    import json

    from mnist_core.card import ModelCard
    from mnist_core.errors import ConfigError

    assert AugmentConfig.LIMITS["rotation"][1] <= 90  # rotating further turns a 6 into a 9
    for name, (low, high, risky) in AugmentConfig.LIMITS.items():
        assert low < risky < high, name  # the sliders can show the damage past "risky"
    with pytest.raises(ConfigError):
        AugmentConfig(rotation=180)
    old = {"name": "old", "augment": {"rotation": 180.0, "shift": 0.5, "zoom": 0.9, "seed": 0},
           "train_config": {"epochs": 3, "augment": {"rotation": 180.0}}}
    card = ModelCard.from_dict(json.loads(json.dumps(old)), name="old")
    assert card.augment["rotation"] == 180.0  # what that model was trained with, as it was


def test_contrast_fades_and_darkens_as_its_help_says(batch):
    """'Fades or darkens the ink': at 0.95 all 32 copies looked like the original (Keras took a single
    factor c as [1, 1 + c], more contrast only, which clipping undoes on a black-and-white digit)."""
    copies = augment(np.repeat(batch[:1], 32, axis=0), AugmentConfig(contrast=0.9, seed=1))
    ink = copies.reshape(32, -1).max(axis=1)
    assert (ink < 0.6).sum() >= 5, np.round(ink, 2)  # faded copies
    assert (ink > 0.95).sum() >= 5, np.round(ink, 2)  # and copies with full-strength ink


def test_a_copy_faded_to_grey_on_grey_counts_as_lost():
    """Contrast 0.95 made two copies almost invisible (ink 0.17 on paper 0.12) that the page called 100%
    kept: the lifted paper was counted as ink."""
    original = np.zeros((28, 28), np.float32)
    original[6:22, 12:15] = 1.0
    faded = original * 0.05 + 0.12
    assert augment_ink_kept(original, faded[None])[0] == pytest.approx(0.05)
    assert ink_loss_share(original, faded[None]) == 1.0
