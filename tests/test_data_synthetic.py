"""The synthetic flood scenes: deterministic, any size, valid masks, dataset interface."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unet_tutorial.data.datasets import SyntheticFloodDataset
from unet_tutorial.data.synthetic import render_flood_scene


def test_same_seed_same_scene_other_seed_other_scene() -> None:
    image, mask = render_flood_scene(5, 64, 96)
    again, mask_again = render_flood_scene(5, 64, 96)
    other, _ = render_flood_scene(6, 64, 96)
    assert np.array_equal(image, again) and np.array_equal(mask, mask_again)
    assert not np.array_equal(image, other)


@pytest.mark.parametrize("size", [(32, 32), (50, 77), (120, 90)])
def test_any_size_and_valid_masks(size: tuple[int, int]) -> None:
    image, mask = render_flood_scene(1, *size)
    assert image.shape == (*size, 3) and image.dtype == np.uint8
    assert mask.shape == size and mask.dtype == np.uint8
    assert set(np.unique(mask)) <= {0, 1}


def test_scenes_hold_water_and_land_and_look_textured() -> None:
    fractions = []
    for seed in range(6):
        image, mask = render_flood_scene(seed, 72, 108)
        fractions.append(mask.mean())
        assert image.std() > 15, "a flat picture"
        # the water is not all one colour (silt, ripples, reflections)
        assert image[mask == 1].std() > 3
    assert 0.05 < min(fractions) and max(fractions) < 0.95


def test_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="32×32"):
        render_flood_scene(0, 16, 64)


def test_dataset_items_and_native_masks() -> None:
    dataset = SyntheticFloodDataset(3, 32, seed=4)
    image, mask, sample_id = dataset[1]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert mask.shape == (1, 32, 32) and set(mask.unique().tolist()) <= {0.0, 1.0}
    assert sample_id == "synthetic-0001"
    small, native, _ = dataset.native_item(1)
    assert small.shape == (3, 32, 32) and native.shape == (1, *dataset.scene_size)
    again = SyntheticFloodDataset(3, 32, seed=4).subset(["synthetic-0001"])
    assert torch.equal(again[0][1], mask)
