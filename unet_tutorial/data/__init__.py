"""Datasets: the flood photos (finding, checking, splitting, augmenting and serving them,
chapter 7), your own folders, and the synthetic data the chapters use offline.

Modules, one concern each:

- :mod:`.locate` -- where the dataset is (``UNET_TUTORIAL_DATA``, ``data/flood-area-segmentation``).
- :mod:`.download` -- fetching it from Kaggle, failing fast offline.
- :mod:`.pairing` -- pairing photos and masks (metadata.csv or file stem; never listing order).
- :mod:`.io` -- opening files by content, decoding photos, the errors that name a file.
- :mod:`.binary_masks` -- binary masks and the one rule that reads them (0/1 or 0/255).
- :mod:`.classes` -- class tables: names, mask values or colours, ``classes.json``.
- :mod:`.class_masks` -- reading and writing multi-class (index and colour) masks.
- :mod:`.survey` -- what a folder of masks holds: kinds, class shares, values no class explains.
- :mod:`.inspection` -- ``inspect``: the dataset check both command lines print, one definition.
- :mod:`.checks` -- the dataset check: label errors, bad files, orphans, near-duplicates.
- :mod:`.duplicates` -- dHash and near-duplicate groups.
- :mod:`.split` -- grouped train/val/test split and its JSON manifest.
- :mod:`.transforms` -- albumentations pipelines and ``denormalize``.
- :mod:`.cache` -- decode-once cache in memory and on disk.
- :mod:`.datasets` -- the PyTorch datasets and seeded DataLoaders.
- :mod:`.synthetic` -- procedurally generated flood scenes (binary or three classes), the
  embedded default.
- :mod:`.load` -- :func:`load_dataset` (plain sizes) and :func:`load_flood_data` (a book
  profile's sizes), the chapters' entry point.
- :mod:`.report` -- the dataset's facts and decoding costs, for chapter 7's figures.
- :mod:`.shapes` -- chapter 4's synthetic task of wavy blobs and thin bars.
- :mod:`.cells` -- a mask of touching cells, for the U-Net paper's weight map (chapter 5).
- :mod:`.sample_photo` -- a real photo for the filters of chapters 1-3, without a download.

Command line: ``python -m unet_tutorial.data download|inspect [DIR] [--json]`` (``inspect`` is
also ``python -m unet_tutorial inspect``).
"""

import os

# Before anything imports albumentations: it looks for a newer release on PyPI at import time
# and warns on stderr when it cannot reach it (offline machines, CI), which the book must not show.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

# ruff: noqa: E402

from unet_tutorial.data.cache import DecodedCache, FactStore
from unet_tutorial.data.checks import DatasetScan, scan_dataset, water_fractions
from unet_tutorial.data.datasets import (
    FloodDataset,
    FolderDataset,
    SegmentationDataset,
    SyntheticFloodDataset,
    make_loader,
    seed_worker,
)
from unet_tutorial.data.download import DownloadError, download_dataset
from unet_tutorial.data.duplicates import dhash, group_near_duplicates, hamming
from unet_tutorial.data.binary_masks import binarize_mask, read_mask
from unet_tutorial.data.io import CorruptFileError, read_rgb
from unet_tutorial.data.load import FloodData, load_dataset, load_flood_data, subset_split
from unet_tutorial.data.locate import DATA_ENV_VAR, DatasetNotFoundError, locate_dataset
from unet_tutorial.data.pairing import DatasetWarning, Pair, pair_files
from unet_tutorial.data.split import Split, grouped_split, read_manifest, write_manifest
from unet_tutorial.data.synthetic import render_flood_scene
from unet_tutorial.data.transforms import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    denormalize,
    eval_transforms,
    train_transforms,
)

__all__ = [
    "DATA_ENV_VAR",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "CorruptFileError",
    "DatasetNotFoundError",
    "DatasetScan",
    "DatasetWarning",
    "DecodedCache",
    "DownloadError",
    "FactStore",
    "FloodData",
    "FloodDataset",
    "FolderDataset",
    "Pair",
    "SegmentationDataset",
    "Split",
    "SyntheticFloodDataset",
    "binarize_mask",
    "denormalize",
    "dhash",
    "download_dataset",
    "eval_transforms",
    "group_near_duplicates",
    "grouped_split",
    "hamming",
    "load_dataset",
    "load_flood_data",
    "locate_dataset",
    "make_loader",
    "pair_files",
    "read_manifest",
    "read_mask",
    "read_rgb",
    "render_flood_scene",
    "scan_dataset",
    "seed_worker",
    "subset_split",
    "train_transforms",
    "water_fractions",
    "write_manifest",
]
