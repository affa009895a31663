"""The plain padded U-Net: an encoder-decoder whose skip connections can be switched off,
added or concatenated (chapter 4), and the baseline of the U-Net variants (chapter 11).

The encoder has ``depth`` levels, each a :class:`~unet_tutorial.models.blocks.ConvBlock` (two
padded 3×3 convolutions with batch norm and ReLU) followed by 2×2 max pooling, with channels
``c, 2c, 4c, ...`` for ``c = base_channels``; a bottleneck block works at ``1 / 2**depth`` of
the input's resolution. Each decoder level upsamples with a 2×2 transposed convolution of
stride 2 that halves the channels, then merges the encoder map of the same resolution
according to ``skip``:

- ``"none"``: nothing is merged; all detail must pass through the bottleneck;
- ``"add"``: element-wise sum (a residual-style skip; the channel counts match);
- ``"concat"``: concatenation along the channels, as in U-Net (the next block sees twice as
  many input channels).

A final 1×1 convolution gives ``num_classes`` logits per pixel.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from unet_tutorial.models.blocks import ConvBlock, check_input, level_channels
from unet_tutorial.models.padding import crop_to, pad_to_multiple

SkipMode = Literal["none", "add", "concat"]
SKIP_MODES: tuple[SkipMode, ...] = ("none", "add", "concat")


class UNet(nn.Module):
    """A padded U-Net (conv-BN-ReLU blocks) with a choice of skip connection.

    Args:
        in_channels: image channels.
        num_classes: output channels: 1 logit per pixel for a binary mask, C for C classes.
        base_channels: channels of the first level; level ``i`` has ``base_channels * 2**i``.
        depth: number of poolings.
        skip: ``"none"``, ``"add"`` or ``"concat"`` (the U-Net's).

    Shapes: ``N×in_channels×H×W`` → ``N×num_classes×H×W`` for any H, W (padded to a multiple
    of ``2**depth`` and cropped back). The layers keep PyTorch's default initialisation;
    :func:`~unet_tutorial.models.create_model` gives the ``"unet"`` of the registry the He
    initialisation of the variants instead.
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 1,
        base_channels: int = 32,
        depth: int = 4,
        skip: SkipMode = "concat",
    ) -> None:
        super().__init__()
        if skip not in SKIP_MODES:
            raise ValueError(f"skip must be one of {SKIP_MODES}, got {skip!r}.")
        if depth < 1 or base_channels < 1 or num_classes < 1:
            raise ValueError(
                "depth, base_channels and num_classes must be at least 1, got "
                f"{depth}, {base_channels}, {num_classes}."
            )
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.skip = skip
        self.depth = depth
        widths = level_channels(base_channels, depth)
        self.encoder = nn.ModuleList(
            ConvBlock(c_in, c_out)
            for c_in, c_out in zip([in_channels, *widths[:-2]], widths[:-1], strict=True)
        )
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = ConvBlock(widths[-2], widths[-1])
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(widths[level + 1], widths[level], 2, stride=2)
            for level in reversed(range(depth))
        )
        merge = 2 if skip == "concat" else 1
        self.decoder = nn.ModuleList(
            ConvBlock(merge * widths[level], widths[level]) for level in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_channels)
        x, size = pad_to_multiple(x, 2**self.depth)
        features = []
        for block in self.encoder:
            x = block(x)
            features.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, block, skipped in zip(self.up, self.decoder, reversed(features), strict=True):
            x = up(x)
            if self.skip == "add":
                x = x + skipped
            elif self.skip == "concat":
                x = torch.cat([x, skipped], dim=1)
            x = block(x)
        return crop_to(self.head(x), size)
