"""Attention U-Net (Oktay et al., 2018): additive attention gates on the skip connections.

A plain U-Net concatenates the whole encoder map to the decoder, background included. An attention
gate first weighs every pixel of the skip map ``x`` by a coefficient ``alpha`` in [0, 1], computed
from ``x`` and a *gating signal* ``g``, the coarser decoder map that already "knows" what is being
segmented. Additive attention, as in the paper:

    q     = ReLU(W_x x + W_g g + b)          (W_x: 2×2 stride-2 conv, brings x onto g's grid;
                                               W_g: 1×1 conv)
    alpha = sigmoid(psi q + b_psi)           (psi: 1×1 conv to one channel)
    x'    = W (upsample(alpha) * x)          (bilinear back to x's grid; W: 1×1 conv + BN)

The gate costs few parameters; the coefficients can be read back
(:attr:`AttentionUNet.last_attention`, :meth:`AttentionUNet.attention_maps`) and shown as maps of
where the network looks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from unet_tutorial.models.blocks import (
    ConvBlock,
    UpConv,
    check_input,
    init_weights,
    level_channels,
)
from unet_tutorial.models.padding import crop_to, pad_to_multiple


class AttentionGate(nn.Module):
    """An additive attention gate.

    Args:
        skip_channels: channels ``C_x`` of the skip map ``x`` (N×C_x×H×W).
        gate_channels: channels ``C_g`` of the gating map ``g`` (N×C_g×H/2×W/2, H and W even:
            the networks pad their input to a multiple of ``2**depth``).
        inter_channels: channels of the intermediate sum (``F_int`` in the paper).

    ``forward(x, g)`` returns the gated skip map (N×C_x×H×W) and the coefficients (N×1×H×W).
    """

    def __init__(self, skip_channels: int, gate_channels: int, inter_channels: int) -> None:
        super().__init__()
        self.theta = nn.Conv2d(skip_channels, inter_channels, kernel_size=2, stride=2, bias=False)
        self.phi = nn.Conv2d(gate_channels, inter_channels, kernel_size=1)
        self.psi = nn.Conv2d(inter_channels, 1, kernel_size=1)
        self.out = nn.Sequential(
            nn.Conv2d(skip_channels, skip_channels, kernel_size=1, bias=False),
            nn.BatchNorm2d(skip_channels),
        )

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # theta brings x onto g's grid (half its height and width)
        q = F.relu(self.theta(x) + self.phi(g))
        alpha = torch.sigmoid(self.psi(q))
        # bilinear interpolation averages values in [0, 1], so alpha stays in [0, 1]
        alpha = F.interpolate(alpha, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.out(alpha * x), alpha


class AttentionUNet(nn.Module):
    """A padded U-Net (3×3 conv + BN + ReLU blocks) with an attention gate on every skip connection.

    Args:
        in_channels: channels of the input images (3 for RGB).
        num_classes: output channels (1 logit for binary segmentation).
        base_channels: channels of level 0; level ``i`` has ``base_channels * 2**i``.
        depth: number of downsamplings (= number of gated skip connections).

    Shapes: N×in_channels×H×W → N×num_classes×H×W for any H, W (padded to a multiple of
    ``2**depth`` and cropped back).

    After each forward pass, :attr:`last_attention` holds the coefficients of the ``depth`` gates
    (detached), finest first: entry ``i`` is N×1×ceil(H/2**i)×ceil(W/2**i), values in [0, 1].
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 1,
        base_channels: int = 32,
        depth: int = 4,
    ) -> None:
        super().__init__()
        channels = level_channels(base_channels, depth)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.depth = depth
        self.pool = nn.MaxPool2d(2)
        self.encoders = nn.ModuleList(
            ConvBlock(in_channels if level == 0 else channels[level - 1], channels[level])
            for level in range(depth + 1)
        )
        self.gates = nn.ModuleList(
            AttentionGate(channels[level], channels[level + 1], max(1, channels[level] // 2))
            for level in range(depth)
        )
        self.ups = nn.ModuleList(
            UpConv(channels[level + 1], channels[level]) for level in range(depth)
        )
        self.decoders = nn.ModuleList(
            ConvBlock(2 * channels[level], channels[level]) for level in range(depth)
        )
        self.head = nn.Conv2d(channels[0], num_classes, kernel_size=1)
        self.last_attention: list[torch.Tensor] = []
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×in_channels×H×W → N×num_classes×H×W logits; fills :attr:`last_attention`."""
        check_input(x, self.in_channels)
        padded, size = pad_to_multiple(x, 2**self.depth)
        skips = []
        out = padded
        for level, encoder in enumerate(self.encoders):
            out = encoder(out if level == 0 else self.pool(out))
            skips.append(out)
        attention: list[torch.Tensor] = [torch.empty(0)] * self.depth
        for level in reversed(range(self.depth)):
            # the gating signal is the coarser decoder map, before it is upsampled
            gated, alpha = self.gates[level](skips[level], out)
            out = self.decoders[level](torch.cat([gated, self.ups[level](out)], dim=1))
            scale = 2**level
            attention[level] = crop_to(alpha.detach(), (-(-size[0] // scale), -(-size[1] // scale)))
        self.last_attention = attention
        return crop_to(self.head(out), size)

    @torch.no_grad()
    def attention_maps(self, x: torch.Tensor, upsample: bool = True) -> list[torch.Tensor]:
        """The gates' coefficients for a batch, finest gate first, computed in eval mode.

        With ``upsample`` every map is resized (bilinear) to N×1×H×W for overlaying on the images;
        otherwise each keeps its gate's resolution, N×1×ceil(H/2**i)×ceil(W/2**i).
        """
        was_training = self.training
        self.eval()
        try:
            self(x)
        finally:
            self.train(was_training)
        maps = self.last_attention
        if upsample:
            maps = [
                F.interpolate(a, size=x.shape[-2:], mode="bilinear", align_corners=False)
                for a in maps
            ]
        return maps
