"""The U-Net architecture diagram, drawn from the model's own layers (chapter 5).

:func:`plot_unet_architecture` runs :func:`~unet_tutorial.models.summary.summarize` on a
:class:`~unet_tutorial.models.paper_unet.PaperUNet` and draws every feature map it records as a
box, in the style of the paper's Figure 1: the contracting path goes down on the left, the
expansive path comes up on the right, and grey arrows carry the cropped copies across.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle

from unet_tutorial.models.paper_unet import PaperUNet
from unet_tutorial.models.summary import summarize

#: Arrow colour and legend label per operation, as in the paper's figure.
ARROWS = {
    "conv": ("#1f4e9c", "conv 3×3, ReLU"),
    "copy": ("#8c8c8c", "copy and crop"),
    "pool": ("#c0392b", "max pool 2×2"),
    "up": ("#27ae60", "up-conv 2×2"),
    "head": ("#16a085", "conv 1×1"),
}
_MAP_GAP = 0.55  # horizontal distance between two maps of one level
_ROW_GAP = 1.6  # vertical distance between levels
_LABEL = 0.22  # room left for a label above or below a box


@dataclass
class _Map:
    x: float
    level: int
    channels: int
    size: int
    copied: int = 0  # channels that came through the skip connection (drawn white)


def _width(channels: int) -> float:
    return 0.08 + 0.033 * np.log2(max(channels, 1))


def _height(size: int, input_size: int) -> float:
    return 0.25 + 0.8 * size / input_size


def _layout(model: PaperUNet, input_size: int) -> tuple[list[_Map], list[tuple[int, int, str]]]:
    """Feature maps (boxes) and operations (arrows between box indices) of the model.

    A convolution puts its output to the right of its input; pooling and up-convolution put
    theirs straight below or above, so the two paths form the U.
    """
    table = summarize(model, (1, model.in_channels, input_size, input_size))
    maps = [_Map(0.0, 0, model.in_channels, input_size)]
    edges: list[tuple[int, int, str]] = []
    last_of_level: dict[int, int] = {}
    for row in table.rows:
        channels, size = row.output_shape[1], row.output_shape[-1]
        previous = len(maps) - 1
        here = maps[previous]
        if row.kind == "MaxPool2d":
            last_of_level[here.level] = previous
            maps.append(_Map(here.x, here.level + 1, channels, size))
            edges.append((previous, len(maps) - 1, "pool"))
        elif row.kind == "ConvTranspose2d":
            maps.append(_Map(here.x, here.level - 1, channels, size))
            edges.append((previous, len(maps) - 1, "up"))
        elif row.kind == "CropConcat":
            up = maps.pop()
            maps.append(_Map(up.x, up.level, channels, size, copied=channels - up.channels))
            edges.append((last_of_level[up.level], len(maps) - 1, "copy"))
        elif row.kind == "Conv2d":
            kind = "head" if row.name == "head" else "conv"
            maps.append(_Map(here.x + _MAP_GAP, here.level, channels, size))
            edges.append((previous, len(maps) - 1, kind))
    return maps, edges


def plot_unet_architecture(
    model: PaperUNet | None = None, input_size: int = 572, ax: Axes | None = None
) -> Figure:
    """Draw the paper's U-Net (the default model) or any :class:`PaperUNet` as the paper does.

    Each box is a feature map: its width grows with the number of channels (written above it), its
    height with the map's side (written below it). White parts of a box are the cropped copies
    from the contracting path.
    """
    model = model if model is not None else PaperUNet()
    maps, edges = _layout(model, input_size)
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 6.2), layout="constrained")
    else:
        fig = ax.figure
    for box in maps:
        width, height = _width(box.channels), _height(box.size, input_size)
        left, bottom = box.x - width / 2, -box.level * _ROW_GAP - height / 2
        copied = width * box.copied / box.channels
        if copied:
            ax.add_patch(Rectangle((left, bottom), copied, height, fc="white", ec="0.35"))
        ax.add_patch(
            Rectangle((left + copied, bottom), width - copied, height, fc="#9ecae1", ec="0.35")
        )
        ax.text(box.x, bottom + height + 0.03, str(box.channels), ha="center", va="bottom",
                fontsize=7.5)  # fmt: skip
        ax.text(box.x, bottom - 0.03, f"{box.size}²", ha="center", va="top", fontsize=7,
                color="0.3")  # fmt: skip
    for start, end, kind in edges:
        a, b = maps[start], maps[end]
        ya, yb = -a.level * _ROW_GAP, -b.level * _ROW_GAP
        if kind == "pool":  # straight down, between the size and the channel labels
            ya -= _height(a.size, input_size) / 2 + _LABEL
            yb += _height(b.size, input_size) / 2 + _LABEL
            xa = xb = a.x
        elif kind == "up":  # straight up, between the channel and the size labels
            ya += _height(a.size, input_size) / 2 + _LABEL
            yb -= _height(b.size, input_size) / 2 + _LABEL
            xa = xb = a.x
        else:
            xa, xb = a.x + _width(a.channels) / 2, b.x - _width(b.channels) / 2
        ax.add_patch(
            FancyArrowPatch(
                (xa, ya), (xb, yb), arrowstyle="-|>", mutation_scale=9, lw=1.4,
                color=ARROWS[kind][0], shrinkA=1, shrinkB=1,
            )
        )  # fmt: skip
    handles = [Line2D([], [], color=color, lw=2.5, label=label) for color, label in ARROWS.values()]
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
    xs = [box.x for box in maps]
    ax.set_xlim(min(xs) - 0.45, max(xs) + 0.35)
    ax.set_ylim(-model.depth * _ROW_GAP - 0.6, 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
