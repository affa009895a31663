"""Inference: the one path from images to logits that evaluation, figures and ``predict`` share.

The network sees every photo shrunk to S×S (:func:`unet_tutorial.data.transforms.photo_to_input`
prepares it exactly as the datasets do for training). A flood map is wanted at the photo's own
size, so the S×S **logits** are resized bilinearly to the photo's H×W before thresholding:
resizing logits rather than a thresholded mask keeps the boundary smooth.

For a large photo the H×W logits do not fit comfortably in memory (a 12000×9000 photo: 432 MB per
class), so :func:`label_map` produces the classes (or the 0/1 water mask) without ever holding
them whole: it resizes the logits along the width first (S rows, small), then along the height
one block of columns at a time, and keeps only the uint8 result. Bilinear resizing is separable
and the blocks repeat exactly the full resize's arithmetic (PyTorch's kernel interpolates along
the width first too); the tests check the blocks against the one-shot resize. Small photos take
the one-shot path, which evaluation uses.

:func:`tiled_label_map` is the other way to segment a large photo: at its own resolution, in
overlapping tiles whose logits are blended (for networks trained on crops at the photos' scale;
the book's networks see whole photos shrunk to S×S and want :func:`label_map`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from unet_tutorial.data.transforms import photo_to_input
from unet_tutorial.metrics import binarize
from unet_tutorial.training.step import forward

#: Resized logits held at once by :func:`label_map` (floats; 4 Mi = 16 MB): above this many,
#: it works in blocks of columns.
STRIP_ELEMENTS = 1 << 22


def upsample_logits(logits: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinearly resize logits ``N×C×h×w`` to ``N×C×H×W`` (``size = (H, W)``)."""
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)


class FlipAverage(nn.Module):
    """Flip test-time augmentation: ``network``'s logits for an image and for its mirror image
    (flipped left to right, predicted, flipped back), averaged: ``N×3×H×W`` in, ``N×C×H×W``
    out. The network was trained on mirrored photos too, so both views are ones it knows; their
    mean is less sensitive to what one view gets wrong. It costs a second forward pass.
    """

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network

    @property
    def num_classes(self) -> int:
        return int(getattr(self.network, "num_classes", 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        mirrored = self.network(images.flip(-1)).flip(-1)
        return (self.network(images) + mirrored) / 2


@torch.no_grad()
def predict_logits(
    model: nn.Module, images: torch.Tensor, size: tuple[int, int] | None = None
) -> torch.Tensor:
    """The model's logits for normalized images ``N×3×S×S``, in eval mode.

    Args:
        model: any network of :mod:`unet_tutorial.models`, on the device to run on.
        images: the batch (moved to the model's device by :func:`~.step.forward`).
        size: ``(H, W)`` to resize the logits to (bilinear, on the model's device); ``None``
            keeps S×S.

    Returns:
        ``N×C×H×W`` float32 logits on the CPU.
    """
    model.eval()
    logits = forward(model, images)
    if size is not None:
        logits = upsample_logits(logits, size)
    return logits.cpu()


@torch.no_grad()
def predict_mask(
    model: nn.Module, photo: np.ndarray, image_size: int, threshold: float = 0.5
) -> np.ndarray:
    """The water mask of one photo at its own resolution (chapter 10's lesson).

    The photo is shrunk to S×S and normalised as in training (:func:`photo_to_input`), the
    network predicts S×S logits, the **logits** are resized bilinearly to the photo's H×W, and
    a pixel is water where its probability exceeds ``threshold`` (compared on the logits,
    ``logit > log(t / (1 - t))``, as :func:`~unet_tutorial.metrics.binarize` does). The same
    result as ``predict``'s path (:func:`predict_logits` then :func:`label_map`), which works
    in bounded memory on very large photos.

    Args:
        model: a binary network (one output channel).
        photo: ``H×W×3`` uint8 RGB.
        image_size: the side S the network was trained at.

    Returns:
        ``H×W`` uint8 of 0 and 1.
    """
    small = photo_to_input(photo, image_size)  # 3×S×S, as in training
    logits = predict_logits(model, small[None])  # 1×1×S×S, on the CPU
    height, width = photo.shape[:2]
    logits = F.interpolate(logits, size=(height, width), mode="bilinear", align_corners=False)
    water = logits[0, 0] > math.log(threshold / (1 - threshold))
    return water.numpy().astype(np.uint8)


def _labels(logits: torch.Tensor, threshold: float) -> torch.Tensor:
    """``1×C×H×W`` logits -> ``H×W`` uint8: the argmax class (C >= 2) or water 0/1 (C = 1)."""
    if logits.shape[1] == 1:
        return binarize(logits[0, 0], "logits", threshold).to(torch.uint8)
    return logits[0].argmax(dim=0).to(torch.uint8)


@torch.no_grad()
def label_map(
    logits: torch.Tensor,
    size: tuple[int, int],
    threshold: float = 0.5,
    *,
    max_elements: int = STRIP_ELEMENTS,
) -> np.ndarray:
    """One image's classes at ``size = (H, W)`` from its small logits ``1×C×h×w``.

    ``C = 1`` (binary): water where the resized logit's probability exceeds ``threshold``;
    ``C >= 2``: the class with the largest resized logit. At most ``max_elements`` resized
    logits are held at once (see the module docstring); small images are resized in one go,
    exactly as :func:`predict_logits` does for evaluation.

    Returns:
        ``H×W`` uint8 (0/1, or class indices).
    """
    if logits.ndim != 4 or logits.shape[0] != 1:
        raise ValueError(f"expected the 1×C×h×w logits of one image, got {tuple(logits.shape)}.")
    height, width = size
    channels = logits.shape[1]
    logits = logits.float()
    if channels * height * width <= max_elements:
        return _labels(upsample_logits(logits, size), threshold).cpu().numpy()
    labels = np.empty((height, width), np.uint8)
    across = upsample_logits(logits, (logits.shape[-2], width))  # 1×C×h×W: along W only
    step = max(1, max_elements // (channels * height))
    for left in range(0, width, step):
        block = across[..., left : left + step]
        resized = upsample_logits(block, (height, block.shape[-1]))  # along H only
        labels[:, left : left + step] = _labels(resized, threshold).cpu().numpy()
    return labels


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Where tiles of ``tile`` pixels start along a side of ``length`` pixels, neighbours
    overlapping by at least ``overlap`` pixels; the last tile ends at the side's end.

    A side shorter than ``tile`` gets one tile of its own length (start 0).
    """
    if tile < 1 or not 0 <= overlap < tile:
        raise ValueError(f"need tile >= 1 and 0 <= overlap < tile, got {tile} and {overlap}.")
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    return starts + [length - tile]


def blend_weights(length: int, overlap: int) -> torch.Tensor:
    """1-D weights of a tile side: rising linearly over ``overlap`` pixels at each end, 1 in
    between, never 0. Overlapping tiles' logits are averaged with these weights, so each tile
    counts least at its border, where its network saw the least context."""
    positions = torch.arange(length, dtype=torch.float32)
    ramp = (torch.minimum(positions + 1, length - positions) / (overlap + 1)).clamp(max=1.0)
    return ramp


def _tile(photo: np.ndarray | Image.Image, top: int, left: int, height: int, width: int):
    if isinstance(photo, np.ndarray):
        return photo[top : top + height, left : left + width]
    return np.asarray(photo.crop((left, top, left + width, top + height)))


def _size(photo: np.ndarray | Image.Image) -> tuple[int, int]:
    return photo.shape[:2] if isinstance(photo, np.ndarray) else (photo.height, photo.width)


@torch.no_grad()
def tiled_logit_rows(
    model: nn.Module,
    photo: np.ndarray | Image.Image,
    tile: int,
    overlap: int,
    *,
    batch_size: int = 4,
) -> Iterator[tuple[int, torch.Tensor]]:
    """The photo's logits at its own resolution, from overlapping tiles, one band of rows at a
    time: yields ``(first row, 1×C×rows×W logits)`` from top to bottom.

    Each tile is normalised as every network input is and predicted on its own (``batch_size``
    tiles per forward pass); where tiles overlap, their logits are averaged with
    :func:`blend_weights`. Only one band of tiles' logits is held at a time.

    Args:
        photo: ``H×W×3`` uint8 RGB (an array, or an RGB ``PIL.Image``, cropped tile by tile).
        tile: tile side in pixels (sides shorter than this get one tile).
        overlap: pixels shared by neighbouring tiles.
    """
    from unet_tutorial.data.transforms import photo_to_tensor

    height, width = _size(photo)
    rows, cols = tile_starts(height, tile, overlap), tile_starts(width, tile, overlap)
    tile_h, tile_w = min(tile, height), min(tile, width)
    weight = blend_weights(tile_h, overlap)[:, None] * blend_weights(tile_w, overlap)[None, :]
    carry: tuple[torch.Tensor, torch.Tensor] | None = None  # rows below the last band, started
    for index, top in enumerate(rows):
        tiles = [photo_to_tensor(_tile(photo, top, left, tile_h, tile_w)) for left in cols]
        outputs = [
            predict_logits(model, torch.stack(tiles[i : i + batch_size]))
            for i in range(0, len(tiles), batch_size)
        ]
        logits = torch.cat(outputs)  # tiles×C×th×tw
        band = torch.zeros(logits.shape[1], tile_h, width)
        total = torch.zeros(tile_h, width)
        if carry is not None:
            band[:, : carry[0].shape[1]] += carry[0]
            total[: carry[1].shape[0]] += carry[1]
        for left, values in zip(cols, logits, strict=True):
            band[:, :, left : left + tile_w] += values * weight
            total[:, left : left + tile_w] += weight
        done = (rows[index + 1] - top) if index + 1 < len(rows) else tile_h
        yield top, (band[:, :done] / total[:done])[None]
        carry = (band[:, done:], total[done:])


@torch.no_grad()
def tiled_label_map(
    model: nn.Module,
    photo: np.ndarray | Image.Image,
    tile: int,
    overlap: int | None = None,
    threshold: float = 0.5,
    *,
    batch_size: int = 4,
) -> np.ndarray:
    """The classes (or 0/1 water) of a photo at its own resolution, from blended overlapping
    tiles (:func:`tiled_logit_rows`); ``overlap`` defaults to a quarter of the tile."""
    overlap = tile // 4 if overlap is None else overlap
    labels = np.empty(_size(photo), np.uint8)
    for top, logits in tiled_logit_rows(model, photo, tile, overlap, batch_size=batch_size):
        labels[top : top + logits.shape[-2]] = _labels(logits, threshold).numpy()
    return labels
