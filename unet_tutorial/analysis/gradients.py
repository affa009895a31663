"""How much gradient reaches the input of a deep stack, with and without residual additions,
batch norm and He initialisation (chapter 4, where both functions are written in view).

With PyTorch's default initialisation a plain stack of convolutions and ReLUs shrinks the
gradient by a constant factor per block; with He initialisation it does not, and the residual
addition keeps it whatever the initialisation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from unet_tutorial.models.blocks import ResidualBlock


def input_gradient_norm(
    blocks: int,
    residual: bool,
    batch_norm: bool = False,
    he_init: bool = False,
    channels: int = 8,
    size: int = 16,
    seed: int = 0,
) -> float:
    """How much gradient reaches the input of a stack of ``blocks`` freshly initialised blocks.

    Builds ``blocks`` :class:`ResidualBlock` s (with or without the addition, with or without
    batch norm), optionally re-initialises every convolution with He's normal initialisation
    (weights of variance 2 / fan_in, biases zero), passes a seeded random
    ``2×channels×size×size`` input, back-propagates a fixed random direction ``v`` of unit norm
    from the output (the gradient of ``<v, output>``) and returns the L2 norm of the gradient
    with respect to the input: how strongly a signal at the output reaches the first layer.
    """
    torch.manual_seed(seed)
    stack = nn.Sequential()
    for _ in range(blocks):
        stack.append(ResidualBlock(channels, residual, batch_norm))
    if he_init:
        for layer in stack.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(2, channels, size, size, generator=generator)
    x.requires_grad_(True)
    direction = torch.randn(x.shape, generator=generator)
    (stack(x) * direction / direction.norm()).sum().backward()
    return x.grad.norm().item()


#: The settings of :func:`gradient_through_depth`: label → (residual, batch_norm, he_init).
DEPTH_SETTINGS = {
    "plain": (False, False, False),
    "residual": (True, False, False),
    "plain + BN": (False, True, False),
    "residual + BN": (True, True, False),
    "plain, He init": (False, False, True),
    "residual, He init": (True, False, True),
}


def gradient_through_depth(depths: Sequence[int]) -> dict[str, list[float]]:
    """:func:`input_gradient_norm` for each stack depth in ``depths``, in every setting of
    :data:`DEPTH_SETTINGS`: ``{label: one norm per depth}``."""
    norms = {}
    for label, (residual, batch_norm, he_init) in DEPTH_SETTINGS.items():
        norms[label] = [
            input_gradient_norm(depth, residual, batch_norm, he_init) for depth in depths
        ]
    return norms
