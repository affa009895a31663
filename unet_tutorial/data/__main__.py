"""``python -m unet_tutorial.data download|inspect [DIR] [--json]``.

- ``download [DIR]``: fetch the Kaggle dataset into DIR (default ``data/flood-area-segmentation``).
- ``inspect [DIR] ...``: check a dataset folder (default: the one the chapters would use); the
  same command as ``python -m unet_tutorial inspect`` (:mod:`unet_tutorial.data.inspection`).
"""

from __future__ import annotations

import argparse
import sys

from unet_tutorial.data.download import DownloadError, download_dataset
from unet_tutorial.data.inspection import add_inspect_arguments, inspect_from_args


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m unet_tutorial.data", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("download", help="download the Kaggle dataset")
    get.add_argument("dir", nargs="?", help="target folder (default data/flood-area-segmentation)")
    get.add_argument("--timeout", type=float, default=300.0, help="seconds for the download")
    check = commands.add_parser("inspect", help="check a dataset folder")
    add_inspect_arguments(check, folder_required=False)
    return parser


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
    return inspect_from_args(args)


if __name__ == "__main__":
    raise SystemExit(main())
