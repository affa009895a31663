"""unet_tutorial.viz.skips: the chapter-4 figures build from small fake runs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from unet_tutorial.experiments.skip_study import SkipRun  # noqa: E402
from unet_tutorial.viz.skips import (  # noqa: E402
    moving_average,
    plot_gradient_through_depth,
    plot_skip_curves,
    plot_skip_diagram,
    plot_skip_predictions,
    plot_task_samples,
)


def fake_runs(n_images: int = 4, size: int = 8) -> dict[str, SkipRun]:
    generator = torch.Generator().manual_seed(0)
    runs = {}
    for skip in ("none", "add", "concat"):
        run = SkipRun(skip, parameters=100)
        run.losses = torch.linspace(0.7, 0.2, 30).tolist()
        run.test_probabilities = torch.rand(n_images, 1, size, size, generator=generator)
        runs[skip] = run
    return runs


def test_diagram_has_both_panels_with_labels() -> None:
    fig = plot_skip_diagram()
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert len(fig.axes) == 2
    assert "+" in texts and "2C×H×W" in texts
    plt.close(fig)


def test_predictions_grid_has_one_column_per_variant() -> None:
    runs = fake_runs()
    masks = (torch.rand(4, 1, 8, 8) > 0.5).float()
    fig = plot_skip_predictions(torch.randn(4, 1, 8, 8), masks, runs, n=2)
    assert len(fig.axes) == 2 * 5
    assert fig.axes[2].get_title().startswith("skips: none")
    plt.close(fig)
    with pytest.raises(ValueError, match="between 1 and 4"):
        plot_skip_predictions(torch.randn(4, 1, 8, 8), masks, runs, n=5)


def test_curves_plot_every_variant() -> None:
    fig = plot_skip_curves(fake_runs())
    (loss_ax,) = fig.axes
    assert len(loss_ax.lines) == 3
    plt.close(fig)


def test_gradient_through_depth_plot() -> None:
    norms = {
        "plain": [1, 1e-3, 1e-9],
        "residual": [1, 1, 1],
        "plain + BN": [1, 2, 8],
        "plain, He init": [1, 0.9, 1.1],
    }
    fig = plot_gradient_through_depth([1, 2, 4], norms)
    lines = fig.axes[0].lines
    assert len(lines) == 4
    assert [line.get_linestyle() for line in lines] == ["-", "-", "--", ":"]
    assert [line.get_marker() for line in lines] == ["o", "o", "s", "^"]
    assert lines[0].get_color() != lines[1].get_color()  # plain grey, residual blue
    # the right panel zooms on the norms that did not vanish: 0.9 to 8, not down to 1e-9
    low, high = fig.axes[1].get_ylim()
    assert 0.5 < low < 0.9 and 8 < high < 13
    assert fig.axes[0].get_ylim()[0] < 1e-9
    assert [text.get_text() for text in fig.legends[0].get_texts()] == list(norms)
    plt.close(fig)


def test_moving_average() -> None:
    np.testing.assert_allclose(moving_average([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    with pytest.raises(ValueError):
        moving_average([1.0], 0)


def test_task_samples_show_images_above_masks() -> None:
    fig = plot_task_samples(torch.randn(5, 1, 8, 8), torch.zeros(5, 1, 8, 8), n=3)
    assert len(fig.axes) == 6
    assert fig.axes[3].get_ylabel() == "mask"
    plt.close(fig)
    with pytest.raises(ValueError, match="between 1 and 5"):
        plot_task_samples(torch.randn(5, 1, 8, 8), torch.zeros(5, 1, 8, 8), n=6)
