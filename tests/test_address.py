"""One address, one release: ``_config.yml``'s ``repository.url`` is the only source file that
spells the book's address, and each Colab notebook installs the release tag of
``project.version`` from it (README.md, "Publishing the book or a fork", "Releasing")."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from tools.notebooks import SETUP_MARK, book_url, release_tag, repository_url

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
NOTEBOOKS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))

GITHUB = re.compile(r"https?://github\.com/([A-Za-z0-9-]+)/([A-Za-z0-9._-]+?)(?=[/\s\"'`)@>#]|$)")
PAGES = re.compile(r"https?://([A-Za-z0-9-]+)\.github\.io/([A-Za-z0-9._-]+)")
PLACEHOLDERS = {("OWNER", "REPO")}
"""The owner and repository the README's prose uses to explain the address rule."""

OTHER_PROJECTS: set[tuple[str, str]] = set()
"""Other projects' repositories a page may link to (owner, repository): none so far."""

GENERATED = ("chapters/*.ipynb",)
"""Files written from the sources by ``make sync``: they carry the address, written in."""


def addresses(text: str) -> set[tuple[str, str]]:
    """Every (owner, repository) a GitHub or GitHub Pages address in ``text`` names."""
    found = {(owner, repo.removesuffix(".git")) for owner, repo in GITHUB.findall(text)}
    return found | {(owner, repo) for owner, repo in PAGES.findall(text)}


def configured() -> tuple[str, str]:
    owner, repo = repository_url().removeprefix("https://github.com/").split("/")
    return owner, repo


def source_files() -> list[Path]:
    """The repository's files that people edit: tracked by git (or, without git, every file
    outside the virtual environment, the build and the data), less the generated notebooks."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        files = [ROOT / name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "_build", "data", "__pycache__", ".pytest_cache", ".ruff_cache"}
        files = [
            path
            for path in ROOT.rglob("*")
            if path.is_file() and not skip & set(path.relative_to(ROOT).parts)
        ]
    return [
        path
        for path in files
        if path.is_file() and not any(path.relative_to(ROOT).match(g) for g in GENERATED)
    ]


def test_the_address_is_written_in_config_only() -> None:
    """``grep`` for the address (or its Pages address) finds ``_config.yml`` alone."""
    owner, repo = configured()
    spellings = [f"github.com/{owner}/{repo}", f"{owner.lower()}.github.io/{repo}"]
    spelling = re.compile("|".join(re.escape(s) for s in spellings), re.I)
    found = []
    for path in source_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if spelling.search(text):
            found.append(str(path.relative_to(ROOT)))
    assert found == ["_config.yml"], (
        f"the book's address is written in {found}: write it only in _config.yml's "
        "repository.url (notebooks get it from tools/notebooks.py)"
    )


@pytest.mark.parametrize(
    "path",
    [ROOT / "README.md", ROOT / "chapters" / "TEMPLATE.md.txt", *CHAPTERS, *NOTEBOOKS],
    ids=lambda p: p.name,
)
def test_no_page_names_another_repository(path: Path) -> None:
    """Every GitHub address in the README, the chapters and the notebooks is the configured one
    (a fork that changed ``repository.url`` but not a page, or the other way round, fails)."""
    owner, repo = configured()
    allowed = {(owner, repo), (owner.lower(), repo)} | PLACEHOLDERS | OTHER_PROJECTS
    strangers = addresses(path.read_text(encoding="utf-8")) - allowed
    assert not strangers, (
        f"{path.name} names {sorted(strangers)}, not _config.yml's {repository_url()}: run "
        "`make sync` for a notebook, or write the page without the address"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_installs_the_release_of_its_version(notebook: Path) -> None:
    """The set-up cell installs ``git+<repository.url>@v<project.version>``: the package the
    notebook was written against, from the configured repository."""
    cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    setup = cells[0].source
    assert SETUP_MARK in setup, "the first code cell is not the Colab set-up cell"
    assert f'repository = "{repository_url()}"' in setup, "run `make sync`"
    assert f'release = "{release_tag()}"' in setup, (
        f"the notebook does not install {release_tag()} (pyproject.toml's version): run `make sync`"
    )
    assert 'f"unet-tutorial[colab] @ git+{repository}@{release}"' in setup


def test_the_release_tag_is_v_and_the_version() -> None:
    from importlib.metadata import version

    assert release_tag() == f"v{version('unet-tutorial')}", (
        "the installed package's version differs from pyproject.toml's: run `make install`"
    )
    assert re.fullmatch(r"v\d+\.\d+\.\d+", release_tag())


def test_the_bibliography_links_go_to_the_configured_pages() -> None:
    owner, repo = configured()
    assert book_url() == f"https://{owner.lower()}.github.io/{repo}/"
    for notebook in NOTEBOOKS:
        for owner_found, repo_found in PAGES.findall(notebook.read_text(encoding="utf-8")):
            assert (owner_found, repo_found) == (owner.lower(), repo), notebook.name
