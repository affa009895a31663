"""The paper's valid-convolution U-Net made to output one logit per input pixel, for training.

:func:`~unet_tutorial.models.tiling.predict_tiled` applies the overlap-tile strategy at prediction
time. Training on whole (resized) images needs the same thing in one tile: mirror-pad the batch by
the network's margin (92 pixels per side at depth 4) plus whatever rounds the side up to a valid
input size, run the network, and keep the top-left H×W of its output. The network itself is
unchanged (valid convolutions, cropping skips); it just sees mirrored context at the borders, as
in the paper, and its cost grows with the padded size (316×316 inputs for a 128×128 output).
"""

from __future__ import annotations

import torch
from torch import nn

from unet_tutorial.models.paper_unet import PaperUNet, is_valid_input_size, output_size
from unet_tutorial.models.tiling import mirror_pad


def padded_input_side(side: int, depth: int = 4) -> int:
    """The smallest valid input side of the paper's U-Net whose output covers ``side`` pixels."""
    if side < 1:
        raise ValueError(f"An image side must be positive, got {side}.")
    candidate = side
    while not (is_valid_input_size(candidate, depth) and output_size(candidate, depth) >= side):
        candidate += 1
    return candidate


class MirrorPaddedUNet(nn.Module):
    """Wrap a :class:`~unet_tutorial.models.paper_unet.PaperUNet` so any H×W input gives H×W logits.

    Args:
        unet: the paper's network (valid convolutions).

    Shapes: N×C×H×W → N×num_classes×H×W. The input is mirror-padded to
    ``padded_input_side(H)`` × ``padded_input_side(W)`` with the network's margin at the top and
    left, so output pixel (i, j) is the network's prediction for input pixel (i, j).
    """

    def __init__(self, unet: PaperUNet) -> None:
        super().__init__()
        self.unet = unet
        self.in_channels = unet.in_channels
        self.num_classes = unet.num_classes
        self.depth = unet.depth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"Expected an N×C×H×W batch, got shape {tuple(x.shape)}.")
        height, width = x.shape[-2:]
        rows, cols = padded_input_side(height, self.depth), padded_input_side(width, self.depth)
        margin_h = (rows - output_size(rows, self.depth)) // 2
        margin_w = (cols - output_size(cols, self.depth)) // 2
        padded = mirror_pad(
            x, margin_h, rows - height - margin_h, margin_w, cols - width - margin_w
        )
        return self.unet(padded)[..., :height, :width]
