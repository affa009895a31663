"""Figures of chapter 4 (skip connections): the two kinds of skip drawn as a diagram, the three
variants' predictions side by side, their training losses and the gradient-through-depth demo.

Every function returns a :class:`matplotlib.figure.Figure`; the caller shows or closes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from unet_tutorial.metrics import confusion_counts, scores_from_counts

__all__ = [
    "VARIANT_COLORS",
    "plot_skip_diagram",
    "plot_task_samples",
    "plot_skip_predictions",
    "plot_skip_curves",
    "plot_gradient_through_depth",
    "moving_average",
]

#: One colour per skip mode, used in every figure of the chapter.
VARIANT_COLORS = {"none": "tab:gray", "add": "tab:blue", "concat": "tab:orange"}

_ENCODER = "#cfe2f3"
_DECODER = "#fce5cd"
_LAYER = "#eeeeee"


def _box(ax: Axes, x: float, y: float, text: str, color: str, width: float = 1.6) -> None:
    """A rounded box centred on (x, y) with a label."""
    height = 0.7
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.05,rounding_size=0.12",
            facecolor=color,
            edgecolor="black",
            linewidth=1,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], **style) -> None:
    props = {"arrowstyle": "-|>", "color": "black", "linewidth": 1.2, "shrinkA": 0, "shrinkB": 0}
    props.update(style)
    ax.annotate("", xy=end, xytext=start, arrowprops=props)


def _additive_panel(ax: Axes) -> None:
    y = 0.0
    _box(ax, 0.0, y, "x\nC×H×W", _ENCODER, width=1.2)
    _box(ax, 2.0, y, "conv 3×3\nBN, ReLU", _LAYER)
    _box(ax, 4.2, y, "conv 3×3\nBN", _LAYER)
    ax.add_patch(plt.Circle((5.9, y), 0.3, facecolor="white", edgecolor="black"))
    ax.text(5.9, y, "+", ha="center", va="center", fontsize=14)
    _box(ax, 7.6, y, "ReLU → y\nC×H×W", _DECODER, width=1.6)
    _arrow(ax, (0.6, y), (1.2, y))
    _arrow(ax, (2.8, y), (3.4, y))
    _arrow(ax, (5.0, y), (5.6, y))
    _arrow(ax, (6.2, y), (6.8, y))
    # The identity path: x jumps over both convolutions and is added to their output.
    path = {"color": "tab:blue", "linewidth": 2}
    ax.plot([0.0, 0.0, 5.9], [y + 0.42, y + 1.0, y + 1.0], **path)
    _arrow(ax, (5.9, y + 1.0), (5.9, y + 0.3), **path)
    ax.text(
        3.0,
        y + 1.15,
        "identity: x is added, channel by channel",
        ha="center",
        fontsize=9,
        color="tab:blue",
    )
    ax.text(3.1, y - 0.75, "F(x)", ha="center", fontsize=9)
    ax.set_title("(a) additive skip (ResNet): y = relu(x + F(x)), same C channels", fontsize=10)
    ax.set_xlim(-1.0, 8.8)
    ax.set_ylim(-1.1, 1.6)


def _concat_panel(ax: Axes) -> None:
    top, bottom = 1.0, -0.4
    _box(ax, 0.0, top, "encoder\nC×H×W", _ENCODER, width=1.4)
    _box(ax, 0.0, bottom, "decoder\n2C×H/2×W/2", _DECODER, width=1.4)
    _box(ax, 2.3, bottom, "up-conv 2×2\nstride 2", _LAYER)
    # The concatenated tensor: two slabs stacked along the channel axis.
    for i, color in enumerate([_DECODER, _ENCODER]):
        ax.add_patch(
            Rectangle(
                (4.0 + 0.75 * i, bottom - 0.45), 0.75, 0.9, facecolor=color, edgecolor="black"
            )
        )
        ax.text(4.375 + 0.75 * i, bottom, "C", ha="center", va="center", fontsize=9)
    ax.text(4.75, bottom - 0.6, "upsampled | copied", ha="center", va="top", fontsize=8)
    ax.text(4.4, bottom + 0.55, "2C×H×W", ha="center", fontsize=9)
    _box(ax, 7.3, bottom, "conv 3×3 ×2\n→ C×H×W", _LAYER, width=1.7)
    _arrow(ax, (0.7, bottom), (1.5, bottom))
    _arrow(ax, (3.1, bottom), (4.0, bottom))
    _arrow(ax, (5.5, bottom), (6.45, bottom))
    # The skip: the encoder's map is copied over and stacked beside the upsampled one.
    path = {"color": "tab:orange", "linewidth": 2}
    ax.plot([0.7, 5.125], [top, top], **path)
    _arrow(ax, (5.125, top), (5.125, bottom + 0.45), **path)
    ax.text(
        2.9,
        top + 0.15,
        "copy: stacked along the channels",
        ha="center",
        fontsize=9,
        color="tab:orange",
    )
    ax.set_title("(b) concatenating skip (U-Net): channels C + C = 2C", fontsize=10)
    ax.set_xlim(-1.0, 8.8)
    ax.set_ylim(-1.4, 1.6)


def plot_skip_diagram() -> Figure:
    """A diagram of an additive (residual) skip next to a concatenating (U-Net) skip."""
    fig, axes = plt.subplots(2, 1, figsize=(8, 5.2))
    _additive_panel(axes[0])
    _concat_panel(axes[1])
    for ax in axes:
        ax.set_aspect("equal")
        ax.axis("off")
    fig.tight_layout()
    return fig


def _image(values: torch.Tensor) -> np.ndarray:
    return values.detach().float().cpu().reshape(values.shape[-2:]).numpy()


def plot_task_samples(images: torch.Tensor, masks: torch.Tensor, n: int = 4) -> Figure:
    """The first ``n`` images of the synthetic task (top row) above their masks (bottom row).

    Args:
        images: ``N×1×H×W`` images.
        masks: ``N×1×H×W`` 0/1 masks.
        n: columns.
    """
    if not 1 <= n <= len(images):
        raise ValueError(f"n must be between 1 and {len(images)}, got {n}.")
    fig, axes = plt.subplots(2, n, figsize=(1.8 * n, 3.8), squeeze=False)
    for col in range(n):
        axes[0, col].imshow(_image(images[col]), cmap="gray")
        axes[1, col].imshow(_image(masks[col]), cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_ylabel("image")
    axes[1, 0].set_ylabel("mask")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_skip_predictions(
    images: torch.Tensor,
    masks: torch.Tensor,
    runs: Mapping[str, Any],
    n: int = 3,
) -> Figure:
    """Input, true mask and each variant's predicted probability, one test image per row.

    The true boundary is drawn in red over every prediction; each prediction is titled with its
    IoU on that image.

    Args:
        images: ``N×1×H×W`` test images (the first ``n`` are shown).
        masks: ``N×1×H×W`` their 0/1 masks.
        runs: ``{skip: SkipRun}`` (see :mod:`unet_tutorial.experiments.skip_study`) whose
            ``test_probabilities`` hold at least ``n`` images.
        n: rows.
    """
    kept = min(len(run.test_probabilities) for run in runs.values())
    if n < 1 or n > min(kept, len(images)):
        raise ValueError(f"n must be between 1 and {min(kept, len(images))}, got {n}.")
    columns = 2 + len(runs)
    fig, axes = plt.subplots(n, columns, figsize=(1.8 * columns, 1.9 * n), squeeze=False)
    for row in range(n):
        mask = _image(masks[row])
        axes[row, 0].imshow(_image(images[row]), cmap="gray")
        axes[row, 1].imshow(mask, cmap="gray", vmin=0, vmax=1)
        for col, (skip, run) in enumerate(runs.items(), start=2):
            probability = run.test_probabilities[row]
            iou = scores_from_counts(confusion_counts(probability, masks[row], "probabilities"))
            ax = axes[row, col]
            ax.imshow(_image(probability), cmap="gray", vmin=0, vmax=1)
            ax.contour(mask, levels=[0.5], colors="tab:red", linewidths=0.7)
            ax.set_title(f"IoU {float(iou['iou'][0]):.2f}", fontsize=8)
            if row == 0:
                ax.set_title(f"skips: {skip}\nIoU {float(iou['iou'][0]):.2f}", fontsize=9)
        if row == 0:
            axes[row, 0].set_title("input", fontsize=9)
            axes[row, 1].set_title("true mask", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """The running mean of ``values`` over ``window`` points (shorter at the start)."""
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}.")
    values = np.asarray(values, dtype=float)
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    index = np.arange(1, len(values) + 1)
    start = np.maximum(index - window, 0)
    return (cumulative[index] - cumulative[start]) / (index - start)


def plot_skip_curves(runs: Mapping[str, Any], window: int | None = None) -> Figure:
    """Training loss against the step, one line per variant, smoothed by a moving average.

    Args:
        runs: ``{skip: SkipRun}`` (see :mod:`unet_tutorial.experiments.skip_study`).
        window: moving-average window; by default a twentieth of the steps.
    """
    steps = max(len(run.losses) for run in runs.values())
    window = window or max(1, steps // 20)
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for skip, run in runs.items():
        step = np.arange(1, len(run.losses) + 1)
        ax.plot(
            step, moving_average(run.losses, window), color=VARIANT_COLORS.get(skip), label=skip
        )
    ax.set(xlabel="step", ylabel="training loss (BCE)", title="training loss")
    ax.grid(alpha=0.3)
    ax.legend(title="skips", fontsize=8)
    fig.tight_layout()
    return fig


#: Below this gradient norm a stack has lost its gradient: :func:`plot_gradient_through_depth`'s
#: right panel shows the norms above it.
VANISHED = 1e-2


def _depth_style(label: str) -> dict[str, Any]:
    """Line style of a setting of the depth demo: colour for the addition (blue residual, grey
    plain, as in the chapter's other figures), line and marker for what else is set."""
    color = VARIANT_COLORS["add"] if "residual" in label else VARIANT_COLORS["none"]
    if "BN" in label:
        line, marker = "--", "s"
    elif "He" in label:
        line, marker = ":", "^"
    else:
        line, marker = "-", "o"
    return {"color": color, "linestyle": line, "marker": marker, "markersize": 7, "linewidth": 2}


def plot_gradient_through_depth(
    depths: Sequence[int], norms: Mapping[str, Sequence[float]]
) -> Figure:
    """Gradient norm reaching the input of stacks of blocks against the number of blocks.

    Two panels with log-scaled norms: every setting over its whole range (left), and the norms
    above :data:`VANISHED` (right), where the settings that keep their gradient would otherwise
    lie on top of each other. A legend below names each setting.

    Args:
        depths: the stack depths (x axis).
        norms: ``{label: one norm per depth}``, e.g. from
            :func:`unet_tutorial.analysis.gradients.gradient_through_depth`; labels containing
            "residual" are drawn in blue, others in grey; those containing "BN" dashed with
            squares, those containing "He" dotted with triangles, the rest solid with circles.
    """
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    kept = [v for values in norms.values() for v in values if v >= VANISHED]
    for ax in axes:
        for label, values in norms.items():
            ax.plot(depths, values, label=label, **_depth_style(label))
        ax.set_yscale("log")
        ax.set_xticks(list(depths))
        ax.set(xlabel="blocks stacked")
        ax.grid(alpha=0.3)
    axes[0].set(ylabel="gradient norm at the input", title="every setting")
    axes[1].set_title(f"zoomed: norms above {VANISHED:g}")
    if kept:
        axes[1].set_ylim(min(kept) / 1.5, max(kept) * 1.5)
    handles, labels = axes[0].get_legend_handles_labels()
    rows = 2 if len(labels) > 3 else 1
    fig.legend(handles, labels, loc="lower center", ncol=-(-len(labels) // rows), frameon=False)
    fig.tight_layout(rect=(0, (0.1 + 0.25 * rows) / fig.get_figheight(), 1, 1))
    return fig
