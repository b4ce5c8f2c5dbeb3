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
import sys
import time
from pathlib import Path

from .errors import MnistLabError


def _command() -> str:
    return " ".join(["python -m mnist_core", *sys.argv[1:]])


def _verbose() -> int:
    return 1 if sys.stdout.isatty() else 2  # a live bar in a terminal, a line per epoch in a log


def _say(line: str) -> None:
    print(line, flush=True)


def _train(args: argparse.Namespace) -> int:
    from .augment import AugmentConfig
    from .data import load_mnist
    from .runs import RunSpec, file_saver, run
    from .train_config import PRESETS, parse_digits, with_overrides

    config = with_overrides(
        PRESETS[args.preset],
        architecture=args.architecture,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        train_subset=args.subset,
        validation_split=args.validation_split,
        outliers=args.outliers,
        seed=args.seed,
        digits=parse_digits(args.digits) if args.digits is not None else None,
    )
    if args.no_augment:
        config = with_overrides(config, augment=AugmentConfig())
    data = load_mnist(args.data_dir)
    digits = f" on digits {', '.join(map(str, config.digits))}" if config.digits else ""
    _say(f"MNIST from {data.source}; training {config.architecture} for {config.epochs} epochs{digits}"
         + (f", starting from {args.init}" if args.init else ""))
    spec = RunSpec(config, Path(args.out).stem, parent=Path(args.init) if args.init else None,
                   source="command line", command=_command(), calibrate=not args.no_calibrate)
    run(spec, data, file_saver(Path(args.out)), verbose=_verbose(), say=_say)
    _say(f"saved {args.out} and {Path(args.out).with_suffix('.json')}")
    return 0


def _finetune(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .finetune import FinetuneConfig
    from .runs import RunSpec, file_saver, run
    from .train_config import parse_digits

    fc = FinetuneConfig(mode=args.mode, source=args.source, digits=parse_digits(args.digits or ""),
                        subset=args.subset, replay=args.replay, epochs=args.epochs, batch_size=args.batch_size,
                        learning_rate=args.learning_rate, seed=args.seed)
    parent = Path(args.parent)
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
    from .models import load_model
    from .store import read_card, write_card

    data = load_mnist(args.data_dir)
    cal = calibrate(load_model(args.model), data.x_test, data.y_test)
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
    t.add_argument("--preset", choices=["quick", "best"], default="quick")
    t.add_argument("--out", required=True, help="where to save the .keras model (card saved beside it)")
    t.add_argument("--architecture")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--learning-rate", type=float)
    t.add_argument("--subset", type=int, help="train on the first N images")
    t.add_argument("--validation-split", type=float)
    t.add_argument("--seed", type=int)
    t.add_argument("--digits", help="train only on these digits, e.g. 0-4 (the transfer demo)")
    t.add_argument("--no-augment", action="store_true")
    t.add_argument("--outliers", type=float, help="share of non-digit scribbles added (outlier exposure)")
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
