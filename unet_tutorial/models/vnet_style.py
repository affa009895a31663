"""A V-Net-style U-Net in 2D, after Milletari et al. (2016).

V-Net is a **3D** network for volumetric (CT/MRI) segmentation, with 5×5×5 convolutions and PReLU.
This module is a **2D adaptation** that keeps its three architectural ideas and changes nothing
else relative to the padded U-Net used in the other variants:

1. strided convolutions instead of max pooling: a learnable 2×2 convolution with stride 2 halves
   the map and doubles the channels (pooling has no parameters; this does);
2. residual stages: each stage's convolutions learn a correction added to the stage's input,
   ``out = x + F(x)``, with 1, 2 then 3 convolutions per stage as the map gets coarser;
3. transposed convolutions (2×2, stride 2) on the way up, as in the U-Net.

The 3×3 convolutions, BatchNorm and ReLU are those of the other variants, so a comparison measures
the three ideas, not the kernel size or the activation.
"""

from __future__ import annotations

import torch
from torch import nn

from unet_tutorial.models import blocks, padding


def convs_per_stage(level: int) -> int:
    """Convolutions in the residual stage at ``level``: 1, 2, then 3 (V-Net's 1, 2, 3, 3, 3)."""
    return min(level + 1, 3)


class ResidualStage(nn.Module):
    """``out = shortcut(x) + ConvBlock(x)``: N×in_channels×H×W → N×out_channels×H×W.

    The shortcut is the identity when the channels match, else a 1×1 convolution.
    """

    def __init__(self, in_channels: int, out_channels: int, num_convs: int) -> None:
        super().__init__()
        self.body = blocks.ConvBlock(in_channels, out_channels, num_convs=num_convs)
        self.shortcut: nn.Module = (
            nn.Identity()
            if in_channels == out_channels
            else nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.body(x)


class DownConv(nn.Sequential):
    """2×2 convolution with stride 2 + BN + ReLU: N×C×H×W → N×C_out×H/2×W/2 (replaces pooling)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size=2, stride=2, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class UpStage(nn.Module):
    """Decoder stage: upsample, concatenate the skip, residual convolutions.

    ``forward(x, skip)``: x N×C_in×H×W and skip N×C×2H×2W → N×C×2H×2W, computed as
    ``up + ConvBlock(concat(up, skip))`` with ``up = UpConv(x)``: the residual is taken around
    the stage, from the upsampled map.
    """

    def __init__(self, in_channels: int, out_channels: int, num_convs: int) -> None:
        super().__init__()
        self.up = blocks.UpConv(in_channels, out_channels)
        self.body = blocks.ConvBlock(2 * out_channels, out_channels, num_convs=num_convs)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = self.up(x)
        return up + self.body(torch.cat([up, skip], dim=1))


class VNetStyleUNet(nn.Module):
    """2D adaptation of V-Net: strided-conv downsampling, residual stages, transposed convs up.

    Args:
        in_channels: channels of the input images (3 for RGB).
        num_classes: output channels (1 logit for binary segmentation).
        base_channels: channels of level 0; level ``i`` has ``base_channels * 2**i``.
        depth: number of downsamplings.

    Shapes: N×in_channels×H×W → N×num_classes×H×W for any H, W (padded to a multiple of
    ``2**depth`` and cropped back).
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 1,
        base_channels: int = 32,
        depth: int = 4,
    ) -> None:
        super().__init__()
        channels = blocks.level_channels(base_channels, depth)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.depth = depth
        self.stem = ResidualStage(in_channels, channels[0], convs_per_stage(0))
        self.downs = nn.ModuleList(DownConv(channels[i], channels[i + 1]) for i in range(depth))
        self.encoders = nn.ModuleList(
            ResidualStage(channels[i + 1], channels[i + 1], convs_per_stage(i + 1))
            for i in range(depth)
        )
        self.decoders = nn.ModuleList(
            UpStage(channels[i + 1], channels[i], convs_per_stage(i)) for i in range(depth)
        )
        self.head = nn.Conv2d(channels[0], num_classes, kernel_size=1)
        blocks.init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×in_channels×H×W → N×num_classes×H×W logits."""
        blocks.check_input(x, self.in_channels)
        padded, size = padding.pad_to_multiple(x, 2**self.depth)
        out = self.stem(padded)
        skips = [out]
        for down, encoder in zip(self.downs, self.encoders, strict=True):
            out = encoder(down(out))
            skips.append(out)
        for level in reversed(range(self.depth)):
            out = self.decoders[level](out, skips[level])
        return padding.crop_to(self.head(out), size)
