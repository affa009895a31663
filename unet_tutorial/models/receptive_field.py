"""Which input pixels one output pixel of the paper's U-Net can see (its receptive field).

The network is separable along rows and columns, so one dimension is enough: an output pixel at
``(row, col)`` sees the input rectangle ``receptive_interval(row) × receptive_interval(col)``.
The interval is traced backwards through every layer:

- a valid 3×3 convolution: output ``[a, b]`` reads input ``[a, b + 2]``;
- 2×2 max pooling with stride 2: output ``[a, b]`` reads input ``[2a, 2b + 1]``;
- a 2×2 up-convolution with stride 2: output ``[a, b]`` reads input ``[a // 2, b // 2]``;
- copy and crop: position ``i`` of the cropped map is position ``i + offset`` of the skip map,
  and concatenation joins what both branches see.

Because pooling groups pixels in pairs, the interval's width depends on the output pixel's position
modulo ``2**depth``: :func:`receptive_field_size` gives the largest one.
"""

from __future__ import annotations


def crop_offsets(depth: int = 4) -> list[int]:
    """Pixels cropped from each border of the skip map at every level, top level first.

    They do not depend on the input size: ``[88, 40, 16, 4]`` for depth 4.
    """
    offsets = [4]  # deepest level: the skip map is 8 pixels larger than its upsampled twin
    for _ in range(depth - 1):
        offsets.insert(0, 8 + 2 * offsets[0])
    return offsets


def _down_output(level: int, first: int, last: int) -> tuple[int, int]:
    """Input interval seen by positions ``[first, last]`` of contracting block ``level``."""
    last += 4  # two valid 3×3 convolutions
    if level == 0:
        return first, last
    return _down_output(level - 1, 2 * first, 2 * last + 1)  # undo the 2×2 pooling


def _up_output(level: int, depth: int, first: int, last: int) -> tuple[int, int]:
    """Input interval seen by positions ``[first, last]`` of the expansive step at ``level``."""
    last += 4  # two valid 3×3 convolutions on the concatenated map
    offset = crop_offsets(depth)[level]
    skip = _down_output(level, first + offset, last + offset)
    below = first // 2, last // 2  # the 2×2 up-convolution with stride 2
    if level == depth - 1:  # the map below is the bottleneck's output
        deeper = _down_output(depth - 1, 2 * below[0], 2 * (below[1] + 4) + 1)
    else:
        deeper = _up_output(level + 1, depth, *below)
    return min(skip[0], deeper[0]), max(skip[1], deeper[1])


def receptive_interval(output_index: int, depth: int = 4) -> tuple[int, int]:
    """First and last input index (inclusive) that output index ``output_index`` depends on.

    Indices are along one side of a valid input tile and its output (the 1×1 head adds nothing).
    Output pixel ``i`` sits at input pixel ``i + margin`` with ``margin = (input - output) / 2``
    (92 for depth 4), roughly in the middle of its interval.
    """
    if output_index < 0:
        raise ValueError(f"output_index must be non-negative, got {output_index}.")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}.")
    return _up_output(0, depth, output_index, output_index)


def receptive_field_size(depth: int = 4) -> int:
    """The widest receptive field, in input pixels, over all output positions (one side)."""
    widths = [b - a + 1 for a, b in map(lambda i: receptive_interval(i, depth), range(2**depth))]
    return max(widths)
