"""``inspect``: the check of a dataset folder that both command lines run
(``python -m unet_tutorial inspect`` and ``python -m unet_tutorial.data inspect``), with one
definition of its arguments.

``inspect [DIR] [--classes N | --color R,G,B=K ...] [--json]`` prints pairs found, orphans,
excluded pairs with the reason, near-duplicate groups, the split sizes (with a warning when
the groups pull a split off its share) and what the masks hold (binary: their kinds and the
foreground share; with classes: each class's share of the pixels, and values no class
explains); ``--json`` prints one JSON object with the keys ``pairs``, ``usable``, ``excluded``,
``orphans``, ``duplicate_groups``, ``split``, ``split_warning`` (``null`` when none) and
``masks`` (plus ``root``). It exits with 1 when the masks do not fit the segmentation asked for.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from unet_tutorial.data.checks import DatasetScan, fact_store, scan_dataset
from unet_tutorial.data.classes import add_class_options, resolve_class_table
from unet_tutorial.data.io import CorruptFileError
from unet_tutorial.data.locate import (
    HOW_TO_GET_THE_DATA,
    DatasetNotFoundError,
    default_cache_dir,
    locate_dataset,
)
from unet_tutorial.data.split import grouped_split
from unet_tutorial.data.survey import describe_masks


def add_inspect_arguments(parser: argparse.ArgumentParser, *, folder_required: bool) -> None:
    """``inspect``'s arguments on ``parser``: the dataset folder ``dir`` (optional unless
    ``folder_required``: then the folder the chapters would use), the class options,
    ``--json``, ``--seed``, ``--skip-bad`` and ``--no-cache``."""
    if folder_required:
        parser.add_argument("dir", type=Path, help="dataset folder (images/ + masks/)")
    else:
        parser.add_argument(
            "dir",
            type=Path,
            nargs="?",
            help="dataset folder (images/ + masks/; default: the one the chapters use)",
        )
    add_class_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seed", type=int, default=42, help="seed of the split (default 42)")
    parser.add_argument("--skip-bad", action="store_true", help="skip undecodable files")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write a cache")


def print_report(
    scan: DatasetScan, split_sizes: dict[str, int], seed: int, split_warning: str | None = None
) -> None:
    """The human-readable report of ``inspect`` (``split_warning``: what
    :meth:`~unet_tutorial.data.split.Split.share_problem` says, if anything)."""
    print(f"dataset: {scan.root}")
    print(f"pairs found: {len(scan.pairs)}  usable: {len(scan.usable)}")
    print(f"orphans: {len(scan.orphans)}")
    for orphan in scan.orphans:
        print(f"  {orphan.id}: {orphan.reason}")
    print(f"excluded pairs: {len(scan.excluded)}")
    for problem in scan.excluded:
        print(f"  {problem.id}: {problem.reason}")
    print(f"near-duplicate groups: {len(scan.duplicate_groups)}")
    for group in scan.duplicate_groups:
        print("  " + ", ".join(group))
    sizes = ", ".join(f"{name} {count}" for name, count in split_sizes.items())
    print(f"split (grouped by near-duplicates, seed {seed}): {sizes}")
    if split_warning:
        print(f"warning: {split_warning}")


def inspect_folder(
    folder: str | Path | None,
    *,
    classes: int | None = None,
    colors: Sequence[str] | None = None,
    as_json: bool = False,
    seed: int = 42,
    skip_bad: bool = False,
    no_cache: bool = False,
) -> int:
    """``inspect``: the report on a dataset folder (see the module docstring); returns the exit
    code (1 for a missing folder, an unreadable file or masks that do not fit)."""
    try:
        root = locate_dataset(folder)
        if root is None:
            raise DatasetNotFoundError(f"No dataset found. {HOW_TO_GET_THE_DATA}")
        table = resolve_class_table(classes, colors, root)
        cache_dir = None if no_cache else default_cache_dir()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report below says it all
            scan = scan_dataset(
                root,
                on_error="skip" if skip_bad else "raise",
                cache_dir=None if no_cache else "default",
                warn=False,
            )
    except (DatasetNotFoundError, CorruptFileError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    split = grouped_split([p.id for p in scan.usable], scan.duplicate_groups, seed=seed, warn=False)
    problem = split.share_problem()
    masks = describe_masks(((p.id, p.mask) for p in scan.usable), table, fact_store(cache_dir))
    if as_json:
        report = scan.to_dict(split.sizes())
        report["split_warning"] = problem
        report["masks"] = masks.to_dict()
        print(json.dumps(report))
    else:
        print_report(scan, split.sizes(), seed, problem)
        for line in masks.lines():
            print(line)
    return 1 if masks.problems() else 0


def inspect_from_args(args: argparse.Namespace) -> int:
    """``inspect`` with the options of :func:`add_inspect_arguments`."""
    return inspect_folder(
        args.dir,
        classes=args.classes,
        colors=args.color,
        as_json=args.json,
        seed=args.seed,
        skip_bad=args.skip_bad,
        no_cache=args.no_cache,
    )
