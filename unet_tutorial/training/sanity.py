"""Sanity check for a new model: can it overfit a single batch?

Before training on a dataset, train on one small batch over and over. A model that is wired
correctly (gradients reach the trainable layers, the loss matches the output, the learning rate is
sane) drives the loss on that batch down quickly; if it does not, no amount of data will help.
"""

from __future__ import annotations

import torch
from torch import nn

from unet_tutorial.runtime import default_device
from unet_tutorial.training.step import make_adam, prepare_training, train_step


def overfit_one_batch(
    model: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    steps: int,
    lr: float = 1e-3,
) -> list[float]:
    """Train ``model`` for ``steps`` Adam steps on one batch; return the loss after each step.

    Uses the package's training step (:func:`unet_tutorial.training.step.train_step`) with
    ``BCEWithLogitsLoss`` on the default device. Dropout stays on, as in training.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}.")
    device = default_device()
    model = prepare_training(model, device).train()
    optimizer = make_adam(model.parameters(), lr, device)
    loss_fn = nn.BCEWithLogitsLoss()
    return [float(train_step(model, images, masks, loss_fn, optimizer)) for _ in range(steps)]
