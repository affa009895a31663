"""The figure of the model comparison (chapter 11): quality, size and speed side by side.

:func:`plot_comparison` takes the rows of
:func:`unet_tutorial.experiments.comparison.run_comparison` (or any objects with the same
attributes) and returns a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

# Okabe-Ito colours, one per model in table order.
MODEL_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")

#: Legends sit above their panel, clear of the bars.
LEGEND_ABOVE = {
    "loc": "lower center",
    "bbox_to_anchor": (0.5, 1.0),
    "ncol": 2,
    "fontsize": 8,
    "frameon": False,
}


def _shade_legend(dark: str, light: str) -> list[Patch]:
    """Legend entries for the two shades of each model's colour (full and faded)."""
    return [Patch(color="0.35", label=dark), Patch(color="0.35", alpha=0.45, label=light)]


def plot_comparison(rows: Sequence[Any], baseline_iou: float | None = None) -> Figure:
    """Three panels, one bar per model: test IoU and Dice; parameters (millions); training and
    inference images per second (log scale, as the speeds differ by orders of magnitude).

    Args:
        rows: objects with ``name``, ``test_iou``, ``test_dice``, ``parameters``,
            ``train_images_per_s`` and ``infer_images_per_s`` (e.g. ``ComparisonRow``).
        baseline_iou: optional IoU of a trivial prediction (water everywhere), drawn as a dashed
            line on the quality panel.
    """
    if not rows:
        raise ValueError("plot_comparison needs at least one row.")
    names = [row.name for row in rows]
    colors = [MODEL_COLORS[i % len(MODEL_COLORS)] for i in range(len(rows))]
    y = np.arange(len(rows))
    fig, (ax_quality, ax_size, ax_speed) = plt.subplots(
        1, 3, figsize=(13.0, 0.55 * len(rows) + 1.8), sharey=True
    )
    height = 0.38
    iou = [row.test_iou for row in rows]
    dice = [row.test_dice for row in rows]
    ax_quality.barh(y - height / 2, iou, height, color=colors)
    ax_quality.barh(y + height / 2, dice, height, color=colors, alpha=0.45)
    for position, (a, b) in enumerate(zip(iou, dice, strict=True)):
        ax_quality.text(a + 0.01, position - height / 2, f"{a:.3f}", va="center", fontsize=8)
        ax_quality.text(b + 0.01, position + height / 2, f"{b:.3f}", va="center", fontsize=8)
    if baseline_iou is not None:
        ax_quality.axvline(baseline_iou, color="0.3", linestyle="--", linewidth=1)
        ax_quality.text(
            baseline_iou, -0.7, " water everywhere", fontsize=8, color="0.3", va="bottom"
        )
    ax_quality.set_xlim(0, 1.12)
    ax_quality.set_xlabel("test score (flood class, original resolution)")
    ax_quality.legend(handles=_shade_legend("IoU", "Dice"), **LEGEND_ABOVE)
    ax_quality.set_yticks(y, names)
    ax_quality.set_ylim(len(rows) - 0.5, -1.0)  # first model on top, room above it for a label

    millions = [row.parameters / 1e6 for row in rows]
    ax_size.barh(y, millions, 0.6, color=colors)
    for position, value in enumerate(millions):
        ax_size.text(value, position, f" {value:.2f} M", va="center", fontsize=8)
    ax_size.set_xlim(0, max(millions) * 1.3)
    ax_size.set_xlabel("parameters (millions)")

    train = [row.train_images_per_s for row in rows]
    infer = [row.infer_images_per_s for row in rows]
    ax_speed.barh(y - height / 2, train, height, color=colors)
    ax_speed.barh(y + height / 2, infer, height, color=colors, alpha=0.45)
    for position, (a, b) in enumerate(zip(train, infer, strict=True)):
        ax_speed.text(a, position - height / 2, f" {a:.1f}", va="center", fontsize=8)
        ax_speed.text(b, position + height / 2, f" {b:.1f}", va="center", fontsize=8)
    ax_speed.set_xscale("log")
    ax_speed.set_xlim(min(train + infer) / 2, max(train + infer) * 4)
    ax_speed.set_xlabel("images per second (log scale)")
    ax_speed.legend(handles=_shade_legend("training", "inference"), **LEGEND_ABOVE)
    for ax in (ax_quality, ax_size, ax_speed):
        ax.grid(axis="x", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
