"""One training run from start to stored model: train (or fine-tune), evaluate, calibrate, card, save.

The only place that does this: the app's training worker and the command line both call `run()`.

    spec = RunSpec(PRESETS["quick"], name="quick")
    result = run(spec, load_mnist(), save=store_saver())      # into the model store, a fresh name
    result = run(spec, data, save=file_saver(Path("m.keras")))  # to a file (the CLI's --out)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .card import ModelCard, ParentRef, new_card
from .data import MnistData
from .errors import ConfigError
from .finetune import FinetuneConfig
from .models import ARCHITECTURES
from .progress import Status, TrainingProgress
from .speed import remember_run
from .store import ModelStore, StoredModel, read_card, save_model_atomic
from .train_config import CUSTOM, TrainConfig

if TYPE_CHECKING:  # pragma: no cover
    import keras

Saver = Callable[["keras.Model", ModelCard], StoredModel]
MIN_EPOCHS_KEPT = 0.5  # a run stopped before this much of its first epoch is not saved


@dataclass(frozen=True)
class RunSpec:
    """What to run: training (config), from scratch or from `parent`; or fine-tuning `parent` (finetune)."""

    config: TrainConfig
    name: str  # the model's name (the store makes it unique); "{epochs}" becomes the epochs really run
    finetune: FinetuneConfig | None = None
    parent: Path | None = None  # the .keras file to start from (fine-tuning, or the CLI's --init)
    parent_name: str = ""  # how to call the parent on the card (its store name); default: the file's stem
    source: str = "Train page"  # where the run was asked for, for the card
    command: str = ""  # the command line that repeats it (CLI runs)
    calibrate: bool = True  # fit the Draw page's "not sure" thresholds for the new model


@dataclass(frozen=True)
class RunResult:
    stored: StoredModel  # where the model went, and its card (metrics, calibration, history...)
    trainable_weights: int | None = None  # fine-tuning: weight tensors that were trained
    worker_niceness: int | None = None  # the CPU priority it trained at, when run by the worker

    @property
    def card(self) -> ModelCard:
        return self.stored.card


def store_saver(store: ModelStore | None = None) -> Saver:
    """Save into the model store under a new name made from the card's name."""

    def save(model: keras.Model, card: ModelCard) -> StoredModel:
        return (store or ModelStore()).add(model, card.name, card)

    return save


def file_saver(path: Path) -> Saver:
    """Save to one .keras file (and its card beside it), replacing what is there."""

    def save(model: keras.Model, card: ModelCard) -> StoredModel:
        card = replace(card, name=Path(path).stem)
        save_model_atomic(model, Path(path), card)
        return StoredModel(card.name, Path(path), card)

    return save


def run(spec: RunSpec, data: MnistData, save: Saver, progress: TrainingProgress | None = None,
        verbose: int = 0, say: Callable[[str], None] = lambda _: None) -> RunResult | None:
    """Carry out `spec` on MNIST `data` and save the model with its card.

    Args:
        spec: what to train and how to record it.
        data: MNIST (training images to learn from, test images to score on).
        save: where the model goes (store_saver() or file_saver(path)).
        progress: receives live figures and may ask to stop.
        verbose: Keras's own progress output (1 for a terminal bar, 2 for a line per epoch).
        say: receives a line for each step (the CLI prints them).
    Returns:
        RunResult with the stored model and its card; None (nothing saved) when `progress` asked to stop
        before MIN_EPOCHS_KEPT (half) of the first epoch had run.
    Raises:
        MnistLabError: bad settings, a missing or broken parent, an unwritable store.
    """
    from .distribute import strategy

    strategy()  # first: a multi-worker strategy must exist before any other TensorFlow op
    from .evaluate import evaluate

    progress = progress or TrainingProgress()
    progress.update(status=Status.PREPARING, detail="loading the model to start from" if spec.parent else
                    "building the model")
    parent_model, parent_ref = _parent(spec)
    if spec.finetune is not None:
        result, fields, trainable = _finetune(spec, parent_model, parent_ref, data, progress, verbose)
    else:
        result, fields, trainable = _train(spec, parent_model, data, progress, verbose)
        if not result.stopped_early and spec.parent is None:  # the next estimate of this run: its length
            remember_run(spec.config, result.seconds, len(data.x_train))
    if result.stopped_early and trained_epochs(result.history) < MIN_EPOCHS_KEPT:
        # stopped early in its first epoch: a model that has seen under half of the training images is not
        # kept (a class's store filled with 'simple_cnn-0.0ep' models that only the teacher could delete);
        # one stopped near the end of it is (0.9 of an epoch reads MNIST at ~97%)
        progress.update(detail="")
        say(f"stopped before {MIN_EPOCHS_KEPT:.0%} of the first epoch: nothing saved")
        return None
    progress.update(detail="scoring the 10,000 MNIST test digits")
    ev = evaluate(result.model, data.x_test, data.y_test)
    say(f"test accuracy {ev.accuracy:.4%} after {result.seconds:.0f} s of training")
    calibration = None
    if spec.calibrate:
        progress.update(detail="fitting the Draw page's 'not sure' thresholds")
        calibration = _calibration(result.model, data)
        say(f"calibration: sure at {calibration['sure_at']:.3f}, a digit at {calibration['digit_at']:.3f}")
    name = spec.name.replace("{epochs}", epochs_label(result.history))
    card = new_card(result.model, name, source=spec.source, command=spec.command, parent=parent_ref,
                    metrics={"test_accuracy": ev.accuracy, **ev.summary()}, history=result.history,
                    training_seconds=round(result.seconds, 1), precision=result.precision,
                    best_epoch=result.best_epoch, stopped_early=result.stopped_early, calibration=calibration,
                    **fields)
    progress.update(detail="saving")
    stored = save(result.model, card)
    progress.update(detail="")
    return RunResult(stored, trainable)


def trained_epochs(history: list[dict]) -> float:
    """How many epochs a run really trained: 3.0, or 2.4 when stopped 40% into the third."""
    if not history:
        return 0.0
    last = history[-1]
    return float(last.get("epoch", len(history))) - 1 + float(last.get("fraction", 1.0))


def epochs_label(history: list[dict]) -> str:
    """The epochs a run really trained, for its name: '3', or '2.4' when stopped in the third."""
    done = round(trained_epochs(history), 1)
    return f"{done:.0f}" if done == int(done) else f"{done:.1f}"  # 1.04 -> '1', not '1.0'


def _parent(spec: RunSpec) -> tuple[keras.Model | None, ParentRef | None]:
    if spec.parent is None:
        if spec.finetune is not None:
            raise ConfigError("fine-tuning needs a model to start from")
        return None, None
    from .distribute import strategy
    from .models import load_model

    with strategy().scope():  # under tf.distribute a model's weights must be made in the strategy's scope
        model = load_model(spec.parent)  # a fresh copy of this run's own: training changes its layers
    card = read_card(Path(spec.parent))
    return model, ParentRef(spec.parent_name or Path(spec.parent).stem, card.test_accuracy, card.command)


def _train(spec: RunSpec, start: keras.Model | None, data: MnistData, progress, verbose: int):
    from .train import train

    config = spec.config
    if start is not None and config.architecture != start.name:
        config = replace(config, architecture=start.name if start.name in ARCHITECTURES else CUSTOM)
    result = train(config, data.x_train, data.y_train, progress=progress, model=start, verbose=verbose)
    known = ARCHITECTURES.get(config.architecture)
    fields = {"architecture": config.architecture if known else result.model.name,
              "description": known.description if known else "a Keras model", "train_config": config.to_dict(),
              "augment": config.augment.to_dict(), "seed": config.seed}
    return result, fields, None


def _finetune(spec: RunSpec, parent: keras.Model, parent_ref: ParentRef, data: MnistData, progress, verbose: int):
    from .finetune import finetune, load_handwriting

    fc = spec.finetune
    handwriting = load_handwriting() if fc.source == "handwriting" else None
    out = finetune(parent, fc, data.x_train, data.y_train, data.x_test, data.y_test, handwriting=handwriting,
                   progress=progress, verbose=verbose)
    arch = read_card(Path(spec.parent)).architecture
    config = fc.train_config(arch if arch in ARCHITECTURES else CUSTOM)
    how = "new head" if fc.mode == "head" else "all layers"
    fields = {"architecture": arch or out.result.model.name,
              "description": f"{parent_ref.name} fine-tuned ({fc.mode}: {how}, {fc.source})",
              "train_config": config.to_dict(), "augment": config.augment.to_dict(), "seed": config.seed,
              "finetune": fc.to_dict(), "before": out.before, "after": out.after, "images": out.images,
              "handwriting_held_out": out.handwriting_held_out}
    return out.result, fields, out.trainable_weights


def _calibration(model: keras.Model, data: MnistData) -> dict:
    from .calibrate import calibrate

    return calibrate(model, data.x_test, data.y_test).to_dict()
