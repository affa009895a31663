"""The U-Net diagram is built from the model's own layers."""

from __future__ import annotations

from collections import Counter

import matplotlib.pyplot as plt

from unet_tutorial.models.paper_unet import PaperUNet
from unet_tutorial.viz.architecture import _layout, plot_unet_architecture


def test_layout_has_one_box_per_feature_map_and_one_arrow_per_operation() -> None:
    maps, edges = _layout(PaperUNet(), 572)
    assert len(maps) == 1 + 18 + 4 + 4 + 1  # input, 3×3 convs, pools, concatenations, head
    assert Counter(kind for _, _, kind in edges) == {
        "conv": 18, "pool": 4, "up": 4, "copy": 4, "head": 1,
    }  # fmt: skip
    assert (maps[0].size, maps[-1].size, maps[-1].channels) == (572, 388, 2)
    assert max(box.level for box in maps) == 4
    concat = [box for box in maps if box.copied]
    assert [box.channels for box in concat] == [1024, 512, 256, 128]
    assert all(box.copied == box.channels // 2 for box in concat)


def test_plot_returns_a_figure_for_a_small_model() -> None:
    fig = plot_unet_architecture(PaperUNet(3, 1, base_channels=4, depth=2), input_size=60)
    assert len(fig.axes) == 1 and fig.axes[0].patches
    plt.close(fig)
