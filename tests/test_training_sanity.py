"""unet_tutorial.training.sanity: the one-batch overfitting check, its yardstick (the entropy
of the water share) and its synthetic batch."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from unet_tutorial.data.synthetic import synthetic_flood_batch
from unet_tutorial.data.transforms import IMAGENET_MEAN
from unet_tutorial.training.sanity import overfit_one_batch, share_entropy


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
    assert model.training


def test_training_stops_once_the_loss_is_below_the_goal() -> None:
    images, masks = synthetic_flood_batch(2, 32)

    def run(stop_below: float) -> list[float]:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 1))
        return overfit_one_batch(model, images, masks, 40, 1e-2, stop_below)

    full = run(0.0)
    goal = (full[0] + full[-1]) / 2
    first_below = next(i for i, loss in enumerate(full) if loss < goal)
    assert len(full) == 40 and run(goal) == full[: first_below + 1]


def test_a_model_that_learns_only_its_bias_stops_at_the_share_entropy() -> None:
    torch.manual_seed(0)
    masks = (torch.rand(2, 1, 16, 16) < 0.3).float()
    bias_only = nn.Conv2d(3, 1, 1)
    bias_only.weight.requires_grad_(False).zero_()
    losses = overfit_one_batch(bias_only, torch.randn(2, 3, 16, 16), masks, steps=300, lr=0.05)
    assert losses[-1] == pytest.approx(share_entropy(masks), abs=1e-3)
    assert share_entropy(torch.ones(1, 1, 4, 4)) == 0.0
    assert share_entropy(torch.tensor([0.0, 1.0])) == pytest.approx(math.log(2))


def test_steps_must_be_positive() -> None:
    with pytest.raises(ValueError, match="steps"):
        overfit_one_batch(nn.Conv2d(3, 1, 1), *synthetic_flood_batch(1, 32), steps=0)
