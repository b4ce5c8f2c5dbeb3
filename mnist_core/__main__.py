"""Command line: the same training and evaluation code the app uses.

    python -m mnist_core train --preset best --out assets/default_model.keras
    python -m mnist_core evaluate assets/default_model.keras
    python -m mnist_core train --preset quick --digits 0-4 --out /tmp/first-half.keras
    python -m mnist_core finetune /tmp/first-half.keras --mode head --digits 5-9 --out /tmp/second-half.keras
    python -m mnist_core export assets/default_model.keras
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .errors import MnistLabError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ info and warning lines: noise here


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines hidden (oneDNN and absl notices that no setting
    silences); they are shown after all if the import fails."""
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _command() -> str:
    return " ".join(["python -m mnist_core", *sys.argv[1:]])


def _verbose() -> int:
    return 1 if sys.stdout.isatty() else 2  # a live bar in a terminal, a line per epoch in a log


def _say(line: str) -> None:
    print(line, flush=True)


# TrainConfig fields -> (flag, help); every field gets a flag (augment: one per transform, below)
TRAIN_FLAGS = {
    "architecture": ("--architecture", "mlp, simple_cnn, default_cnn or row_lstm"),
    "epochs": ("--epochs", "passes over the training images"),
    "batch_size": ("--batch-size", "images per step"),
    "optimizer": ("--optimizer", "adam, sgd or rmsprop"),
    "learning_rate": ("--learning-rate", "peak learning rate"),
    "schedule": ("--schedule", "constant, cosine or step"),
    "train_subset": ("--subset", "train on the first N images (0 = all)"),
    "validation_split": ("--validation-split", "share of the training images held out for validation"),
    "label_smoothing": ("--label-smoothing", "0 to 0.5"),
    "outliers": ("--outliers", "share of non-digit scribbles added (outlier exposure)"),
    "seed": ("--seed", "random seed of the run"),
    "digits": ("--digits", "train only on these digits, e.g. 0-4 (the transfer demo)"),
    "precision": ("--precision", "float32, mixed_bfloat16 or auto"),
}


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    from dataclasses import fields

    from .augment import AugmentConfig
    from .train_config import TrainConfig, WorldMix

    for f in fields(TrainConfig):
        if f.name in ("augment", "world"):
            continue
        flag, help_text = TRAIN_FLAGS.get(f.name, (f"--{f.name.replace('_', '-')}", ""))
        kind = str if f.name in ("digits", "architecture", "optimizer", "schedule", "precision") else \
            type(f.default) if f.default is not None else str
        parser.add_argument(flag, dest=f"cfg_{f.name}", type=kind, help=help_text)
    group = parser.add_argument_group("augmentation (each transform's strength; 0 switches it off)")
    group.add_argument("--no-augment", action="store_true", help="no augmentation at all")
    for name, (low, high, _) in AugmentConfig.LIMITS.items():
        group.add_argument(f"--augment-{name}", dest=f"aug_{name}", type=float, help=f"{low:g} to {high:g}")
    group.add_argument("--augment-seed", dest="aug_seed", type=int)
    world = parser.add_argument_group("digits in the world's handwriting styles (shares of the training images)")
    world.add_argument("--no-world", action="store_true", help="none of them")
    for f in fields(WorldMix):
        world.add_argument(f"--world-{f.name.replace('_', '-')}", dest=f"world_{f.name}", type=float,
                           help="0 to 1")


def _config(args: argparse.Namespace):
    """The preset with every flag given applied (validated by TrainConfig/AugmentConfig)."""
    from dataclasses import replace

    from .augment import AugmentConfig
    from .train_config import PRESETS, WorldMix, parse_digits, with_overrides

    values = {k.removeprefix("cfg_"): v for k, v in vars(args).items() if k.startswith("cfg_") and v is not None}
    if "digits" in values:
        values["digits"] = parse_digits(values["digits"])
    config = with_overrides(PRESETS[args.preset], **values)
    augment = AugmentConfig() if args.no_augment else config.augment
    changes = {k.removeprefix("aug_"): v for k, v in vars(args).items() if k.startswith("aug_") and v is not None}
    world = WorldMix() if args.no_world else config.world
    shares = {k.removeprefix("world_"): v for k, v in vars(args).items() if k.startswith("world_") and v is not None}
    return with_overrides(config, augment=replace(augment, **changes) if changes else augment,
                          world=replace(world, **shares) if shares else world)


def _train(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .runs import RunSpec, file_saver, run

    config = _config(args)
    _check_out(Path(args.out))
    data = load_mnist(args.data_dir)
    digits = f" on digits {', '.join(map(str, config.digits))}" if config.digits else ""
    _say(f"MNIST from {data.source}; training {config.architecture} for {config.epochs} epochs{digits}"
         + (f", starting from {args.init}" if args.init else ""))
    spec = RunSpec(config, Path(args.out).stem, parent=Path(args.init) if args.init else None,
                   source="command line", command=_command(), calibrate=not args.no_calibrate)
    run(spec, data, file_saver(Path(args.out)), verbose=_verbose(), say=_say)
    _say(f"saved {args.out} and {Path(args.out).with_suffix('.json')}")
    return 0


def _check_out(out: Path) -> None:
    """Refuse an --out that cannot be written before training, not after it."""
    from .store import temp_beside

    if out.suffix != ".keras":
        raise MnistLabError(f"{out.name}: --out must end in .keras")
    try:
        with temp_beside(out) as tmp:
            tmp.write_bytes(b"\0")
    except OSError as err:
        raise MnistLabError(f"cannot write beside {out} ({err.strerror or err}): choose another --out") from err


def _finetune(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .finetune import FinetuneConfig
    from .runs import RunSpec, file_saver, run
    from .train_config import parse_digits

    fc = FinetuneConfig(mode=args.mode, source=args.source, digits=parse_digits(args.digits or ""),
                        subset=args.subset, replay=args.replay, epochs=args.epochs, batch_size=args.batch_size,
                        learning_rate=args.learning_rate, seed=args.seed)
    parent = Path(args.parent)
    _check_out(Path(args.out))
    data = load_mnist(args.data_dir)
    _say(f"fine-tuning {parent.name} ({fc.mode}) on {fc.source} for {fc.epochs} epochs at lr {fc.lr:g}")
    spec = RunSpec(fc.train_config(), Path(args.out).stem, finetune=fc, parent=parent, source="command line",
                   command=_command(), calibrate=not args.no_calibrate)
    result = run(spec, data, file_saver(Path(args.out)), verbose=_verbose(), say=_say)
    for key, before in (result.card.before or {}).items():
        after = (result.card.after or {}).get(key)
        if before is not None and after is not None:
            _say(f"{key}: {before:.2%} -> {after:.2%}")
    _say(f"saved {args.out} and {Path(args.out).with_suffix('.json')}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .calibrate import calibrate
    from .data import load_mnist
    from .predict import load_predictor
    from .store import read_card, write_card

    data = load_mnist(args.data_dir)
    cal = calibrate(load_predictor(args.model), data.x_test, data.y_test)  # its ONNX export where there is one
    _say(f"calibration: sure at {cal.sure_at:.3f}, a digit at {cal.digit_at:.3f}; {cal.measured}")
    write_card(Path(args.model).with_suffix(".json"), replace(read_card(Path(args.model)), calibration=cal.to_dict()))
    _say(f"updated {Path(args.model).with_suffix('.json')}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .evaluate import evaluate
    from .models import load_model

    model = load_model(args.model)
    data = load_mnist(args.data_dir)
    start = time.time()
    ev = evaluate(model, data.x_test, data.y_test)
    summary = ev.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{args.model}: test accuracy {ev.accuracy:.4%} ({time.time() - start:.1f} s)")
        print("digit  precision  recall  f1      support")
        for d, row in summary["per_class"].items():
            print(f"  {d}    {row['precision']:.4f}     {row['recall']:.4f}  {row['f1']:.4f}  {row['support']}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from .export import export_beside

    for model in args.models:
        _say(f"wrote {export_beside(model)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_core", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="folder with MNIST (default: $MNIST_DATA_DIR, Keras cache, download)")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model and save it with its metadata card")
    t.add_argument("--preset", choices=["quick", "best"], default="quick", help="the settings to start from")
    t.add_argument("--out", required=True, help="where to save the .keras model (card saved beside it)")
    _add_config_flags(t)
    t.add_argument("--init", help="start from this .keras model instead of a fresh one (fine-tuning)")
    t.add_argument("--no-calibrate", action="store_true", help="skip fitting the Draw page's 'not sure' thresholds")
    t.set_defaults(func=_train)

    f = sub.add_parser("finetune", help="fine-tune a .keras model and save the result with its card")
    f.add_argument("parent", help="the .keras model to start from")
    f.add_argument("--out", required=True)
    f.add_argument("--mode", choices=["head", "all"], default="head")
    f.add_argument("--source", choices=["mnist", "handwriting"], default="mnist")
    f.add_argument("--digits", help="MNIST digits to fine-tune on, e.g. 5-9")
    f.add_argument("--subset", type=int, default=6000)
    f.add_argument("--replay", type=int, default=3000)
    f.add_argument("--epochs", type=int, default=3)
    f.add_argument("--batch-size", type=int, default=64)
    f.add_argument("--learning-rate", type=float)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--no-calibrate", action="store_true", help="skip fitting the Draw page's 'not sure' thresholds")
    f.set_defaults(func=_finetune)

    e = sub.add_parser("evaluate", help="evaluate a .keras model on MNIST test")
    e.add_argument("model")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_evaluate)

    c = sub.add_parser("calibrate", help="fit the 'not sure' thresholds of a model and write them into its card")
    c.add_argument("model")
    c.set_defaults(func=_calibrate)

    x = sub.add_parser("export", help="write the ONNX file beside .keras models (what Draw predicts with)")
    x.add_argument("models", nargs="+", help=".keras files; each gets NAME.onnx beside it")
    x.set_defaults(func=_export)

    args = parser.parse_args(argv)
    _import_tensorflow_quietly()  # creates no TensorFlow op: a multi-worker strategy can still be made
    try:
        return args.func(args)
    except MnistLabError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
