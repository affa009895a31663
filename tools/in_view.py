"""``python -m tools.in_view check CHAPTER.md ...``: the code a chapter defines in view is the
package's code.

A chapter writes the functions and classes it teaches in its own code cells, runs them there,
and the same code lives in the package, where later chapters import it and the tests cover it
(d2l.ai's ``#@save``, checked). A definition that belongs to the package carries, on the line
right above it (above its decorators), the comment::

    # In the package: unet_tutorial.functional.conv2d

and this check fails unless the package's definition of that name is the cell's, statement for
statement. Docstrings are not compared (the cell may leave them out: the prose around it
explains) and neither are comments or layout; everything else is, type hints and default values
included. ``python -m tools.in_view count`` prints, per chapter, the definitions kept in step.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import importlib
import inspect
import re
import sys
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.S)
MARKER = re.compile(r"^#\s*In the package:\s*(unet_tutorial(?:\.\w+)+)\s*$")


@dataclass(frozen=True)
class Definition:
    """A function or class a chapter defines in view and says the package holds.

    Attributes:
        chapter: the chapter's file.
        line: the definition's first line in the chapter file (1-based).
        target: the dotted path of the package's definition.
        node: the cell's definition, parsed.
    """

    chapter: Path
    line: int
    target: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _cell_body(text: str) -> tuple[str, int]:
    """A cell's code without its MyST options (``:tags:`` lines, a ``---`` block), and how many
    lines were dropped from its top."""
    lines = text.splitlines()
    dropped = 0
    if lines and lines[0] == "---":
        end = lines.index("---", 1)
        dropped = end + 1
    while dropped < len(lines) and lines[dropped].startswith(":"):
        dropped += 1
    return "\n".join(lines[dropped:]), dropped


def definitions(chapter: Path) -> Iterator[Definition]:
    """Every definition in ``chapter`` that carries the marker comment.

    Raises:
        ValueError: a marker that stands above no definition (names the line).
    """
    source = chapter.read_text()
    for match in CELL.finditer(source):
        body, dropped = _cell_body(match.group(1))
        first_line = source.count("\n", 0, match.start(1)) + 1 + dropped
        lines = body.splitlines()
        markers = {
            number: found.group(1)
            for number, line in enumerate(lines, start=1)
            if (found := MARKER.match(line.strip()))
        }
        if not markers:
            continue
        tree = ast.parse(body)
        claimed = set()
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            top = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if top - 1 in markers:
                claimed.add(top - 1)
                yield Definition(chapter, first_line + top - 1, markers[top - 1], node)
        for number in sorted(set(markers) - claimed):
            raise ValueError(
                f"{chapter}:{first_line + number - 1}: '# In the package: {markers[number]}' "
                "must stand on the line right above a def or class (above its decorators)."
            )


def resolve(target: str) -> object:
    """The object a dotted path names: the longest importable module, then attributes."""
    parts = target.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(target)


class _StripDocstrings(ast.NodeTransformer):
    def _strip(self, node: ast.AST) -> ast.AST:
        self.generic_visit(node)
        body = node.body  # type: ignore[attr-defined]
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body = body[1:] or [ast.Pass()]
        node.body = body  # type: ignore[attr-defined]
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _strip


def normalized(node: ast.AST) -> str:
    """The definition as code, without docstrings, comments or layout."""
    return ast.unparse(_StripDocstrings().visit(node))


def package_definition(target: str) -> ast.AST:
    """The package's definition of ``target``, parsed."""
    found = inspect.unwrap(resolve(target))
    tree = ast.parse(textwrap.dedent(inspect.getsource(found)))
    return tree.body[0]


def differences(definition: Definition) -> list[str]:
    """A unified diff between the package's definition and the chapter's (empty: the same)."""
    name = definition.target.rsplit(".", 1)[-1]
    if definition.node.name != name:
        return [f"the cell defines {definition.node.name!r}, the marker names {name!r}"]
    try:
        package = normalized(package_definition(definition.target))
    except (AttributeError, ModuleNotFoundError, OSError, TypeError) as error:
        return [f"the package has no definition {definition.target} ({error})"]
    chapter = normalized(definition.node)
    if package == chapter:
        return []
    return list(
        difflib.unified_diff(
            package.splitlines(),
            chapter.splitlines(),
            f"package: {definition.target}",
            f"chapter: {definition.chapter.name}:{definition.line}",
            lineterm="",
        )
    )


def check(chapters: Sequence[Path]) -> list[str]:
    """Every disagreement between a chapter's definitions and the package's, as messages."""
    problems = []
    for chapter in chapters:
        try:
            found = list(definitions(chapter))
        except ValueError as error:
            problems.append(str(error))
            continue
        for definition in found:
            diff = differences(definition)
            if diff:
                where = f"{chapter}:{definition.line}"
                problems.append(f"{where}: differs from the package:\n" + "\n".join(diff))
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.in_view", description=__doc__)
    parser.add_argument("command", choices=["check", "count"])
    parser.add_argument("chapters", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "count":
        for chapter in args.chapters:
            found = list(definitions(chapter))
            lines = sum(d.node.end_lineno - d.node.lineno + 1 for d in found)  # type: ignore[operator]
            print(f"{chapter.name:32s} {len(found):3d} definitions, {lines:4d} lines in step")
        return 0
    problems = check(args.chapters)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            f"{len(problems)} definition(s) in the chapters differ from the package: change "
            "both together (the chapter shows the package's code).",
            file=sys.stderr,
        )
        return 1
    count = sum(len(list(definitions(c))) for c in args.chapters)
    print(f"{count} definitions in {len(args.chapters)} chapters match the package")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
