"""Loading a dataset for training: :func:`load_dataset` (plain sizes), :func:`load_flood_data`
(a book profile's sizes, the chapters' entry point).

It finds the real dataset (or downloads it in Colab), checks it, splits it honestly and builds
the three datasets at the profile's image size; without real data it falls back to the
embedded synthetic flood scenes. Either way it prints which data it uses.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from unet_tutorial.data.cache import DecodedCache
from unet_tutorial.data.checks import DatasetScan, scan_dataset
from unet_tutorial.data.classes import ClassTable
from unet_tutorial.data.datasets import FloodDataset, SegmentationDataset, SyntheticFloodDataset
from unet_tutorial.data.download import DownloadError, download_dataset
from unet_tutorial.data.locate import DATASET_NAME, default_cache_dir, locate_dataset
from unet_tutorial.data.pairing import DatasetWarning, Problem, natural_key, summarize
from unet_tutorial.data.split import (
    SPLIT_NAMES,
    Split,
    grouped_split,
    read_manifest,
    write_manifest,
)
from unet_tutorial.data.transforms import eval_transforms, train_transforms
from unet_tutorial.paths import data_dir
from unet_tutorial.profiles import Profile

#: Number of synthetic scenes when the profile sets no ``max_samples`` (about the real count).
SYNTHETIC_SAMPLES = 280


@dataclass
class FloodData:
    """The three splits, ready for DataLoaders, and where they came from.

    Attributes:
        train, val, test: datasets returning ``(image 3×S×S, mask 1×S×S, id)``; ``train``
            augments (unless asked not to), ``val`` and ``test`` only resize and normalise.
        source: ``"real"`` or ``"synthetic"``.
        description: one line saying which data is used (printed by :func:`load_flood_data`).
        split: the full split (all usable ids); the datasets may hold a subset of it.
        scan: the dataset check (real data only).
        all_samples: every usable sample at S×S without augmentation (for figures).
        manifest: the JSON file the split was written to or read from (or ``None``).
    """

    train: SegmentationDataset
    val: SegmentationDataset
    test: SegmentationDataset
    source: Literal["real", "synthetic"]
    description: str
    split: Split
    scan: DatasetScan | None
    all_samples: SegmentationDataset
    manifest: Path | None = None

    @property
    def is_real(self) -> bool:
        return self.source == "real"

    def sizes(self) -> dict[str, int]:
        """Samples per split as used (after ``max_samples``)."""
        return {name: len(getattr(self, name)) for name in SPLIT_NAMES}


def subset_split(split: Split, max_samples: int | None, seed: int = 42) -> Split:
    """At most ``max_samples`` ids in all, shared among the splits by their fractions (at least
    one each), drawn at random (seeded) inside each split so the split stays honest."""
    if max_samples is None or max_samples >= sum(split.sizes().values()):
        return split
    if max_samples < 3:
        raise ValueError(f"max_samples must be at least 3 (one per split), got {max_samples}")
    counts = [max(1, round(max_samples * f)) for f in split.fractions[1:]]
    counts = [max_samples - sum(counts), *counts]
    rng = np.random.default_rng(seed)
    parts = []
    for name, count in zip(SPLIT_NAMES, counts, strict=True):
        ids = list(getattr(split, name))
        chosen = [ids[i] for i in rng.permutation(len(ids))[:count]]
        parts.append(tuple(sorted(chosen, key=natural_key)))
    return Split(*parts, seed=split.seed, fractions=split.fractions, groups=split.groups)


def _in_colab() -> bool:
    return "google.colab" in sys.modules


def _find_real(root: str | Path | None, download: bool | None) -> Path | None:
    found = locate_dataset(root)
    if found is not None or not (download if download is not None else _in_colab()):
        return found
    try:
        return download_dataset()
    except DownloadError as error:
        print(f"note: {error}")
        return None


def load_flood_data(profile: Profile, **options: Any) -> FloodData:
    """:func:`load_dataset` at a book profile's sizes (``image_size``, ``max_samples``), the
    profile named in the printed description; ``options`` are :func:`load_dataset`'s."""
    return load_dataset(
        profile.image_size,
        max_samples=profile.max_samples,
        label=f"profile '{profile.name}'",
        **options,
    )


def load_dataset(
    image_size: int,
    *,
    max_samples: int | None = None,
    root: str | Path | None = None,
    seed: int = 42,
    augment: bool = True,
    shift_scale_rotate: bool = False,
    include_mismatched: bool = False,
    download: bool | None = None,
    cache_dir: str | Path | None = "default",
    manifest: str | Path | None = "default",
    synthetic: bool = False,
    verbose: bool = True,
    classes: ClassTable | None = None,
    label: str | None = None,
) -> FloodData:
    """Train/val/test datasets at ``image_size``, from the real data when found.

    Args:
        image_size: S, the side photos and masks are shrunk to.
        max_samples: a cap on the number of samples used (train+val+test; ``None``: all).
        root: a dataset folder to use instead of the search of
            :func:`~unet_tutorial.data.locate.locate_dataset`.
        seed: seeds the split, the subset and the training augmentations.
        augment: augment the training split (else it gets the evaluation pipeline).
        shift_scale_rotate: add the random affine transform to the training augmentations.
        include_mismatched: keep the pairs whose mask size differs from the photo's.
        download: try to download when no dataset is found (``None``: only in Colab).
        cache_dir: cache root (``"default"``: ``data/cache``; ``None``: memory only).
        manifest: split manifest: ``"default"`` writes ``data/splits/<dataset>-seed<seed>.json``;
            an existing file given here is read and reused; ``None`` writes nothing.
        synthetic: use the synthetic scenes even when real data is there.
        verbose: print the description and any dataset warnings (to stdout, shortened by
            :func:`short_warnings`).
        classes: a class table for multi-class masks (:mod:`unet_tutorial.data.classes`); the
            masks then hold class indices. Without real data, the synthetic scenes with their
            three classes (other, water, building) are used, which needs a 3-class table.
            ``None`` (the default): binary masks, as everywhere in the book.
        label: what the description names as the source of the sizes (``"profile 'cpu'"``).
    """
    root_found = None if synthetic else _find_real(root, download)
    cache_root = default_cache_dir() if cache_dir == "default" else cache_dir
    notes: list[str] = []
    scan = None
    if root_found is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scan = scan_dataset(
                root_found, include_mismatched=include_mismatched, cache_dir=cache_root
            )
        notes = [str(w.message) for w in caught]
        reader = {} if classes is None else {"mask_reader": classes.reader}
        everything: SegmentationDataset = FloodDataset(
            scan.usable,
            image_size,
            cache=DecodedCache(image_size, cache_root, **reader),
        )
        groups = scan.duplicate_groups
        name = root_found.name
    else:
        count = max_samples or SYNTHETIC_SAMPLES
        if classes is not None and classes.num_classes != 3:
            raise ValueError(
                f"no real dataset found, and the synthetic scenes have 3 classes (other, "
                f"water, building), not {classes.num_classes}: pass --data DIR (your data) or "
                "--classes 3."
            )
        labels = "water" if classes is None else "classes"
        everything = SyntheticFloodDataset(count, image_size, seed=seed, labels=labels)
        groups = []
        name = "synthetic"

    split, manifest_path = _split(everything.ids, groups, seed, manifest, name)
    problem = split.share_problem()
    if problem and verbose:
        notes.append(problem)
    elif problem:
        warnings.warn(DatasetWarning(problem), stacklevel=2)
    used = subset_split(split, max_samples, seed)
    train_tf = (
        train_transforms(image_size, shift_scale_rotate=shift_scale_rotate, seed=seed)
        if augment
        else eval_transforms(image_size)
    )
    train = everything.subset(used.train, train_tf)
    val, test = everything.subset(used.val), everything.subset(used.test)
    source: Literal["real", "synthetic"] = "real" if scan is not None else "synthetic"
    description = _describe(source, scan, split, used, image_size, label, root_found)
    if synthetic:
        description = description.replace(_NOT_FOUND, " (asked for: synthetic=True)")
    if classes is not None:
        description += f" Masks: {classes.describe()}."
    data = FloodData(train, val, test, source, description, split, scan, everything, manifest_path)
    if verbose:
        print(description)
        for line in short_warnings(scan, notes):
            print(line)
    return data


#: How many ids a warning of :func:`short_warnings` names before "and N more".
SHOWN_IDS = 10


def _ids(problems: list[Problem]) -> str:
    shown = ", ".join(p.id for p in problems[:SHOWN_IDS])
    more = f" and {len(problems) - SHOWN_IDS} more" if len(problems) > SHOWN_IDS else ""
    return shown + more


def short_warnings(scan: DatasetScan | None, notes: list[str]) -> list[str]:
    """What :func:`load_dataset` prints about the files it leaves out: a line per kind of problem.

    The dataset check warns once for the orphans and once for the excluded pairs, each warning
    giving every file's reason, which makes lines of hundreds of characters on the Kaggle data.
    Here those two become their count and ids (the excluded pairs with how many have a mask of
    another size than their photo), and a last line says where the reasons are: ``python -m
    unet_tutorial inspect`` or the data's ``scan``. Any other warning is kept whole.

    Args:
        scan: the dataset check (``None`` for the synthetic scenes: no files, no warnings).
        notes: the messages of the warnings the check gave.
    """
    if scan is None:
        return [f"warning: {note}" for note in notes]
    orphans = summarize(scan.orphans, "orphans left out")
    excluded = summarize(scan.excluded, "pairs excluded")
    mismatched = sum("differs from image size" in p.reason for p in scan.excluded)
    lines, shortened = [], False
    for note in notes:
        if scan.orphans and note.startswith(orphans):
            note = (
                f"{len(scan.orphans)} orphans left out (a file or a metadata.csv row without "
                f"its partner): {_ids(scan.orphans)}"
            )
            shortened = True
        elif scan.excluded and note.startswith(excluded):
            note = f"{len(scan.excluded)} pairs excluded: {_ids(scan.excluded)}"
            if mismatched:
                note += (
                    f" ({mismatched} with a mask of another size than the photo: label "
                    "errors; include_mismatched=True keeps them)"
                )
            shortened = True
        lines.append(f"warning: {note}")
    if shortened:
        lines.append(
            "  the reasons: `python -m unet_tutorial inspect FOLDER`, or the loaded data's "
            "scan.orphans and scan.excluded"
        )
    return lines


def _split(
    ids: list[str], groups: list[list[str]], seed: int, manifest: str | Path | None, name: str
) -> tuple[Split, Path | None]:
    if manifest not in (None, "default") and Path(manifest).is_file():
        split = read_manifest(manifest)
        unknown = set(split.train + split.val + split.test) - set(ids)
        if unknown:
            raise ValueError(
                f"{manifest}: the split names ids that are not usable samples here: "
                f"{sorted(unknown, key=natural_key)[:10]}. Delete the manifest to draw a new split."
            )
        return split, Path(manifest)
    split = grouped_split(ids, groups, seed=seed, warn=False)  # load_dataset tells
    if manifest is None:
        return split, None
    path = (
        data_dir() / "splits" / f"{name or DATASET_NAME}-seed{seed}.json"
        if manifest == "default"
        else Path(manifest)
    )
    try:
        write_manifest(split, path, dataset=name)
    except OSError:
        return split, None
    return split, path


_NOT_FOUND = (
    " (no real dataset found; `python -m unet_tutorial.data download` or UNET_TUTORIAL_DATA "
    "gives the real one)"
)


def _describe(
    source: str,
    scan: DatasetScan | None,
    split: Split,
    used: Split,
    image_size: int,
    label: str | None,
    root: Path | None,
) -> str:
    sizes = "/".join(str(n) for n in split.sizes().values())
    used_sizes = "/".join(str(n) for n in used.sizes().values())
    size = f"{image_size}×{image_size}"
    sized_by = f" ({label})" if label else ""
    if scan is not None:
        head = (
            f"Dataset: real photos ({root.name}): {len(scan.pairs)} pairs found, "
            f"{len(scan.usable)} usable, {len(scan.excluded)} excluded, "
            f"{len(scan.orphans)} orphans, {len(scan.duplicate_groups)} near-duplicate groups"
        )
    else:
        head = f"Dataset: embedded synthetic flood scenes{_NOT_FOUND}"
    return f"{head}. Split train/val/test {sizes}; this run uses {used_sizes}{sized_by} at {size}."
