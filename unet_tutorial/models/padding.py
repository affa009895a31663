"""Pad an image batch to a multiple of a size, and crop a model's output back.

A U-Net whose encoder halves the map ``depth`` times needs a height and width divisible by
``2**depth``: otherwise a pooled map rounds down and its upsampled twin no longer matches the skip
connection. The padded models below pad the bottom and right edges up to the next multiple before
the encoder, then crop the logits back, so any input size gives an output of the same size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def padding_to_multiple(height: int, width: int, multiple: int) -> tuple[int, int]:
    """Rows and columns to add (bottom, right) so that both sides become multiples of ``multiple``.

    Raises:
        ValueError: when ``multiple`` is not a positive integer or a side is not positive.
    """
    if multiple < 1:
        raise ValueError(f"multiple must be a positive integer, got {multiple}.")
    if height < 1 or width < 1:
        raise ValueError(f"Image sides must be positive, got {height}x{width}.")
    return (-height) % multiple, (-width) % multiple


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad an N×C×H×W batch at the bottom and right so H and W divide by ``multiple``.

    Reflection padding keeps image statistics at the border (zeros would add a fake dark edge);
    when the input is too small to reflect, the edge pixels are repeated instead.

    Returns:
        The padded N×C×H'×W' batch and the original ``(H, W)`` to pass to :func:`crop_to`.
    """
    if x.dim() != 4:
        raise ValueError(f"Expected an N×C×H×W batch, got a tensor of shape {tuple(x.shape)}.")
    height, width = x.shape[-2:]
    pad_h, pad_w = padding_to_multiple(height, width, multiple)
    if pad_h or pad_w:
        mode = "reflect" if pad_h < height and pad_w < width else "replicate"
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
    return x, (height, width)


def crop_to(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The top-left ``size = (H, W)`` window of an N×C×H'×W' tensor.

    Undoes :func:`pad_to_multiple`, which pads only at the bottom and right.
    """
    height, width = size
    if x.shape[-2] < height or x.shape[-1] < width:
        raise ValueError(
            f"Cannot crop a {x.shape[-2]}x{x.shape[-1]} map to the larger size {height}x{width}."
        )
    return x[..., :height, :width]
