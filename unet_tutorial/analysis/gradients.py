"""How much gradient reaches the input of a deep stack, with and without residual additions
(chapter 4): the reason skip connections help deep networks train.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from unet_tutorial.models.blocks import ResidualBlock


def input_gradient_norm(
    blocks: int,
    residual: bool,
    *,
    batch_norm: bool = False,
    channels: int = 8,
    size: int = 16,
    seed: int = 0,
) -> float:
    """How much gradient reaches the input of a stack of ``blocks`` freshly initialised blocks.

    Builds ``blocks`` :class:`ResidualBlock` s (with or without the addition; without batch norm
    by default), passes a seeded random ``2×channels×size×size`` input, back-propagates a fixed
    random direction ``v`` of unit norm from the output (the gradient of ``<v, output>``) and
    returns the L2 norm of the gradient with respect to the input: how strongly a signal at the
    output reaches the first layer.
    """
    torch.manual_seed(seed)
    stack = nn.Sequential(*(ResidualBlock(channels, residual, batch_norm) for _ in range(blocks)))
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(2, channels, size, size, generator=generator).requires_grad_(True)
    direction = torch.randn(x.shape, generator=generator)
    (stack(x) * direction / direction.norm()).sum().backward()
    return float(x.grad.norm())


def gradient_through_depth(depths: Sequence[int], **kwargs: int) -> dict[str, list[float]]:
    """:func:`input_gradient_norm` for each stack depth in ``depths``, in four settings.

    Returns:
        ``{"plain": [...], "residual": [...], "plain + BN": [...], "residual + BN": [...]}``,
        one value per depth. ``kwargs`` go to :func:`input_gradient_norm` (channels, size, seed).
    """
    settings = {
        "plain": (False, False),
        "residual": (True, False),
        "plain + BN": (False, True),
        "residual + BN": (True, True),
    }
    return {
        name: [input_gradient_norm(d, residual, batch_norm=bn, **kwargs) for d in depths]
        for name, (residual, bn) in settings.items()
    }
