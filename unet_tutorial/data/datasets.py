"""PyTorch datasets of flood photos (real, your own folder, or synthetic) and seeded loaders.

Every dataset here returns ``(image, mask, sample_id)``: ``image`` a float32 3×S×S tensor
(normalised with the ImageNet mean and std by the default transforms), ``mask`` a float32 1×S×S
tensor of 0 and 1 (or, for multi-class data, of class indices ``0 .. C-1``), ``sample_id`` a
string. Batches from :func:`make_loader` are therefore
``(N×3×S×S, N×1×S×S, list of N ids)``.

For final metrics at the photos' own resolution, :meth:`SegmentationDataset.native_item` gives
the S×S network input together with the mask at its original H×W size.
"""

from __future__ import annotations

import os
import random
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import albumentations as A
import numpy as np
import torch
from albumentations.pytorch import ToTensorV2
from PIL import Image
from torch.utils.data import DataLoader, Dataset, Sampler

from unet_tutorial.data.binary_masks import read_mask
from unet_tutorial.data.cache import DecodedCache
from unet_tutorial.data.checks import OnError, check_pairs
from unet_tutorial.data.io import image_size as file_size
from unet_tutorial.data.binary_masks import binarize_mask, read_mask
from unet_tutorial.data.io import read_rgb
from unet_tutorial.data.locate import default_cache_dir, find_layout
from unet_tutorial.data.pairing import DatasetWarning, Pair, pair_files, summarize
from unet_tutorial.data.synthetic import render_flood_scene, render_scene_classes
from unet_tutorial.data.transforms import (
    eval_transforms,
    reseed,
    shrink_mask_to_square,
    shrink_to_square,
)

Transform = Callable[..., dict]


class PairDataset(Dataset):
    """Photo/mask pairs on disk: read, binarised, transformed, as tensors (chapter 7's lesson).

    ``dataset[i]`` reads the photo (RGB) and its mask (grey levels, binarised by the package's
    one rule, :func:`~unet_tutorial.data.binary_masks.binarize_mask`), passes both through
    ``transform`` (an albumentations pipeline ending in ``ToTensorV2``) and returns
    ``(image 3×S×S float32, mask 1×S×S float32 of 0/1, id)``. ``pairs`` are
    :class:`~unet_tutorial.data.pairing.Pair` objects (anything with ``id``, ``image`` and
    ``mask``).

    Every dataset of the package is built on it: :class:`SegmentationDataset` keeps its
    ``__getitem__`` and replaces :meth:`arrays` (decoded once and cached for photos on disk,
    painted for the synthetic scenes).
    """

    def __init__(self, pairs: Sequence, transform: Transform) -> None:
        self.pairs = list(pairs)
        self.ids = [pair.id for pair in self.pairs]
        self.transform = transform

    def __len__(self) -> int:
        return len(self.ids)

    def arrays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """``(photo H×W×3 uint8, mask H×W uint8 of 0/1)`` of a pair, before any transform."""
        pair = self.pairs[index]
        image = np.asarray(Image.open(pair.image).convert("RGB"))
        grey = np.asarray(Image.open(pair.mask).convert("L"))
        return image, binarize_mask(grey)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, str]:
        image, mask = self.arrays(index)
        out = self.transform(image=image, mask=mask)
        mask = torch.as_tensor(out["mask"]).float().unsqueeze(0)
        return out["image"].float(), mask, self.ids[index]


class SegmentationDataset(PairDataset):
    """What the flood datasets share, on top of :class:`PairDataset`'s ``__getitem__``:
    subclasses say how to get one sample's arrays (:meth:`arrays`, S×S, decoded once), and
    this class adds the samples at their own resolution, subsets, preloading and augmentations
    that follow PyTorch's random generator.

    Args:
        image_size: side S of the images and masks returned.
        transform: an albumentations pipeline called as ``transform(image=, mask=)`` on uint8
            S×S×3 / S×S arrays and ending in ToTensorV2; ``None`` means
            :func:`~unet_tutorial.data.transforms.eval_transforms` (resize + normalize).
    """

    def __init__(self, image_size: int, transform: Transform | None = None) -> None:
        # The pairs and ids are the subclasses' (the synthetic scenes have no files).
        self.image_size = image_size
        self.transform = transform if transform is not None else eval_transforms(image_size)
        self._eval = eval_transforms(image_size)
        self._random = isinstance(self.transform, A.Compose) and any(
            not isinstance(t, (A.Resize, A.Normalize, ToTensorV2)) for t in self.transform
        )

    ids: list[str]

    def arrays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """``(image S×S×3 uint8, mask S×S uint8 in {0,1})`` of a sample, before any transform."""
        raise NotImplementedError

    def native_arrays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """``(image H×W×3 uint8, mask H×W uint8 in {0,1})`` at the sample's own resolution."""
        raise NotImplementedError

    def native_size(self, index: int) -> tuple[int, int]:
        """``(width, height)`` of the sample at its own resolution."""
        height, width = self.native_arrays(index)[1].shape
        return width, height

    def preview_arrays(self, index: int, max_side: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """``(image, mask)`` for figures: the sample at its own aspect ratio, at most
        ``max_side`` pixels wide or high (uint8 H×W×3 and H×W in {0,1})."""
        image, mask = self.native_arrays(index)
        return _shrink(image, mask, max_side)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, str]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} samples")
        if self._random:
            # Augmentations follow PyTorch's generator: torch.manual_seed (and the seeds the
            # DataLoader gives its workers) fix them, whatever ran before.
            reseed(self.transform, int(torch.randint(0, 2**62, ()).item()))  # ~50 µs
        return super().__getitem__(index)

    def native_mask(self, index: int) -> torch.Tensor:
        """The mask at the photo's own resolution: float32 1×H×W of 0 and 1."""
        return torch.from_numpy(self.native_arrays(index)[1]).float().unsqueeze(0)

    def native_item(self, index: int) -> tuple[torch.Tensor, torch.Tensor, str]:
        """``(image 3×S×S, mask 1×H×W at the original size, id)`` for final metrics.

        The image goes through the evaluation pipeline (resize + normalize) whatever
        ``transform`` is, so test predictions are never augmented; upsample the S×S
        prediction to H×W and compare it with this mask.
        """
        image = self._eval(image=self.arrays(index)[0])["image"].float()
        return image, self.native_mask(index), self.ids[index]

    def subset(self, ids: Iterable[str], transform: Transform | None = None) -> SegmentationDataset:
        """The samples with these ids (in this order), sharing decoded data with ``self``;
        ``transform`` replaces the pipeline (``None``: evaluation pipeline)."""
        raise NotImplementedError

    def _positions(self, ids: Iterable[str]) -> list[int]:
        where = {sample_id: n for n, sample_id in enumerate(self.ids)}
        missing = [i for i in ids if i not in where]
        if missing:
            raise KeyError(f"ids not in this dataset: {missing[:10]}")
        return [where[i] for i in ids]

    def preload(self, threads: int | None = None) -> SegmentationDataset:
        """Decode every sample now, in ``threads`` threads (default: one per core; decoding
        runs outside Python's lock), e.g. before DataLoader workers fork and share the memory."""
        workers = threads or min(8, os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(self.arrays, range(len(self))))
        return self


def _shrink(image: np.ndarray, mask: np.ndarray, max_side: int) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays at the image's aspect ratio with the longer side at most ``max_side``."""
    height, width = image.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = Image.fromarray(image).resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    small_mask = Image.fromarray(mask).resize(size, Image.Resampling.NEAREST)
    return np.array(small), np.array(small_mask)


class FloodDataset(SegmentationDataset):
    """Photo/mask pairs on disk, decoded and shrunk to S×S once (see :class:`DecodedCache`).

    Args:
        pairs: the pairs to serve, in this order (from :func:`scan_dataset` or a split).
        image_size: side S.
        transform: see :class:`SegmentationDataset`.
        cache: a cache shared between datasets (train/val/test); by default one for
            ``image_size`` in ``cache_dir``.
        cache_dir: on-disk cache root; ``"default"`` is ``data/cache`` of the project, ``None``
            keeps the cache in memory only.
        mask_reader: decodes a mask file into ``H×W`` uint8 (default
            :func:`~unet_tutorial.data.io.read_mask`, 0/1); for multi-class data the
            :attr:`~unet_tutorial.data.classes.ClassTable.reader` of a class table. A given
            ``cache`` must use the same reader.
    """

    def __init__(
        self,
        pairs: Sequence[Pair],
        image_size: int,
        transform: Transform | None = None,
        *,
        cache: DecodedCache | None = None,
        cache_dir: str | Path | None = "default",
        mask_reader: Callable[[Path], np.ndarray] | None = None,
    ) -> None:
        super().__init__(image_size, transform)
        self.pairs = list(pairs)
        self.ids = [pair.id for pair in self.pairs]
        self.mask_reader = mask_reader or (cache.mask_reader if cache is not None else read_mask)
        if cache is None:
            directory = default_cache_dir() if cache_dir == "default" else cache_dir
            cache = DecodedCache(image_size, directory, mask_reader=self.mask_reader)
        if cache.image_size != image_size:
            raise ValueError(f"the cache holds {cache.image_size}-pixel images, not {image_size}")
        if getattr(cache.mask_reader, "key", None) != getattr(self.mask_reader, "key", None):
            raise ValueError("the cache reads masks with another reader than this dataset")
        self.cache = cache

    def arrays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.cache.load(self.pairs[index])

    def native_arrays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        pair = self.pairs[index]
        return np.array(read_rgb(pair.image)), self.mask_reader(pair.mask)

    def native_size(self, index: int) -> tuple[int, int]:
        return file_size(self.pairs[index].image)

    def preview_arrays(self, index: int, max_side: int = 256) -> tuple[np.ndarray, np.ndarray]:
        pair = self.pairs[index]
        image = read_rgb(pair.image, min_size=(max_side, max_side))  # fast for big JPEGs
        return _shrink(np.asarray(image), self.mask_reader(pair.mask), max_side)

    def subset(self, ids: Iterable[str], transform: Transform | None = None) -> FloodDataset:
        pairs = [self.pairs[n] for n in self._positions(ids)]
        return FloodDataset(pairs, self.image_size, transform, cache=self.cache)


class FolderDataset(FloodDataset):
    """Your own photos: ``root/images/`` and ``root/masks/``, matched by file stem.

    Any format Pillow reads works (JPEG, PNG, WEBP, TIFF, BMP, ...); masks may be 0/255 or 0/1.
    Pairs whose mask size differs from the photo's are left out with a warning.

    Raises:
        DatasetNotFoundError: when the folders are missing or empty.
    """

    def __init__(
        self,
        root: str | Path,
        image_size: int,
        transform: Transform | None = None,
        *,
        cache_dir: str | Path | None = "default",
        on_error: OnError = "raise",
    ) -> None:
        pairing = pair_files(find_layout(root))
        usable, excluded, *_ = check_pairs(pairing.pairs, on_error=on_error)
        if excluded:
            warnings.warn(DatasetWarning(summarize(excluded, "pairs excluded")), stacklevel=2)
        super().__init__(usable, image_size, transform, cache_dir=cache_dir)


class SyntheticFloodDataset(SegmentationDataset):
    """Procedurally generated flood scenes with exact masks (see :mod:`.synthetic`).

    Args:
        num_samples: number of scenes.
        image_size: side S of the returned images and masks.
        transform: see :class:`SegmentationDataset`.
        seed: base seed; scene ``i`` depends only on ``(seed, i)`` and the scene size.
        scene_size: ``(height, width)`` the scenes are painted at (their "native" size);
            default 1.5·S × 2.25·S, at least 96×144, a photo-like 3:2.
        indices: the scene numbers to serve instead of ``0 .. num_samples - 1``.
        labels: ``"water"`` (0/1 water masks) or ``"classes"`` (the same scenes with three
            classes, 0 other, 1 water, 2 building: see
            :func:`~unet_tutorial.data.synthetic.render_scene_classes`).
    """

    def __init__(
        self,
        num_samples: int,
        image_size: int,
        transform: Transform | None = None,
        *,
        seed: int = 0,
        scene_size: tuple[int, int] | None = None,
        indices: Sequence[int] | None = None,
        labels: Literal["water", "classes"] = "water",
    ) -> None:
        super().__init__(image_size, transform)
        if num_samples < 0:
            raise ValueError(f"num_samples must be >= 0, got {num_samples}")
        if labels not in ("water", "classes"):
            raise ValueError(f"labels must be 'water' or 'classes', got {labels!r}")
        height = max(96, int(round(1.5 * image_size)))
        self.scene_size = scene_size or (height, int(round(1.5 * height)))
        self.seed = seed
        self.labels = labels
        self.indices = list(range(num_samples) if indices is None else indices)
        self.ids = [f"synthetic-{i:04d}" for i in self.indices]
        self._small: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # by scene number
        self._water: dict[int, float] = {}  # water fraction at the native size, by scene

    def native_arrays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        height, width = self.scene_size
        render = render_flood_scene if self.labels == "water" else render_scene_classes
        return render(np.random.default_rng([self.seed, self.indices[index]]), height, width)

    def arrays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        scene = self.indices[index]
        if scene not in self._small:
            image, mask = self.native_arrays(index)
            self._water[scene] = float((mask == 1).mean())
            self._small[scene] = (
                shrink_to_square(image, self.image_size),
                shrink_mask_to_square(mask, self.image_size),
            )
        return self._small[scene]

    def subset(
        self, ids: Iterable[str], transform: Transform | None = None
    ) -> SyntheticFloodDataset:
        indices = [self.indices[n] for n in self._positions(ids)]
        part = SyntheticFloodDataset(
            0,
            self.image_size,
            transform,
            seed=self.seed,
            scene_size=self.scene_size,
            indices=indices,
            labels=self.labels,
        )
        part._small, part._water = self._small, self._water  # share the rendered scenes
        return part

    def native_size(self, index: int) -> tuple[int, int]:
        return self.scene_size[1], self.scene_size[0]

    def water_fraction(self, index: int) -> float:
        """Share of water pixels of a scene at its native size."""
        self.arrays(index)
        return self._water[self.indices[index]]


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn`` for DataLoaders: seed NumPy and ``random`` in each worker from the
    seed PyTorch gave it (derived from the loader's generator), so code using those generators
    is reproducible too. (The datasets' augmentations already follow PyTorch's generator.)"""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)  # noqa: NPY002 - code using the global NumPy generator
    random.seed(seed)


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 42,
    num_workers: int = 0,
    drop_last: bool = False,
    sampler: Sampler | None = None,
) -> DataLoader:
    """A DataLoader whose shuffling and worker augmentations are fixed by ``seed``.

    ``sampler`` chooses the photos and their order instead of ``shuffle`` (e.g. a
    ``DistributedSampler``: this process's share of the photos, see
    :mod:`unet_tutorial.training.distributed`).
    """
    generator = torch.Generator()
    generator.manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        sampler=sampler,
        num_workers=num_workers,
        drop_last=drop_last,
        generator=generator,
        worker_init_fn=seed_worker if num_workers > 0 else None,
        persistent_workers=num_workers > 0,
        pin_memory=torch.cuda.is_available(),
    )
