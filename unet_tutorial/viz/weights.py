"""The U-Net paper's border weight map in pictures (chapter 5)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def plot_border_weights(mask: np.ndarray, weights: np.ndarray, row: int | None = None) -> Figure:
    """The mask, its weight map, and both along one row of pixels.

    Args:
        mask: ``H×W`` mask, nonzero on the objects.
        weights: ``H×W`` weights for it, e.g. from
            :func:`~unet_tutorial.losses.border_weight_map`.
        row: the row drawn in the third panel (dashed in the first two); by default the row of
            the largest weight.

    Returns:
        A figure with three panels: the mask, the weight map with a colour bar, and the weights
        and the mask along ``row``.
    """
    mask = np.asarray(mask) != 0
    weights = np.asarray(weights, dtype=np.float64)
    if mask.ndim != 2 or mask.shape != weights.shape:
        raise ValueError(
            f"mask and weights must be H×W arrays of the same shape, got {mask.shape} and "
            f"{weights.shape}."
        )
    if row is None:
        row = int(np.unravel_index(weights.argmax(), weights.shape)[0])
    if not 0 <= row < mask.shape[0]:
        raise ValueError(f"row must be between 0 and {mask.shape[0] - 1}, got {row}.")
    fig, (left, middle, right) = plt.subplots(
        1, 3, figsize=(12, 3.9), layout="constrained", width_ratios=(1, 1.2, 1.5)
    )
    left.imshow(mask, cmap="gray", interpolation="nearest")
    left.set_title("mask (white: objects)", fontsize=10)
    shown = middle.imshow(weights, cmap="viridis", interpolation="nearest")
    fig.colorbar(shown, ax=middle, shrink=0.85)
    middle.set_title("weight map $w(x)$", fontsize=10)
    for ax in (left, middle):
        ax.axhline(row, color="tab:red", lw=1, ls="--")
        ax.set_xticks([])
        ax.set_yticks([])
    columns = np.arange(mask.shape[1])
    right.fill_between(
        columns, 0, weights.max() * mask[row], step="mid", color="0.85", label="object"
    )
    right.plot(columns, weights[row], color="tab:red", drawstyle="steps-mid", label="weight")
    right.set_xlabel("column (pixels)")
    right.set_ylabel("weight $w(x)$")
    right.set_title(f"along row {row} (red dashes)", fontsize=10)
    right.set_xlim(-0.5, mask.shape[1] - 0.5)
    right.set_ylim(0, weights.max() * 1.05)
    right.legend(loc="upper right", fontsize=8, frameon=False)
    return fig
