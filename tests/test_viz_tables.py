"""unet_tutorial.viz.tables: the HTML table markup the chapters display."""

from __future__ import annotations

import pytest

from unet_tutorial.viz.tables import html_table


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
