"""How much a one-pixel shift of the input changes a pooled feature map (chapter 2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

Pool = Callable[[torch.Tensor, int], torch.Tensor]


@dataclass(frozen=True)
class ShiftChange:
    """The difference between the pooled maps of an image and of its shifted copy.

    Attributes:
        levels: how many 2×2 poolings were applied (0 = the input itself).
        size: (H, W) of the compared maps.
        relative_change: mean |a − b| divided by the mean of a.
        unchanged: share of values that are exactly equal in both maps.
    """

    levels: int
    size: tuple[int, int]
    relative_change: float
    unchanged: float


def shifted_pair(image: torch.Tensor, shift: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """An image and the same image moved ``shift`` pixels to the right, cropped to equal width.

    No pixel wraps around: both crops come from the inside of ``image``. Their width is cut to a
    multiple of 16 so that up to four 2×2 poolings see the same window grid.

    Args:
        image: N×C×H×W.
        shift: pixels to move, at least 1.

    Returns:
        (original, shifted), both N×C×H×W' with shifted[..., j + shift] == original[..., j] where
        both exist.
    """
    if image.ndim != 4:
        raise ValueError(f"image must be N×C×H×W, got shape {tuple(image.shape)}.")
    width = (image.shape[-1] - shift) // 16 * 16
    if shift < 1 or width < 16:
        raise ValueError(
            f"shift {shift} must be at least 1 and leave at least 16 columns of the "
            f"{image.shape[-1]}-pixel-wide image."
        )
    return image[..., shift : shift + width], image[..., :width]


def shift_changes(
    original: torch.Tensor, shifted: torch.Tensor, pool: Pool, max_levels: int = 3
) -> list[ShiftChange]:
    """Compare ``original`` and ``shifted`` after 0, 1, ..., ``max_levels`` 2×2 poolings.

    Args:
        original, shifted: N×C×H×W maps of equal shape.
        pool: a pooling function called as ``pool(x, 2)`` (e.g. ``functional.max_pool2d``).
        max_levels: the most poolings to apply.

    Returns:
        One :class:`ShiftChange` per number of poolings.
    """
    if original.shape != shifted.shape:
        raise ValueError(
            f"original {tuple(original.shape)} and shifted {tuple(shifted.shape)} differ in shape."
        )
    results = []
    a, b = original, shifted
    for level in range(max_levels + 1):
        if level:
            a, b = pool(a, 2), pool(b, 2)
        change = (a - b).abs()
        results.append(
            ShiftChange(
                levels=level,
                size=(a.shape[-2], a.shape[-1]),
                relative_change=(change.mean() / a.abs().mean()).item(),
                unchanged=(change == 0).float().mean().item(),
            )
        )
    return results
