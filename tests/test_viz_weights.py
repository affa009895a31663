"""The border weight map figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from unet_tutorial.viz.weights import plot_border_weights


def test_three_panels_and_the_row_of_the_largest_weight() -> None:
    mask = np.zeros((20, 30), bool)
    mask[5:15, 3:13] = mask[5:15, 15:27] = True
    weights = np.ones((20, 30))
    weights[8, 14] = 9.0
    fig = plot_border_weights(mask, weights)
    left, middle, right = fig.axes[:3]
    assert left.images[0].get_array().shape == (20, 30)
    assert middle.images[0].get_array().max() == 9.0
    assert "row 8" in right.get_title()
    plt.close(fig)


def test_rejects_shapes_that_differ() -> None:
    with pytest.raises(ValueError):
        plot_border_weights(np.zeros((4, 4)), np.zeros((4, 5)))
