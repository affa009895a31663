"""HTML tables for the chapters' results (``IPython.display.HTML``).

The book's renderer shows a ``text/markdown`` output as CommonMark, which has no tables, so the
chapters display tables as HTML. :func:`html_table` assembles the markup once; each caller formats
its own cells (and escapes the text it did not write itself).
"""

from __future__ import annotations

from collections.abc import Sequence


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
