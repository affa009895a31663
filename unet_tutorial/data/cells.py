"""A small mask of touching cells, for the U-Net paper's border weight map (chapter 5).

The paper segments cells that touch each other. Its ground truth separates two touching cells
by a thin line of background, and its weighted loss (equation 2) makes exactly those lines count
most. :func:`touching_cells` draws such a mask: a few overlapping discs, each overlap given to
the nearer disc, and a background line of about ``gap`` pixels wherever two cells meet.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Centre (row, column) and radius of each disc, as fractions of the mask's side.
CELL_DISCS: tuple[tuple[float, float, float], ...] = (
    (0.30, 0.27, 0.19),
    (0.28, 0.63, 0.18),
    (0.64, 0.44, 0.20),
    (0.70, 0.80, 0.15),
    (0.78, 0.13, 0.10),
)


def touching_cells(size: int = 96, gap: int = 2) -> np.ndarray:
    """An ``size``×``size`` label image of touching cells: 0 is background, 1, 2, ... the cells.

    Each pixel inside one or more of the discs of :data:`CELL_DISCS` belongs to the disc whose
    rim is farthest away (the disc it lies deepest in); pixels within ``gap / 2`` of another
    cell are then given to the background, so touching cells stay separate objects.

    Args:
        size: side of the mask in pixels (at least 16).
        gap: width in pixels of the background line between touching cells (at least 1).

    Returns:
        ``size``×``size`` int64 labels; ``labels > 0`` is the binary mask.
    """
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}.")
    if gap < 1:
        raise ValueError(f"gap must be at least 1 pixel, got {gap}.")
    rows, cols = np.mgrid[:size, :size].astype(np.float64)
    depth = np.stack(
        [
            radius * size - np.hypot(rows - row * size, cols - col * size)
            for row, col, radius in CELL_DISCS
        ]
    )
    inside = depth.max(axis=0) > 0
    labels = np.where(inside, depth.argmax(axis=0) + 1, 0)
    separated = labels.copy()
    for label in range(1, len(CELL_DISCS) + 1):
        others = (labels > 0) & (labels != label)
        if not others.any():
            continue
        distance = ndimage.distance_transform_edt(~others)
        separated[(labels == label) & (distance <= gap / 2)] = 0
    return separated.astype(np.int64)
