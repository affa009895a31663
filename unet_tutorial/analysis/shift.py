"""How much a one-pixel shift of the input changes a pooled feature map (chapter 2, where both
functions are written in view)."""

from __future__ import annotations

import torch


def shifted_pair(image: torch.Tensor, shift: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """An image and the same image moved ``shift`` pixels to the right, cropped to equal width.

    No pixel wraps around: both crops come from the inside of ``image``. Their width is cut to a
    multiple of 16 so that up to four 2×2 poolings see the same window grid.

    Args:
        image: N×C×H×W, at least ``shift + 16`` columns wide.
        shift: pixels to move, at least 1.

    Returns:
        (original, shifted), both N×C×H×W' with shifted[..., j + shift] == original[..., j] where
        both exist.
    """
    width = (image.shape[-1] - shift) // 16 * 16
    return image[..., shift : shift + width], image[..., :width]


def shift_changes(
    original: torch.Tensor,
    shifted: torch.Tensor,
    pool,
    max_levels: int = 3,
) -> list[tuple[tuple[int, int], float, float]]:
    """Compare ``original`` and ``shifted`` after 0, 1, ..., ``max_levels`` 2×2 poolings.

    Args:
        original, shifted: N×C×H×W maps of equal shape.
        pool: a pooling function called as ``pool(x, 2)`` (e.g. ``functional.max_pool2d``).
        max_levels: the most poolings to apply.

    Returns:
        One ``(size, change, unchanged)`` per number of poolings: the (H, W) of the compared
        maps, the mean absolute difference divided by the mean absolute value of ``original``,
        and the share of values that are exactly equal in both maps.
    """
    rows = []
    for level in range(max_levels + 1):
        if level > 0:
            original, shifted = pool(original, 2), pool(shifted, 2)
        difference = (original - shifted).abs()
        change = difference.mean() / original.abs().mean()
        unchanged = (difference == 0).float().mean()
        rows.append((tuple(original.shape[-2:]), change.item(), unchanged.item()))
    return rows
