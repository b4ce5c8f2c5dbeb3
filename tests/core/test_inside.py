"""Inside the network: every recomputed unit equals Keras's own output; occlusion and "break it" behave.

Keras is the oracle: `trace` reads every layer's output from the real model, and each unit computation
(done again in numpy from the layer's input and weights) must give the same number at that position.
"""

import numpy as np
import pytest

from mnist_core import breakit, explain, inside
from mnist_core.errors import InputError
from mnist_core.models import build_model
from mnist_core.preprocess import prepare
from mnist_core.synth import digit_image

TOL = dict(rtol=1e-4, atol=1e-4)  # np.testing
APPROX = dict(rel=1e-4, abs=1e-4)  # pytest.approx


@pytest.fixture(scope="module")
def seven():
    return prepare(digit_image(7))


@pytest.fixture(scope="module")
def models(default_model):
    """The shipped default_cnn (trained, with batch norm) and the other architectures (random weights)."""
    import keras

    keras.utils.set_random_seed(0)
    return {"default_cnn": default_model, **{name: build_model(name) for name in ("simple_cnn", "mlp", "row_lstm")}}


def kinds(model):
    return [s.kind for s in inside.stages(model)]


def test_stages_read_as_a_learner_counts_layers(models):
    stages = inside.stages(models["default_cnn"])
    assert kinds(models["default_cnn"]) == ["conv"] * 7 + ["softmax"]
    assert all(s.bn and s.activation == "relu" for s in stages[:7])  # conv + batch norm + ReLU is one stage
    assert [s.output_shape for s in stages[:3]] == [(26, 26, 32), (24, 24, 32), (12, 12, 32)]
    assert stages[6].output_shape == (1, 1, 128) and stages[7].output_shape == (10,)
    assert "stride" in stages[2].title and any("Dropout" in n for n in stages[2].notes)
    assert kinds(models["simple_cnn"]) == ["conv", "pool", "conv", "pool", "softmax"]
    assert kinds(models["mlp"]) == ["dense", "dense", "softmax"]
    assert kinds(models["row_lstm"]) == ["lstm", "softmax"]
    for model in models.values():
        assert all(s.sentence.endswith(".") and s.title for s in inside.stages(model))


@pytest.mark.parametrize("name", ["default_cnn", "simple_cnn"])
def test_every_conv_unit_equals_keras(models, seven, name):
    """All pixels of two maps per conv layer (borders, zero padding, strides included) and a random sample."""
    model = models[name]
    acts = inside.trace(model, seven)
    rng = np.random.default_rng(0)
    for stage in (s for s in inside.stages(model) if s.kind == inside.CONV):
        h, w, c = stage.output_shape
        for channel in (0, c - 1):
            ours = [[inside.conv_unit(model, stage, acts, channel, r, q).value for q in range(w)] for r in range(h)]
            np.testing.assert_allclose(ours, acts[stage.output][..., channel], **TOL)
        for _ in range(20):
            ch, r, q = int(rng.integers(c)), int(rng.integers(h)), int(rng.integers(w))
            unit = inside.conv_unit(model, stage, acts, ch, r, q)
            assert unit.value == pytest.approx(inside.output_at(stage, acts, ch, r, q), **APPROX)
            assert unit.products.shape == unit.kernel.shape == unit.patch.shape
            assert unit.per_channel.sum() + unit.bias == pytest.approx(unit.total)
    assert (acts[inside.stages(model)[0].output] > 0).any()  # the check was not on an all-zero map


def test_batch_norm_is_a_fixed_scale_and_shift(models, seven):
    model = models["default_cnn"]
    stage = inside.stages(model)[0]
    acts = inside.trace(model, seven)
    unit = inside.conv_unit(model, stage, acts, 3, 10, 12)
    bn = unit.bn
    assert bn.scale == pytest.approx(bn.gamma / np.sqrt(bn.variance + bn.epsilon))
    assert unit.normalised == pytest.approx(bn.scale * unit.total + bn.shift)
    assert bn.scale * bn.mean + bn.shift == pytest.approx(bn.beta)  # the training mean maps to beta
    assert unit.bias == 0.0  # the default CNN's convs have no bias: batch norm's shift does that job


def test_the_patch_of_a_padded_strided_unit_holds_zeros_outside_the_input(models, seven):
    model = models["default_cnn"]
    stage = inside.stages(model)[2]  # 5x5, stride 2, "same": 24x24 -> 12x12 with one row of zeros on top
    unit = inside.conv_unit(model, stage, inside.trace(model, seven), 0, 0, 0)
    assert (unit.top, unit.left) == (-1, -1)
    assert (unit.patch[0] == 0).all() and (unit.patch[:, 0] == 0).all()


def test_every_pooling_unit_equals_keras(models, seven):
    model = models["simple_cnn"]
    acts = inside.trace(model, seven)
    for stage in (s for s in inside.stages(model) if s.kind == inside.POOL):
        h, w, c = stage.output_shape
        for channel in (0, 7, c - 1):
            ours = [[inside.pool_unit(model, stage, acts, channel, r, q).value for q in range(w)] for r in range(h)]
            np.testing.assert_allclose(ours, acts[stage.output][..., channel], **TOL)
        unit = inside.pool_unit(model, stage, acts, 1, 2, 3)
        assert unit.window.shape == (2, 2) and unit.value == unit.window.max() and unit.how == "max"


@pytest.mark.parametrize("name", ["mlp", "simple_cnn", "default_cnn", "row_lstm"])
def test_dense_units_and_softmax_equal_keras(models, seven, name):
    model = models[name]
    acts = inside.trace(model, seven)
    for stage in (s for s in inside.stages(model) if s.kind == inside.DENSE):
        ours = [inside.dense_unit(model, stage, acts, u).value for u in range(stage.output_shape[0])]
        np.testing.assert_allclose(ours, acts[stage.output], **TOL)
    out = inside.stages(model)[-1]
    softmax = inside.softmax(model, out, acts)
    np.testing.assert_allclose(softmax.probabilities, acts[out.output], **TOL)
    assert softmax.probabilities.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(softmax.exps / softmax.exps.sum(), softmax.probabilities)
    unit = inside.dense_unit(model, out, acts, 7)
    assert unit.total == pytest.approx(softmax.logits[7])  # a logit is a dense unit before the softmax
    assert unit.value == pytest.approx(acts[out.output][7], **APPROX)


def test_mlp_first_layer_weights_are_pictures(models):
    model = models["mlp"]
    first, second, _ = inside.stages(model)
    pictures = inside.first_layer_pictures(model, first)
    assert pictures.shape == (256, 28, 28)
    np.testing.assert_array_equal(pictures[5].ravel(), np.asarray(model.layers[1].kernel)[:, 5])
    assert inside.first_layer_pictures(model, second) is None


def test_lstm_row_by_row_ends_at_keras_output(models, seven):
    model = models["row_lstm"]
    stage = inside.stages(model)[0]
    trace = inside.lstm_trace(model, stage, inside.trace(model, seven))
    assert trace.h.shape == (28, 128)
    np.testing.assert_allclose(trace.h[-1], inside.trace(model, seven)[stage.output], **TOL)
    step = trace.step(5, 20)
    assert step.memory == pytest.approx(step.forget_gate * step.memory_before + step.input_gate * step.candidate)
    assert step.value == pytest.approx(step.output_gate * np.tanh(step.memory))
    np.testing.assert_array_equal(step.x, seven[20])


def test_a_unit_outside_the_layer_is_refused(models, seven):
    model = models["default_cnn"]
    stage = inside.stages(model)[0]
    with pytest.raises(InputError, match="No unit"):
        inside.conv_unit(model, stage, inside.trace(model, seven), 0, 26, 0)


def test_receptive_fields_and_windows(models):
    model = models["default_cnn"]
    layer = explain.gradcam_layer(model)
    assert layer.output.shape[1:3] == (8, 8)  # Grad-CAM reads the 8x8 block, not the final 1x1 conv
    assert inside.receptive_field(model, layer.name) == (17, 2)
    assert inside.input_window(model, layer.name, 0, 0) == (-1, -1, 17, 17)  # reaches into the zero padding
    assert inside.input_window(model, layer.name, 7, 7) == (13, 13, 17, 17)
    first = inside.stages(model)[0].main
    assert inside.input_window(model, first, 4, 9) == (4, 9, 3, 3)
    simple = models["simple_cnn"]
    assert inside.receptive_field(simple, simple.layers[1].name) == (4, 2)  # conv 3x3 then pool 2x2


def test_gradcam_map_is_the_small_map_before_stretching(models, seven):
    model = models["default_cnn"]
    raw = explain.gradcam_map(model, seven, 7)
    assert raw.shape == (8, 8) and (raw >= 0).all()
    np.testing.assert_allclose(explain.gradcam(model, seven, 7), explain.stretch(raw), atol=1e-6)


def test_a_sequential_model_loaded_from_a_file_works_too(models, seven, tmp_path):
    """In a loaded Sequential model a layer's output and the model's output can sit in two copies of the graph:
    Grad-CAM's gradient from one to the other would be None."""
    from mnist_core.models import load_model

    built = models["simple_cnn"]
    built.save(tmp_path / "simple.keras")
    loaded = load_model(tmp_path / "simple.keras")
    np.testing.assert_allclose(explain.gradcam_map(loaded, seven, 3), explain.gradcam_map(built, seven, 3), atol=1e-6)
    a, b = inside.trace(loaded, seven), inside.trace(built, seven)
    for stage in inside.stages(loaded):
        np.testing.assert_allclose(a[stage.output], b[stage.output], atol=1e-6)
        np.testing.assert_allclose(a[f"in:{stage.main}"], b[f"in:{stage.main}"], atol=1e-6)


def test_occlusion_hurts_most_where_the_ink_is(models, seven):
    model = models["default_cnn"]
    occ = explain.occlusion(model, seven, 7, patch=6, stride=2, fill=0.0)
    assert occ.drop.shape == (28, 28) and occ.probabilities.shape == (len(occ.starts),) * 2
    assert occ.starts[0] == 0 and occ.starts[-1] == 22  # the last patch touches the border
    assert occ.base > 0.9
    assert occ.drop[seven > 0.5].mean() > occ.drop[:4, :4].mean() + 0.01  # erasing ink hurts, empty corners not
    top, left, p = occ.worst
    assert p == occ.probabilities.min() < occ.base
    covered = seven.copy()
    covered[top: top + 6, left: left + 6] = 0
    from mnist_core.predict import probabilities

    assert probabilities(model, covered[None])[0, 7] == pytest.approx(p, abs=1e-5)
    with pytest.raises(InputError):
        explain.occlusion(model, seven, 7, patch=40)


def weights_of(model):
    return [np.array(w) for w in model.get_weights()]


def test_zeroing_the_last_layer_drops_accuracy_to_chance_and_reset_restores_it(models, mnist):
    model = models["default_cnn"]
    original = weights_of(model)
    sample = breakit.sample_indices(len(mnist.y_test))
    np.testing.assert_array_equal(sample, breakit.sample_indices(len(mnist.y_test)))  # a fixed sample
    x, y = mnist.x_test[sample], mnist.y_test[sample]
    box = breakit.Sandbox(model)
    assert box.model is not model and box.is_copy_of(model)
    intact = breakit.accuracy(box.model, x, y)
    assert intact > 0.98

    box.apply(breakit.Damage(inside.stages(model)[-1].main, "zero"))
    broken = breakit.accuracy(box.model, x, y)
    assert broken <= 0.15  # every digit gets the same score: one answer for all, right 1 time in 10
    assert broken == pytest.approx((y == 0).mean())

    box.apply(None)
    for restored, before in zip(weights_of(box.model), original, strict=True):
        np.testing.assert_array_equal(restored, before)  # exactly, not approximately
    assert breakit.accuracy(box.model, x, y) == intact
    for kept, before in zip(weights_of(model), original, strict=True):
        np.testing.assert_array_equal(kept, before)  # the shared model was never written to


def test_damage_is_reproducible_and_never_touches_the_original(models, seven):
    model = models["default_cnn"]
    original = weights_of(model)
    stage = inside.stages(model)[1]
    box = breakit.Sandbox(model)
    noise = breakit.Damage(stage.main, "noise", 1.0, seed=3)
    box.apply(noise)
    first = weights_of(box.model)
    box.apply(breakit.Damage(stage.main, "zero"))
    box.apply(noise)
    for a, b in zip(weights_of(box.model), first, strict=True):
        np.testing.assert_array_equal(a, b)  # same settings, same broken model (a shared link shows the same)
    assert not np.array_equal(np.asarray(box.model.get_layer(stage.main).kernel), np.asarray(
        model.get_layer(stage.main).kernel))

    box.apply(breakit.Damage(stage.main, "drop", 0.5, seed=1))
    acts = inside.trace(box.model, seven)[stage.output]
    off = np.asarray(box.model.get_layer(stage.main).kernel).reshape(-1, 32)
    dropped = np.flatnonzero(~off.any(axis=0))
    assert len(dropped) == 16
    assert (acts[..., dropped] == 0).all()  # batch norm's shift is switched off too: the maps are dark
    for kept, before in zip(weights_of(model), original, strict=True):
        np.testing.assert_array_equal(kept, before)


def test_break_it_works_for_every_architecture(models, seven):
    from mnist_core.predict import probabilities

    for model in models.values():
        box = breakit.Sandbox(model)
        for name, _ in breakit.breakable_layers(model):
            for mode in breakit.MODES:
                box.apply(breakit.Damage(name, mode, 0.5))
                assert np.isfinite(probabilities(box.model, seven[None])).all()
        box.restore()
        np.testing.assert_allclose(probabilities(box.model, seven[None]), probabilities(model, seven[None]))


def test_bad_damage_is_refused(models):
    with pytest.raises(InputError, match="Unknown damage"):
        breakit.Damage("dense", "melt")
    with pytest.raises(InputError, match="out of range"):
        breakit.Damage("dense", "drop", 1.5)
    model = models["mlp"]
    with pytest.raises(InputError, match="no weights"):
        breakit.damaged_weights(model, breakit.Damage(model.layers[0].name, "zero"))  # Flatten
