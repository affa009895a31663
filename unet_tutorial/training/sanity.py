"""Sanity check for a new model: can it overfit a single batch?

Before training on a dataset, train on one small batch over and over. A model that is wired
correctly (gradients reach the trainable layers, the loss matches the output, the learning rate is
sane) drives the loss on that batch towards zero; if it does not, no amount of data will help. A
model that learned only its output bias stops at the entropy of the batch's water share
(:func:`share_entropy`), so that is the yardstick, not the first loss.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def overfit_one_batch(
    model: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    steps: int,
    lr: float = 1e-3,
    stop_below: float = 0.0,
) -> list[float]:
    """Train ``model`` for up to ``steps`` Adam steps on one batch; return the loss of each step.

    Stops early once a step's loss is below ``stop_below``.

    Shapes: images N×C×H×W, masks N×1×H×W of 0/1, on the model's device. The loss is
    ``BCEWithLogitsLoss``; only parameters that require a gradient are trained; the model is put
    in training mode (dropout, if any, stays on).
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}.")
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(images), masks)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if losses[-1] < stop_below:
            break
    return losses


def share_entropy(masks: torch.Tensor) -> float:
    """The binary cross-entropy (nats per pixel) of answering the batch's water share ``p``
    everywhere: ``-(p ln p + (1 - p) ln(1 - p))``, the least loss of a model without inputs."""
    p = masks.float().mean().item()
    if p in (0.0, 1.0):
        return 0.0
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))
