"""The U-Net exactly as Ronneberger, Fischer & Brox (2015) describe it.

Contracting path: per level, two *valid* (unpadded) 3×3 convolutions with ReLU, then 2×2 max pooling
with stride 2; the channels double at every level (64, 128, 256, 512, 1024 with the defaults).
Expansive path: per level, a 2×2 up-convolution that halves the channels, concatenation with the
centre-cropped feature map of the same level of the contracting path, and two valid 3×3
convolutions with ReLU. A final 1×1 convolution maps 64 channels to the classes.

Every valid 3×3 convolution loses one pixel on each border, so the map shrinks as it flows: a
572×572 input gives a 388×388 output. The skip connection's map is therefore larger than the
upsampled map it joins and must be cropped to its centre. Not every input size works: each map
entering a pooling layer must have an even side. :func:`paper_unet_sizes` says which sizes do.
"""

from __future__ import annotations

import torch
from torch import nn


class DoubleConv(nn.Sequential):
    """Two valid 3×3 convolutions, each followed by ReLU: N×C_in×H×W → N×C_out×(H−4)×(W−4)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size=3),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size=3),
            nn.ReLU(inplace=True),
        )


def center_crop(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The central ``height``×``width`` window of an N×C×H×W map (the paper's "copy and crop").

    Raises:
        ValueError: when the window is larger than the map or the margins are not symmetric.
    """
    extra_h, extra_w = x.shape[-2] - height, x.shape[-1] - width
    if extra_h < 0 or extra_w < 0 or extra_h % 2 or extra_w % 2:
        raise ValueError(
            f"Cannot centre-crop a {x.shape[-2]}x{x.shape[-1]} map to {height}x{width}: the "
            "margins must be non-negative and even."
        )
    top, left = extra_h // 2, extra_w // 2
    return x[..., top : top + height, left : left + width]


class CropConcat(nn.Module):
    """Centre-crop the skip map to the upsampled map's size and concatenate along channels.

    Shapes: skip N×C_s×H_s×W_s and up N×C_u×H×W → N×(C_s+C_u)×H×W. A module (not a function) so
    that it shows up, with its output shape, in :func:`~unet_tutorial.models.summary.summarize`.
    """

    def forward(self, skip: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        skip = center_crop(skip, up.shape[-2], up.shape[-1])
        return torch.cat([skip, up], dim=1)


class UpStep(nn.Module):
    """One expansive step: 2×2 up-convolution halving channels, crop-and-concat, DoubleConv.

    Shapes: x N×C×H×W and skip N×C/2×H_s×W_s → N×C/2×(2H−4)×(2W−4).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2)
        self.concat = CropConcat()
        self.conv = DoubleConv(2 * out_channels, out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.conv(self.concat(skip, self.up(x)))


def trace_sizes(input_size: int, depth: int = 4) -> list[int] | None:
    """The side after every stage of the paper's U-Net, or ``None`` when the input does not fit.

    The list holds, in order: the input; for each contracting level the size after its two
    convolutions and after its pooling; the bottleneck's output; for each expansive level the size
    after its up-convolution and after its two convolutions. The last entry is the output side.
    ``None`` as soon as a pooling would meet an odd side or a map shrinks to nothing.
    """
    sizes = [input_size]
    size = input_size
    for _ in range(depth):
        size -= 4  # two valid 3×3 convolutions
        if size < 2 or size % 2:
            return None
        size //= 2  # the 2×2 pooling
        sizes += [2 * size, size]
    size -= 4  # the bottleneck's two convolutions
    if size < 1:
        return None
    sizes.append(size)
    for _ in range(depth):
        size *= 2  # the 2×2 up-convolution
        sizes.append(size)
        size -= 4  # two valid 3×3 convolutions
        if size < 1:
            return None
        sizes.append(size)
    return sizes


def paper_unet_sizes(input_size: int, depth: int = 4) -> list[int]:
    """The side length after every stage of the paper's U-Net (see :func:`trace_sizes`).

    Raises:
        ValueError: when ``input_size`` does not fit (a pooled map with an odd side, or a map that
            shrinks to nothing), naming the nearest sizes that do.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}.")
    sizes = trace_sizes(input_size, depth)
    if sizes is None:
        below, above = nearest_valid_sizes(input_size, depth)
        options = f"{below} or {above}" if below is not None else f"{above}"
        raise ValueError(
            f"An input side of {input_size} pixels does not fit the paper's U-Net with depth "
            f"{depth}: valid convolutions and 2x2 pooling need an even map side before every "
            f"pooling and a positive size everywhere. Nearest valid sides: {options} "
            "(see valid_input_sizes())."
        )
    return sizes


def is_valid_input_size(input_size: int, depth: int = 4) -> bool:
    """Whether a side of ``input_size`` pixels passes through the paper's U-Net of this depth."""
    return trace_sizes(input_size, depth) is not None


def output_size(input_size: int, depth: int = 4) -> int:
    """The output side for a valid input side (572 → 388 with depth 4)."""
    return paper_unet_sizes(input_size, depth)[-1]


def valid_input_sizes(max_size: int, depth: int = 4) -> list[tuple[int, int]]:
    """All valid ``(input side, output side)`` pairs up to ``max_size``, smallest first.

    With depth 4 the valid inputs are 188, 204, 220, ... (one every 2**depth = 16 pixels), and
    the output is always 184 pixels smaller than the input.
    """
    return [
        (s, output_size(s, depth)) for s in range(1, max_size + 1) if is_valid_input_size(s, depth)
    ]


def nearest_valid_sizes(input_size: int, depth: int = 4) -> tuple[int | None, int]:
    """The largest valid side below ``input_size`` (``None`` if none) and the smallest above it."""
    below = next((s for s in range(input_size - 1, 0, -1) if is_valid_input_size(s, depth)), None)
    above = max(input_size + 1, 1)
    while not is_valid_input_size(above, depth):
        above += 1
    return below, above


class PaperUNet(nn.Module):
    """The U-Net of the paper: valid convolutions, crop-and-concatenate skips, 1×1 output conv.

    Args:
        in_channels: channels of the input image (1 for the paper's grey-scale microscopy).
        num_classes: output channels, one logit per class (2 in the paper: object and
            background).
        base_channels: channels of the first level; level ``i`` has ``base_channels * 2**i``.
        depth: number of poolings (4 in the paper: five resolution levels).

    Shapes: N×in_channels×H×W → N×num_classes×H'×W' with H' = ``output_size(H, depth)``
    (572 → 388 with the defaults). H and W must be valid sizes (see :func:`paper_unet_sizes`).
    With the defaults the network has 23 convolutional layers and 31,030,658 parameters.

    Left out of the paper's recipe: the dropout at the end of the contracting path, the
    Gaussian initialisation with standard deviation sqrt(2/N), and the weighted cross-entropy
    (see :func:`unet_tutorial.losses.border_weight_map`); the layers keep PyTorch's defaults.
    """

    def __init__(
        self, in_channels: int = 1, num_classes: int = 2, base_channels: int = 64, depth: int = 4
    ) -> None:
        super().__init__()
        if min(in_channels, num_classes, base_channels, depth) < 1:
            raise ValueError(
                "in_channels, num_classes, base_channels and depth must all be at least 1, got "
                f"{in_channels}, {num_classes}, {base_channels}, {depth}."
            )
        self.in_channels, self.num_classes = in_channels, num_classes
        self.base_channels, self.depth = base_channels, depth
        channels = [base_channels * 2**level for level in range(depth + 1)]
        self.down = nn.ModuleList(
            DoubleConv(c_in, c_out)
            for c_in, c_out in zip([in_channels, *channels[:-2]], channels[:-1], strict=True)
        )
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.bottleneck = DoubleConv(channels[-2], channels[-1])
        self.up = nn.ModuleList(UpStep(c, c // 2) for c in reversed(channels[1:]))
        self.head = nn.Conv2d(channels[0], num_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"Expected an N×{self.in_channels}×H×W batch, got shape {tuple(x.shape)}."
            )
        for side in x.shape[-2:]:
            paper_unet_sizes(int(side), self.depth)  # raises if it does not fit
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for step, skip in zip(self.up, reversed(skips), strict=True):
            x = step(x, skip)
        return self.head(x)
