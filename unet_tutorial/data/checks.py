"""Checking a dataset folder before training on it: pairs, label errors, bad files, duplicates.

:func:`scan_dataset` pairs the files, reads every header (sizes, formats), excludes pairs whose
mask size differs from the photo's (a label error: resizing both to a fixed size would hide it),
and hashes every photo to find near-duplicates. Problems come back in the result and in one
warning per kind; nothing is dropped silently.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from unet_tutorial.data.cache import FactStore
from unet_tutorial.data.duplicates import MAX_DISTANCE, dhash_file, group_near_duplicates
from unet_tutorial.data.binary_masks import read_mask
from unet_tutorial.data.io import CorruptFileError, file_format, image_size
from unet_tutorial.data.locate import DatasetLayout, default_cache_dir, find_layout
from unet_tutorial.data.pairing import DatasetWarning, Pair, Problem, pair_files, summarize

OnError = Literal["raise", "skip"]
T = TypeVar("T")


@dataclass
class DatasetScan:
    """What :func:`scan_dataset` found in a dataset folder.

    Attributes:
        layout: the folders scanned.
        pairs: every image/mask pair found, sorted by id.
        usable: the pairs a dataset should use (``pairs`` minus ``excluded``).
        excluded: pairs left out, with the reason (label errors, undecodable files).
        orphans: files or metadata rows without a partner.
        image_sizes, mask_sizes: ``(width, height)`` per id.
        formats: the image format found in each photo's bytes, per id.
        hashes: dHash per usable id (empty when duplicates were not searched).
        duplicate_groups: near-duplicate groups of usable ids.
    """

    layout: DatasetLayout
    pairs: list[Pair]
    usable: list[Pair]
    excluded: list[Problem]
    orphans: list[Problem]
    image_sizes: dict[str, tuple[int, int]]
    mask_sizes: dict[str, tuple[int, int]]
    formats: dict[str, str]
    hashes: dict[str, int] = field(default_factory=dict)
    duplicate_groups: list[list[str]] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.layout.root

    def pair(self, sample_id: str) -> Pair:
        """The pair with this id (usable or not)."""
        for pair in self.pairs:
            if pair.id == sample_id:
                return pair
        raise KeyError(f"no pair with id {sample_id!r} in {self.root}")

    def mismatched(self) -> list[str]:
        """Ids whose mask size differs from their image size (usable or not)."""
        return [
            p.id
            for p in self.pairs
            if p.id in self.mask_sizes and self.image_sizes[p.id] != self.mask_sizes[p.id]
        ]

    def swaps(self) -> list[tuple[str, str]]:
        """Pairs of ids whose masks look swapped: each mask has the size of the other photo."""
        bad = self.mismatched()
        found = []
        for n, a in enumerate(bad):
            for b in bad[n + 1 :]:
                if (
                    self.mask_sizes[a] == self.image_sizes[b]
                    and self.mask_sizes[b] == self.image_sizes[a]
                ):
                    found.append((a, b))
        return found

    def to_dict(self, split_sizes: dict[str, int] | None = None) -> dict:
        """The report of ``python -m unet_tutorial.data inspect --json``."""
        return {
            "root": str(self.root),
            "pairs": len(self.pairs),
            "usable": len(self.usable),
            "excluded": [p.to_dict() for p in self.excluded],
            "orphans": [p.to_dict() for p in self.orphans],
            "duplicate_groups": [list(g) for g in self.duplicate_groups],
            "split": dict(split_sizes or {}),
        }


def _size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}×{size[1]}"


def mismatch_reason(
    sample_id: str,
    image_sizes: dict[str, tuple[int, int]],
    mask_sizes: dict[str, tuple[int, int]],
) -> str:
    """Why a pair is a label error, naming the photos whose size the mask has (its likely
    owners: for a swapped pair, the other photo of the swap)."""
    mask = mask_sizes[sample_id]
    owners = [i for i, size in image_sizes.items() if size == mask and i != sample_id]
    reason = (
        f"mask size {_size_text(mask)} differs from image size {_size_text(image_sizes[sample_id])}"
    )
    if owners:
        shown = ", ".join(owners[:3]) + (", ..." if len(owners) > 3 else "")
        reason += f"; the mask has the size of image {shown}"
    return reason


def _handle(error: CorruptFileError, on_error: OnError, sample_id: str, bad: list[Problem]) -> None:
    if on_error == "raise":
        raise error
    bad.append(Problem(sample_id, f"undecodable file: {error}"))


def _check_on_error(on_error: str) -> None:
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")


def check_pairs(
    pairs: Sequence[Pair],
    *,
    include_mismatched: bool = False,
    on_error: OnError = "raise",
) -> tuple[list[Pair], list[Problem], dict, dict, dict]:
    """Read the headers of every pair; exclude size mismatches and unreadable files.

    Returns:
        ``(usable, excluded, image_sizes, mask_sizes, formats)``.

    Raises:
        CorruptFileError: naming the file, for an unreadable header when ``on_error="raise"``.
    """
    _check_on_error(on_error)
    image_sizes, mask_sizes, formats = {}, {}, {}
    bad: list[Problem] = []
    for pair in pairs:
        try:
            image_sizes[pair.id] = image_size(pair.image)
            formats[pair.id] = file_format(pair.image)
            mask_sizes[pair.id] = image_size(pair.mask)
        except CorruptFileError as error:
            _handle(error, on_error, pair.id, bad)
    mismatched = [
        Problem(p.id, mismatch_reason(p.id, image_sizes, mask_sizes))
        for p in pairs
        if p.id in mask_sizes and image_sizes[p.id] != mask_sizes[p.id]
    ]
    excluded = bad + ([] if include_mismatched else mismatched)
    left_out = {p.id for p in excluded}
    usable = [p for p in pairs if p.id not in left_out]
    return usable, excluded, image_sizes, mask_sizes, formats


def _in_threads(function: Callable[[Path], T], paths: Sequence[Path]) -> list[T | Exception]:
    """``function`` on every path, in threads (Pillow decodes without holding the GIL, so a
    cold scan uses every core); a failure is returned in place of its result."""

    def attempt(path: Path) -> T | Exception:
        try:
            return function(path)
        except CorruptFileError as error:
            return error

    if len(paths) < 2:
        return [attempt(p) for p in paths]
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(attempt, paths))


def photo_hashes(
    pairs: Sequence[Pair], facts: FactStore, on_error: OnError = "raise"
) -> tuple[dict[str, int], list[Problem]]:
    """dHash of every photo (from ``facts`` when known), and the pairs that failed to decode."""
    missing = [p for p in pairs if facts.get(p.image, "dhash") is None]
    for pair, result in zip(
        missing, _in_threads(dhash_file, [p.image for p in missing]), strict=True
    ):
        if not isinstance(result, Exception):
            facts.put(pair.image, "dhash", format(result, "016x"))
    hashes, bad = {}, []
    for pair in pairs:
        known = facts.get(pair.image, "dhash")
        if known is None:  # it failed above: decode again for the error, in order
            try:
                dhash_file(pair.image)
            except CorruptFileError as error:
                _handle(error, on_error, pair.id, bad)
            continue
        hashes[pair.id] = int(str(known), 16)
    facts.save()
    return hashes, bad


def _water(path: Path) -> float:
    return float(read_mask(path).mean())


def water_fractions(pairs: Sequence[Pair], facts: FactStore | None = None) -> dict[str, float]:
    """Fraction of water pixels of each mask at its full resolution (cached in ``facts``).

    Raises:
        CorruptFileError: naming a mask that cannot be decoded.
    """
    facts = facts if facts is not None else FactStore(None)
    missing = [p for p in pairs if facts.get(p.mask, "water_fraction") is None]
    for pair, result in zip(missing, _in_threads(_water, [p.mask for p in missing]), strict=True):
        if isinstance(result, Exception):
            raise result
        facts.put(pair.mask, "water_fraction", result)
    facts.save()
    return {pair.id: float(facts.get(pair.mask, "water_fraction")) for pair in pairs}


def fact_store(cache_dir: str | Path | None) -> FactStore:
    """The fact store of a cache folder (``None``: in memory only)."""
    return FactStore(None if cache_dir is None else Path(cache_dir) / "facts.json")


def scan_dataset(
    root: str | Path,
    *,
    include_mismatched: bool = False,
    on_error: OnError = "raise",
    duplicates: bool = True,
    max_distance: int = MAX_DISTANCE,
    cache_dir: str | Path | None = "default",
    warn: bool = True,
) -> DatasetScan:
    """Pair, check and hash a dataset folder (see the module docstring).

    Args:
        root: the dataset folder (``Image/`` + ``Mask/`` [+ ``metadata.csv``], or ``images/`` +
            ``masks/``).
        include_mismatched: keep pairs whose mask size differs from the image's (to look at them;
            they are label errors and hurt training).
        on_error: ``"raise"`` stops at the first undecodable file, naming it; ``"skip"`` leaves
            its pair out with a warning.
        duplicates: hash every photo and group near-duplicates (decodes each photo once, then
            the hashes come from the cache).
        max_distance: dHash Hamming distance up to which photos count as near-duplicates.
        cache_dir: where the per-file facts are cached; ``"default"`` is ``data/cache`` of the
            project, ``None`` caches nothing on disk.
        warn: emit one :class:`DatasetWarning` per kind of problem.

    Raises:
        DatasetNotFoundError: for a missing or empty folder, saying how to get the data.
        CorruptFileError: naming the file, when ``on_error="raise"``.
    """
    _check_on_error(on_error)
    layout = find_layout(root)
    pairing = pair_files(layout, warn=warn)
    usable, excluded, image_sizes, mask_sizes, formats = check_pairs(
        pairing.pairs, include_mismatched=include_mismatched, on_error=on_error
    )
    hashes: dict[str, int] = {}
    groups: list[list[str]] = []
    if duplicates:
        facts = fact_store(default_cache_dir() if cache_dir == "default" else cache_dir)
        hashes, bad = photo_hashes(usable, facts, on_error)
        excluded += bad
        usable = [p for p in usable if p.id in hashes]
        groups = group_near_duplicates(hashes, max_distance)
    scan = DatasetScan(
        layout,
        pairing.pairs,
        usable,
        excluded,
        pairing.orphans,
        image_sizes,
        mask_sizes,
        formats,
        hashes,
        groups,
    )
    if warn:
        _warn_about(scan, include_mismatched)
    return scan


def _warn_about(scan: DatasetScan, include_mismatched: bool) -> None:
    if scan.excluded:
        message = summarize(scan.excluded, "pairs excluded")
        if any("differs from image size" in p.reason for p in scan.excluded):
            message += (
                ". A mask whose size differs from its photo's is a label error, not resize "
                "noise; pass include_mismatched=True to keep such pairs and look at them."
            )
        warnings.warn(DatasetWarning(message), stacklevel=3)
    mismatched = scan.mismatched()
    if include_mismatched and mismatched:
        warnings.warn(
            DatasetWarning(
                f"{len(mismatched)} pairs whose mask size differs from the image size are kept "
                f"on request (include_mismatched=True): {', '.join(mismatched)}"
            ),
            stacklevel=3,
        )
