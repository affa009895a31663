"""Figures of multi-class segmentation (chapter 12): class maps in colour, coloured overlays,
the confusion matrix.

Class maps are ``H×W`` arrays of class indices; a
:class:`~unet_tutorial.data.classes.ClassTable` gives each class its name and display colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from unet_tutorial.data.classes import ClassTable
from unet_tutorial.viz.overlay import tint
from unet_tutorial.viz.training import to_uint8_rgb


def class_colors(labels: Any, table: ClassTable) -> np.ndarray:
    """An ``H×W`` class map drawn in the classes' display colours: ``H×W×3`` uint8."""
    palette = np.asarray(table.display, dtype=np.uint8)
    return palette[np.asarray(labels, dtype=np.intp)]


def class_overlay(image: Any, labels: Any, table: ClassTable) -> np.ndarray:
    """The photo with every class but class 0 tinted in its colour (what ``predict`` writes as
    ``<name>_overlay.png`` for a multi-class network): ``H×W×3`` uint8."""
    return tint(to_uint8_rgb(image), np.asarray(labels), table)


def _legend(fig: Figure, table: ClassTable) -> None:
    handles = [
        Patch(color=np.asarray(color) / 255, label=f"{index} {name}")
        for index, (name, color) in enumerate(zip(table.names, table.display, strict=True))
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, fontsize=9)


def _panels(rows: Sequence[Sequence[np.ndarray]], headers: Sequence[str], table: ClassTable):
    height, width = np.asarray(rows[0][0]).shape[:2]
    columns = len(headers)
    fig, axes = plt.subplots(
        len(rows),
        columns,
        figsize=(2.6 * columns, 2.6 * height / width * len(rows) + 0.7),
        squeeze=False,
    )
    for r, pictures in enumerate(rows):
        for c, picture in enumerate(pictures):
            axes[r, c].imshow(picture)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if r == 0:
                axes[r, c].set_title(headers[c], fontsize=10)
    _legend(fig, table)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def plot_class_samples(images: Sequence[Any], labels: Sequence[Any], table: ClassTable) -> Figure:
    """Photos beside their class maps, in columns of pairs (one row per sample)."""
    if not images or len(images) != len(labels):
        raise ValueError("need as many class maps as images, at least one.")
    rows = [
        [to_uint8_rgb(image), class_colors(label, table)]
        for image, label in zip(images, labels, strict=True)
    ]
    return _panels(rows, ["photo", "classes"], table)


def plot_class_predictions(
    images: Sequence[Any], truths: Sequence[Any], predictions: Sequence[Any], table: ClassTable
) -> Figure:
    """One row per image: the photo, the true classes, the predicted classes, and the overlay
    ``predict`` writes (the predicted classes but class 0 tinted on the photo)."""
    if not images or not len(images) == len(truths) == len(predictions):
        raise ValueError("need as many true and predicted class maps as images.")
    rows = [
        [
            to_uint8_rgb(image),
            class_colors(truth, table),
            class_colors(prediction, table),
            class_overlay(image, prediction, table),
        ]
        for image, truth, prediction in zip(images, truths, predictions, strict=True)
    ]
    return _panels(rows, ["photo", "true classes", "predicted classes", "overlay"], table)


def plot_confusion(matrix: Any, names: Sequence[str]) -> Figure:
    """The confusion matrix, each row (true class) divided by its sum: which share of each
    class's pixels went to each predicted class. Cells show the share in per cent."""
    counts = np.asarray(matrix, dtype=np.float64)
    totals = counts.sum(1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    size = 1.1 * len(names) + 1.6
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(names)):
        for j in range(len(names)):
            color = "white" if shares[i, j] > 0.6 else "black"
            ax.text(j, i, f"{100 * shares[i, j]:.1f}%", ha="center", va="center", color=color)
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    fig.tight_layout()
    return fig
