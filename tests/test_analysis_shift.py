"""The one-pixel-shift measurement of chapter 2."""

from __future__ import annotations

import pytest
import torch

from unet_tutorial import functional
from unet_tutorial.analysis.shift import shift_changes, shifted_pair


def test_shifted_pair_moves_by_one_pixel_without_wrapping() -> None:
    image = torch.arange(40.0).repeat(1, 1, 3, 1)  # 1×1×3×40, value = column
    original, shifted = shifted_pair(image)
    assert original.shape == shifted.shape == (1, 1, 3, 32)
    assert torch.equal(shifted[..., 1:], original[..., :-1])
    assert original[0, 0, 0, 0] == 1 and shifted[0, 0, 0, 0] == 0
    assert shifted_pair(image, shift=3)[0][0, 0, 0, 0] == 3


def test_a_dot_inside_its_window_leaves_the_max_pooled_map_unchanged() -> None:
    original = torch.zeros(1, 1, 8, 8)
    shifted = torch.zeros(1, 1, 8, 8)
    original[..., 2, 2], shifted[..., 2, 3] = 1.0, 1.0
    levels = shift_changes(original, shifted, functional.max_pool2d, max_levels=2)
    assert [size for size, _, _ in levels] == [(8, 8), (4, 4), (2, 2)]
    assert levels[0][2] == pytest.approx(62 / 64)
    assert levels[1][1] == 0.0 and levels[1][2] == 1.0


def test_average_pooling_of_a_ramp_keeps_the_change() -> None:
    ramp = torch.arange(1.0, 41.0).repeat(1, 1, 4, 1)  # 1×1×4×40, value = column + 1
    original, shifted = shifted_pair(ramp)  # every value of shifted is one less
    levels = shift_changes(original, shifted, functional.avg_pool2d, max_levels=2)
    for _, change, unchanged in levels:
        assert unchanged == 0.0
        assert change == pytest.approx(1 / original.mean().item())
    assert shift_changes(original, shifted, functional.max_pool2d, max_levels=1)[1][2] == 0.0
