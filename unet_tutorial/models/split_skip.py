"""A faster backward pass for the VGG19 U-Net while its encoder is frozen (same function).

The first convolution of each :class:`~unet_tutorial.models.vgg19_unet.DecoderStep` reads the
concatenation of the upsampled map and the skip map. A convolution is linear in its input
channels, so it equals the sum of two convolutions, one per half of its weight. Computed that
way, the backward pass needs no gradient with respect to the skip map when the skip map needs
none (it comes from a frozen encoder), and the concatenated copy is never made.

Engineering, not part of the architecture: the taught :class:`~unet_tutorial.models.VGG19UNet`
concatenates. :func:`split_frozen_skips` switches a built model over; the state dict is
unchanged (the same parameters under the same names). Floating-point sums in another order can
differ in the last bits; ``tools/bench/model.py`` measures the speed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from unet_tutorial.models.vgg19_unet import DecoderStep, VGG19UNet


class SplitSkipDecoderStep(nn.Module):
    """A :class:`DecoderStep` (the same ``up`` and ``conv`` modules) whose first convolution is
    split in two halves when the skip map needs no gradient and autograd is on.

    Shapes: x N×C_in×H×W and skip N×C_out×2H×2W → N×C_out×2H×2W.
    """

    def __init__(self, step: DecoderStep) -> None:
        super().__init__()
        self.up, self.conv = step.up, step.conv

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = self.up(x)
        if not torch.is_grad_enabled() or skip.requires_grad:
            return self.conv(torch.cat([up, skip], dim=1))
        first: nn.Conv2d = self.conv[0]
        channels = up.shape[1]
        y = F.conv2d(skip, first.weight[:, channels:], first.bias, padding=1)
        y.add_(F.conv2d(up, first.weight[:, :channels], None, padding=1))
        return self.conv[1:](y)


def split_frozen_skips(model: VGG19UNet) -> VGG19UNet:
    """Give ``model`` decoder steps that skip the skip maps' gradient while they need none.

    Returns the same model (changed in place). Its parameters and state-dict keys stay the same,
    so checkpoints load either way.
    """
    model.decoder = nn.ModuleList(
        step if isinstance(step, SplitSkipDecoderStep) else SplitSkipDecoderStep(step)
        for step in model.decoder
    )
    return model
