"""The overlay tint: a photo with the predicted water, or every class but the background,
tinted in its colour (what ``predict`` writes as ``<name>_overlay.png``, and the book's class
overlays). Needs only NumPy, so ``predict`` can use it without matplotlib.
"""

from __future__ import annotations

import numpy as np

from unet_tutorial.data.classes import ClassTable
from unet_tutorial.viz.palette import OVERLAY_ALPHA, WATER


def tint(
    region: np.ndarray,
    labels: np.ndarray,
    table: ClassTable | None,
    *,
    bgr: bool = False,
) -> np.ndarray:
    """``region`` with the water (``labels`` nonzero, ``table`` ``None``) or every class but
    class 0 (in the table's display colours) tinted: ``(1 - alpha) * pixel + alpha * colour``,
    rounded, with ``alpha`` :data:`~unet_tutorial.viz.palette.OVERLAY_ALPHA`; other pixels are
    kept as they are.

    Args:
        region: ``h×W×3`` uint8 pixels, RGB (or BGR with ``bgr``); a strip of rows of a photo
            is enough.
        labels: ``h×W`` water mask (0/1) or class indices.
        table: the class table of a multi-class prediction, ``None`` for water.

    Returns:
        A tinted ``h×W×3`` uint8 copy of ``region``.
    """
    out = region.copy()
    if table is None:
        colors = {WATER: labels != 0}
    else:
        colors = {table.display[i]: labels == i for i in range(1, table.num_classes)}
    for color, where in colors.items():
        if where.any():
            paint = np.asarray(color[::-1] if bgr else color, dtype=np.float32)
            values = region[where].astype(np.float32)
            values = (1 - OVERLAY_ALPHA) * values + OVERLAY_ALPHA * paint
            out[where] = values.round().astype(np.uint8)
    return out
