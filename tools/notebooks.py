"""Keep each chapter's Colab notebook (``.ipynb``) in step with its MyST-markdown source (``.md``).

Colab opens only ``.ipynb`` files from a repository, while the book is written in jupytext
MyST markdown. ``sync`` regenerates the notebooks (outputs stripped); ``check`` fails when a
notebook is missing, carries outputs, or differs from its source in any cell's type or code.

Command line::

    python -m tools.notebooks sync chapters/*.md
    python -m tools.notebooks check chapters/*.md
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import jupytext
import nbformat


def notebook_path(markdown: Path) -> Path:
    """The Colab notebook paired with a MyST chapter: same folder and name, ``.ipynb``."""
    return markdown.with_suffix(".ipynb")


def _cells_signature(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def render_notebook(markdown: Path) -> nbformat.NotebookNode:
    """The chapter as a notebook with no outputs, as it should be committed for Colab."""
    notebook = jupytext.read(markdown)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("jupytext", None)
    return notebook


def _keep_cell_ids(notebook: nbformat.NotebookNode, previous: nbformat.NotebookNode) -> None:
    """Give ``notebook``'s cells the ids of ``previous``'s cells with the same type and source.

    jupytext draws fresh random ids on every read; keeping the committed ones means a sync
    changes only the cells whose text changed, and the diff shows just those.
    """
    unused: dict[tuple[str, str], list[str]] = {}
    for cell in previous.cells:
        if "id" in cell:
            unused.setdefault((cell.cell_type, cell.source.strip()), []).append(cell.id)
    taken = {cell.id for cell in previous.cells if "id" in cell}
    for cell in notebook.cells:
        ids = unused.get((cell.cell_type, cell.source.strip()))
        if ids:
            cell.id = ids.pop(0)
        elif cell.get("id") in taken:  # a new cell must not reuse an id kept elsewhere
            cell.id = nbformat.v4.new_code_cell().id


def sync(markdown: Path) -> Path:
    """Write the chapter's notebook from its markdown source; return the notebook's path.

    Cells whose type and text are unchanged keep their ids from the notebook already there.
    """
    target = notebook_path(markdown)
    notebook = render_notebook(markdown)
    if target.is_file():
        _keep_cell_ids(notebook, nbformat.read(target, as_version=4))
    nbformat.write(notebook, target)
    return target


def problems(markdown: Path) -> list[str]:
    """What is wrong with the chapter's notebook (empty when it matches its source)."""
    target = notebook_path(markdown)
    if not target.is_file():
        return [f"{target} is missing: run `make sync`"]
    committed = nbformat.read(target, as_version=4)
    found = []
    if any(cell.get("outputs") for cell in committed.cells if cell.cell_type == "code"):
        found.append(f"{target} carries outputs: run `make sync` to strip them")
    expected = _cells_signature(render_notebook(markdown))
    actual = _cells_signature(committed)
    if expected != actual:
        first = next(
            (i for i, (e, a) in enumerate(zip(expected, actual, strict=False)) if e != a),
            min(len(expected), len(actual)),
        )
        found.append(
            f"{target} has drifted from {markdown} (first difference at cell {first}; "
            f"{len(expected)} cells in the source, {len(actual)} in the notebook): "
            "run `make sync`"
        )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.notebooks", description=__doc__)
    parser.add_argument("command", choices=["sync", "check"])
    parser.add_argument("chapters", nargs="+", type=Path, help="MyST-markdown chapters")
    args = parser.parse_args(argv)
    if args.command == "sync":
        for markdown in args.chapters:
            print(f"wrote {sync(markdown)}")
        return 0
    found = [problem for markdown in args.chapters for problem in problems(markdown)]
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print(f"{len(args.chapters)} notebooks match their MyST sources")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
