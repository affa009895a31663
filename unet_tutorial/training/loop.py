"""Training as three plain functions, the ones chapter 8 writes in view: one epoch of
optimisation (:func:`train_one_epoch`), one evaluation (:func:`evaluate`), and the epochs with
early stopping on the validation split (:func:`fit`).

:class:`~unet_tutorial.training.trainer.Trainer` calls :func:`fit` for every run of the book and
of the command line, adding what is engineering rather than the lesson through ``fit``'s two
hooks: re-seeding each epoch and the learning-rate schedule before it, checkpoints, callbacks
and the progress line after it, and resuming from a saved :class:`FitState`. The ``pos_weight``
experiment and the mean validation loss of chapter 10 call :func:`evaluate` directly, so a
network's validation scores are computed by one loop wherever they are printed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from unet_tutorial.metrics import MulticlassMetrics, SegmentationMetrics
from unet_tutorial.training.checkpoint import cpu_state
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


def weight_average(model: nn.Module, decay: float) -> AveragedModel | None:
    """An exponential moving average of ``model``'s weights (``None`` for ``decay`` 0).

    After each optimisation step ``averaged.update_parameters(model)`` moves every weight of the
    average a share ``1 - decay`` of the way to the model's; batch normalization's running
    statistics are averaged too (``use_buffers``), so the average is a network ready to
    evaluate (``averaged.module``).
    """
    if decay == 0:
        return None
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


@dataclass
class FitState:
    """Where :func:`fit` stands: everything it needs to go on after an interruption.

    Attributes:
        history: one record per finished epoch: ``epoch``, ``train_loss``, ``val_loss``,
            ``val_iou``, ``val_dice``, ``seconds`` and ``best`` (whether it improved).
        best_epoch: the epoch whose weights ``best_weights`` holds (0 before the first).
        best_score: the monitored score of that epoch, oriented so that lower is better.
        best_weights: a copy of the best epoch's weights, on the CPU.
        stopped_early: whether early stopping ended the training.
    """

    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = math.inf
    best_weights: dict[str, torch.Tensor] | None = None
    stopped_early: bool = False


def fit(
    model: nn.Module,
    train_loader: Iterable[Any],
    val_loader: Iterable[Any],
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    epochs: int,
    patience: int,
    min_epochs: int = 1,
    monitor: str = "val_iou",
    min_delta: float = 0.0,
    threshold: float = 0.5,
    scaler: torch.amp.GradScaler | None = None,
    averaged: AveragedModel | None = None,
    state: FitState | None = None,
    before_epoch: Callable[[int], None] | None = None,
    after_epoch: Callable[[FitState], None] | None = None,
) -> FitState:
    """Train for at most ``epochs`` epochs, stopping early on the validation split, and leave
    the best epoch's weights in ``model``.

    With ``averaged`` (a ``torch.optim.swa_utils.AveragedModel`` of ``model``, e.g. an
    exponential moving average), the average is updated after every optimisation step and it,
    not the latest weights, is what the validation split scores and what is kept.

    After each epoch the monitored score (``val_loss``: lower is better; ``val_iou``: higher)
    is compared with the best so far; training stops when it has not improved by more than
    ``min_delta`` for ``patience`` epochs, but never before ``min_epochs``.

    Args:
        state: where an interrupted run stood (its history, best weights, ...); it goes on
            from the epoch after its last.
        before_epoch: called with the epoch number before the epoch trains.
        after_epoch: called with the state after each epoch (its last record is the epoch's).
    """
    state = state if state is not None else FitState()
    for epoch in range(len(state.history) + 1, epochs + 1):
        if state.stopped_early:
            break
        began = time.perf_counter()
        if before_epoch is not None:
            before_epoch(epoch)
        update = None if averaged is None else lambda _: averaged.update_parameters(model)
        train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, scaler, update)
        scored = model if averaged is None else averaged.module
        val = evaluate(scored, val_loader, loss_fn, threshold)
        record = {
            "epoch": epoch,
            "train_loss": train_loss,
            "val_loss": val["loss"],
            "val_iou": val["iou"],
            "val_dice": val["dice"],
            "seconds": time.perf_counter() - began,
        }
        score = record[monitor] if monitor == "val_loss" else -record[monitor]
        record["best"] = score < state.best_score - min_delta
        if record["best"] or state.best_weights is None:
            state.best_score, state.best_epoch = score, epoch
            state.best_weights = cpu_state(scored)
        state.history.append(record)
        state.stopped_early = (
            epoch >= min_epochs and epoch - state.best_epoch >= patience and epoch < epochs
        )
        if after_epoch is not None:
            after_epoch(state)
    if state.best_weights is not None:
        model.load_state_dict(state.best_weights)
    return state
