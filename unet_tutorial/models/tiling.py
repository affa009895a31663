"""The paper's overlap-tile strategy: segment an image of any size with a valid-convolution U-Net.

The paper's network predicts a smaller output than its input (572 → 388), and only valid input
sizes fit. To segment an arbitrary H×W image, mirror-pad it by the network's margin on every side,
cut the padded image into overlapping input tiles, predict each tile, and place the tiles'
outputs side by side: the outputs do not overlap, the inputs do. Mirroring fills the missing
context at the image borders with a plausible continuation of the image.

One subtlety the paper leaves implicit: 2×2 pooling groups pixels in pairs, 2**depth apart at the
deepest level, so the network is only shift-equivariant by multiples of 2**depth. Tiles here
therefore start at multiples of 2**depth; the stitched result then equals, up to rounding, what
the network would give on the whole mirrored image in one pass (which the tests check).
"""

from __future__ import annotations

import math

import torch

from unet_tutorial.models.paper_unet import PaperUNet, paper_unet_sizes


def reflect_indices(size: int, before: int, after: int) -> torch.Tensor:
    """Indices into a side of ``size`` pixels that mirror it by ``before``/``after`` pixels.

    Mirroring excludes the edge pixel (like ``numpy.pad(mode="reflect")``) and repeats as often as
    needed, so the padding may be wider than the image. A one-pixel side is repeated.
    """
    if size < 1:
        raise ValueError(f"Cannot mirror a side of {size} pixels; it needs at least 1.")
    if size == 1:
        return torch.zeros(before + 1 + after, dtype=torch.long)
    period = 2 * (size - 1)
    positions = torch.arange(-before, size + after) % period
    return torch.where(positions < size, positions, period - positions)


def mirror_pad(x: torch.Tensor, top: int, bottom: int, left: int, right: int) -> torch.Tensor:
    """Mirror-pad an N×C×H×W batch: N×C×(top+H+bottom)×(left+W+right).

    Equal to ``F.pad(x, (left, right, top, bottom), mode="reflect")`` where that works, and also
    for padding wider than the image.
    """
    rows = reflect_indices(x.shape[-2], top, bottom).to(x.device)
    cols = reflect_indices(x.shape[-1], left, right).to(x.device)
    return x.index_select(-2, rows).index_select(-1, cols)


def tile_plan(image_size: int, tile_size: int, depth: int = 4) -> tuple[int, int, int]:
    """How one side is tiled: ``(margin, step, num_tiles)``.

    ``margin`` is the mirror padding before the image (half of input minus output tile),
    ``step`` the distance between tiles (the output tile size rounded down to a multiple of
    ``2**depth``) and ``num_tiles`` how many tiles cover ``image_size`` pixels.

    Raises:
        ValueError: when ``tile_size`` is not a valid input size, or its output is shorter than
            ``2**depth`` (the tiles could not advance).
    """
    out = paper_unet_sizes(tile_size, depth)[-1]
    step = out - out % 2**depth
    if step < 1:
        raise ValueError(
            f"Tile size {tile_size} gives a {out}-pixel output, too small to advance by a multiple"
            f" of {2**depth}; use a larger valid tile size."
        )
    return (tile_size - out) // 2, step, math.ceil(image_size / step)


@torch.no_grad()
def predict_tiled(
    model: PaperUNet, images: torch.Tensor, tile_size: int = 572, batch_size: int = 4
) -> torch.Tensor:
    """Segment N×C×H×W images of any size with the overlap-tile strategy.

    Args:
        model: a :class:`PaperUNet` (its ``depth`` decides the valid tile sizes).
        images: N×C×H×W batch of any size.
        tile_size: side of the square input tiles; must be a valid input size (572 as in the paper).
        batch_size: tiles predicted at once (memory versus speed).

    Returns:
        N×num_classes×H×W logits, one per input pixel.
    """
    if images.dim() != 4:
        raise ValueError(f"Expected an N×C×H×W batch, got shape {tuple(images.shape)}.")
    height, width = images.shape[-2:]
    margin, step, rows = tile_plan(height, tile_size, model.depth)
    _, _, cols = tile_plan(width, tile_size, model.depth)
    # Pad the bottom and right until the last tile's input fits: it starts (rows - 1) * step
    # pixels down and is tile_size pixels long.
    bottom = (rows - 1) * step + tile_size - margin - height
    right = (cols - 1) * step + tile_size - margin - width
    padded = mirror_pad(images, margin, bottom, margin, right)
    # A tile's corner in the padded image is its output's corner in the image.
    corners = [(r * step, c * step) for r in range(rows) for c in range(cols)]
    output = images.new_empty(len(images), model.num_classes, rows * step, cols * step)
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(corners), batch_size):
            chunk = corners[start : start + batch_size]
            tiles = [padded[..., r : r + tile_size, c : c + tile_size] for r, c in chunk]
            predictions = model(torch.cat(tiles))[..., :step, :step]
            for (r, c), prediction in zip(chunk, predictions.split(len(images)), strict=True):
                output[..., r : r + step, c : c + step] = prediction
    finally:
        model.train(was_training)
    return output[..., :height, :width]
