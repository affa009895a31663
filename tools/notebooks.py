"""Each chapter's Colab notebook (``.ipynb``), generated from its MyST-markdown source (``.md``).

Colab opens only ``.ipynb`` files from a repository, and it renders Markdown as CommonMark with
math: MyST's roles (``{cite}``, ``{numref}``, ...) and directives (``:::{note}``,
``:::{exercise}``, ...) would show as raw text there. So the notebook is not a plain copy of the
chapter: :func:`render_notebook` reads the chapter with jupytext and rewrites every Markdown cell
into what a notebook front end can show (:func:`colab_markdown`):

- ``{cite}`` / ``{cite:t}`` become author-year text linked to the book's bibliography page, and
  a "References" cell at the end lists the works the chapter cites;
- ``{ref}`` / ``{numref}`` / ``{doc}`` become their text (or a link to the published page),
  ``{math}`` becomes ``$...$``;
- admonitions, exercises and solutions become a bold title and a blockquote or a heading;
  ``{math}`` blocks become ``$$...$$``; label targets and MyST comments are dropped;
- a figure's caption (a code cell's ``mystnb: figure: caption:``) becomes a Markdown cell
  after the cell, since notebook front ends do not show cell metadata;
- the code cells of a worked solution are folded until opened, as the book's dropdowns are
  (:func:`hide_solution`);
- the Colab set-up cell (:data:`SETUP_MARK`) gets the book's repository and the package's
  release written in (:func:`setup_source`): the chapter spells ``{repository_url}`` and
  ``{release_tag}``, the notebook the address of ``repository.url`` in ``_config.yml`` and the
  tag ``v`` + ``project.version`` of ``pyproject.toml``. So ``_config.yml`` is the only file that
  spells the address, and a notebook installs the package it was written against.

Chapters that train networks (``unet_tutorial: {gpu: true}`` in their front matter) get Colab's
GPU accelerator metadata. ``sync`` writes the notebooks (outputs stripped); ``check`` fails when a
notebook is missing, carries outputs, differs from what its source renders to, or still holds
MyST-only markup.

Command line::

    python -m tools.notebooks sync chapters/*.md
    python -m tools.notebooks check chapters/*.md
"""

from __future__ import annotations

import argparse
import codecs
import re
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIBLIOGRAPHY = ROOT / "book" / "references.bib"
CONFIG = ROOT / "_config.yml"
PYPROJECT = ROOT / "pyproject.toml"

REPOSITORY = re.compile(
    r"https://github\.com/(?P<owner>[A-Za-z0-9-]+)/(?P<repo>[A-Za-z0-9._-]+?)/?"
)
"""``repository.url`` as ``_config.yml`` must give it: a GitHub repository's address."""

SETUP_PLACEHOLDERS = ("{repository_url}", "{release_tag}")
"""What a chapter's set-up cell spells where its notebook has the repository's address and the
package's release tag (:func:`setup_source`)."""

SETUP_MARK = "# Set-up for Google Colab"
"""How the Colab set-up cell is recognised: by its first comment (another cell may ask whether it
runs in Colab too, e.g. to upload a photo; tests/test_chapters.py checks that the set-up cell
is each chapter's first code cell)."""

ROLE = re.compile(r"\{(?P<name>[a-z][a-z0-9:_-]*)\}`(?P<body>[^`]*)`")
"""A MyST role: ``{name}`content```."""

FENCE_OPEN = re.compile(r"^(?P<fence>:{3,}|`{3,})\{(?P<name>[a-z][a-z0-9:_-]*)\}\s*(?P<arg>.*)$")
LABEL_TARGET = re.compile(r"^\([A-Za-z0-9_:.-]+\)=\s*$")
OPTION = re.compile(r"^:[a-z-]+:.*$")

ADMONITIONS = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
}

MYST_LEFTOVERS = (
    (re.compile(r"\{[a-z][a-z0-9:_-]*\}`"), "a MyST role"),
    (re.compile(r"^\s*:{3,}", re.M), "a ':::' directive fence"),
    (re.compile(r"^\s*`{3,}\{", re.M), "a directive in a code fence"),
    (re.compile(r"^\([A-Za-z0-9_:.-]+\)=\s*$", re.M), "a label target"),
)
"""What must not be left in a notebook's Markdown (Colab would show it as text)."""


class ConversionError(ValueError):
    """A chapter uses MyST that has no notebook equivalent (say which, and where)."""


# --------------------------------------------------------------------------------------------
# The book's settings the notebooks need
# --------------------------------------------------------------------------------------------


@cache
def repository_url() -> str:
    """The book's repository, ``repository.url`` in ``_config.yml`` (``https://github.com/OWNER/REPO``,
    without a trailing slash): the one place the address is written."""
    config = yaml.safe_load(CONFIG.read_text())
    url = str((config.get("repository") or {}).get("url", ""))
    if REPOSITORY.fullmatch(url) is None:
        raise ConversionError(
            f"{CONFIG.name}: repository.url is {url!r}, not https://github.com/OWNER/REPO"
        )
    return url.rstrip("/")


def book_url() -> str:
    """The published book's address, derived from :func:`repository_url`:
    ``https://github.com/OWNER/REPO`` is published at ``https://OWNER.github.io/REPO/``
    (GitHub Pages lower-cases the owner)."""
    match = REPOSITORY.fullmatch(repository_url())
    return f"https://{match['owner'].lower()}.github.io/{match['repo']}/"


@cache
def release_tag() -> str:
    """The git tag of the package's release that the notebooks install: ``v`` followed by
    ``project.version`` of ``pyproject.toml`` (``v0.1.0``). README.md's release checklist tags
    each release so; the set-up cell installs ``git+REPOSITORY@TAG``."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomli, which jupytext and build depend on there
        import tomli as tomllib
    version = tomllib.loads(PYPROJECT.read_text()).get("project", {}).get("version")
    if not version:
        raise ConversionError(f"{PYPROJECT.name}: no project.version")
    return f"v{version}"


def setup_source(source: str, where: str) -> str:
    """A chapter's Colab set-up cell with the repository's address and the release tag written in
    for ``{repository_url}`` and ``{release_tag}`` (:data:`SETUP_PLACEHOLDERS`).

    Raises:
        ConversionError: the cell lacks a placeholder (it would install something else than
            the configured repository's release) or spells a GitHub address itself.
    """
    missing = [token for token in SETUP_PLACEHOLDERS if token not in source]
    if missing:
        raise ConversionError(
            f'{where}: the Colab set-up cell must install "git+{{repository_url}}@{{release_tag}}" '
            f"(tools/notebooks.py writes both in); it lacks {', '.join(missing)}"
        )
    if "github.com" in source or "github.io" in source:
        raise ConversionError(
            f"{where}: the Colab set-up cell spells a GitHub address; write {{repository_url}} "
            "instead (_config.yml's repository.url is the one place the address is written)"
        )
    return source.replace("{repository_url}", repository_url()).replace(
        "{release_tag}", release_tag()
    )


@cache
def bibliography() -> dict[str, dict[str, str]]:
    """``{key: {"short": "Ronneberger et al., 2015", "authors": ..., "year": ..., "full": ...}}``
    from ``book/references.bib``."""
    from pybtex.database import parse_file

    entries = {}
    for key, entry in parse_file(str(BIBLIOGRAPHY)).entries.items():
        people = entry.persons.get("author", [])
        surnames = [_plain(" ".join(person.last_names)) for person in people]
        if not surnames:
            authors = _plain(entry.fields.get("organization", entry.fields.get("title", key)))
        elif len(surnames) == 1:
            authors = surnames[0]
        elif len(surnames) == 2:
            authors = f"{surnames[0]} and {surnames[1]}"
        else:
            authors = f"{surnames[0]} et al."
        year = entry.fields.get("year", "n.d.")
        title = _plain(entry.fields.get("title", ""))
        venue = _plain(
            entry.fields.get("booktitle")
            or entry.fields.get("journal")
            or entry.fields.get("howpublished")
            or entry.fields.get("publisher")
            or ""
        )
        everyone = ", ".join(
            _plain(" ".join([*person.first_names, *person.last_names])) for person in people
        )
        full = f"{everyone or authors} ({year}). *{title}*." + (f" {venue}." if venue else "")
        entries[key] = {"authors": authors, "year": year, "full": full}
    return entries


def _plain(text: str) -> str:
    """BibTeX text as plain Unicode: ``\\url{...}`` unwrapped, accents decoded
    (``Doll{\\'a}r`` → ``Dollár``), braces and ``--`` dashes resolved."""
    import latexcodec  # noqa: F401  (registers the "ulatex" codec; pybtex depends on it)

    text = re.sub(r"\\url\{([^}]*)\}", r"\1", text)
    text = codecs.decode(text.replace("--", "–"), "ulatex")
    return text.replace("{", "").replace("}", "").strip()


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def _cite(keys: str, textual: bool, where: str, cited: list[str]) -> str:
    bib = bibliography()
    link = book_url() + "book/bibliography.html"
    parts = []
    for key in (k.strip() for k in keys.split(",")):
        if key not in bib:
            raise ConversionError(f"{where}: {{cite}} of {key!r}, which book/references.bib lacks")
        if key not in cited:
            cited.append(key)
        entry = bib[key]
        text = (
            f"{entry['authors']} ({entry['year']})"
            if textual
            else f"{entry['authors']}, {entry['year']}"
        )
        parts.append(f"[{text}]({link})")
    return "; ".join(parts) if textual else "(" + "; ".join(parts) + ")"


def _role(match: re.Match[str], where: str, cited: list[str]) -> str:
    name, body = match["name"], match["body"]
    if name in ("cite", "cite:p", "cite:ps"):
        return _cite(body, False, where, cited)
    if name in ("cite:t", "cite:ts"):
        return _cite(body, True, where, cited)
    if name == "math":
        return f"${body}$"
    if name in ("ref", "numref", "doc", "term", "abbr", "eq"):
        text = re.sub(r"\s*<[^>]*>$", "", body)  # "text <target>" -> "text"
        return text.replace("%s", "").strip() or "the section above"
    if name.startswith("glue"):
        raise ConversionError(
            f"{where}: {{{name}}}`{body}` has no value in a notebook; print the number in a "
            "cell and let the prose read it from the output"
        )
    raise ConversionError(f"{where}: the role {{{name}}} has no notebook equivalent")


def _quote(lines: list[str]) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in lines]


def _directive(name: str, arg: str, body: list[str], where: str, state: dict) -> list[str]:
    content = [line for line in body if not OPTION.match(line)]
    while content and not content[0].strip():
        content.pop(0)
    if name in ADMONITIONS or name == "admonition":
        title = arg.strip() if name == "admonition" else ADMONITIONS[name]
        return _quote([f"**{title}**", "", *content])
    if name in ("exercise", "exercise-start"):
        state["exercise"] += 1
        labels = [line.split(":", 2)[2].strip() for line in body if line.startswith(":label:")]
        if labels:
            state["labels"][labels[0]] = f"{state['prefix']}{state['exercise']}"
        title = f"**Exercise {state['prefix']}{state['exercise']}**"
        if arg.strip():
            title += f" ({arg.strip()})"
        return [title, "", *content]
    if name in ("solution", "solution-start"):
        state["in_solution"] = name == "solution-start"
        number = state["labels"].get(arg.strip())
        title = f"**Solution to exercise {number}**" if number else "**Solution**"
        return [title, "", *content]
    if name in ("exercise-end", "solution-end"):
        if name == "solution-end":
            state["in_solution"] = False
        return content
    if name == "math":
        return ["$$", *content, "$$"]
    if name in ("figure", "image"):
        return [f"![{' '.join(content).strip()}]({arg.strip()})"]
    if name in ("glue:figure", "glue:any", "glue:math", "glue"):
        raise ConversionError(
            f"{where}: a {{{name}}} directive shows nothing in a notebook; display the figure "
            "in its cell's output (caption in the cell's mystnb metadata)"
        )
    raise ConversionError(f"{where}: the directive {{{name}}} has no notebook equivalent")


def colab_markdown(text: str, where: str, state: dict | None = None) -> str:
    """One Markdown cell of a chapter, rewritten as CommonMark with math (see the module doc).

    Args:
        text: the cell's MyST Markdown.
        where: names the chapter and cell in error messages.
        state: shared between the cells of one chapter (exercise numbers, works cited).

    Raises:
        ConversionError: for MyST without a notebook equivalent (glue, unknown directives).
    """
    state = state if state is not None else new_state()
    lines = text.splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = FENCE_OPEN.match(line.strip())
        if LABEL_TARGET.match(line) or line.lstrip().startswith("% "):
            index += 1
            continue
        if opening is None:
            out.append(line)
            index += 1
            continue
        fence = opening["fence"]
        body, depth, index = [], 1, index + 1
        while index < len(lines):
            current = lines[index].strip()
            nested = FENCE_OPEN.match(current)
            if nested and nested["fence"] == fence:
                depth += 1
            elif current == fence:
                depth -= 1
                if depth == 0:
                    break
            body.append(lines[index])
            index += 1
        index += 1
        converted = _directive(opening["name"], opening["arg"], body, where, state)
        out.extend(colab_markdown("\n".join(converted), where, state).splitlines())
    text = "\n".join(out)
    return ROLE.sub(lambda m: _role(m, where, state["cited"]), text)


def new_state(chapter: str = "") -> dict:
    """What :func:`colab_markdown` carries from one cell of a chapter to the next.

    Args:
        chapter: the chapter's number (``"8"``), put before the exercises' numbers as the book
            does (Exercise 8.2); empty for none.
    """
    prefix = f"{chapter}." if chapter else ""
    return {"exercise": 0, "labels": {}, "cited": [], "prefix": prefix, "in_solution": False}


def myst_leftovers(text: str) -> list[str]:
    """The MyST-only constructs left in some Markdown (empty for clean CommonMark)."""
    found = []
    for pattern, what in MYST_LEFTOVERS:
        match = pattern.search(text)
        if match:
            found.append(f"{what}: {text[match.start() : match.start() + 40]!r}")
    return found


# --------------------------------------------------------------------------------------------
# Notebooks
# --------------------------------------------------------------------------------------------


def notebook_path(markdown: Path) -> Path:
    """The Colab notebook paired with a MyST chapter: same folder and name, ``.ipynb``."""
    return markdown.with_suffix(".ipynb")


def _cells_signature(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


GPU_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}
"""Notebook metadata that makes Colab open a chapter on a GPU runtime (its free T4)."""


SOLUTION_TITLE = "# @title Solution (double-click to show the code)"
"""The first line of a solution's code cell in a notebook: with ``cellView: form`` Colab shows
only this title until the reader opens the cell; JupyterLab collapses the cell's input
(``jupyter.source_hidden``). The book hides solutions in a dropdown the same way."""


def hide_solution(cell: nbformat.NotebookNode) -> None:
    """Fold a solution's code cell in Colab and JupyterLab (see :data:`SOLUTION_TITLE`)."""
    cell.source = f"{SOLUTION_TITLE}\n{cell.source}"
    cell.metadata["cellView"] = "form"
    cell.metadata.setdefault("jupyter", {})["source_hidden"] = True


def figure_caption(cell: nbformat.NotebookNode) -> str:
    """The caption a code cell gives its figure (``mystnb: figure: caption:``), or ``""``.

    The book prints it under the figure; a notebook front end ignores cell metadata, so the
    notebook gets it as a Markdown cell right after the code cell."""
    figure = (cell.get("metadata", {}).get("mystnb") or {}).get("figure") or {}
    return " ".join(str(figure.get("caption", "")).split())


def render_notebook(markdown: Path) -> nbformat.NotebookNode:
    """The chapter as its Colab notebook: CommonMark cells, no outputs, Colab metadata."""
    notebook = jupytext.read(markdown)
    chapter = markdown.name.split("_", 1)[0]  # "08_training.md" -> exercises 8.1, 8.2, ...
    state = new_state(str(int(chapter)) if chapter.isdigit() else "")
    cells = []
    for number, cell in enumerate(notebook.cells):
        cells.append(cell)
        where = f"{markdown.name}, cell {number}"
        if cell.cell_type == "code":
            if SETUP_MARK in cell.source:
                cell.source = setup_source(cell.source, where)
            cell.outputs = []
            cell.execution_count = None
            if state["in_solution"]:
                hide_solution(cell)
            caption = figure_caption(cell)
            if caption:
                text = colab_markdown(f"*Figure: {caption}*", where, state)
                cells.append(nbformat.v4.new_markdown_cell(text))
        elif cell.cell_type == "markdown":
            cell.source = colab_markdown(cell.source, where, state)
    notebook.cells = cells
    if state["cited"]:
        entries = bibliography()
        listing = "\n".join(f"- {entries[key]['full']}" for key in state["cited"])
        notebook.cells.append(nbformat.v4.new_markdown_cell(f"## References\n\n{listing}"))
    settings = notebook.metadata.pop("unet_tutorial", {}) or {}
    notebook.metadata.pop("jupytext", None)
    if settings.get("gpu"):
        notebook.metadata.update(GPU_METADATA)
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
    for number, cell in enumerate(committed.cells):
        if cell.cell_type == "markdown":
            found += [f"{target}, cell {number}: {what}" for what in myst_leftovers(cell.source)]
    try:
        rendered = render_notebook(markdown)
    except ConversionError as error:
        return [*found, str(error)]
    expected, actual = _cells_signature(rendered), _cells_signature(committed)
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
    wanted = {key: rendered.metadata.get(key) for key in GPU_METADATA}
    if {key: committed.metadata.get(key) for key in GPU_METADATA} != wanted:
        found.append(f"{target}: its Colab metadata differs from its source's: run `make sync`")
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
