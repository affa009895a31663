"""Finding the flood dataset on disk.

Search order of :func:`locate_dataset`:

1. an explicit folder passed by the caller;
2. the folder named by the environment variable ``UNET_TUTORIAL_DATA``;
3. ``<project>/data/flood-area-segmentation`` (where ``python -m unet_tutorial.data download``
   puts it; see :func:`unet_tutorial.paths.data_dir`).

A dataset folder holds an image folder and a mask folder: ``Image/`` + ``Mask/`` (+ an optional
``metadata.csv``) as on Kaggle, or ``images/`` + ``masks/`` for your own data. Folder names are
matched without regard to case, and a single extra level (such as the ``versions/1`` folder a
Kaggle download creates) is looked through.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from unet_tutorial.paths import data_dir

DATA_ENV_VAR = "UNET_TUTORIAL_DATA"
DATASET_NAME = "flood-area-segmentation"
KAGGLE_HANDLE = "faizalkarim/flood-area-segmentation"
KAGGLE_URL = f"https://www.kaggle.com/datasets/{KAGGLE_HANDLE}"

IMAGE_DIR_NAMES = ("image", "images", "img", "imgs")
MASK_DIR_NAMES = ("mask", "masks", "label", "labels")
METADATA_NAME = "metadata.csv"

HOW_TO_GET_THE_DATA = (
    "Get the dataset with `python -m unet_tutorial.data download`, or download it by hand from "
    f"{KAGGLE_URL} and unzip it so that the folder `data/{DATASET_NAME}/` of the project holds "
    "`Image/`, `Mask/` and `metadata.csv`; or set the environment variable "
    f"{DATA_ENV_VAR} to a folder holding them (your own data: `images/` + `masks/`, matched by "
    "file name stem)."
)


class DatasetNotFoundError(FileNotFoundError):
    """No usable dataset folder (missing, empty, or without image and mask folders)."""


@dataclass(frozen=True)
class DatasetLayout:
    """Where the parts of one dataset folder are.

    Attributes:
        root: the dataset folder.
        image_dir: folder of the photos.
        mask_dir: folder of the masks.
        metadata: ``metadata.csv`` pairing images and masks, or ``None`` (then pairs by stem).
    """

    root: Path
    image_dir: Path
    mask_dir: Path
    metadata: Path | None


def default_dataset_dir() -> Path:
    """``<project>/data/flood-area-segmentation``: where the download command puts the data."""
    return data_dir() / DATASET_NAME


def default_cache_dir() -> Path:
    """``<project>/data/cache``: decoded, downscaled images and per-file facts."""
    return data_dir() / "cache"


def _child(folder: Path, names: tuple[str, ...]) -> Path | None:
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and entry.name.lower() in names:
            return entry
    return None


def _layout_in(folder: Path) -> DatasetLayout | None:
    image_dir = _child(folder, IMAGE_DIR_NAMES)
    mask_dir = _child(folder, MASK_DIR_NAMES)
    if image_dir is None or mask_dir is None:
        return None
    metadata = next(
        (p for p in sorted(folder.iterdir()) if p.is_file() and p.name.lower() == METADATA_NAME),
        None,
    )
    return DatasetLayout(folder, image_dir, mask_dir, metadata)


def find_layout(root: str | Path) -> DatasetLayout:
    """The image folder, mask folder and metadata file of the dataset folder ``root``.

    Raises:
        DatasetNotFoundError: when ``root`` is missing, or holds no image and mask folders, or
            those folders are empty; the message says how to get the data.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetNotFoundError(f"No dataset folder at {root}. {HOW_TO_GET_THE_DATA}")
    candidates = [root, *(p for p in sorted(root.iterdir()) if p.is_dir())]
    # One level further down, for downloads that nest the files (e.g. versions/1/).
    candidates += [q for p in candidates[1:] for q in sorted(p.iterdir()) if q.is_dir()]
    for folder in candidates:
        layout = _layout_in(folder)
        if layout is not None:
            break
    else:
        raise DatasetNotFoundError(
            f"{root} holds no image folder ({'/'.join(IMAGE_DIR_NAMES)}) next to a mask folder "
            f"({'/'.join(MASK_DIR_NAMES)}). {HOW_TO_GET_THE_DATA}"
        )
    for folder in (layout.image_dir, layout.mask_dir):
        if not any(p.is_file() and not p.name.startswith(".") for p in folder.iterdir()):
            raise DatasetNotFoundError(f"The folder {folder} is empty. {HOW_TO_GET_THE_DATA}")
    return layout


def locate_dataset(root: str | Path | None = None) -> Path | None:
    """The dataset folder to use, or ``None`` when there is none (see the module's search order).

    Raises:
        DatasetNotFoundError: when ``root`` or ``UNET_TUTORIAL_DATA`` names a folder that does
            not exist: an explicit choice that fails must not fall back silently.
    """
    if root is not None:
        find_layout(root)
        return Path(root).expanduser()
    from_env = os.environ.get(DATA_ENV_VAR, "").strip()
    if from_env:
        if not Path(from_env).expanduser().is_dir():
            raise DatasetNotFoundError(
                f"{DATA_ENV_VAR}={from_env!r} is not a folder. Point it at the dataset folder "
                f"or unset it. {HOW_TO_GET_THE_DATA}"
            )
        return Path(from_env).expanduser()
    default = default_dataset_dir()
    try:
        find_layout(default)
    except DatasetNotFoundError:
        return None
    return default
