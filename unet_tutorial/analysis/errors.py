"""Where a segmenter's errors lie: near the water's edge or inside the regions (chapter 10).

:func:`border_errors` predicts a split at the training size and splits the wrong pixels into
those within a few pixels of a boundary between water and land in the true mask (on either
side of it) and the rest. Comparing the share of errors in that band with the share of all
pixels in it says whether the errors gather at the borders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from unet_tutorial.data import make_loader
from unet_tutorial.metrics import binarize, boundary_band
from unet_tutorial.training.step import forward


@dataclass(frozen=True)
class BorderErrors:
    """Wrong pixels near the true boundary.

    Attributes:
        width: the band's half-width in pixels (at the training size).
        image_size: the training size the split was scored at.
        errors_in_band: share of the wrong pixels that lie in the band.
        pixels_in_band: share of all pixels that lie in the band.
        error_rate_in_band, error_rate_outside: share of the pixels in the band (outside it)
            that are wrong.
    """

    width: int
    image_size: int
    errors_in_band: float
    pixels_in_band: float
    error_rate_in_band: float
    error_rate_outside: float

    def line(self) -> str:
        """One printed line."""
        return (
            f"within {self.width} px of a water/land border (at {self.image_size}×"
            f"{self.image_size}): {self.pixels_in_band:.0%} of the pixels, "
            f"{self.errors_in_band:.0%} of the errors; error rate {self.error_rate_in_band:.1%} "
            f"there, {self.error_rate_outside:.1%} elsewhere"
        )


def border_band(masks: torch.Tensor, width: int) -> torch.Tensor:
    """Pixels within ``width`` of a boundary between 0 and 1 in ``N×1×H×W`` masks, on either
    side (the image's own border does not count)."""
    masks = masks.bool()
    return boundary_band(masks, width) | boundary_band(~masks, width)


@torch.no_grad()
def border_errors(
    model: nn.Module, dataset: Any, *, width: int = 2, batch_size: int = 8
) -> BorderErrors:
    """Score ``model`` on ``dataset`` (``(image, mask, id)`` samples at the training size)."""
    model.eval()
    wrong_in = wrong_out = band_pixels = pixels = 0
    for images, masks, *_ in make_loader(dataset, batch_size):
        predicted = binarize(forward(model, images)).cpu()
        truth = masks.bool()
        wrong = predicted != truth
        band = border_band(truth, width)
        wrong_in += int((wrong & band).sum())
        wrong_out += int((wrong & ~band).sum())
        band_pixels += int(band.sum())
        pixels += truth.numel()
    errors = max(1, wrong_in + wrong_out)
    return BorderErrors(
        width=width,
        image_size=int(dataset[0][1].shape[-1]),
        errors_in_band=wrong_in / errors,
        pixels_in_band=band_pixels / max(1, pixels),
        error_rate_in_band=wrong_in / max(1, band_pixels),
        error_rate_outside=wrong_out / max(1, pixels - band_pixels),
    )
