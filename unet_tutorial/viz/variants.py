"""Diagrams of the U-Net variants (chapter 11), drawn with matplotlib boxes and arrows.

- :func:`plot_unetpp_grid`: the U-Net++ grid of nodes ``X^{i,j}`` with its dense skip pathways,
  the plain U-Net's path picked out, and the deep-supervision heads.
- :func:`plot_attention_unet`: a U-Net whose skip connections pass through attention gates, beside
  the inside of one additive attention gate.
- :func:`plot_vnet_stages`: the V-Net-style stages: residual stages, strided-convolution
  downsampling, transposed-convolution upsampling.
- :func:`plot_attention_maps`: photos, true masks and the Attention U-Net's coefficients;
  :func:`plot_attention_examples` picks the photos and computes the coefficients first.

Every function returns a :class:`matplotlib.figure.Figure`; the caller shows or closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from torch import nn

from unet_tutorial.analysis.attention import attention_examples

# Okabe-Ito colours (colour-blind safe), one meaning each across the three diagrams.
PLAIN_COLOR = "#0072B2"  # the plain U-Net's nodes and paths
NEW_COLOR = "#E69F00"  # what the variant adds
SKIP_COLOR = "#009E73"  # skip connections
DOWN_COLOR = "#D55E00"  # downsampling
UP_COLOR = "#56B4E9"  # upsampling
GRAY = "#555555"

__all__ = [
    "unetpp_node_position",
    "plot_unetpp_grid",
    "plot_attention_unet",
    "plot_vnet_stages",
    "plot_attention_maps",
    "plot_attention_examples",
]


def _check_depth(depth: int) -> None:
    if not 1 <= depth <= 6:
        raise ValueError(f"depth must be between 1 and 6 for a readable diagram, got {depth}.")


def _box(
    ax: Axes,
    center: tuple[float, float],
    text: str,
    color: str,
    width: float = 1.0,
    height: float = 0.55,
    fontsize: float = 9,
    text_color: str = "white",
) -> None:
    x, y = center
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=color,
            edgecolor="black",
            linewidth=0.8,
            zorder=3,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=text_color, zorder=4)


def _clip(
    center: tuple[float, float], toward: tuple[float, float], size: tuple[float, float] | None
) -> tuple[float, float]:
    """Where the segment from ``center`` to ``toward`` leaves a box of ``size`` = (w, h)."""
    if size is None:
        return center
    dx, dy = toward[0] - center[0], toward[1] - center[1]
    limits = [size[0] / 2 / abs(dx) if dx else np.inf, size[1] / 2 / abs(dy) if dy else np.inf]
    # plus a small fixed gap, so the arrowhead is not drawn over the box's edge
    t = min(1.0, *limits) + 0.05 / max(np.hypot(dx, dy), 1e-9)
    return center[0] + t * dx, center[1] + t * dy


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    color: str,
    rad: float = 0.0,
    linewidth: float = 1.4,
    linestyle: str = "-",
    boxes: tuple[tuple[float, float] | None, tuple[float, float] | None] = (None, None),
) -> None:
    """An arrow from ``start`` to ``end``; ``boxes`` = sizes of the boxes centred there, if any,
    so that the arrow starts and ends at their edges rather than under them."""
    tail, head = _clip(start, end, boxes[0]), _clip(end, start, boxes[1])
    ax.add_patch(
        FancyArrowPatch(
            tail,
            head,
            arrowstyle="-|>",
            mutation_scale=13,
            color=color,
            linewidth=linewidth,
            linestyle=linestyle,
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=0,
            shrinkB=0,
            zorder=2,
        )
    )


def _legend(ax: Axes, entries: Sequence[tuple[str, str, str]], loc: str, ncol: int = 1) -> None:
    handles = [
        Line2D([0], [0], color=color, linewidth=2, linestyle=style, label=label)
        for label, color, style in entries
    ]
    ax.legend(handles=handles, loc=loc, fontsize=8, frameon=False, ncol=ncol)


def _finish(ax: Axes, title: str) -> None:
    ax.set_title(title, fontsize=11)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.autoscale_view()


def unetpp_node_position(level: int, column: int) -> tuple[float, float]:
    """Where node ``X^{level,column}`` sits in :func:`plot_unetpp_grid`: (x, y) in data units.

    The encoder runs down to the right, each column of decoder nodes climbs back up, so the
    plain U-Net is the outer "V" and the nested nodes fill it.
    """
    return float(level + 2 * column), float(-level)


NODE = (0.9, 0.5)  # width and height of a U-Net++ node box, in data units


def plot_unetpp_grid(depth: int = 4, deep_supervision: bool = True) -> Figure:
    """The U-Net++ grid of nodes ``X^{i,j}`` (level i, column j) for a given ``depth``.

    Blue nodes form the plain U-Net (encoder ``X^{i,0}`` and decoder ``X^{depth-j,j}``); orange
    nodes are the ones U-Net++ adds. Green arrows are the skip connections (solid: from the
    previous node of the level; dashed arcs: the dense connections from earlier nodes), red arrows
    max pooling, light-blue arrows 2×2 up-convolutions. With ``deep_supervision`` each top-row node
    carries a 1×1 output head, otherwise only ``X^{0,depth}``.
    """
    _check_depth(depth)
    fig, ax = plt.subplots(figsize=(1.45 * (2 * depth + 1.5), 1.2 * (depth + 3)))
    plain = {(i, 0) for i in range(depth + 1)} | {(depth - j, j) for j in range(1, depth + 1)}
    for column in range(depth + 1):
        for level in range(depth + 1 - column):
            here = unetpp_node_position(level, column)
            color = PLAIN_COLOR if (level, column) in plain else NEW_COLOR
            _box(ax, here, f"$X^{{{level},{column}}}$", color, *NODE, fontsize=10)
            if column == 0 and level > 0:
                _arrow(ax, unetpp_node_position(level - 1, 0), here, DOWN_COLOR, boxes=(NODE, NODE))
            if column == 0:
                continue
            _arrow(
                ax, unetpp_node_position(level + 1, column - 1), here, UP_COLOR, boxes=(NODE, NODE)
            )
            _arrow(
                ax, unetpp_node_position(level, column - 1), here, SKIP_COLOR, boxes=(NODE, NODE)
            )
            for earlier in range(column - 1):
                (x0, y0), (x1, _) = unetpp_node_position(level, earlier), here
                top = y0 + NODE[1] / 2
                rad = -0.12 - 0.05 * (column - earlier)
                _arrow(
                    ax,
                    (x0 + 0.2, top),
                    (x1 - 0.2, top),
                    SKIP_COLOR,
                    rad=rad,
                    linewidth=0.9,
                    linestyle="--",
                )
    head_columns = range(1, depth + 1) if deep_supervision else [depth]
    head = (0.7, 0.4)
    for column in head_columns:
        x, y = unetpp_node_position(0, column)
        _box(ax, (x, y + 2.0), "1×1 head", GRAY, *head, fontsize=8)
        _arrow(ax, (x, y), (x, y + 2.0), GRAY, linewidth=1.0, boxes=(NODE, head))
    note = "deep supervision: an output head on every top-row node" if deep_supervision else ""
    ax.text(depth + 0.5, 2.6, note, ha="center", fontsize=9)
    _legend(
        ax,
        [
            ("plain U-Net nodes", PLAIN_COLOR, "-"),
            ("nodes U-Net++ adds", NEW_COLOR, "-"),
            ("skip (dashed: dense)", SKIP_COLOR, "-"),
            ("2×2 max pooling", DOWN_COLOR, "-"),
            ("2×2 up-convolution", UP_COLOR, "-"),
        ],
        loc="lower left",
    )
    _finish(ax, f"U-Net++ with depth {depth}: nested, dense skip pathways")
    ax.set_xlim(-1.2, 2 * depth + 0.8)
    ax.set_ylim(-depth - 0.6, 2.9)
    fig.tight_layout()
    return fig


def _draw_gate(ax: Axes) -> None:
    """The inside of an additive attention gate, left to right."""
    big, wide, op = (1.5, 0.8), (1.7, 0.8), (0.55, 0.55)
    nodes = {
        "x": ((0.0, 1.2), "skip $x$\nC×H×W", SKIP_COLOR, big),
        "g": ((0.0, -1.2), "gating $g$\nC'×H/2×W/2", PLAIN_COLOR, big),
        "wx": ((2.4, 1.2), "$W_x$: 2×2 conv\nstride 2", GRAY, wide),
        "wg": ((2.4, -1.2), "$W_g$: 1×1 conv", GRAY, wide),
        "sum": ((4.3, 0.0), "+", NEW_COLOR, op),
        "psi": ((5.9, 0.0), "ReLU\n$\\psi$: 1×1 conv\nsigmoid", NEW_COLOR, (1.6, 1.1)),
        "up": ((7.9, 0.0), "resample\n(bilinear ×2)", GRAY, big),
        "alpha": ((7.9, 1.9), "$\\alpha \\in [0, 1]$\n1×H×W", NEW_COLOR, big),
        "mul": ((9.6, 1.2), "×", NEW_COLOR, op),
        "out": ((11.3, 1.2), "gated skip:\n1×1 conv($\\alpha x$)", SKIP_COLOR, (2.0, 0.8)),
    }
    for center, text, color, size in nodes.values():
        fontsize = 14 if size == op else 9
        _box(ax, center, text, color, *size, fontsize=fontsize)
    links = [
        ("x", "wx"),
        ("g", "wg"),
        ("wx", "sum"),
        ("wg", "sum"),
        ("sum", "psi"),
        ("psi", "up"),
        ("up", "alpha"),
        ("alpha", "mul"),
        ("mul", "out"),
    ]
    for a, b in links:
        _arrow(ax, nodes[a][0], nodes[b][0], GRAY, boxes=(nodes[a][3], nodes[b][3]))
    (x0, y0), (x1, y1) = nodes["x"][0], nodes["mul"][0]
    _arrow(ax, (x0 + 0.3, y0 + 0.42), (x1 - 0.1, y1 + 0.3), SKIP_COLOR, rad=-0.3, linestyle="--")


def _u_positions(
    depth: int, step: float, rise: float, gap: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Centres of a U-shaped network's encoder and decoder nodes, level 0 at the top.

    Returns ``(encoder, decoder)``, ``depth + 1`` points each; the bottom node is shared
    (``encoder[depth] == decoder[depth]``)."""
    width = 2 * depth * step + gap
    encoder = [(level * step, -rise * level) for level in range(depth)]
    decoder = [(width - level * step, -rise * level) for level in range(depth)]
    bottom = (width / 2, -rise * depth)
    return [*encoder, bottom], [*decoder, bottom]


def plot_attention_unet(depth: int = 4) -> Figure:
    """Left: a U-Net whose skip connections pass through attention gates (AG), each gated by the
    decoder map one level below (dotted). Right: the inside of one additive attention gate."""
    _check_depth(depth)
    fig, (ax_u, ax_gate) = plt.subplots(
        1, 2, figsize=(14.0, 4.4), gridspec_kw={"width_ratios": [1.0, 1.45]}
    )
    encoder, decoder = _u_positions(depth, step=0.6, rise=1.1, gap=3.0)
    node, gate = (1.0, 0.5), (0.7, 0.45)
    for level in range(depth + 1):
        _box(ax_u, encoder[level], f"enc {level}", PLAIN_COLOR, *node, fontsize=8)
        if level == depth:
            break
        _box(ax_u, decoder[level], f"dec {level}", PLAIN_COLOR, *node, fontsize=8)
        mid = ((encoder[level][0] + decoder[level][0]) / 2, encoder[level][1])
        _box(ax_u, mid, "AG", NEW_COLOR, *gate, fontsize=8)
        _arrow(ax_u, encoder[level], encoder[level + 1], DOWN_COLOR, boxes=(node, node))
        _arrow(ax_u, decoder[level + 1], decoder[level], UP_COLOR, boxes=(node, node))
        _arrow(ax_u, encoder[level], mid, SKIP_COLOR, boxes=(node, gate))
        _arrow(ax_u, mid, decoder[level], SKIP_COLOR, boxes=(gate, node))
        _arrow(
            ax_u,
            decoder[level + 1],
            mid,
            NEW_COLOR,
            rad=-0.2,
            linewidth=1.0,
            linestyle=":",
            boxes=(node, gate),
        )
    _legend(
        ax_u,
        [
            ("skip through the gate", SKIP_COLOR, "-"),
            ("gating signal", NEW_COLOR, ":"),
            ("max pooling", DOWN_COLOR, "-"),
            ("up-convolution", UP_COLOR, "-"),
        ],
        loc="lower left",
    )
    _finish(ax_u, "Attention U-Net: a gate (AG) on every skip")
    ax_u.set_xlim(-0.7, decoder[0][0] + 0.7)
    ax_u.set_ylim(-1.1 * depth - 1.7, 0.9)
    _draw_gate(ax_gate)
    _finish(ax_gate, "Inside one additive attention gate")
    ax_gate.set_xlim(-1.0, 12.5)
    ax_gate.set_ylim(-1.9, 3.1)
    fig.tight_layout()
    return fig


def plot_vnet_stages(depth: int = 4, base_channels: int = 32) -> Figure:
    """The V-Net-style U-Net as stages: each box is a residual stage (its 3×3 convolutions and
    channels) and the orange loop over it its residual shortcut; red arrows are 2×2 convolutions
    with stride 2 (they replace max pooling), light-blue arrows 2×2 transposed convolutions, green
    arrows the concatenated skips."""
    _check_depth(depth)
    from unet_tutorial.models.vnet_style import convs_per_stage

    fig, ax = plt.subplots(figsize=(11.0, 1.1 * (depth + 1) + 1.2))
    encoder, decoder = _u_positions(depth, step=1.1, rise=1.3, gap=3.0)
    stage = (1.6, 0.7)
    for level in range(depth + 1):
        label = f"{convs_per_stage(level)}× conv 3×3\n{base_channels * 2**level} channels"
        for x, y in [encoder[level]] if level == depth else [encoder[level], decoder[level]]:
            _box(ax, (x, y), label, PLAIN_COLOR, *stage, fontsize=8)
            _arrow(
                ax, (x - 0.55, y + 0.36), (x + 0.55, y + 0.36), NEW_COLOR, rad=-0.6, linewidth=1.2
            )
        if level < depth:
            _arrow(ax, encoder[level], decoder[level], SKIP_COLOR, boxes=(stage, stage))
            _arrow(ax, encoder[level], encoder[level + 1], DOWN_COLOR, boxes=(stage, stage))
            _arrow(ax, decoder[level + 1], decoder[level], UP_COLOR, boxes=(stage, stage))
    _legend(
        ax,
        [
            ("residual shortcut: out = x + F(x)", NEW_COLOR, "-"),
            ("2×2 conv, stride 2 (no pooling)", DOWN_COLOR, "-"),
            ("2×2 transposed conv", UP_COLOR, "-"),
            ("skip (concatenate)", SKIP_COLOR, "-"),
        ],
        loc="lower left",
    )
    _finish(ax, "V-Net-style U-Net in 2D: residual stages, strided convolutions down")
    ax.set_xlim(-1.0, decoder[0][0] + 1.0)
    ax.set_ylim(-1.3 * depth - 0.6, 1.0)
    fig.tight_layout()
    return fig


def plot_attention_maps(
    images: Sequence[np.ndarray],
    masks: Sequence[np.ndarray],
    attention: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    gate_names: Sequence[str] | None = None,
) -> Figure:
    """One row per image: the photo, its true mask, and attention coefficients over the photo.

    Args:
        images: display images, H×W×3 floats in [0, 1] (de-normalized) or uint8.
        masks: true masks, H×W arrays of 0/1.
        attention: per image, the coefficients in [0, 1] upsampled to the image's size: H×W for
            one gate or K×H×W for K gates (one panel each).
        titles: optional label per row (for example the photo's id).
        gate_names: optional label per gate (for example "gate at 1/1").
    """
    if not (len(images) == len(masks) == len(attention)) or not images:
        raise ValueError(
            f"Need as many images, masks and attention maps (at least one); got {len(images)}, "
            f"{len(masks)} and {len(attention)}."
        )
    maps = [
        np.asarray(a, dtype=float).reshape(-1, *np.shape(m)[-2:])
        for a, m in zip(attention, masks, strict=True)
    ]
    gates = maps[0].shape[0]
    names = list(gate_names) if gate_names else [f"gate {k + 1}" for k in range(gates)]
    if len(names) != gates:
        raise ValueError(f"{len(names)} gate names for {gates} attention maps per image.")
    rows = len(images)
    fig, axes = plt.subplots(
        rows, 2 + gates, figsize=(2.7 * (2 + gates), 2.4 * rows), squeeze=False
    )
    for row, (image, mask, alphas) in enumerate(zip(images, masks, maps, strict=True)):
        axes[row, 0].imshow(image)
        axes[row, 1].imshow(np.squeeze(mask), cmap="gray", vmin=0, vmax=1)
        axes[row, 0].set_title(titles[row] if titles else f"image {row + 1}", fontsize=9)
        axes[row, 1].set_title("true mask (white: water)", fontsize=9)
        for gate, alpha in enumerate(alphas):
            ax = axes[row, 2 + gate]
            ax.imshow(image)
            shown = ax.imshow(alpha, cmap="magma", vmin=0, vmax=1, alpha=0.7)
            ax.set_title(f"α, {names[gate]}", fontsize=9)
        for ax in axes[row]:
            ax.axis("off")
    fig.colorbar(shown, ax=axes[:, 2:], fraction=0.04, pad=0.02, label="α (0: suppressed)")
    return fig


def plot_attention_examples(model: nn.Module, dataset: Any, count: int = 3) -> Figure:
    """:func:`plot_attention_maps` for ``count`` photos of ``dataset``, from the least to the
    most water, with the coefficients of the finest and the coarsest gate of ``model`` (an
    :class:`~unet_tutorial.models.AttentionUNet`; see
    :func:`~unet_tutorial.analysis.attention.attention_examples`), each row titled with the
    photo's id and its share of water."""
    examples = attention_examples(model, dataset, count=count)
    titles = [
        f"{name} ({water:.0%} water)"
        for name, water in zip(examples.ids, examples.water, strict=True)
    ]
    return plot_attention_maps(
        examples.images, examples.masks, examples.attention, titles, examples.gate_names
    )
