"""unet_tutorial.data.shapes: chapter 4's synthetic task of wavy blobs and thin bars."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.data.shapes import synthetic_shapes


def test_generator_is_seeded_and_masks_are_valid() -> None:
    images, masks = synthetic_shapes(6, 32, seed=3)
    again_images, again_masks = synthetic_shapes(6, 32, seed=3)
    other_images, other_masks = synthetic_shapes(6, 32, seed=4)
    assert images.shape == masks.shape == (6, 1, 32, 32)
    assert images.dtype == masks.dtype == torch.float32
    assert torch.equal(images, again_images) and torch.equal(masks, again_masks)
    assert not torch.equal(masks, other_masks)
    assert set(masks.unique().tolist()) == {0.0, 1.0}
    coverage = masks.mean(dim=(1, 2, 3))
    assert (coverage > 0.02).all() and (coverage < 0.9).all()
    # Foreground is brighter on average, but noise makes single pixels ambiguous.
    foreground, background = images[masks == 1], images[masks == 0]
    assert foreground.mean() - background.mean() == pytest.approx(1.0, abs=0.15)
    midpoint = (foreground.mean() + background.mean()) / 2
    assert (foreground < midpoint).float().mean() > 0.1


def test_generator_has_fine_structures() -> None:
    # Thin bars and wavy edges: many foreground pixels touch the background.
    _, masks = synthetic_shapes(16, 48, seed=0)
    eroded = -torch.nn.functional.max_pool2d(-masks, 3, stride=1, padding=1)
    boundary_share = ((masks - eroded).sum() / masks.sum()).item()
    assert boundary_share > 0.2


def test_generator_refuses_bad_sizes() -> None:
    with pytest.raises(ValueError, match="size=8"):
        synthetic_shapes(2, 8)
