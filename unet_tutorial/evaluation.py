"""Final evaluation at each mask's original resolution, and the per-image cases behind the figures.

The network sees every photo shrunk to S×S; a flood map is wanted at the photo's own size. So
the final numbers are computed the way the model is used: predict at S×S, upsample the
**logits** bilinearly to the photo's H×W (:func:`unet_tutorial.training.inference.predict_logits`,
the path ``predict`` uses too), threshold, and compare with the original mask. Scores computed
on the S×S masks instead would grade a blurred copy of the labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from unet_tutorial.losses import make_loss
from unet_tutorial.metrics import SCORE_NAMES, SegmentationMetrics, binarize, scores_from_counts
from unet_tutorial.runtime import default_device
from unet_tutorial.training.inference import predict_logits
from unet_tutorial.training.step import memory_format_for

Sample = tuple[torch.Tensor, torch.Tensor, str]
"""``(image 3×S×S normalized, mask 1×H×W or H×W at the original size, sample id)``."""


@dataclass
class NativeEvaluation:
    """Scores of a split at the original resolution.

    Attributes:
        summary: micro scores (``iou``, ``dice``, ``precision``, ``recall``, ``pixel_accuracy``:
            counts summed over all pixels of all images), the same prefixed ``per_image_`` (mean
            of each image's score) and ``images``.
        ids: the sample ids, in evaluation order.
        per_image: for each score name, one value per image (same order as ``ids``).
        sizes: each image's original ``(H, W)``.
        counts: each image's confusion counts ``[tp, fp, fn, tn]`` (same order as ``ids``).
    """

    summary: dict[str, float]
    ids: list[str]
    per_image: dict[str, list[float]] = field(default_factory=dict)
    sizes: list[tuple[int, int]] = field(default_factory=list)
    counts: list[list[int]] = field(default_factory=list)

    def scores(self) -> dict[str, float]:
        """The five micro scores (what ``metrics.json`` stores under ``test``)."""
        return {name: self.summary[name] for name in SCORE_NAMES}

    def ranked(self, key: str = "iou") -> list[int]:
        """Positions of the images from the worst to the best ``key`` score."""
        values = self.per_image[key]
        return sorted(range(len(values)), key=lambda i: (values[i], self.ids[i]))

    def worst_and_best(self, count: int, key: str = "iou") -> tuple[list[int], list[int]]:
        """The ``count`` worst (lowest first) and ``count`` best (highest first) positions."""
        order = self.ranked(key)
        count = min(count, len(order) // 2) or min(count, len(order))
        return order[:count], order[::-1][:count]

    def bootstrap(
        self, key: str = "iou", *, samples: int = 2000, level: float = 0.95, seed: int = 0
    ) -> tuple[float, float]:
        """A percentile bootstrap interval of the micro ``key`` score over the images.

        The test images are drawn with replacement ``samples`` times and the micro score is
        recomputed from the drawn images' counts; the interval holds the middle ``level`` of
        those scores. It shows how much the number could move with another test set of the same
        size from the same source (it says nothing about other sources of photos).
        """
        if not self.counts:
            raise ValueError("no per-image counts stored: evaluate with evaluate_native().")
        counts = torch.tensor(self.counts, dtype=torch.float64)
        generator = torch.Generator().manual_seed(seed)
        draws = torch.randint(len(counts), (samples, len(counts)), generator=generator)
        scores = scores_from_counts(counts[draws].sum(1))[key]
        tail = (1 - level) / 2
        low, high = torch.quantile(scores, torch.tensor([tail, 1 - tail], dtype=torch.float64))
        return float(low), float(high)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per image (id, size and scores), e.g. for a table."""
        return [
            {"id": sample_id, "height": h, "width": w}
            | {name: self.per_image[name][i] for name in SCORE_NAMES}
            for i, (sample_id, (h, w)) in enumerate(zip(self.ids, self.sizes, strict=True))
        ]


def _samples(dataset_or_samples: Any) -> Iterable[Sample]:
    """Samples from a dataset with ``native_item(i)`` or from an iterable of samples."""
    if hasattr(dataset_or_samples, "native_item"):
        return (dataset_or_samples.native_item(i) for i in range(len(dataset_or_samples)))
    return dataset_or_samples


def _as_mask(mask: torch.Tensor) -> torch.Tensor:
    """An ``H×W`` or ``1×H×W`` mask as ``1×1×H×W``."""
    mask = torch.as_tensor(mask)
    if mask.ndim == 2:
        mask = mask[None]
    if mask.ndim != 3 or mask.shape[0] != 1:
        raise ValueError(f"expected a 1×H×W or H×W mask, got shape {tuple(mask.shape)}.")
    return mask[None]


def _on_device(model: nn.Module, device: str | torch.device | None) -> nn.Module:
    device = torch.device(device) if device is not None else default_device()
    return model.to(device, memory_format=memory_format_for(device))


@torch.no_grad()
def evaluate_native(
    model: nn.Module,
    dataset_or_samples: Any,
    *,
    device: str | torch.device | None = None,
    threshold: float = 0.5,
) -> NativeEvaluation:
    """Score ``model`` at each mask's original resolution.

    Args:
        model: maps ``N×3×S×S`` to ``N×1×S×S`` logits.
        dataset_or_samples: a dataset with ``native_item(i)`` (the package's datasets) or an
            iterable of samples ``(image 3×S×S, mask 1×H×W, id)``.
        device: where to run the model (default: CUDA when available).
        threshold: probability above which a pixel counts as water.

    Returns:
        A :class:`NativeEvaluation`.
    """
    model = _on_device(model, device)
    metrics = SegmentationMetrics(kind="logits", threshold=threshold)
    ids, sizes = [], []
    for image, mask, sample_id in _samples(dataset_or_samples):
        mask = _as_mask(mask)
        size = (int(mask.shape[-2]), int(mask.shape[-1]))
        metrics.update(predict_logits(model, image[None], size), mask)
        ids.append(str(sample_id))
        sizes.append(size)
    if not ids:
        raise ValueError("nothing to evaluate: the split is empty.")
    per_image = {name: values.tolist() for name, values in metrics.per_image().items()}
    counts = metrics.counts().tolist()
    return NativeEvaluation(metrics.compute(), ids, per_image, sizes, counts)


def _shrink(array: np.ndarray, max_side: int, resample: Image.Resampling) -> np.ndarray:
    height, width = array.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return array
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(array).resize(size, resample))


@torch.no_grad()
def native_cases(
    model: nn.Module,
    dataset: Any,
    positions: Sequence[int],
    *,
    device: str | torch.device | None = None,
    threshold: float = 0.5,
    max_side: int = 480,
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Photos, true masks and predicted masks of some samples, for result grids.

    The prediction is made at the original resolution (as in :func:`evaluate_native`), then the
    three pictures are shrunk together to at most ``max_side`` pixels for display.

    Args:
        dataset: a dataset with ``native_item(i)`` and ``native_arrays(i)``.
        positions: which samples.

    Returns:
        ``(images H×W×3 uint8, masks H×W uint8, predictions H×W uint8)``, one of each per position.
    """
    model = _on_device(model, device)
    images, truths, predictions = [], [], []
    for position in positions:
        image, mask, _ = dataset.native_item(position)
        photo, _ = dataset.native_arrays(position)
        size = tuple(mask.shape[-2:])
        predicted = binarize(predict_logits(model, image[None], size), "logits", threshold)
        truth = mask.reshape(size).numpy().astype(np.uint8)
        predicted = predicted.reshape(size).numpy().astype(np.uint8)
        images.append(_shrink(np.asarray(photo, dtype=np.uint8), max_side, Image.Resampling.BOX))
        truths.append(_shrink(truth, max_side, Image.Resampling.NEAREST))
        predictions.append(_shrink(predicted, max_side, Image.Resampling.NEAREST))
    return images, truths, predictions


@torch.no_grad()
def mean_loss(
    model: nn.Module,
    dataset: Any,
    loss: str = "bce",
    *,
    batch_size: int = 16,
    device: str | torch.device | None = None,
) -> float:
    """Mean loss of ``model`` over a split at the training size (the original tutorial reported
    the validation ``BCEWithLogitsLoss`` this way)."""
    from unet_tutorial.data import make_loader

    model = _on_device(model, device)
    loss_fn = make_loss(loss)
    total, count = 0.0, 0
    for images, masks, _ in make_loader(dataset, batch_size):
        logits = predict_logits(model, images)
        total += loss_fn(logits, masks.float()).item() * images.shape[0]
        count += images.shape[0]
    if count == 0:
        raise ValueError("mean_loss needs a non-empty split.")
    return total / count
