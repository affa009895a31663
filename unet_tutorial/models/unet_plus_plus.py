"""U-Net++ (Zhou et al., 2018): a U-Net whose skip connections are nested, dense convolution paths.

In the plain U-Net the decoder node at level ``i`` concatenates the encoder map of the same level
directly (a long "skip"). Zhou et al. argue that the two maps differ semantically (early encoder
features against late decoder features) and fill the gap with a grid of convolution nodes.
Node ``X[i][j]`` (level ``i`` = resolution ``1/2**i``, column ``j``) is:

- ``j == 0``: the encoder, ``X[i][0] = ConvBlock(pool(X[i-1][0]))``;
- ``j >= 1``: ``X[i][j] = ConvBlock(concat(X[i][0], ..., X[i][j-1], up(X[i+1][j-1])))``,
  a dense connection to every earlier node of its level plus the upsampled node below.

The plain U-Net is the outer edge of this grid: ``X[i][0]`` down, then ``X[depth-i][i]`` back up
with only ``X[i][0]`` as skip. The output is read from the top row ``X[0][1..depth]``: with deep
supervision each of those nodes gets its own 1×1 head (all trained), otherwise only ``X[0][depth]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from unet_tutorial.models import blocks, padding


def node_name(level: int, column: int) -> str:
    """The key of node ``X[level][column]`` in :attr:`UNetPlusPlus.nodes`, e.g. ``"x_1_2"``."""
    return f"x_{level}_{column}"


class UNetPlusPlus(nn.Module):
    """U-Net++ with padded 3×3 conv + BatchNorm + ReLU nodes and optional deep supervision.

    Args:
        in_channels: channels of the input images (3 for RGB).
        num_classes: output channels (1 logit for binary segmentation).
        base_channels: channels of level 0; level ``i`` has ``base_channels * 2**i``.
        depth: number of downsamplings; the grid has ``depth + 1`` levels.
        deep_supervision: give every top-row node ``X[0][1..depth]`` its own 1×1 head.

    Shapes: N×in_channels×H×W → N×num_classes×H×W for any H, W (the input is padded to a multiple
    of ``2**depth`` and the logits cropped back).

    With ``deep_supervision=True``, :meth:`forward_heads` returns the ``depth`` heads' logits
    (train them with :func:`deep_supervision_loss`), and :meth:`forward` returns their average,
    the paper's "accurate mode", so the model keeps the interface of every other model here.
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 1,
        base_channels: int = 32,
        depth: int = 4,
        deep_supervision: bool = False,
    ) -> None:
        super().__init__()
        channels = blocks.level_channels(base_channels, depth)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.depth = depth
        self.deep_supervision = deep_supervision
        self.pool = nn.MaxPool2d(2)
        self.nodes = nn.ModuleDict()
        self.ups = nn.ModuleDict()
        for column in range(depth + 1):
            for level in range(depth + 1 - column):
                name = node_name(level, column)
                if column == 0 and level == 0:
                    in_ch = in_channels
                elif column == 0:
                    in_ch = channels[level - 1]
                else:
                    # the column earlier nodes of this level and the upsampled node below
                    in_ch = (column + 1) * channels[level]
                    self.ups[name] = blocks.UpConv(channels[level + 1], channels[level])
                self.nodes[name] = blocks.ConvBlock(in_ch, channels[level])
        self.head_columns = list(range(1, depth + 1)) if deep_supervision else [depth]
        self.heads = nn.ModuleList(
            nn.Conv2d(channels[0], num_classes, 1) for _ in self.head_columns
        )
        blocks.init_weights(self)

    def fill_grid(self, x: torch.Tensor) -> dict[tuple[int, int], torch.Tensor]:
        """Every node's output, keyed by ``(level, column)``, for a padded N×C×H×W batch."""
        grid: dict[tuple[int, int], torch.Tensor] = {}
        for level in range(self.depth + 1):
            below = x if level == 0 else self.pool(grid[level - 1, 0])
            grid[level, 0] = self.nodes[node_name(level, 0)](below)
        for column in range(1, self.depth + 1):
            for level in range(self.depth + 1 - column):
                name = node_name(level, column)
                up = self.ups[name](grid[level + 1, column - 1])
                same_level = [grid[level, k] for k in range(column)]
                grid[level, column] = self.nodes[name](torch.cat([*same_level, up], dim=1))
        return grid

    def forward_heads(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Logits of every head, each N×num_classes×H×W: ``depth`` heads with deep supervision
        (from ``X[0][1]``, the shallowest, to ``X[0][depth]``), else one."""
        blocks.check_input(x, self.in_channels)
        padded, size = padding.pad_to_multiple(x, 2**self.depth)
        grid = self.fill_grid(padded)
        return [
            padding.crop_to(head(grid[0, column]), size)
            for head, column in zip(self.heads, self.head_columns, strict=True)
        ]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×in_channels×H×W → N×num_classes×H×W logits (the heads' mean with deep supervision)."""
        heads = self.forward_heads(x)
        if len(heads) == 1:
            return heads[0]
        return torch.stack(heads).mean(dim=0)


def deep_supervision_loss(
    heads: Sequence[torch.Tensor],
    target: torch.Tensor,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """The deep-supervision loss of U-Net++: the mean of ``criterion(head, target)`` over the heads.

    Each head is trained to segment on its own, which is what lets a pruned, shallower U-Net++
    be used at inference; training only the averaged logits would not.
    """
    return torch.stack([criterion(head, target) for head in heads]).mean()
