"""The figures of chapters 1-3: right number of panels, the right numbers printed in them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from unet_tutorial.viz import arrays  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def outlined(ax) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) of the highlight rectangles (unfilled patches) in an axes."""
    return [
        (p.get_x(), p.get_y(), p.get_width(), p.get_height())
        for p in ax.patches
        if isinstance(p, Rectangle) and not p.get_fill()
    ]


def test_draw_grid_prints_every_value_and_outlines_the_window() -> None:
    fig, ax = plt.subplots()
    values = np.array([[1.0, 2.5], [-3.0, np.nan]])
    arrays.draw_grid(ax, values, highlight=(0, 1, 2, 1), title="t")
    assert texts(ax) == ["1", "2.50", "-3", ""]
    assert outlined(ax) == [(0.5, -0.5, 1, 2)]
    assert ax.get_title() == "t"


def test_draw_grid_marks_dimmed_cells_and_corner_labels() -> None:
    fig, ax = plt.subplots()
    dim = np.array([[True, False], [False, False]])
    arrays.draw_grid(ax, torch.zeros(1, 1, 2, 2), dim=dim, corner_labels={(1, 1): "×2"})
    assert "×2" in texts(ax)
    assert sum(1 for p in ax.patches if isinstance(p, Rectangle) and p.get_fill()) == 1


def test_as_2d_rejects_real_3d_arrays() -> None:
    with pytest.raises(ValueError, match=r"2-D .* \(2, 3, 3\)"):
        arrays.as_2d(np.zeros((2, 3, 3)))


def test_plot_grids_one_axes_per_grid_with_titles() -> None:
    fig = arrays.plot_grids(
        [torch.ones(4, 4), torch.zeros(3, 3), torch.eye(2)],
        titles=["x", "k", "y"],
        highlights=[(0, 0, 3, 3), None, [(0, 0, 1, 1), (1, 1, 1, 1)]],
    )
    assert [ax.get_title() for ax in fig.axes] == ["x", "k", "y"]
    assert [len(texts(ax)) for ax in fig.axes] == [16, 9, 4]
    assert len(outlined(fig.axes[2])) == 2


def test_plot_grid_is_one_panel() -> None:
    fig = arrays.plot_grid(np.arange(6).reshape(2, 3), title="numbers")
    assert len(fig.axes) == 1
    assert texts(fig.axes[0]) == ["0", "1", "2", "3", "4", "5"]


def test_plot_kernel_draws_a_stack_side_by_side() -> None:
    sobel = torch.tensor([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    fig = arrays.plot_kernel(torch.stack([sobel, sobel.T]), title="Sobel", titles=["x", "y"])
    assert len(fig.axes) == 2
    assert texts(fig.axes[0])[:3] == ["1", "0", "-1"]
    assert fig.get_suptitle() == "Sobel"
    # Zero sits in the middle of the diverging scale.
    norm = fig.axes[0].images[0].norm
    assert norm(0.0) == pytest.approx(0.5)


def test_plot_kernel_rejects_a_vector() -> None:
    with pytest.raises(ValueError, match="kh×kw"):
        arrays.plot_kernel(np.ones(3))


def test_plot_feature_maps_one_image_per_channel() -> None:
    maps = torch.randn(1, 3, 10, 12)
    fig = arrays.plot_feature_maps(maps, titles=["a", "b", "c"], signed=True)
    images = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in images] == ["a", "b", "c"]
    assert images[0].images[0].get_array().shape == (10, 12)
    low, high = images[0].images[0].get_clim()
    assert low == pytest.approx(-high)
    assert len(fig.axes) == 6  # three maps and their colour bars


def test_plot_feature_maps_without_colorbar_and_title_mismatch() -> None:
    fig = arrays.plot_feature_maps([np.zeros((4, 4)), np.ones((4, 4))], colorbar=False)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="2 titles for 3 maps"):
        arrays.plot_feature_maps(torch.zeros(3, 4, 4), titles=["a", "b"])


def test_plot_conv_steps_one_row_per_output_value_with_the_sum() -> None:
    x = torch.arange(16.0).view(4, 4)
    kernel = torch.tensor([[1.0, 0.0], [0.0, -1.0]])
    fig = arrays.plot_conv_steps(x, kernel, stride=2)
    assert len(fig.axes) == 4 * 3  # 2×2 outputs, three panels each
    arithmetic = texts(fig.axes[1])[0]
    assert arithmetic == "0·1 + 1·0\n+ 4·0 + 5·(-1)\n= -5"
    last_output = texts(fig.axes[-1])
    assert last_output == ["-5", "-5", "-5", "-5"]
    first_output = texts(fig.axes[2])
    assert first_output == ["-5", "", "", ""]


def test_plot_conv_steps_with_padding_and_max_steps() -> None:
    fig = arrays.plot_conv_steps(torch.ones(3, 3), torch.ones(3, 3), padding=1, max_steps=2)
    assert len(fig.axes) == 2 * 3
    assert len(texts(fig.axes[0])) >= 25  # the padded 5×5 input (plus corner labels)
    assert texts(fig.axes[1])[0].endswith("= 4")  # a corner window covers 4 ones


def test_plot_transposed_conv_steps_partials_and_sum() -> None:
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    kernel = torch.tensor([[1.0, 0.0], [-1.0, 2.0]])
    fig = arrays.plot_transposed_conv_steps(x, kernel)
    assert len(fig.axes) == 2 + 4 + 1
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[2:] == [
        "1·K at (0, 0)",
        "2·K at (0, 1)",
        "3·K at (1, 0)",
        "4·K at (1, 1)",
        "sum = output",
    ]
    assert texts(fig.axes[3]) == ["", "2", "0", "", "-2", "4", "", "", ""]
    assert texts(fig.axes[-1]) == ["1", "2", "0", "2", "4", "4", "-3", "2", "8"]


def test_plot_transposed_conv_steps_stride_2_places_copies_apart() -> None:
    fig = arrays.plot_transposed_conv_steps(torch.ones(2, 2), torch.ones(3, 3), stride=2)
    assert len(texts(fig.axes[-1])) == 25
    assert texts(fig.axes[-1])[12] == "4"  # the centre is covered by all four copies


def test_plot_feature_maps_percentile_clips_the_colour_scale() -> None:
    image = np.zeros((10, 10))
    image[0, 0] = 100.0  # one outlier
    image[1:, :] = np.linspace(-1, 1, 90).reshape(9, 10)
    clipped = arrays.plot_feature_maps([image], signed=True, percentile=95)
    low, high = clipped.axes[0].images[0].get_clim()
    assert high == pytest.approx(-low) and high < 2
    full = arrays.plot_feature_maps([image], percentile=100)
    assert full.axes[0].images[0].get_clim()[1] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="percentile .* 0"):
        arrays.plot_feature_maps([image], percentile=0)
