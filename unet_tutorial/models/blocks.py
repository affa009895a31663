"""Building blocks shared by the padded networks: the plain U-Net (:mod:`.unet`) and its
variants (U-Net++, Attention U-Net, V-Net style), and the residual block of chapter 4.

Unlike the paper's network, these blocks use *padded* 3×3 convolutions, so a block keeps H and W,
and batch normalization (Ioffe & Szegedy, 2015), which lets small networks train quickly from
scratch with Adam.
"""

from __future__ import annotations

import torch
from torch import nn


class ConvBlock(nn.Sequential):
    """``num_convs`` × (3×3 convolution with padding 1 → BatchNorm → ReLU).

    Shapes: N×in_channels×H×W → N×out_channels×H×W (the padding keeps H and W).
    The convolutions carry no bias: the BatchNorm that follows has its own shift.
    """

    def __init__(self, in_channels: int, out_channels: int, num_convs: int = 2) -> None:
        if num_convs < 1:
            raise ValueError(
                f"A ConvBlock needs at least one convolution, got num_convs={num_convs}."
            )
        layers: list[nn.Module] = []
        for index in range(num_convs):
            layers += [
                nn.Conv2d(
                    in_channels if index == 0 else out_channels,
                    out_channels,
                    3,
                    padding=1,
                    bias=False,
                ),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
            ]
        super().__init__(*layers)
        self.in_channels = in_channels
        self.out_channels = out_channels


class UpConv(nn.Sequential):
    """2×2 transposed convolution with stride 2: N×C_in×H×W → N×C_out×2H×2W (the U-Net up-step)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2))


class ResidualBlock(nn.Module):
    """The basic residual block of ResNet: ``y = relu(x + F(x))``, ``F`` = conv-BN-ReLU-conv-BN.

    The addition needs ``F(x)`` to have the shape of ``x``: ``N×C×H×W`` → ``N×C×H×W``.

    Args:
        channels: ``C``.
        residual: with ``False`` the same layers run without the addition (``y = relu(F(x))``),
            for comparison.
        batch_norm: with ``False`` the batch norms are left out (as in the original U-Net).
    """

    def __init__(self, channels: int, residual: bool = True, batch_norm: bool = True) -> None:
        super().__init__()
        self.residual = residual

        def norm() -> nn.Module:
            if batch_norm:
                return nn.BatchNorm2d(channels)
            return nn.Identity()

        bias = not batch_norm  # batch norm's shift replaces it
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=bias),
            norm(),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=bias),
            norm(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return torch.relu(x + out if self.residual else out)


def level_channels(base_channels: int, depth: int) -> list[int]:
    """Channels per resolution level, doubling from ``base_channels``: ``depth + 1`` entries.

    Raises:
        ValueError: when ``base_channels`` or ``depth`` is below 1.
    """
    if base_channels < 1:
        raise ValueError(f"base_channels must be at least 1, got {base_channels}.")
    if depth < 1:
        raise ValueError(f"depth must be at least 1 (one downsampling), got {depth}.")
    return [base_channels * 2**level for level in range(depth + 1)]


def init_weights(module: nn.Module) -> None:
    """He (Kaiming) initialisation for the ReLU convolutions; BatchNorm to identity."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)


def check_input(x: torch.Tensor, in_channels: int) -> None:
    """Raise a clear ``ValueError`` unless ``x`` is an N×in_channels×H×W batch."""
    if x.dim() != 4 or x.shape[1] != in_channels:
        raise ValueError(
            f"Expected an N×{in_channels}×H×W batch, got shape {tuple(x.shape)}; add a batch "
            "dimension with x.unsqueeze(0) or set in_channels to match the images."
        )
