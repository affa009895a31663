"""tools.notebooks: syncing a chapter's Colab notebook with its source."""

from __future__ import annotations

from pathlib import Path

import nbformat

from tools.notebooks import problems, sync

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def write_chapter(path: Path, cells: list[str]) -> Path:
    body = "\n\n".join(f"```{{code-cell}} ipython3\n{code}\n```" for code in cells)
    path.write_text(HEADER + "\n# A chapter\n\n" + body + "\n")
    return path


def cell_ids(notebook_file: Path) -> list[str]:
    return [cell.id for cell in nbformat.read(notebook_file, as_version=4).cells]


def test_sync_writes_a_notebook_without_problems(tmp_path: Path) -> None:
    chapter = write_chapter(tmp_path / "01_a.md", ["x = 1", "print(x)"])
    assert problems(chapter) == [f"{tmp_path / '01_a.ipynb'} is missing: run `make sync`"]
    notebook = sync(chapter)
    assert notebook == tmp_path / "01_a.ipynb"
    assert problems(chapter) == []
    write_chapter(chapter, ["x = 2", "print(x)"])
    assert "has drifted" in problems(chapter)[0]


def test_sync_keeps_the_ids_of_unchanged_cells(tmp_path: Path) -> None:
    chapter = write_chapter(tmp_path / "01_a.md", ["x = 1", "print(x)", "y = x"])
    before = cell_ids(sync(chapter))
    assert cell_ids(sync(chapter)) == before  # nothing changed: nothing in the file changes

    write_chapter(chapter, ["x = 1", "print(x + 1)", "y = x", "z = y"])
    after = cell_ids(sync(chapter))
    # Cells 0 (the title), 1 and 3 are unchanged; the edited and the new cell get new ids.
    assert [after[0], after[1], after[3]] == [before[0], before[1], before[3]]
    assert after[2] not in before and len(set(after)) == len(after)
    assert problems(chapter) == []


def test_repeated_cells_get_distinct_ids(tmp_path: Path) -> None:
    chapter = write_chapter(tmp_path / "01_a.md", ["plt.show()", "x = 1", "plt.show()"])
    sync(chapter)
    write_chapter(chapter, ["plt.show()", "x = 1", "plt.show()", "plt.show()"])
    ids = cell_ids(sync(chapter))
    assert len(set(ids)) == len(ids)
