"""The overlap-tile strategy in pictures (chapter 5): mirrored borders, tiles, stitched output."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from unet_tutorial.models.tiling import mirror_pad, tile_plan


def plot_overlap_tile(
    image: torch.Tensor,
    prediction: torch.Tensor,
    tile_size: int,
    depth: int = 4,
    highlight: tuple[int, int] = (0, 1),
) -> Figure:
    """Left: the mirror-padded image, the output tiles and one tile's input window.
    Right: the stitched prediction with the tile borders.

    Args:
        image: C×H×W image (the first channel is shown, in grey).
        prediction: H×W map predicted by :func:`~unet_tutorial.models.tiling.predict_tiled`.
        tile_size: side of the input tiles used for the prediction.
        depth: the network's depth (decides the tile layout).
        highlight: ``(row, column)`` of the tile whose input window is outlined.
    """
    height, width = image.shape[-2:]
    margin, step, rows = tile_plan(height, tile_size, depth)
    _, _, cols = tile_plan(width, tile_size, depth)
    padded = mirror_pad(
        image[None, :1],
        margin,
        rows * step + tile_size - step - margin - height,
        margin,
        cols * step + tile_size - step - margin - width,
    )[0, 0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 5), layout="constrained")
    left.imshow(padded.cpu().numpy(), cmap="gray")
    left.add_patch(Rectangle((margin - 0.5, margin - 0.5), width, height, fill=False, ec="gold",
                             lw=2, label="the image"))  # fmt: skip
    for r in range(rows):
        for c in range(cols):
            left.add_patch(
                Rectangle((margin + c * step - 0.5, margin + r * step - 0.5), step, step,
                          fill=False, ec="deepskyblue", lw=1.5, ls="--")
            )  # fmt: skip
    r, c = highlight
    left.add_patch(Rectangle((c * step - 0.5, r * step - 0.5), tile_size, tile_size, fill=False,
                             ec="tab:red", lw=2, label=f"input of tile ({r}, {c})"))  # fmt: skip
    left.add_patch(
        Rectangle((margin + c * step - 0.5, margin + r * step - 0.5), step, step,
                  fc="tab:red", alpha=0.25, ec="none", label=f"output of tile ({r}, {c})")
    )  # fmt: skip
    left.set_title(f"mirror-padded image, {rows}×{cols} tiles (dashed: their outputs)", fontsize=10)
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3, fontsize=8,
                frameon=False)  # fmt: skip
    right.imshow(prediction.detach().cpu().numpy(), cmap="magma")
    for k in range(1, rows):
        right.axhline(k * step - 0.5, color="w", lw=0.8, ls="--")
    for k in range(1, cols):
        right.axvline(k * step - 0.5, color="w", lw=0.8, ls="--")
    right.set_title("stitched prediction (dashed: tile borders)", fontsize=10)
    for ax in (left, right):
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
