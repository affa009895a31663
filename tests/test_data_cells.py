"""The mask of touching cells used to show the paper's border weight map."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from unet_tutorial.data.cells import CELL_DISCS, touching_cells
from unet_tutorial.losses import border_weight_map


def test_every_disc_is_one_separate_object() -> None:
    labels = touching_cells(96)
    assert labels.shape == (96, 96)
    assert set(np.unique(labels)) == set(range(len(CELL_DISCS) + 1))
    _, count = ndimage.label(labels > 0)
    assert count == len(CELL_DISCS)  # the gaps keep touching cells apart


def test_wider_gaps_take_more_pixels_from_the_cells() -> None:
    assert (touching_cells(96, gap=4) > 0).sum() < (touching_cells(96, gap=2) > 0).sum()


def test_the_largest_weights_lie_in_the_gaps_between_cells() -> None:
    labels = touching_cells(96)
    weights = border_weight_map(labels > 0, w0=10, sigma=5)
    assert labels.flat[weights.argmax()] == 0
    assert weights.max() > 5 * weights[labels > 0].max()


@pytest.mark.parametrize(("size", "gap"), [(8, 2), (96, 0)])
def test_rejects_tiny_masks_and_no_gap(size: int, gap: int) -> None:
    with pytest.raises(ValueError):
        touching_cells(size, gap)
