"""unet_tutorial.analysis.gradients (and the residual block it stacks)."""

from __future__ import annotations

import torch

from unet_tutorial.analysis.gradients import gradient_through_depth
from unet_tutorial.models import ResidualBlock


def test_residual_block_keeps_shape_and_gradients_through_depth() -> None:
    block = ResidualBlock(6)
    assert block(torch.randn(2, 6, 8, 8)).shape == (2, 6, 8, 8)
    assert ResidualBlock(6, batch_norm=False)(torch.randn(2, 6, 8, 8)).shape == (2, 6, 8, 8)
    norms = gradient_through_depth([1, 8], channels=4, size=8)
    # Without normalisation the plain stack's gradient vanishes; the identity path keeps it.
    assert norms["plain"][1] < 1e-3 * norms["plain"][0]
    assert 0.5 < norms["residual"][1] / norms["residual"][0] < 2
    assert set(norms) == {"plain", "residual", "plain + BN", "residual + BN"}
