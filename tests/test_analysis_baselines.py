"""unet_tutorial.analysis.baselines: the all-water baseline and the water share."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial.analysis.baselines import AllWater, all_water_scores, water_share


def test_water_share_counts_pixels_over_the_whole_split() -> None:
    masks = [torch.ones(1, 2, 2), torch.zeros(1, 2, 2), torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])]
    assert water_share([(None, m, str(i)) for i, m in enumerate(masks)]) == pytest.approx(5 / 12)
    with pytest.raises(ValueError, match="non-empty"):
        water_share([])


def test_water_everywhere_scores_the_share_of_water() -> None:
    mask = torch.zeros(1, 8, 8)
    mask[:, :2] = 1  # a quarter of the pixels
    samples = [(torch.rand(3, 4, 4), mask, "a"), (torch.rand(3, 4, 4), torch.ones(1, 8, 8), "b")]
    assert AllWater()(torch.rand(2, 3, 5, 7)).shape == (2, 1, 5, 7)
    scores = all_water_scores(samples)
    assert scores["iou"] == pytest.approx((16 + 64) / 128)
    assert scores["per_image_iou"] == pytest.approx((0.25 + 1) / 2)
    assert scores["recall"] == 1.0
