"""Pairing each photo with its mask: through ``metadata.csv`` when present, else by file stem.

Never by position in two directory listings: ``os.listdir`` gives no order guarantee, and one
missing file shifts every later pair (the original tutorial's first defect).
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from unet_tutorial.data.io import IMAGE_EXTENSIONS
from unet_tutorial.data.locate import DatasetLayout


class DatasetWarning(UserWarning):
    """Something in a dataset was left out or looks wrong (orphans, label errors, bad files)."""


@dataclass(frozen=True)
class Pair:
    """One photo and its mask. ``id`` is the photo's file stem (``"14"`` for ``14.jpg``)."""

    id: str
    image: Path
    mask: Path


@dataclass(frozen=True)
class Problem:
    """A sample that is not used, and why (an orphan file or row, an excluded pair)."""

    id: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class Pairing:
    """The pairs found in a dataset folder and the orphans left over."""

    pairs: list[Pair]
    orphans: list[Problem]


def natural_key(text: str) -> tuple:
    """Sort key putting ``"2"`` before ``"10"``: digit runs compare as numbers."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )


def image_files(folder: Path) -> list[Path]:
    """Image files of ``folder`` (by extension, hidden files skipped), in natural order."""
    files = [
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS
    ]
    return sorted(files, key=lambda p: natural_key(p.name))


def _by_stem(files: Iterable[Path], what: str) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in files:
        if path.stem in found:
            raise ValueError(
                f"Two {what} files share the stem {path.stem!r}: {found[path.stem].name} and "
                f"{path.name}; pairing by stem needs unique stems. Rename or remove one."
            )
        found[path.stem] = path
    return found


def pair_by_stem(images: Iterable[Path], masks: Iterable[Path]) -> Pairing:
    """Pair files whose names share a stem (``14.jpg`` with ``14.png``); the order is irrelevant.

    Raises:
        ValueError: when two images (or two masks) share a stem.
    """
    image_by_stem = _by_stem(images, "image")
    mask_by_stem = _by_stem(masks, "mask")
    pairs = [Pair(s, image_by_stem[s], mask_by_stem[s]) for s in image_by_stem if s in mask_by_stem]
    orphans = [
        Problem(s, f"image {p.name} has no mask")
        for s, p in image_by_stem.items()
        if s not in mask_by_stem
    ]
    orphans += [
        Problem(s, f"mask {p.name} has no image")
        for s, p in mask_by_stem.items()
        if s not in image_by_stem
    ]
    return Pairing(_sorted(pairs), sorted(orphans, key=lambda o: natural_key(o.id)))


def read_metadata(path: Path) -> list[tuple[str, str]]:
    """``(image file name, mask file name)`` rows of a ``metadata.csv`` with columns Image, Mask.

    Raises:
        ValueError: naming the file when the columns are missing.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = {name.strip().lower(): name for name in reader.fieldnames or []}
        if "image" not in columns or "mask" not in columns:
            raise ValueError(
                f"{path}: expected the columns 'Image' and 'Mask', found {reader.fieldnames}. "
                "Fix the header or delete the file to pair images and masks by file stem."
            )
        return [
            (row[columns["image"]].strip(), row[columns["mask"]].strip())
            for row in reader
            if (row[columns["image"]] or "").strip()
        ]


def pair_by_metadata(
    rows: Iterable[tuple[str, str]], images: Iterable[Path], masks: Iterable[Path]
) -> Pairing:
    """Pair through metadata rows; rows with a missing file and unlisted files are orphans."""
    image_by_name = {p.name: p for p in images}
    mask_by_name = {p.name: p for p in masks}
    pairs, orphans = [], []
    listed_images, listed_masks = set(), set()
    for image_name, mask_name in rows:
        listed_images.add(image_name)
        listed_masks.add(mask_name)
        sample_id = Path(image_name).stem
        missing = [
            f"{kind} {name}"
            for kind, name, found in (
                ("image", image_name, image_by_name),
                ("mask", mask_name, mask_by_name),
            )
            if name not in found
        ]
        if missing:
            orphans.append(
                Problem(
                    sample_id,
                    f"metadata.csv row {image_name},{mask_name}: {' and '.join(missing)} missing",
                )
            )
        else:
            pairs.append(Pair(sample_id, image_by_name[image_name], mask_by_name[mask_name]))
    orphans += [
        Problem(p.stem, f"image {name} is not listed in metadata.csv")
        for name, p in image_by_name.items()
        if name not in listed_images
    ]
    orphans += [
        Problem(p.stem, f"mask {name} is not listed in metadata.csv")
        for name, p in mask_by_name.items()
        if name not in listed_masks
    ]
    ids = [pair.id for pair in pairs]
    if len(set(ids)) != len(ids):
        duplicated = sorted({i for i in ids if ids.count(i) > 1}, key=natural_key)
        raise ValueError(f"metadata.csv lists the image stems {duplicated} more than once.")
    return Pairing(_sorted(pairs), sorted(orphans, key=lambda o: natural_key(o.id)))


def _sorted(pairs: list[Pair]) -> list[Pair]:
    return sorted(pairs, key=lambda pair: natural_key(pair.id))


def summarize(problems: list[Problem], what: str, limit: int = 10) -> str:
    """One line naming up to ``limit`` problems: ``"4 orphans: 1024 (...), ..."``."""
    shown = "; ".join(f"{p.id} ({p.reason})" for p in problems[:limit])
    more = f"; and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} {what}: {shown}{more}"


def pair_files(layout: DatasetLayout, warn: bool = True) -> Pairing:
    """All image/mask pairs of a dataset folder, sorted by id, with one warning for orphans."""
    images, masks = image_files(layout.image_dir), image_files(layout.mask_dir)
    if layout.metadata is not None:
        pairing = pair_by_metadata(read_metadata(layout.metadata), images, masks)
    else:
        pairing = pair_by_stem(images, masks)
    if warn and pairing.orphans:
        message = summarize(pairing.orphans, "orphans left out")
        warnings.warn(DatasetWarning(message), stacklevel=2)
    return pairing
