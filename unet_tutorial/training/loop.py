"""The two loops of training, as plain functions: one epoch of optimisation, one evaluation.

:class:`~unet_tutorial.training.trainer.Trainer` calls these for every epoch (and adds early
stopping, checkpoints and resuming around them); the ``pos_weight`` experiment and the mean
validation loss of chapter 10 call :func:`evaluate` directly, so a network's validation scores
are computed by one loop wherever they are printed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn

from unet_tutorial.metrics import MulticlassMetrics, SegmentationMetrics
from unet_tutorial.training.step import forward, model_device, train_step

StepCallback = Callable[[torch.Tensor], None]
"""Called after each optimisation step with its (detached) loss; the gradients are still set."""


def batch_parts(batch: Sequence[Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images N×3×H×W, masks N×1×H×W float)`` from a batch ``(images, masks, ...)``; class
    masks ``N×H×W`` get their channel axis."""
    if not isinstance(batch, (list, tuple)) or len(batch) < 2:
        raise ValueError(
            "each batch must be a tuple (images, masks, ...), got "
            f"{type(batch).__name__}; use the package's data loaders."
        )
    images, masks = batch[0], batch[1]
    if masks.ndim == 3:
        masks = masks.unsqueeze(1)
    return images, masks.float()


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[Any],
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None = None,
    on_step: StepCallback | None = None,
) -> float:
    """One pass over ``loader`` with an optimiser step per batch; returns the mean loss per
    image.

    Args:
        model: maps ``N×3×H×W`` images to ``N×C×H×W`` logits; on its device already.
        loader: batches ``(images, masks, ...)``.
        loss_fn: ``loss_fn(logits, masks)``, a scalar.
        optimizer: updates the trainable parameters.
        scaler: the float16 gradient scaler on CUDA (``None`` elsewhere).
        on_step: called with each step's loss (for per-step measurements).

    Raises:
        FloatingPointError: the mean loss is not finite (too high a learning rate, or NaNs).
    """
    model.train()
    # The sum stays on the device: reading a loss every step would make the CPU wait for
    # the GPU after each batch.
    total, count = torch.zeros((), device=model_device(model)), 0
    for batch in loader:
        images, masks = batch_parts(batch)
        loss = train_step(model, images, masks, loss_fn, optimizer, scaler)
        if on_step is not None:
            on_step(loss)
        total += loss * images.shape[0]
        count += images.shape[0]
    if count == 0:
        raise ValueError("the training loader yielded no batch; is the training split empty?")
    mean = total.item() / count
    if not math.isfinite(mean):
        raise FloatingPointError(
            f"the training loss became {mean}; lower the learning rate or check the data for NaNs."
        )
    return mean


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable[Any],
    loss_fn: nn.Module | None = None,
    threshold: float = 0.5,
) -> dict[str, float]:
    """Mean loss and micro scores of ``model`` over ``loader``, at the loader's resolution.

    Returns:
        ``loss`` (mean per image; NaN without ``loss_fn``), ``iou`` and ``dice``. For one
        output channel also ``precision``, ``recall``, ``true_share`` and ``predicted_share``
        (the shares of pixels that are, and that are predicted, foreground); for C >= 2
        channels ``iou`` and ``dice`` are the means over the classes
        (:class:`~unet_tutorial.metrics.MulticlassMetrics`) and ``pixel_accuracy`` is added.
    """
    model.eval()
    metrics: SegmentationMetrics | MulticlassMetrics | None = None
    total, count = 0.0, 0
    for batch in loader:
        images, masks = batch_parts(batch)
        logits = forward(model, images)
        masks = masks.to(logits.device, non_blocking=True)
        if loss_fn is not None:
            total += loss_fn(logits, masks).item() * images.shape[0]
        count += images.shape[0]
        if metrics is None:
            metrics = (
                SegmentationMetrics(kind="logits", threshold=threshold)
                if logits.shape[1] == 1
                else MulticlassMetrics(logits.shape[1])
            )
        metrics.update(logits, masks)
    if count == 0 or metrics is None:
        raise ValueError("the evaluation loader yielded no batch; is the split empty?")
    scores = metrics.compute()
    result = {
        "loss": total / count if loss_fn is not None else math.nan,
        "iou": scores["iou"],
        "dice": scores["dice"],
    }
    if isinstance(metrics, SegmentationMetrics):
        tp, fp, fn, tn = metrics.counts().sum(0).tolist()
        pixels = tp + fp + fn + tn
        result |= {
            "precision": scores["precision"],
            "recall": scores["recall"],
            "true_share": (tp + fn) / pixels,
            "predicted_share": (tp + fp) / pixels,
        }
    else:
        result["pixel_accuracy"] = scores["pixel_accuracy"]
    return result
