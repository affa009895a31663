"""Diagrams of the U-Net variants and the attention-map figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from unet_tutorial.viz.variants import (  # noqa: E402
    plot_attention_examples,
    plot_attention_maps,
    plot_attention_unet,
    plot_unetpp_grid,
    plot_vnet_stages,
    unetpp_node_position,
)


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def patches(fig, kind) -> list:
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, kind)]


@pytest.mark.parametrize("depth", [2, 4])
def test_unetpp_grid_draws_every_node_and_connection(depth) -> None:
    fig = plot_unetpp_grid(depth, deep_supervision=False)
    nodes = [t for t in texts(fig) if t.startswith("$X^")]
    assert len(nodes) == (depth + 1) * (depth + 2) // 2
    assert "$X^{1,2}$" in nodes or depth < 3
    pools = depth
    ups = depth * (depth + 1) // 2  # one per decoder node
    skips = sum(column * (depth + 1 - column) for column in range(1, depth + 1))
    heads = 1
    assert len(patches(fig, FancyArrowPatch)) == pools + ups + skips + heads
    plt.close(fig)


def test_unetpp_grid_shows_one_head_per_top_node_with_deep_supervision() -> None:
    fig = plot_unetpp_grid(3, deep_supervision=True)
    assert texts(fig).count("1×1 head") == 3
    plt.close(fig)


def test_unetpp_positions_put_the_plain_unet_on_the_outside() -> None:
    assert unetpp_node_position(0, 0) == (0.0, 0.0)
    assert unetpp_node_position(4, 0)[1] < unetpp_node_position(0, 4)[1]
    assert unetpp_node_position(0, 4)[0] == 8.0


def test_attention_unet_has_one_gate_per_skip_and_the_gate_diagram() -> None:
    fig = plot_attention_unet(depth=3)
    assert texts(fig).count("AG") == 3
    assert any("alpha" in t for t in texts(fig))
    plt.close(fig)


def test_vnet_stages_list_the_convolutions_and_channels() -> None:
    fig = plot_vnet_stages(depth=4, base_channels=16)
    labels = [t for t in texts(fig) if "conv 3×3" in t]
    assert len(labels) == 9  # 4 encoder, 4 decoder stages and the bottom
    assert "3× conv 3×3\n256 channels" in labels and "1× conv 3×3\n16 channels" in labels
    assert len(patches(fig, FancyBboxPatch)) == 9
    plt.close(fig)


def test_diagrams_reject_unreadable_depths() -> None:
    with pytest.raises(ValueError, match="depth"):
        plot_unetpp_grid(0)


def test_attention_maps_figure_and_its_checks() -> None:
    images = [np.random.default_rng(0).random((20, 30, 3))] * 2
    masks = [np.zeros((20, 30))] * 2
    fig = plot_attention_maps(images, masks, [np.full((20, 30), 0.5)] * 2, titles=["a", "b"])
    assert len(fig.axes) == 2 * 3 + 1  # three panels per row and the colour bar
    plt.close(fig)
    fig = plot_attention_maps(images, masks, [np.zeros((2, 20, 30))] * 2, gate_names=["1/1", "1/8"])
    assert len(fig.axes) == 2 * 4 + 1
    assert fig.axes[3].get_title() == "α, 1/8"
    plt.close(fig)
    with pytest.raises(ValueError, match="as many"):
        plot_attention_maps(images, masks, [])
    with pytest.raises(ValueError, match="gate names"):
        plot_attention_maps(images, masks, [np.zeros((2, 20, 30))] * 2, gate_names=["x"])


def test_attention_examples_figure_titles_each_photo_with_its_water() -> None:
    import torch

    from unet_tutorial.data import SyntheticFloodDataset
    from unet_tutorial.models import AttentionUNet

    torch.manual_seed(0)
    dataset = SyntheticFloodDataset(4, 16)
    fig = plot_attention_examples(AttentionUNet(base_channels=4, depth=3), dataset, count=2)
    assert len(fig.axes) == 2 * 4 + 1  # photo, mask, finest and coarsest gate; colour bar
    titles = [fig.axes[4 * row].get_title() for row in range(2)]
    assert all(title.endswith("% water)") for title in titles)
    assert [fig.axes[3].get_title()] == ["α, 1/4"]
    plt.close(fig)
