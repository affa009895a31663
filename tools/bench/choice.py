"""``python -m tools.bench choice``: the ``cpu`` profile's candidate networks under one budget.

The measurement itself is :mod:`unet_tutorial.experiments.model_choice`; this prints it as a
table and, with ``--out``, writes the JSON the book ships
(``unet_tutorial/measurements/cpu_choice.json``).
"""

from __future__ import annotations

import argparse
from typing import Any

from tools.bench import write_json
from unet_tutorial.experiments.model_choice import best_row, run_choice


def print_table(result: dict[str, Any]) -> None:
    """The measurement as aligned text."""
    width = max(len(row["label"]) for row in result["rows"])
    print(
        f"{'candidate':<{width}}  ms/img  epochs  train s  val IoU  test IoU  test Dice"
        f"   (budget {result['budget_seconds']:.0f} s each)"
    )
    for row in result["rows"]:
        print(
            f"{row['label']:<{width}}  {row['ms_per_image']:6.0f}  {row['epochs']:6d}  "
            f"{row['train_seconds']:7.0f}  {row['val_iou']:7.3f}  {row['test_iou']:8.3f}  "
            f"{row['test_dice']:9.3f}"
        )
    print(f"best validation IoU: {best_row(result['rows'])['label']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench choice",
        description="Train every candidate of the cpu profile under one time budget; print "
        "(and with --out save) the table chapter 8 shows.",
    )
    parser.add_argument("--root", help="dataset folder (default: the one the chapters use)")
    parser.add_argument(
        "--budget", type=float, default=400.0, help="training seconds per candidate (400)"
    )
    parser.add_argument(
        "--max-epochs", type=int, default=150, help="cap on a candidate's epochs (150)"
    )
    parser.add_argument("--out", help="write the measurement as JSON to this file")
    args = parser.parse_args(argv)
    result = run_choice(budget_seconds=args.budget, root=args.root, max_epochs=args.max_epochs)
    print_table(result)
    if args.out:
        write_json(result, args.out)
    return 0
