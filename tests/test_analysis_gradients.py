"""unet_tutorial.analysis.gradients (and the residual block it stacks)."""

from __future__ import annotations

import torch

from unet_tutorial.analysis.gradients import (
    DEPTH_SETTINGS,
    gradient_through_depth,
    input_gradient_norm,
)
from unet_tutorial.models import ResidualBlock


def test_residual_block_keeps_shape() -> None:
    x = torch.randn(2, 6, 8, 8)
    assert ResidualBlock(6)(x).shape == (2, 6, 8, 8)
    assert ResidualBlock(6, batch_norm=False)(x).shape == (2, 6, 8, 8)
    plain = ResidualBlock(6, residual=False, batch_norm=False)
    assert torch.equal(plain(x), torch.relu(plain.body(x)))


def test_default_init_vanishes_he_init_and_the_identity_path_do_not() -> None:
    norms = gradient_through_depth([1, 8])
    assert set(norms) == set(DEPTH_SETTINGS)
    # PyTorch's default init shrinks the gradient by a constant factor per block ...
    assert norms["plain"][1] < 1e-4 * norms["plain"][0]
    # ... He's init keeps it within a small factor, and so does the identity path.
    assert 0.2 < norms["plain, He init"][1] / norms["plain, He init"][0] < 5
    assert 0.5 < norms["residual"][1] / norms["residual"][0] < 2


def test_input_gradient_norm_is_reproducible_and_he_init_changes_it() -> None:
    first = input_gradient_norm(2, residual=False, channels=4, size=8, seed=3)
    assert first == input_gradient_norm(2, residual=False, channels=4, size=8, seed=3)
    assert first != input_gradient_norm(2, residual=False, he_init=True, channels=4, size=8)
