"""unet_tutorial.report.tables: the HTML tables the chapters display."""

from __future__ import annotations

import pytest

from unet_tutorial.evaluation import NativeEvaluation
from unet_tutorial.report.tables import html_table, scores_table


def test_rows_get_a_header_cell_unless_asked_not_to() -> None:
    header, rows = ["model", "IoU"], [["a", "0.5"], ["b", "0.7"]]
    assert html_table(header, rows) == (
        "<table><thead><tr><th>model</th><th>IoU</th></tr></thead><tbody>"
        "<tr><th>a</th><td>0.5</td></tr><tr><th>b</th><td>0.7</td></tr></tbody></table>"
    )
    plain = html_table(header, rows, row_headers=False)
    assert "<tr><td>a</td><td>0.5</td></tr>" in plain and plain.count("<th>") == 2


def test_a_row_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="row 1 has 1 cells but the header has 2"):
        html_table(["model", "IoU"], [["a", "0.5"], ["b"]])


def test_scores_table_shows_micro_scores_with_the_mean_per_image() -> None:
    summary = {n: 0.5 for n in ("iou", "dice", "precision", "recall", "pixel_accuracy")}
    summary |= {f"per_image_{n}": 0.25 for n in list(summary)}
    table = scores_table({"after training": NativeEvaluation(summary, ["a", "b"])})
    assert "<th>after training</th><td>2</td><td>0.500 (0.250)</td>" in table


def test_plans_table_has_a_column_per_profile() -> None:
    from unet_tutorial.profiles import PROFILES
    from unet_tutorial.report.tables import plans_table

    table = plans_table(PROFILES["gpu"], PROFILES["cpu"])
    assert "<th>gpu</th><th>cpu</th>" in table
    assert "<th>model</th>" in table and "Attention U-Net (width 8)" in table
