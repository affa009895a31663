"""The overlap-tile figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from unet_tutorial.viz.tiling import plot_overlap_tile


def test_overlap_tile_figure_has_the_padded_image_and_the_prediction() -> None:
    fig = plot_overlap_tile(torch.rand(1, 37, 50), torch.rand(37, 50), tile_size=52, depth=2)
    left, right = fig.axes
    padded = left.images[0].get_array()
    assert padded.shape[0] > 37 and padded.shape[1] > 50  # mirrored borders around the image
    assert right.images[0].get_array().shape == (37, 50)
    plt.close(fig)
