"""``python -m tools.bench recipe``: variants of the ``cpu`` recipe, each from several seeds.

The measurement itself is :mod:`unet_tutorial.experiments.recipe_choice`; this prints it as a
table (mean and range over the seeds) and, with ``--out``, writes the JSON the book ships
(``unet_tutorial/measurements/cpu_recipe.json``). Runs are kept in the run store, so the
variants can be trained by several invocations at once (say, one per core with
``OMP_NUM_THREADS=1``) and a last invocation over all of them reuses every finished run and
writes the whole table.
"""

from __future__ import annotations

import argparse
from typing import Any

from tools.bench import write_json
from unet_tutorial.experiments.recipe_choice import SEEDS, VARIANTS, run_recipe


def parse_plan(items: list[str], seeds: list[int]) -> dict[str, list[int]]:
    """``["before", "ema:42,43"]`` → ``{"before": seeds, "ema": [42, 43]}``."""
    plan: dict[str, list[int]] = {}
    for item in items:
        name, _, own = item.partition(":")
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; choose among {', '.join(VARIANTS)}.")
        try:
            plan[name] = [int(seed) for seed in own.split(",")] if own else list(seeds)
        except ValueError:
            raise SystemExit(f"seeds must be whole numbers: {item!r}") from None
    return plan


def spread(values: dict[str, float]) -> str:
    """``mean (min-max)`` of one summary entry, three decimals."""
    return f"{values['mean']:.3f} ({values['min']:.3f}-{values['max']:.3f})"


def print_table(result: dict[str, Any]) -> None:
    """The summary as aligned text, one variant a line."""
    print("mean (lowest-highest) over each variant's seeds")
    header = ("variant", "seeds", "val IoU", "test IoU", "test IoU, flip", "val jitter", "train s")
    print(f"{header[0]:>12}  " + "  ".join(f"{h:<19}" for h in header[1:]))
    for name, summary in result["summary"].items():
        cells = [
            spread(summary[key]) for key in ("val_iou", "test_iou", "test_iou_flip", "val_jitter")
        ]
        seeds = [row["seed"] for row in result["rows"] if row["variant"] == name]
        cells.insert(0, ",".join(str(seed) for seed in seeds))
        seconds = summary["train_seconds"]
        cells.append(f"{seconds['mean']:.0f} ({seconds['min']:.0f}-{seconds['max']:.0f})")
        print(f"{name:>12}  " + "  ".join(f"{c:<19}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench recipe",
        description="Train variants of the cpu recipe from several seeds (equal epochs and "
        "stopping rule); print (and with --out save) the table chapter 8 shows.",
    )
    parser.add_argument("--root", help="dataset folder (default: the one the chapters use)")
    parser.add_argument(
        "--variants",
        nargs="+",
        default=list(VARIANTS),
        metavar="NAME[:SEED,...]",
        help=f"variants among {', '.join(VARIANTS)}, each with its own seeds or --seeds's",
    )
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=list(SEEDS), help="default seeds (42 43 44)"
    )
    parser.add_argument("--out", help="write the measurement as JSON to this file")
    args = parser.parse_args(argv)
    result = run_recipe(parse_plan(args.variants, args.seeds), root=args.root)
    print_table(result)
    if args.out:
        write_json(result, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
