"""Source-level rules every chapter follows (the built HTML is checked in tests/book)."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
import yaml

from tools.notebooks import SETUP_MARK, SETUP_PLACEHOLDERS, problems

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))


def toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return {chapter["file"] for part in toc["parts"] for chapter in part["chapters"]}


def code_cells(chapter: Path) -> list:
    return [cell for cell in jupytext.read(chapter).cells if cell.cell_type == "code"]


def test_there_are_chapters() -> None:
    assert CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_in_the_toc(chapter: Path) -> None:
    assert f"chapters/{chapter.stem}" in toc_files()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_installs_the_configured_release_in_colab_only(chapter: Path) -> None:
    first = code_cells(chapter)[0]
    assert SETUP_MARK in first.source
    # The notebook gets _config.yml's address and the release tag written in for these
    # (tools/notebooks.py; tests/test_address.py checks the notebooks).
    for placeholder in SETUP_PLACEHOLDERS:
        assert placeholder in first.source, f"the set-up cell lacks {placeholder}"
    tags = first.metadata.get("tags", [])
    assert {"hide-cell", "remove-cell", "hide-input"} & set(tags), "set-up cell is not hidden"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_starts_with_its_profile(chapter: Path) -> None:
    assert "start_chapter()" in code_cells(chapter)[1].source


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_colab_notebook_matches_source(chapter: Path) -> None:
    assert problems(chapter) == []
