"""Facts about the dataset a chapter uses: counts, formats, sizes, water, label errors, groups.

:func:`dataset_facts` works the same on the real photos and on the synthetic default, so a
chapter can show and cite the numbers without knowing which data it runs on.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from unet_tutorial.data.checks import fact_store, water_fractions
from unet_tutorial.data.datasets import FloodDataset, SegmentationDataset, SyntheticFloodDataset
from unet_tutorial.data.load import FloodData
from unet_tutorial.data.locate import default_cache_dir
from unet_tutorial.data.pairing import Problem
from unet_tutorial.data.split import SPLIT_NAMES


@dataclass
class DatasetFacts:
    """What a careful look at the data finds (see :func:`dataset_facts`).

    Attributes:
        source: ``"real"`` or ``"synthetic"``.
        pairs: image/mask pairs found; ``usable``: those kept.
        excluded, orphans: the problems, with reasons.
        formats: how many photos of each format the file *contents* show.
        lying_extensions: photos whose content is not what the extension says.
        widths, heights: photo sizes in pixels, one per usable pair.
        water: water fraction of each usable mask at full resolution, by id.
        swaps: pairs of ids whose masks look swapped.
        duplicate_groups: near-duplicate groups.
        split_sizes: the full split's sizes; ``groups_per_split``: how many groups each holds.
    """

    source: str
    pairs: int
    usable: int
    excluded: list[Problem]
    orphans: list[Problem]
    formats: Counter
    lying_extensions: int
    widths: np.ndarray
    heights: np.ndarray
    water: dict[str, float]
    swaps: list[tuple[str, str]] = field(default_factory=list)
    duplicate_groups: list[list[str]] = field(default_factory=list)
    split_sizes: dict[str, int] = field(default_factory=dict)
    groups_per_split: dict[str, int] = field(default_factory=dict)

    def water_values(self) -> np.ndarray:
        return np.array(list(self.water.values()))


_EXTENSION_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}


def dataset_facts(data: FloodData, cache_dir: object = "default") -> DatasetFacts:
    """Collect the facts about ``data`` (real: every usable pair; synthetic: its scenes).

    Water fractions of real masks are read at full resolution once and then cached in
    ``cache_dir`` (``"default"``: ``data/cache``).
    """
    split = data.split
    groups_per_split = {
        name: sum(1 for g in split.groups if g and g[0] in getattr(split, name))
        for name in SPLIT_NAMES
    }
    samples = data.all_samples
    if data.scan is not None and isinstance(samples, FloodDataset):
        scan = data.scan
        store = fact_store(default_cache_dir() if cache_dir == "default" else cache_dir)
        ids = [p.id for p in scan.usable]
        formats = Counter(scan.formats[i] for i in ids)
        lying = sum(
            _EXTENSION_FORMATS.get(scan.pair(i).image.suffix.lower()) not in (None, scan.formats[i])
            for i in ids
        )
        return DatasetFacts(
            "real",
            len(scan.pairs),
            len(scan.usable),
            scan.excluded,
            scan.orphans,
            formats,
            int(lying),
            np.array([scan.image_sizes[i][0] for i in ids]),
            np.array([scan.image_sizes[i][1] for i in ids]),
            water_fractions(scan.usable, store),
            scan.swaps(),
            scan.duplicate_groups,
            split.sizes(),
            groups_per_split,
        )
    if not isinstance(samples, SyntheticFloodDataset):
        raise TypeError(f"no facts for a {type(samples).__name__} without a dataset scan")
    height, width = samples.scene_size
    count = len(samples)
    samples.preload()  # renders the scenes on every core
    return DatasetFacts(
        "synthetic",
        count,
        count,
        [],
        [],
        Counter({"generated": count}),
        0,
        np.full(count, width),
        np.full(count, height),
        {samples.ids[i]: samples.water_fraction(i) for i in range(count)},
        [],
        [],
        split.sizes(),
        groups_per_split,
    )


def decode_cost(dataset: SegmentationDataset, count: int = 4) -> tuple[float, float]:
    """Seconds per sample to get the S×S arrays the slow way (decode at full size, then shrink:
    the original's work in every epoch) and from the cache (later epochs), over ``count``
    samples. The cached figure is measured after the first access, as in a second epoch."""
    count = min(count, len(dataset))
    if count == 0:
        raise ValueError("the dataset is empty")
    start = time.perf_counter()
    for index in range(count):
        image, mask = dataset.native_arrays(index)
        _shrink_pair(image, mask, dataset.image_size)
    slow = (time.perf_counter() - start) / count
    for index in range(count):
        dataset.arrays(index)
    start = time.perf_counter()
    for index in range(count):
        dataset.arrays(index)
    cached = (time.perf_counter() - start) / count
    return slow, cached


def _shrink_pair(image: np.ndarray, mask: np.ndarray, size: int) -> None:
    Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR)
    Image.fromarray(mask).resize((size, size), Image.Resampling.NEAREST)
