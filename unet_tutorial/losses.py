"""Losses for segmentation logits: binary cross-entropy, soft Dice, their sum, and the U-Net
paper's weighted cross-entropy.

The network outputs one logit ``z`` per pixel; the water probability is ``sigmoid(z)``.
``BCEWithLogitsLoss`` judges every pixel on its own; the soft Dice loss judges the overlap of
the whole predicted region with the true one. :func:`make_loss` builds either by name, with an
optional ``pos_weight`` that makes a missed water pixel cost more than a false alarm (for
classes that cover little of the image). :func:`border_weight_map` computes the paper's
per-pixel weights, which make the thin background between two touching objects count most.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from torch import nn

LOSS_NAMES: tuple[str, ...] = ("bce", "bce+dice")
"""The names :func:`make_loss` accepts."""


class SoftDiceLoss(nn.Module):
    """``1 - Dice`` computed on probabilities, so that it has a gradient.

    Dice is computed over the whole batch (all pixels together), which keeps it defined for
    images without water. ``smooth`` avoids 0/0 for an all-empty batch.

    Shapes: logits and targets ``N×1×H×W``; returns a scalar.
    """

    def __init__(self, smooth: float = 1.0) -> None:
        super().__init__()
        self.smooth = smooth

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        probabilities = torch.sigmoid(logits)
        intersection = (probabilities * targets).sum()
        total = probabilities.sum() + targets.sum()
        return 1.0 - (2.0 * intersection + self.smooth) / (total + self.smooth)


class BCEDiceLoss(nn.Module):
    """``BCEWithLogitsLoss + dice_weight * SoftDiceLoss``: per-pixel and per-region terms."""

    def __init__(self, dice_weight: float = 1.0, pos_weight: float = 1.0) -> None:
        super().__init__()
        self.bce = _bce(pos_weight)
        self.dice = SoftDiceLoss()
        self.dice_weight = dice_weight

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.bce(logits, targets) + self.dice_weight * self.dice(logits, targets)


def _bce(pos_weight: float) -> nn.BCEWithLogitsLoss:
    if pos_weight == 1.0:
        return nn.BCEWithLogitsLoss()
    return nn.BCEWithLogitsLoss(pos_weight=torch.tensor([float(pos_weight)]))


def make_loss(name: str, pos_weight: float = 1.0) -> nn.Module:
    """The loss called ``name``: ``"bce"`` (``BCEWithLogitsLoss``) or ``"bce+dice"``.

    Args:
        pos_weight: how much more a water (positive) pixel's cross-entropy counts than a land
            pixel's; ``1`` weighs them alike. The ratio of land to water pixels in the training
            masks is the usual choice for a rare class. (Move the loss to the logits' device.)

    Raises:
        ValueError: for another name, listing the known ones, or a ``pos_weight`` that is not
            positive.
    """
    if not pos_weight > 0:
        raise ValueError(f"pos_weight must be positive, got {pos_weight}.")
    if name == "bce":
        return _bce(pos_weight)
    if name == "bce+dice":
        return BCEDiceLoss(pos_weight=pos_weight)
    raise ValueError(f"Unknown loss {name!r}: choose one of {LOSS_NAMES}.")


def border_weight_map(
    mask: np.ndarray, *, w0: float = 10.0, sigma: float = 5.0, balance: bool = True
) -> np.ndarray:
    """The U-Net paper's weight map (its equation 2) for one binary mask of separate objects.

    ``w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))**2 / (2 * sigma**2))`` on background pixels,
    where ``d1`` and ``d2`` are the distances to the nearest and the second nearest object
    (connected component of the mask), and ``w_c`` balances the two classes. The second term
    is large only in narrow gaps between two objects, where a segmentation that merges them
    would be wrong; the paper used ``w0 = 10`` and ``sigma`` about 5 pixels.

    Args:
        mask: ``H×W`` array, nonzero on the objects.
        w0, sigma: the height and width (pixels) of the border term.
        balance: ``w_c`` gives each class the same total weight (each pixel weighs
            ``H·W / (2 · pixels of its class)``); ``False`` makes it 1 everywhere.

    Returns:
        ``H×W`` float32 weights, for ``F.binary_cross_entropy_with_logits(weight=...)``
        (see :func:`weighted_bce`).
    """
    objects = np.asarray(mask) != 0
    if objects.ndim != 2:
        raise ValueError(f"mask must be H×W, got shape {objects.shape}.")
    weights = np.ones(objects.shape, np.float64)
    if balance:
        for value in (True, False):
            count = int((objects == value).sum())
            if count:
                weights[objects == value] = objects.size / (2 * count)
    labels, count = ndimage.label(objects)
    if count >= 2:
        nearest = np.full(objects.shape, np.inf)
        second = np.full(objects.shape, np.inf)
        for index in range(1, count + 1):
            distance = ndimage.distance_transform_edt(labels != index)
            second = np.minimum(second, np.maximum(nearest, distance))
            nearest = np.minimum(nearest, distance)
        border = w0 * np.exp(-((nearest + second) ** 2) / (2 * sigma**2))
        weights += np.where(objects, 0.0, border)
    return weights.astype(np.float32)


def weighted_bce(
    logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """Binary cross-entropy with a weight per pixel, averaged: the paper's weighted loss.

    Shapes: logits, targets and weights ``N×1×H×W`` (or broadcastable); returns a scalar.
    """
    return F.binary_cross_entropy_with_logits(logits, targets, weight=weights)
