import numpy as np
import plotly.graph_objects as go

from mnist_core.evaluate import agreement, evaluate_probabilities, mistakes
from mnist_core.train_plots import bin_points, confusion_figure, curves_figure, per_class_figure, smooth


def test_bin_points_keeps_short_logs_and_averages_long_ones():
    short = [(0.1, 2.0, 0.1), (0.2, 1.0, 0.2)]
    np.testing.assert_array_equal(bin_points(short), np.array(short))
    long = [(i / 1000, float(i), 0.5) for i in range(1000)]
    binned = bin_points(long, max_points=100)
    assert binned.shape == (100, 3)
    assert binned[0, 1] == np.mean(range(10)) and binned[-1, 1] == np.mean(range(990, 1000))


def test_curves_show_batches_epochs_and_validation():
    history = [{"epoch": 1, "loss": 0.5, "accuracy": 0.8, "val_loss": 0.4, "val_accuracy": 0.85},
               {"epoch": 2, "loss": 0.3, "accuracy": 0.9, "val_loss": 0.35, "val_accuracy": 0.9}]
    batches = [(i / 10, 1.0 - i / 20, i / 20) for i in range(1, 21)]
    fig = curves_figure(history, batches, epochs=5)
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    assert names.count("training, per batch") == 2 and names.count("validation") == 2
    val_acc = next(t for t in fig.data if t.name == "validation" and t.xaxis == "x2")
    assert list(val_acc.y) == [0.85, 0.9]
    assert fig.layout.xaxis.range[1] >= 5
    assert len(curves_figure([], []).data) == 0  # nothing yet: an empty figure, no error
    smoothed = curves_figure(history, batches, epochs=5, batches_per_epoch=100)
    assert "training, per batch (mean of 5)" in [t.name for t in smoothed.data]  # the legend says so


def test_a_stopped_epoch_sits_where_it_stopped_and_smoothing_runs_across_epochs():
    history = [{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.4, "fraction": 0.25}]
    fig = curves_figure(history, [(0.5, 1.0, 0.5), (1.0, 0.8, 0.6), (1.25, 0.7, 0.7)], epochs=10)
    epoch_line = next(t for t in fig.data if t.name == "training (epoch)")
    assert list(epoch_line.x) == [1.0, 1.25]  # the partial epoch is kept, at 1.25 epochs
    out = smooth([(0.9, 1.0, 0.1), (1.0, 3.0, float("nan")), (1.1, 5.0, 0.3)], window=2)
    np.testing.assert_allclose(out[:, 1], [1.0, 2.0, 4.0])  # a trailing mean that does not restart at 1.0
    np.testing.assert_allclose(out[:, 2], [0.1, 0.1, 0.3])  # a batch of non-digits only (NaN) is skipped


def test_confusion_cells_carry_true_and_predicted_digit():
    cm = np.arange(100).reshape(10, 10)
    fig = confusion_figure(cm, selected=(3, 5))
    overlay = fig.data[-1]
    k = list(zip(overlay.y, overlay.x, strict=True)).index(("3", "5"))
    assert list(overlay.customdata[k])[:2] == [3, 5] and overlay.text[k] == "35"
    assert len(fig.layout.shapes) == 1


def test_only_cells_with_digits_offer_a_click():
    fig = confusion_figure(np.array([[5, 0], [2, 7]]), None)
    hover = dict(zip(map(tuple, fig.data[-1].customdata), fig.data[-1].hovertext, strict=True))
    assert hover[(0, 1, 0)] == "true 0, the model said 1: 0 test digits"  # nothing to see there
    assert hover[(1, 0, 2)] == "true 1, the model said 0: 2 test digits<br>click to see them"


def test_confusion_text_is_white_on_dark_cells_and_blank_where_no_mistake():
    cm = np.diag(np.full(10, 900))
    cm[4, 9], cm[7, 2] = 40, 1  # one busy mistake cell (dark red), one light one
    overlay = confusion_figure(cm).data[-1]
    cell = {(t, p): k for k, (t, p) in enumerate(zip(overlay.y, overlay.x, strict=True))}
    colour = overlay.textfont.color
    assert colour[cell[("4", "9")]] == "white"
    assert colour[cell[("7", "2")]] != "white" and colour[cell[("3", "3")]] != "white"  # light red, grey diagonal
    assert overlay.text[cell[("0", "1")]] == "" and overlay.text[cell[("3", "3")]] == "900"
    # a count wider than its cell on a phone ('1,004' in the last column) runs into the margin, not cut
    assert overlay.cliponaxis is False and confusion_figure(cm).layout.margin.r >= 16


def test_per_class_figure_has_a_bar_group_per_model():
    fig = per_class_figure({"a": np.full(10, 0.99), "b": np.full(10, 0.98)})
    assert [t.name for t in fig.data] == ["a", "b"] and len(fig.data[0].y) == 10


def test_mistakes_are_ordered_by_confidence_and_filtered_by_cell():
    y = np.array([0, 1, 2, 3, 4])
    probs = np.full((5, 10), 0.01)
    probs[0, 7], probs[1, 1], probs[2, 7], probs[3, 8], probs[4, 4] = 0.6, 0.9, 0.9, 0.7, 0.9
    ev = evaluate_probabilities(probs / probs.sum(axis=1, keepdims=True), y)
    assert list(mistakes(ev, y)) == [2, 3, 0]
    assert list(mistakes(ev, y, predicted=7)) == [2, 0]
    assert list(mistakes(ev, y, true=0, predicted=7)) == [0]
    assert list(mistakes(ev, y, limit=1)) == [2]
    other = evaluate_probabilities(np.eye(10)[y], y)
    assert agreement(ev, other, y) == {"both_right": 2, "only_first": 0, "only_second": 3, "both_wrong": 0,
                                       "disagree": 3}


def test_the_curves_titles_fit_side_by_side_on_a_phone():
    """On a 390 px phone 'Loss (lower is better)' ran into 'Accuracy (higher is bette': two short lines each."""
    fig = curves_figure([{"epoch": 1, "loss": 0.3, "accuracy": 0.9}], [], epochs=3)
    titles = [a.text for a in fig.layout.annotations]
    assert [t.split("<br>")[0] for t in titles] == ["Loss", "Accuracy"]
    assert max(len(line) for t in titles for line in t.split("<br>")) <= 18, titles
