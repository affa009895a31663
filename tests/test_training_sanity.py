"""unet_tutorial.training.sanity: the one-batch overfitting check (and its synthetic batch)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from unet_tutorial.data.synthetic import synthetic_flood_batch
from unet_tutorial.data.transforms import IMAGENET_MEAN
from unet_tutorial.training.sanity import overfit_one_batch


def test_synthetic_batch_is_normalised_with_binary_masks() -> None:
    images, masks = synthetic_flood_batch(2, 40, seed=3)
    assert images.shape == (2, 3, 40, 40) and masks.shape == (2, 1, 40, 40)
    assert set(masks.unique().tolist()) <= {0.0, 1.0}
    # normalised: a pixel p maps to (p - mean) / std, so the mean pixel is near 0
    assert abs(images.mean().item()) < 1.5 and images.std().item() > 0.3
    again, _ = synthetic_flood_batch(2, 40, seed=3)
    assert torch.equal(images, again) and IMAGENET_MEAN[0] == 0.485


def test_overfitting_a_batch_lowers_the_loss() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 1))
    images, masks = synthetic_flood_batch(2, 32)
    losses = overfit_one_batch(model, images, masks, steps=40, lr=1e-2)
    assert len(losses) == 40 and losses[-1] < 0.8 * losses[0]


def test_steps_must_be_positive() -> None:
    with pytest.raises(ValueError, match="steps"):
        overfit_one_batch(nn.Conv2d(3, 1, 1), *synthetic_flood_batch(1, 32), steps=0)
