"""``python -m tools.bench data``: images/s of one training epoch of data, no model.

Two pipelines serve the same pairs at the same size (224×224 by default, the original's):

- **original**: the tutorial's way: every photo held in memory as a full-size PIL image,
  converted to an array and resized by the albumentations pipeline in every epoch (its order:
  Resize, flips, Normalize, RandomBrightnessContrast, ToTensorV2);
- **package**: :class:`~unet_tutorial.data.datasets.FloodDataset`: each photo decoded and shrunk
  once into the cache, then only the cheap augmentations run per epoch.

Both use a single-process DataLoader (batch 16) and one torch thread by default; the steady-state
epochs are timed twice and the faster counts. The package's time is also given for its first
epoch with an empty cache and for a new run reading the on-disk cache.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from unet_tutorial.data import cache as cache_module
from unet_tutorial.data.cache import DecodedCache
from unet_tutorial.data.checks import check_pairs
from unet_tutorial.data.datasets import FloodDataset, make_loader
from unet_tutorial.data.locate import find_layout, locate_dataset
from unet_tutorial.data.pairing import Pair, pair_files
from unet_tutorial.data.synthetic import render_flood_scene
from unet_tutorial.data.transforms import original_transforms, train_transforms


class OriginalStyleDataset(Dataset):
    """The original tutorial's dataset: full-size PIL images in memory, converted and resized
    on every access. Returns ``(image 3×S×S float32, mask 1×S×S float32)``."""

    def __init__(self, pairs: Sequence[Pair], image_size: int = 224) -> None:
        self.images = [Image.open(p.image) for p in pairs]
        self.masks = [Image.open(p.mask) for p in pairs]
        for image in self.images + self.masks:
            image.load()  # held decoded, at full size, as the original did
        self.transform = original_transforms(image_size, seed=0)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = np.array(self.images[index].convert("RGB"))
        mask = np.array(self.masks[index].convert("L"), dtype=np.float32) / 255.0
        out = self.transform(image=image, mask=mask)
        return out["image"], out["mask"].unsqueeze(0)


def epoch_rate(dataset: Dataset, batch_size: int) -> tuple[float, float]:
    """``(seconds, images per second)`` of one pass over ``dataset`` through a DataLoader."""
    start = time.perf_counter()
    count = 0
    for batch in make_loader(dataset, batch_size, shuffle=True, seed=0):
        count += len(batch[0])
    seconds = time.perf_counter() - start
    return seconds, count / seconds


def best_epoch(dataset: Dataset, batch_size: int, repeats: int) -> tuple[float, float]:
    """The fastest of ``repeats`` epochs, as ``(seconds, images per second)``."""
    return min(
        (epoch_rate(dataset, batch_size) for _ in range(max(1, repeats))), key=lambda r: r[0]
    )


def synthetic_photos(folder: Path, count: int, size: tuple[int, int]) -> list[Pair]:
    """Write ``count`` synthetic scenes as large JPEG photos + PNG masks (no real data here)."""
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    pairs = []
    for index in range(count):
        image, mask = render_flood_scene(index, 256, 384)
        photo = Image.fromarray(image).resize(size, Image.Resampling.BICUBIC)
        big_mask = Image.fromarray(mask * 255).resize(size, Image.Resampling.NEAREST)
        pair = Pair(
            str(index), folder / "images" / f"{index}.jpg", folder / "masks" / f"{index}.png"
        )
        photo.save(pair.image, quality=90)
        big_mask.save(pair.mask)
        pairs.append(pair)
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench data", description=__doc__)
    parser.add_argument("--root", help="dataset folder (default: the one the chapters use)")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N pairs")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default 1, as in DataLoader workers; on a busy machine more "
        "threads make batching slow and noisy)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="epochs timed for the steady-state figures; the fastest counts (default 2), "
        "which filters out bursts of load from other processes",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory(prefix="unet-bench-data-") as scratch:
        root = locate_dataset(args.root)
        if root is not None:
            layout = find_layout(root)
            pairs, *_ = check_pairs(pair_files(layout, warn=False).pairs)
            where = f"real dataset at {layout.root}"
        else:
            pairs = synthetic_photos(Path(scratch) / "photos", args.limit or 60, (2048, 1365))
            where = "synthetic scenes saved as 2048×1365 JPEGs (no real dataset found)"
        pairs = pairs[: args.limit] if args.limit else pairs
        size = args.image_size
        best = f" (best of {args.repeats} epochs)" if args.repeats > 1 else ""
        print(f"data benchmark: {len(pairs)} pairs from the {where}; {size}×{size}, ", end="")
        print(f"batch {args.batch_size}, {torch.get_num_threads()} torch threads, 1 process")

        start = time.perf_counter()
        original = OriginalStyleDataset(pairs, size)
        print(f"original: holding the full-size images took {time.perf_counter() - start:.1f} s")
        seconds, original_rate = best_epoch(original, args.batch_size, args.repeats)
        print(f"original: one epoch {seconds:.2f} s = {original_rate:.1f} images/s{best}")
        del original

        cache_dir = Path(scratch) / "cache"
        transform = train_transforms(size, seed=0)
        cold = FloodDataset(pairs, size, transform, cache=DecodedCache(size, cache_dir))
        seconds, cold_rate = epoch_rate(cold, args.batch_size)
        print(f"package:  first epoch, empty cache {seconds:.2f} s = {cold_rate:.1f} images/s")
        cache_module._HASHES.clear()  # a new run hashes the files again
        disk = FloodDataset(pairs, size, transform, cache=DecodedCache(size, cache_dir))
        seconds, disk_rate = epoch_rate(disk, args.batch_size)
        print(f"package:  new run, on-disk cache {seconds:.2f} s = {disk_rate:.1f} images/s")
        seconds, rate = best_epoch(disk, args.batch_size, args.repeats)
        print(f"package:  later epoch, in memory {seconds:.2f} s = {rate:.1f} images/s{best}")
        print(f"ratio package/original (later epochs): {rate / original_rate:.1f}x")
        disk_ratio = disk_rate / original_rate
        print(f"ratio package/original (new run from the disk cache): {disk_ratio:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
