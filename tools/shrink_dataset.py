"""``python -m tools.shrink_dataset SRC DST``: a small copy of a dataset for a GPU check.

A lent GPU machine receives only the checkout and carried paths (64 MiB in all), so the real
dataset (77 MB) travels as a copy whose photos and masks are shrunk to at most ``--max-side``
pixels (PNG masks stay exact by nearest-neighbour resizing; photos become JPEG). Pairing files
(``metadata.csv``) are copied as they are.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from PIL import Image

from unet_tutorial.data.io import IMAGE_EXTENSIONS


def shrink(source: Path, target: Path, max_side: int) -> int:
    """Copy ``source`` to ``target`` with every image at most ``max_side`` pixels; the count."""
    count = 0
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() not in IMAGE_EXTENSIONS:
            shutil.copy2(path, destination)
            continue
        with Image.open(path) as image:
            is_mask = image.mode in ("1", "L", "P") or "mask" in str(path.parent).lower()
            image.thumbnail(
                (max_side, max_side),
                Image.Resampling.NEAREST if is_mask else Image.Resampling.LANCZOS,
            )
            if is_mask:
                image.save(destination)
            else:
                image.convert("RGB").save(destination, format="JPEG", quality=90)
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.shrink_dataset", description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--max-side", type=int, default=512)
    args = parser.parse_args(argv)
    count = shrink(args.source, args.target, args.max_side)
    size = sum(p.stat().st_size for p in args.target.rglob("*") if p.is_file()) / 1e6
    print(f"wrote {count} images to {args.target} ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
