"""Losses for segmentation logits: binary cross-entropy, soft Dice, their sum, the U-Net
paper's weighted cross-entropy, and their multi-class counterparts (softmax cross-entropy and a
multi-class soft Dice).

The network outputs one logit ``z`` per pixel; the water probability is ``sigmoid(z)``.
``BCEWithLogitsLoss`` judges every pixel on its own; the soft Dice loss judges the overlap of
the whole predicted region with the true one. :func:`make_loss` builds either by name, with an
optional ``pos_weight`` that makes a missed water pixel cost more than a false alarm (for
classes that cover little of the image). :func:`border_weight_map` computes the paper's
per-pixel weights, which make the thin background between two touching objects count most.

With C classes the network outputs C logits per pixel and the class probabilities are their
softmax. ``"ce"`` is the softmax cross-entropy (``CrossEntropyLoss``: minus the log of the true
class's probability, averaged over pixels); ``"ce+dice"`` adds a soft Dice loss averaged over
the classes, which gives a small class the same say as a large one. Their targets are the class
indices (``N×1×H×W`` or ``N×H×W``, any number type), as the datasets give them.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from torch import nn

LOSS_NAMES: tuple[str, ...] = ("bce", "bce+dice", "ce", "ce+dice")
"""The names :func:`make_loss` accepts: ``bce*`` for one logit per pixel (binary), ``ce*`` for
one logit per class (multi-class)."""

MULTICLASS_LOSSES: tuple[str, ...] = ("ce", "ce+dice")
"""The losses for C >= 2 output channels (softmax over the classes)."""


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


def class_indices(targets: torch.Tensor) -> torch.Tensor:
    """``N×1×H×W`` (as the datasets give masks) or ``N×H×W`` class indices of any number type
    as ``N×H×W`` int64.

    Raises:
        ValueError: for a 4-D tensor with more than one channel (one-hot targets are not taken).
    """
    if targets.ndim == 4:
        if targets.shape[1] != 1:
            raise ValueError(
                f"multi-class targets are class indices N×1×H×W or N×H×W, got shape "
                f"{tuple(targets.shape)} (one-hot targets are not taken)."
            )
        targets = targets[:, 0]
    return targets.long()


class SoftmaxCrossEntropyLoss(nn.Module):
    """Softmax cross-entropy of ``N×C×H×W`` logits against class indices, averaged over pixels.

    ``-log softmax(z)[true class]`` per pixel: PyTorch's cross-entropy after turning the
    datasets' ``N×1×H×W`` float masks into ``N×H×W`` class indices (:func:`class_indices`).
    """

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if logits.shape[1] < 2:
            raise ValueError(
                "softmax cross-entropy needs one logit per class (C >= 2 channels); "
                "a one-channel network is binary: use 'bce' or 'bce+dice'."
            )
        return F.cross_entropy(logits, class_indices(targets))


class MulticlassDiceLoss(nn.Module):
    """``1 - mean over classes of the soft Dice`` of softmax probabilities and one-hot targets.

    Each class's Dice is computed over the whole batch, ``(2 Σ p·t + smooth) / (Σ p + Σ t +
    smooth)``, then the C values are averaged: every class weighs the same, however few pixels
    it covers. Shapes: logits ``N×C×H×W``, targets class indices; returns a scalar.
    """

    def __init__(self, smooth: float = 1.0) -> None:
        super().__init__()
        self.smooth = smooth

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        probabilities = torch.softmax(logits, dim=1)  # N×C×H×W
        one_hot = F.one_hot(class_indices(targets), logits.shape[1])
        one_hot = one_hot.permute(0, 3, 1, 2).to(probabilities.dtype)
        pixels = (0, 2, 3)  # sum over the batch and the pixels: one value per class
        intersection = (probabilities * one_hot).sum(dim=pixels)
        total = probabilities.sum(dim=pixels) + one_hot.sum(dim=pixels)
        dice = (2.0 * intersection + self.smooth) / (total + self.smooth)
        return 1.0 - dice.mean()


class CEDiceLoss(nn.Module):
    """``SoftmaxCrossEntropyLoss + dice_weight * MulticlassDiceLoss``."""

    def __init__(self, dice_weight: float = 1.0) -> None:
        super().__init__()
        self.ce = SoftmaxCrossEntropyLoss()
        self.dice = MulticlassDiceLoss()
        self.dice_weight = dice_weight

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.ce(logits, targets) + self.dice_weight * self.dice(logits, targets)


def _bce(pos_weight: float) -> nn.BCEWithLogitsLoss:
    if pos_weight == 1.0:
        return nn.BCEWithLogitsLoss()
    return nn.BCEWithLogitsLoss(pos_weight=torch.tensor([float(pos_weight)]))


def make_loss(name: str, pos_weight: float = 1.0) -> nn.Module:
    """The loss called ``name``: ``"bce"`` (``BCEWithLogitsLoss``), ``"bce+dice"``, ``"ce"``
    (softmax cross-entropy, multi-class) or ``"ce+dice"``.

    Args:
        pos_weight: how much more a water (positive) pixel's cross-entropy counts than a land
            pixel's; ``1`` weighs them alike. The ratio of land to water pixels in the training
            masks is the usual choice for a rare class. (Move the loss to the logits' device.)
            Binary losses only: the multi-class losses take ``1``.

    Raises:
        ValueError: for another name, listing the known ones, or a ``pos_weight`` that is not
            positive (or not 1 for a multi-class loss).
    """
    if not pos_weight > 0:
        raise ValueError(f"pos_weight must be positive, got {pos_weight}.")
    if name == "bce":
        return _bce(pos_weight)
    if name == "bce+dice":
        return BCEDiceLoss(pos_weight=pos_weight)
    if name in MULTICLASS_LOSSES:
        if pos_weight != 1.0:
            raise ValueError(f"pos_weight is for the binary losses; {name!r} takes 1.")
        return SoftmaxCrossEntropyLoss() if name == "ce" else CEDiceLoss()
    raise ValueError(f"Unknown loss {name!r}: choose one of {LOSS_NAMES}.")


def loss_for_classes(name: str | None, num_classes: int) -> str:
    """The loss name to use with ``num_classes`` output channels: ``name`` when it fits, the
    matching one otherwise (``"bce+dice"`` <-> ``"ce+dice"``, ``"bce"`` <-> ``"ce"``).

    ``None`` gives ``"bce+dice"`` for one channel and ``"ce+dice"`` for more.
    """
    multiclass = num_classes >= 2
    if name is None:
        return "ce+dice" if multiclass else "bce+dice"
    if name not in LOSS_NAMES:
        raise ValueError(f"Unknown loss {name!r}: choose one of {LOSS_NAMES}.")
    if multiclass == (name in MULTICLASS_LOSSES):
        return name
    return name[1:] if name.startswith("bce") else "b" + name


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
