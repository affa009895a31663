"""HTML tables of the book's results (shown with ``IPython.display.HTML``).

The book's renderer shows a ``text/markdown`` output as CommonMark, which has no tables, so the
chapters display tables as HTML. :func:`html_table` assembles the markup once; each table below
formats its own cells (and escapes the text it did not write itself).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from unet_tutorial.metrics import SCORE_NAMES


def html_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, row_headers: bool = True
) -> str:
    """``<table>`` markup: one header row, then one row per entry of ``rows``.

    Args:
        header: the column titles (HTML).
        rows: the cells of each row, already formatted (HTML).
        row_headers: mark the first cell of each row as a header (``<th>``), as for a row's name.

    Raises:
        ValueError: when a row's length differs from the header's.
    """
    for index, cells in enumerate(rows):
        if len(cells) != len(header):
            raise ValueError(
                f"row {index} has {len(cells)} cells but the header has {len(header)}."
            )
    head = "".join(f"<th>{title}</th>" for title in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<th>{cell}</th>" if row_headers and column == 0 else f"<td>{cell}</td>"
            for column, cell in enumerate(cells)
        )
        + "</tr>"
        for cells in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def scores_table(evaluations: Mapping[str, Any]) -> str:
    """Test scores, one row per :class:`~unet_tutorial.evaluation.NativeEvaluation`: micro
    scores, with the mean over images in brackets."""
    names = ["IoU", "Dice", "precision", "recall", "pixel accuracy"]
    rows = [
        [label, str(len(evaluation.ids))]
        + [
            f"{evaluation.summary[n]:.3f} ({evaluation.summary['per_image_' + n]:.3f})"
            for n in SCORE_NAMES
        ]
        for label, evaluation in evaluations.items()
    ]
    return html_table(["", "test photos", *names], rows)


def comparison_records(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Chapter 11's rows (:class:`~unet_tutorial.experiments.comparison.ComparisonRow`) as dicts
    with readable column names and display values (rounded numbers; scores as text)."""
    return [
        {
            "model": row.name,
            "parameters (M)": round(row.parameters / 1e6, 2),
            "trainable (M)": round(row.trainable / 1e6, 2),
            "train img/s": round(row.train_images_per_s, 1),
            "infer img/s": round(row.infer_images_per_s, 1),
            "test IoU [95 % interval]": (
                f"{row.test_iou:.3f} [{row.test_iou_low:.2f}, {row.test_iou_high:.2f}]"
            ),
            "test Dice": f"{row.test_dice:.3f}",
            "precision / recall": f"{row.test_precision:.2f} / {row.test_recall:.2f}",
            "IoU per image": f"{row.test_iou_per_image:.3f}",
            "train min": round(row.train_minutes, 1),
            "best epoch": f"{row.best_epoch}/{row.epochs_run}",
        }
        for row in rows
    ]


def comparison_table(rows: Sequence[Any]) -> str:
    """Chapter 11's comparison as an HTML table, the model's name as each row's header."""
    records = comparison_records(rows)
    if not records:
        raise ValueError("comparison_table needs at least one row.")
    header = [html.escape(key) for key in records[0]]
    cells = [
        [html.escape(str(value)) if key == "model" else str(value) for key, value in r.items()]
        for r in records
    ]
    return html_table(header, cells)


def choice_table(result: Mapping[str, Any]) -> str:
    """A model-choice measurement (:mod:`unet_tutorial.experiments.model_choice`) as an HTML
    table, the chosen row marked."""
    chosen = result["chosen"]
    header = [
        "candidate",
        "ms per training image",
        "epochs in the budget",
        "training seconds",
        "best val IoU",
        "test IoU",
        "test Dice",
    ]
    rows = []
    for row in result["rows"]:
        label = html.escape(row["label"])
        if all(row[k] == v for k, v in chosen.items()):
            label = f"<strong>{label} (chosen)</strong>"
        rows.append(
            [
                label,
                f"{row['ms_per_image']:.0f}",
                str(row["epochs"]),
                f"{row['train_seconds']:.0f}",
                f"{row['val_iou']:.3f}",
                f"{row['test_iou']:.3f}",
                f"{row['test_dice']:.3f}",
            ]
        )
    return html_table(header, rows)


def _spread(values: Mapping[str, float], digits: int = 3) -> str:
    """``mean (min–max)``; the mean alone for one value."""
    if values["min"] == values["max"]:
        return f"{values['mean']:.{digits}f}"
    return f"{values['mean']:.{digits}f} ({values['min']:.{digits}f}–{values['max']:.{digits}f})"


def variants_table(result: Mapping[str, Any]) -> str:
    """A recipe measurement (:mod:`unet_tutorial.experiments.recipe_choice`) as an HTML table:
    one row per variant, each score the mean over its seeds with the lowest and highest in
    brackets, the chosen variant marked; the epochs each seed's run lasted."""
    header = [
        "variant",
        "seeds",
        "epochs run",
        "best val IoU",
        "test IoU",
        "test IoU, flip TTA",
        "val IoU jitter",
        "training seconds",
    ]
    rows = []
    for name, summary in result["summary"].items():
        label = html.escape(name)
        if name == result["chosen"]:
            label = f"<strong>{label} (chosen)</strong>"
        runs = [row for row in result["rows"] if row["variant"] == name]
        rows.append(
            [
                label,
                ", ".join(str(row["seed"]) for row in runs),
                ", ".join(str(row["epochs_run"]) for row in runs),
                _spread(summary["val_iou"]),
                _spread(summary["test_iou"]),
                _spread(summary["test_iou_flip"]),
                _spread(summary["val_jitter"]),
                _spread(summary["train_seconds"], 0),
            ]
        )
    return html_table(header, rows)


def plans_table(*profiles: Any) -> str:
    """The flood segmenter's training plans of several profiles side by side, one column per
    profile (the rows of :func:`unet_tutorial.report.text.plan_summary`)."""
    from unet_tutorial.report.text import plan_summary

    plans = [plan_summary(profile) for profile in profiles]
    header = ["", *(html.escape(profile.name) for profile in profiles)]
    rows = [[html.escape(key)] + [html.escape(plan[key]) for plan in plans] for key in plans[0]]
    return html_table(header, rows).replace("<td>", '<td style="text-align:left">')
