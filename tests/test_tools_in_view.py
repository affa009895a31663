"""tools.in_view: a definition written in a chapter must be the package's, or the check fails."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import pytest

from tools.in_view import check, definitions, main
from unet_tutorial import functional

HEADER = "---\njupytext:\n  text_representation:\n    format_name: myst\n---\n\n# A chapter\n\n"


def chapter(
    tmp_path: Path, code: str, marker: str = "unet_tutorial.functional.conv_output_size"
) -> Path:
    path = tmp_path / "99_test.md"
    cell = f"```{{code-cell}} ipython3\nimport torch\n\n# In the package: {marker}\n{code}```\n"
    path.write_text(HEADER + "Some prose.\n\n" + cell)
    return path


def package_source(name: str) -> str:
    return textwrap.dedent(inspect.getsource(getattr(functional, name)))


def test_the_package_definition_itself_passes(tmp_path) -> None:
    path = chapter(tmp_path, package_source("conv_output_size"))
    assert check([path]) == []
    (found,) = definitions(path)
    assert found.target == "unet_tutorial.functional.conv_output_size"
    assert found.node.name == "conv_output_size"
    assert path.read_text().splitlines()[found.line - 1].startswith("def conv_output_size")


def test_docstrings_and_comments_may_differ(tmp_path) -> None:
    source = package_source("conv_output_size")
    tree_lines = source.splitlines()
    # drop the docstring: the cell may be leaner than the package
    start = next(i for i, line in enumerate(tree_lines) if '"""' in line)
    end = next(i for i in range(start + 1, len(tree_lines)) if '"""' in tree_lines[i])
    if tree_lines[start].count('"""') == 2:
        end = start
    lean = "\n".join(tree_lines[:start] + tree_lines[end + 1 :]) + "\n"
    lean = lean.replace("\n    return", "\n    # a comment of the chapter's\n    return", 1)
    assert check([chapter(tmp_path, lean)]) == []


def test_changing_one_line_fails_and_shows_the_line(tmp_path, capsys) -> None:
    source = package_source("conv_output_size")
    assert source.count("// s + 1") == 1
    path = chapter(tmp_path, source.replace("// s + 1", "// s + 2"))
    problems = check([path])
    assert len(problems) == 1 and "differs from the package" in problems[0]
    changed = [line for line in problems[0].splitlines() if line.startswith(("-  ", "+  "))]
    assert len(changed) == 2 and "// s + 1" in changed[0] and "// s + 2" in changed[1]
    assert main(["check", str(path)]) == 1
    assert "differ from the package" in capsys.readouterr().err


def test_a_marker_without_a_definition_or_target_is_an_error(tmp_path) -> None:
    path = chapter(tmp_path, "x = 1\n")
    (problem,) = check([path])
    assert "must stand on the line right above a def" in problem
    missing = chapter(
        tmp_path, "def nowhere():\n    return 1\n", "unet_tutorial.functional.nowhere"
    )
    (problem,) = check([missing])
    assert "the marker names 'nowhere'" not in problem and "no definition" in problem


@pytest.mark.parametrize("chapter_file", sorted(Path("chapters").glob("[0-9]*.md")))
def test_every_chapter_is_in_step_with_the_package(chapter_file) -> None:
    assert check([chapter_file]) == []
