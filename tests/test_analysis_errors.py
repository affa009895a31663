"""unet_tutorial.analysis.errors: where the wrong pixels lie."""

from __future__ import annotations

import torch
from torch import nn

from unet_tutorial.analysis.errors import border_band, border_errors


def test_the_band_lies_on_both_sides_of_the_boundary() -> None:
    mask = torch.zeros(1, 1, 6, 6)
    mask[..., :3] = 1  # water on the left half
    band = border_band(mask, 1)
    assert band[0, 0].any(dim=0).tolist() == [False, False, True, True, False, False]


class Fixed(nn.Module):
    """Predicts water on the left half plus one column: errors only at the border."""

    def forward(self, x):
        logits = torch.full_like(x[:, :1], -5.0)
        logits[..., :4] = 5.0
        return logits


def test_errors_at_the_border_are_counted_there() -> None:
    mask = torch.zeros(1, 6, 6)
    mask[:, :, :3] = 1
    dataset = [(torch.zeros(3, 6, 6), mask, "a")]
    result = border_errors(Fixed(), dataset, width=1)
    assert result.errors_in_band == 1.0 and result.error_rate_outside == 0.0
    assert result.pixels_in_band == 12 / 36 and result.image_size == 6
    assert "of the errors" in result.line()
