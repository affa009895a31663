"""What the browser checks share: the browser's settings, the book's pages and settings, and
what one visit of a page found."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# Debian's Chromium runs headless as root only without the sandbox; the networking flags stop its
# own background connections, which fail noisily on a closed network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]
WINDOW = (1280, 900)

#: Figures per chapter, filled by test_notebooks.py: ``{chapter: (in the book page, in the
#: executed notebook)}``; conftest.py prints it at the end of the run.
NOTEBOOK_FIGURES: dict[str, tuple[int, int]] = {}
#: What test_segmenter_panel.py measured (agreement with predict, milliseconds per photo);
#: conftest.py prints it at the end of the run.
PANEL_TIMES: dict[str, str] = {}
PRINT_WIDTH = 718  # A4 at 96 dpi less Chromium's default 1 cm margins, in CSS pixels
WAIT_S = 15


# --- the book: pages from _toc.yml, settings from _config.yml ---------------------------------


def toc_pages(book_root: Path) -> list[str]:
    """Every page of ``_toc.yml`` in reading order (root, then parts, chapters and sections)."""
    toc = yaml.safe_load((book_root / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return pages


def is_chapter(page: str) -> bool:
    return page.startswith("chapters/")


@dataclass(frozen=True)
class Book:
    root: Path
    html_dir: Path
    pages: list[str]
    config: dict[str, Any]

    def source(self, page: str) -> Path | None:
        for suffix in (".md", ".ipynb", ".rst"):
            if (path := self.root / f"{page}{suffix}").is_file():
                return path
        return None

    def colab_url(self, page: str) -> str:
        """The "Open in Colab" address of a chapter's notebook in the configured repository."""
        repository = self.config["repository"]
        owner_repo = re.sub(r"^https?://github\.com/", "", repository["url"]).strip("/")
        colab = self.config["launch_buttons"]["colab_url"].rstrip("/")
        book_path = (repository.get("path_to_book") or "").strip("/")
        notebook = f"{book_path}/{page}.ipynb" if book_path else f"{page}.ipynb"
        return f"{colab}/github/{owner_repo}/blob/{repository.get('branch', 'main')}/{notebook}"


@dataclass
class PageReport:
    page: str
    url: str
    data: dict[str, Any]  # what collect_page.js returned
    errors: list[str]  # SEVERE entries of the browser's console log
    print_problems: list[str]  # what print_layout.js found with print media emulated
