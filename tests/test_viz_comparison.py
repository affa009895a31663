"""The comparison figure of chapter 11."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from unet_tutorial.viz.comparison import plot_comparison  # noqa: E402


def row(name: str, iou: float, params: int, speed: float) -> SimpleNamespace:
    return SimpleNamespace(
        name=name,
        test_iou=iou,
        test_dice=2 * iou / (1 + iou),
        parameters=params,
        train_images_per_s=speed,
        infer_images_per_s=10 * speed,
    )


def test_three_panels_with_one_bar_per_model_and_value() -> None:
    rows = [row("a", 0.5, 1_000_000, 2.0), row("b", 0.7, 30_000_000, 0.5)]
    fig = plot_comparison(rows)
    quality, size, speed = fig.axes
    assert len(quality.patches) == 4 and len(size.patches) == 2 and len(speed.patches) == 4
    assert [t.get_text() for t in quality.get_yticklabels()] == ["a", "b"]
    assert "0.700" in [t.get_text() for t in quality.texts]
    assert " 30.00 M" in [t.get_text() for t in size.texts]
    assert speed.get_xscale() == "log"
    assert not quality.lines
    plt.close(fig)
    fig = plot_comparison(rows, baseline_iou=0.4)
    assert fig.axes[0].lines[0].get_xdata()[0] == 0.4
    plt.close(fig)


def test_no_rows_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        plot_comparison([])
