"""``python -m unet_tutorial.data download|inspect [DIR] [--json]``.

- ``download [DIR]``: fetch the Kaggle dataset into DIR (default ``data/flood-area-segmentation``).
- ``inspect [DIR] [--json]``: check a dataset folder (default: the one the chapters would use)
  and print pairs found, orphans, excluded pairs with the reason, near-duplicate groups and the
  split sizes; ``--json`` prints one JSON object with the keys ``pairs``, ``usable``,
  ``excluded``, ``orphans``, ``duplicate_groups`` and ``split`` (plus ``root``).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from unet_tutorial.data.checks import DatasetScan, scan_dataset
from unet_tutorial.data.download import DownloadError, download_dataset
from unet_tutorial.data.io import CorruptFileError
from unet_tutorial.data.locate import HOW_TO_GET_THE_DATA, DatasetNotFoundError, locate_dataset
from unet_tutorial.data.split import grouped_split


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m unet_tutorial.data", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("download", help="download the Kaggle dataset")
    get.add_argument("dir", nargs="?", help="target folder (default data/flood-area-segmentation)")
    get.add_argument("--timeout", type=float, default=300.0, help="seconds for the download")
    check = commands.add_parser("inspect", help="check a dataset folder")
    check.add_argument("dir", nargs="?", help="dataset folder (default: the one chapters use)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--seed", type=int, default=42, help="seed of the split (default 42)")
    check.add_argument("--skip-bad", action="store_true", help="skip undecodable files")
    check.add_argument("--no-cache", action="store_true", help="do not read or write data/cache")
    return parser


def print_report(scan: DatasetScan, split_sizes: dict[str, int], seed: int) -> None:
    """The human-readable report of ``inspect``."""
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "download":
        try:
            path = download_dataset(args.dir, timeout=args.timeout)
        except DownloadError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"dataset ready in {path}")
        return 0
    try:
        root = locate_dataset(args.dir)
        if root is None:
            raise DatasetNotFoundError(f"No dataset found. {HOW_TO_GET_THE_DATA}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report below says it all
            scan = scan_dataset(
                root,
                on_error="skip" if args.skip_bad else "raise",
                cache_dir=None if args.no_cache else "default",
                warn=False,
            )
    except (DatasetNotFoundError, CorruptFileError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    split = grouped_split([p.id for p in scan.usable], scan.duplicate_groups, seed=args.seed)
    if args.json:
        report = scan.to_dict(split.sizes())
        print(json.dumps(report))
    else:
        print_report(scan, split.sizes(), args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
