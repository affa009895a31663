"""Tables of multi-class results (chapter 12, ``evaluate``)."""

from __future__ import annotations

import html
from typing import Any

from unet_tutorial.report.tables import html_table


def class_scores_table(evaluation: Any) -> str:
    """Per-class IoU, Dice, precision and recall of a
    :class:`~unet_tutorial.evaluation.MulticlassEvaluation`, with each class's share of the true
    pixels, and a last row with the means over the classes (and the pixel accuracy)."""
    rows = [
        [
            html.escape(f"{row['index']} {row['name']}"),
            f"{100 * row['share']:.1f} %",
            f"{row['iou']:.3f}",
            f"{row['dice']:.3f}",
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
        ]
        for row in evaluation.per_class()
    ]
    summary = evaluation.summary
    rows.append(
        [
            "mean over the classes",
            f"pixel accuracy {summary['pixel_accuracy']:.3f}",
            f"{summary['mean_iou']:.3f}",
            f"{summary['mean_dice']:.3f}",
            "",
            "",
        ]
    )
    header = ["class", "share of the pixels", "IoU", "Dice", "precision", "recall"]
    return html_table(header, rows)
