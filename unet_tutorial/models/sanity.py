"""Sanity checks for a new model: can it overfit a single batch?

Before training on a dataset, train on one small batch over and over. A model that is wired
correctly (gradients reach the trainable layers, the loss matches the output, the learning rate is
sane) drives the loss on that batch down quickly; if it does not, no amount of data will help.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from unet_tutorial.data.synthetic import render_flood_scene
from unet_tutorial.data.transforms import IMAGENET_MEAN, IMAGENET_STD
from unet_tutorial.fast import make_adam, prepare_training, train_step
from unet_tutorial.runtime import default_device


def synthetic_flood_batch(
    batch_size: int, image_size: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of synthetic flood scenes, ImageNet-normalised as the VGG19 encoder expects.

    Returns:
        ``(images, masks)``: N×3×S×S float32 and N×1×S×S float32 in {0, 1} (1 = water).
    """
    scenes = [render_flood_scene(seed + i, image_size, image_size) for i in range(batch_size)]
    images = torch.from_numpy(np.stack([image for image, _ in scenes])).permute(0, 3, 1, 2)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    images = (images.float() / 255 - mean) / std
    masks = torch.from_numpy(np.stack([mask for _, mask in scenes])).unsqueeze(1).float()
    return images, masks


def overfit_one_batch(
    model: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    steps: int,
    lr: float = 1e-3,
) -> list[float]:
    """Train ``model`` for ``steps`` Adam steps on one batch; return the loss after each step.

    Uses the package's training step (:func:`unet_tutorial.fast.train_step`) with
    ``BCEWithLogitsLoss`` on the default device. Dropout stays on, as in training.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}.")
    device = default_device()
    model = prepare_training(model, device).train()
    optimizer = make_adam(model.parameters(), lr, device)
    loss_fn = nn.BCEWithLogitsLoss()
    return [float(train_step(model, images, masks, loss_fn, optimizer)) for _ in range(steps)]
