"""Figures of the flood dataset (chapter 7): sample pairs, sizes and water, label errors,
near-duplicates, the split and the augmentations.

Every function returns a :class:`matplotlib.figure.Figure`; the caller shows or closes it.
Functions that show something the synthetic default does not have (label errors,
near-duplicates) draw a short note instead, so a chapter runs unchanged on either dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter
from PIL import Image

from unet_tutorial.data.binary_masks import read_mask
from unet_tutorial.data.checks import DatasetScan
from unet_tutorial.data.datasets import SegmentationDataset
from unet_tutorial.data.io import read_rgb
from unet_tutorial.data.report import DatasetFacts
from unet_tutorial.data.split import Split

WATER = np.array([30, 110, 255], dtype=float)  # overlay colour of water
EDGE = np.array([255, 220, 0], dtype=np.uint8)  # mask outline

__all__ = [
    "overlay",
    "plot_samples",
    "plot_sizes_and_water",
    "plot_swapped_pair",
    "plot_duplicate_groups",
    "plot_augmentations",
]


def mask_edge(mask: np.ndarray) -> np.ndarray:
    """Boolean H×W outline of a 0/1 mask: water pixels with a non-water 4-neighbour."""
    water = mask.astype(bool)
    padded = np.pad(water, 1, mode="edge")
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:] & water
    return water & ~inner


def overlay(
    image: np.ndarray, mask: np.ndarray, alpha: float = 0.45, edge: bool = True
) -> np.ndarray:
    """The photo (H×W×3 uint8) tinted blue where ``mask`` (H×W, 0/1) is water, edged in yellow."""
    if image.shape[:2] != mask.shape:
        raise ValueError(f"image {image.shape[:2]} and mask {mask.shape} differ in size")
    out = image.astype(float)
    water = mask.astype(bool)
    out[water] = out[water] * (1 - alpha) + WATER * alpha
    out = out.round().astype(np.uint8)
    if edge:
        out[mask_edge(mask)] = EDGE
    return out


def _off(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _note(text: str, width: float = 8.0) -> Figure:
    fig, ax = plt.subplots(figsize=(width, 0.9))
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, wrap=True)
    ax.axis("off")
    return fig


def plot_samples(
    dataset: SegmentationDataset, indices: Sequence[int], max_side: int = 240
) -> Figure:
    """Photos (top row) and their masks over them (bottom row), with id and size."""
    fig, axes = plt.subplots(2, len(indices), figsize=(2.5 * len(indices), 4.2), squeeze=False)
    for column, index in enumerate(indices):
        image, mask = dataset.preview_arrays(index, max_side)
        width, height = dataset.native_size(index)
        axes[0, column].imshow(image)
        axes[1, column].imshow(overlay(image, mask))
        axes[0, column].set_title(f"{dataset.ids[index]}: {width}×{height}", fontsize=9)
        axes[1, column].set_title(f"water {mask.mean():.0%}", fontsize=9)
        for ax in axes[:, column]:
            _off(ax)
    axes[0, 0].set_ylabel("photo")
    axes[1, 0].set_ylabel("mask (blue)")
    fig.tight_layout()
    return fig


def plot_sizes_and_water(facts: DatasetFacts, image_size: int) -> Figure:
    """Left: photo widths and heights (log axes) and the S×S size training uses; right: the
    distribution of the water fraction over the masks, with its median."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.scatter(facts.widths, facts.heights, s=14, alpha=0.6, color="tab:blue", label="photos")
    left.scatter(
        [image_size],
        [image_size],
        marker="s",
        s=50,
        color="tab:red",
        label=f"training size {image_size}×{image_size}",
    )
    left.set_xscale("log")
    left.set_yscale("log")
    # label the decades only: minor labels (2×10², 3×10², ...) run into each other
    left.xaxis.set_minor_formatter(NullFormatter())
    left.yaxis.set_minor_formatter(NullFormatter())
    left.set_xlabel("width (pixels)")
    left.set_ylabel("height (pixels)")
    left.set_title(f"{len(facts.widths)} photo sizes", fontsize=10)
    left.legend(fontsize=8, loc="upper left")
    water = facts.water_values()
    right.hist(water * 100, bins=np.linspace(0, 100, 21), color="tab:blue", alpha=0.8)
    right.axvline(
        np.median(water) * 100,
        color="black",
        linestyle="--",
        label=f"median {np.median(water):.0%}",
    )
    right.set_xlabel("water in the mask (% of pixels)")
    right.set_ylabel("masks")
    right.set_title("water fraction", fontsize=10)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _preview(path, max_side: int, reader: Callable) -> np.ndarray:
    if reader is read_mask:
        mask = read_mask(path)
        scale = min(1.0, max_side / max(mask.shape))
        size = (max(1, round(mask.shape[1] * scale)), max(1, round(mask.shape[0] * scale)))
        return np.array(Image.fromarray(mask).resize(size, Image.Resampling.NEAREST))
    image = read_rgb(path, min_size=(max_side, max_side))
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.array(image)


def plot_swapped_pair(scan: DatasetScan | None, max_side: int = 260) -> Figure:
    """For the first swapped pair (a, b): each photo, its mask file, and that mask laid over
    the *other* photo, where it fits. A note when the data has no swapped pair."""
    swaps = scan.swaps() if scan is not None else []
    if not swaps:
        return _note(
            "No swapped masks here: the synthetic scenes' masks are exact by construction."
        )
    a, b = swaps[0]
    fig, axes = plt.subplots(2, 3, figsize=(10, 5.6))
    for row, (this, other) in enumerate(((a, b), (b, a))):
        photo = _preview(scan.pair(this).image, max_side, read_rgb)
        mask = _preview(scan.pair(this).mask, max_side, read_mask)
        other_photo = _preview(scan.pair(other).image, max_side, read_rgb)
        w, h = scan.image_sizes[this]
        mw, mh = scan.mask_sizes[this]
        axes[row, 0].imshow(photo)
        axes[row, 0].set_title(f"photo {this}: {w}×{h}", fontsize=9)
        axes[row, 1].imshow(mask, cmap="gray", vmin=0, vmax=1)
        axes[row, 1].set_title(f"its mask file: {mw}×{mh}", fontsize=9)
        fitted = (
            np.array(
                Image.fromarray(mask * 255).resize(
                    other_photo.shape[1::-1], Image.Resampling.NEAREST
                )
            )
            // 255
        )
        axes[row, 2].imshow(overlay(other_photo, fitted))
        axes[row, 2].set_title(f"that mask on photo {other}: it fits", fontsize=9)
        for ax in axes[row]:
            _off(ax)
    fig.tight_layout()
    return fig


def plot_duplicate_groups(
    scan: DatasetScan | None, split: Split, max_groups: int = 4, max_side: int = 200
) -> Figure:
    """A few near-duplicate groups, one per row, each photo titled with its id and split."""
    groups = scan.duplicate_groups[:max_groups] if scan is not None else []
    if not groups:
        return _note("No near-duplicates here: every synthetic scene is drawn from its own seed.")
    columns = max(len(g) for g in groups)
    fig, axes = plt.subplots(
        len(groups), columns, figsize=(2.6 * columns, 2.0 * len(groups)), squeeze=False
    )
    for row, group in enumerate(groups):
        for column in range(columns):
            ax = axes[row, column]
            _off(ax)
            if column >= len(group):
                continue
            sample_id = group[column]
            ax.imshow(_preview(scan.pair(sample_id).image, max_side, read_rgb))
            ax.set_title(f"{sample_id} ({split.of(sample_id)})", fontsize=9)
    fig.tight_layout()
    return fig


def plot_augmentations(
    image: np.ndarray, mask: np.ndarray, pipeline: Callable[..., dict], count: int = 7
) -> Figure:
    """The pair only resized to the pipeline's output size, then ``count`` draws of
    ``pipeline`` (a uint8 albumentations pipeline, e.g. ``train_transforms(S,
    normalize=False)``), each with the mask tinted and outlined."""
    draws = [pipeline(image=image, mask=mask) for _ in range(count)]
    size = draws[0]["image"].shape[1::-1] if draws else image.shape[1::-1]
    plain = np.array(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))
    plain_mask = np.array(Image.fromarray(mask).resize(size, Image.Resampling.NEAREST))
    columns = (count + 2) // 2
    fig, axes = plt.subplots(2, columns, figsize=(2.3 * columns, 4.8))
    axes = axes.ravel()
    axes[0].imshow(overlay(plain, plain_mask, alpha=0.25))
    axes[0].set_title("resized only", fontsize=9)
    for n, out in enumerate(draws):
        axes[n + 1].imshow(overlay(out["image"], out["mask"], alpha=0.25))
        axes[n + 1].set_title(f"draw {n + 1}", fontsize=9)
    for ax in axes:
        _off(ax)
    for ax in axes[count + 1 :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
